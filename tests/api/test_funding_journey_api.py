"""A funding application driven through the API alone: created (its flow starts), documents uploaded and listed,
the saving calculation, every step of the flow with its typed body up to the grant notice, a drawdown, the
proof of use and the closing; the revocation of a grant; refusals in German that change nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from funding.models import Application
from projects.models import AuditEntry, Municipality

pytestmark = pytest.mark.django_db

PARTNERS = ["grosskrotzenburg", "ronneburg", "neuberg"]


def _ags() -> list[str]:
    return [Municipality.objects.get(slug=slug).ags for slug in PARTNERS]


def _steps(body) -> list[str]:
    return [row["step"] for row in body["open_steps"]]


def _new_application(client) -> dict:
    response = client.post(
        "/api/v1/funding/applications/",
        {
            "title": "OZG-Zentrum über die API",
            "programme": "ikz-hessen",
            "county": "mkk",
            "partners": _ags(),
            "duration_years": 5,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()


def _prepared(client, application: dict) -> None:
    """Saving calculation and the council resolution of every partner, uploaded as files."""
    pk = application["id"]
    saving = client.post(
        f"/api/v1/funding/applications/{pk}/saving/",
        {
            "previous": [{"municipality": ags, "personnel": "50000", "material": "5000"} for ags in _ags()],
            "joint_personnel": "120000",
            "joint_material": "15000",
        },
        format="json",
    )
    assert saving.status_code == 200, saving.content
    assert saving.json()["saving_percent"] is not None
    for ags in _ags():
        upload = client.post(
            f"/api/v1/funding/applications/{pk}/documents/",
            {
                "kind": "council_resolution",
                "municipality": ags,
                "title": f"Beschluss {ags}",
                "dated": "2025-10-01",
                "file": SimpleUploadedFile("beschluss.pdf", b"%PDF-1.4 Beschluss", content_type="application/pdf"),
            },
            format="multipart",
        )
        assert upload.status_code == 201, upload.content
    agreement = client.post(
        f"/api/v1/funding/applications/{pk}/documents/",
        {
            "kind": "agreement",
            "title": "Öffentlich-rechtliche Vereinbarung",
            "dated": "2025-09-01",
            "file": SimpleUploadedFile("vereinbarung.pdf", b"%PDF-1.4 Vereinbarung", content_type="application/pdf"),
        },
        format="multipart",
    )
    assert agreement.status_code == 201, agreement.content


def _step(client, pk: int, step: str, body: dict, expected: int = 200) -> dict:
    response = client.post(f"/api/v1/funding/applications/{pk}/steps/{step}/", body, format="json")
    assert response.status_code == expected, response.content
    return response.json()


def _granted(client) -> dict:
    application = _new_application(client)
    pk = application["id"]
    _prepared(client, application)
    _step(client, pk, "prepare", {"checked_on": "2025-10-01"})
    _step(client, pk, "review", {"decision": "approve"})
    _step(client, pk, "submit", {"submitted_on": "2025-10-15", "requested_amount": "75000.00"})
    return _step(
        client,
        pk,
        "decision",
        {
            "outcome": "grant",
            "decided_on": "2026-01-15",
            "reference": "WI-IKZ-2026-17",
            "amount": "75000.00",
            "first_year": 2026,
            "key": [{"municipality": ags, "weight": str(w)} for ags, w in zip(_ags(), (80, 113, 115), strict=True)],
        },
    )


def test_officer_drives_an_application_from_creation_to_proof_of_use_through_the_api(login):
    client = login("foerderung.mkk")
    application = _new_application(client)
    assert _steps(application) == ["prepare"]  # the POST started the application's flow
    pk = application["id"]

    _prepared(client, application)
    documents = client.get(f"/api/v1/funding/applications/{pk}/documents/").json()
    assert len(documents) == 4
    agreement = next(d for d in documents if d["kind"] == "agreement")
    download = client.get(agreement["download"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 Vereinbarung"

    _step(client, pk, "prepare", {"checked_on": "2025-10-01"})
    returned = _step(client, pk, "review", {"decision": "return", "note": "Einsparung prüfen"})
    assert returned["state"] == Application.State.IDEA and _steps(returned) == ["prepare"]
    _step(client, pk, "prepare", {"checked_on": "2025-10-02"})
    _step(client, pk, "review", {"decision": "approve"})
    submitted = _step(client, pk, "submit", {"submitted_on": "2025-10-15", "requested_amount": "75000.00"})
    assert submitted["submitted_on"] == "2025-10-15" and _steps(submitted) == ["decision"]

    granted = _step(
        client,
        pk,
        "decision",
        {
            "outcome": "grant",
            "decided_on": "2026-01-15",
            "reference": "WI-IKZ-2026-17",
            "amount": "75000.00",
            "first_year": 2026,
            "key": [{"municipality": ags, "weight": str(w)} for ags, w in zip(_ags(), (80, 113, 115), strict=True)],
        },
    )
    assert granted["state"] == Application.State.GRANTED and _steps(granted) == ["purpose"]
    decisions = client.get("/api/v1/funding/decisions/").json()["results"]
    notice = next(d for d in decisions if d["application"] == pk)
    assert (notice["outcome"], notice["amount"], notice["reference"]) == ("grant", "75000.00", "WI-IKZ-2026-17")

    drawdown = client.post(
        "/api/v1/funding/drawdowns/",
        {"application": pk, "amount": "30000.00", "requested_on": "2026-02-01", "needed_on": "2026-03-01"},
        format="json",
    )
    assert drawdown.status_code == 201, drawdown.content

    today = timezone.localdate()
    fulfilled = today - dt.timedelta(days=30)
    _step(client, pk, "purpose", {"fulfilled_on": fulfilled.isoformat()})
    proved = _step(client, pk, "proof", {"submitted_on": today.isoformat(), "amount_used": "75000.00"})
    assert proved["state"] == Application.State.PROOF_SUBMITTED and _steps(proved) == ["closing"]
    closed = _step(client, pk, "closing", {"accepted_on": today.isoformat()})
    assert closed["state"] == Application.State.CLOSED and closed["open_steps"] == []


def test_a_step_that_is_not_open_answers_409_in_german_and_changes_nothing(login):
    client = login("foerderung.mkk")
    pk = _new_application(client)["id"]
    entries = AuditEntry.objects.count()
    body = _step(client, pk, "submit", {"submitted_on": "2025-10-15"}, expected=409)
    assert body["detail"] == "Der Schritt „Antrag einreichen“ ist bei diesem Antrag nicht offen."
    assert AuditEntry.objects.count() == entries
    assert Application.objects.get(pk=pk).state == Application.State.IDEA


def test_a_step_with_missing_documents_is_refused_with_the_missing_items_and_stays_open(login):
    client = login("foerderung.mkk")
    pk = _new_application(client)["id"]
    body = _step(client, pk, "prepare", {"checked_on": "2025-10-01"}, expected=400)
    assert "Es fehlen Unterlagen" in body["detail"]
    assert _steps(client.get(f"/api/v1/funding/applications/{pk}/").json()) == ["prepare"]


def test_a_step_body_of_the_wrong_type_is_refused_per_field(login):
    client = login("foerderung.mkk")
    pk = _new_application(client)["id"]
    body = _step(client, pk, "prepare", {"checked_on": "morgen"}, expected=400)
    assert "checked_on" in body["errors"]


def test_a_partner_municipality_may_read_but_not_complete_a_step(login):
    officer = login("foerderung.mkk")
    pk = _new_application(officer)["id"]
    mayor = login("bm.neuberg")
    assert mayor.get(f"/api/v1/funding/applications/{pk}/").status_code == 200
    response = mayor.post(f"/api/v1/funding/applications/{pk}/steps/prepare/", {"checked_on": "2025-10-01"})
    assert response.status_code == 403
    assert Application.objects.get(pk=pk).state == Application.State.IDEA


def test_officer_revokes_a_grant_with_interest_and_its_open_steps_end(login):
    client = login("foerderung.mkk")
    pk = _granted(client)["id"]
    client.post(
        "/api/v1/funding/drawdowns/",
        {"application": pk, "amount": "30000.00", "requested_on": "2026-02-01", "needed_on": "2026-03-01"},
        format="json",
    )
    too_much = client.post(
        f"/api/v1/funding/applications/{pk}/revoke/",
        {
            "revoked_on": "2026-06-01",
            "principal": "40000.00",
            "base_rate_percent": "1.27",
            "interest_from": "2026-02-01",
            "due_on": "2026-07-01",
            "reason": "Zweck verfehlt",
        },
        format="json",
    )
    assert too_much.status_code == 400
    assert "principal" in too_much.json()["errors"]
    revoked = client.post(
        f"/api/v1/funding/applications/{pk}/revoke/",
        {
            "revoked_on": "2026-06-01",
            "principal": "30000.00",
            "base_rate_percent": "1.27",
            "interest_from": "2026-02-01",
            "due_on": "2026-07-01",
            "reason": "Zweck verfehlt",
        },
        format="json",
    )
    assert revoked.status_code == 201, revoked.content
    body = revoked.json()
    assert body["repayment"]["principal"] == "30000.00"
    assert body["application"]["open_steps"] == []
