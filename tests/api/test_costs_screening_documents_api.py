"""Plans of a cost year, declarations of interest and case documents through the API: what the portal does, with
the same rules; a refusal answers in German and changes nothing."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from costs.models import YearPlan
from projects.models import AuditEntry, InterestDeclaration, Municipality, ScreeningRound
from tests.api.conftest import start_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def ozg(login):
    centres = login("controlling.mkk").get("/api/v1/costs/centres/").json()["results"]
    return next(c for c in centres if c["code"] == "ozg")


def _plan_body(centre, year, budget="300000.00"):
    key = centre["agreement"]["allocation_key"]
    return {
        "centre": centre["id"],
        "year": year,
        "budget": budget,
        "quantities": [{"municipality": m["id"], "key": key, "quantity": "100"} for m in centre["members"]],
    }


def test_controller_creates_edits_and_publishes_a_plan_and_members_then_see_their_contribution(login, ozg):
    controller = login("controlling.mkk")
    created = controller.post("/api/v1/costs/plans/save/", _plan_body(ozg, 2030), format="json")
    assert created.status_code == 200, created.content
    assert created.json()["totals"]["budget"] == "300000.00"
    edited = controller.post("/api/v1/costs/plans/save/", _plan_body(ozg, 2030, "330000.00"), format="json")
    assert edited.json()["totals"]["budget"] == "330000.00"
    neuberg = login("bm.neuberg")
    query = f"/api/v1/costs/plans/?year=2030&centre={ozg['id']}"
    assert neuberg.get(query).status_code == 404  # not published yet
    published = controller.post("/api/v1/costs/plans/publish/", {"centre": ozg["id"], "year": 2030}, format="json")
    assert published.status_code == 200, published.content
    rows = neuberg.get(query).json()["rows"]
    assert [r["municipality"]["name"] for r in rows] == ["Neuberg"]
    again = controller.post("/api/v1/costs/plans/publish/", {"centre": ozg["id"], "year": 2030}, format="json")
    assert again.status_code == 400 and "bereits" in again.json()["detail"]


def test_a_member_may_not_plan_and_nothing_is_saved(login, ozg):
    entries = AuditEntry.objects.count()
    response = login("bm.neuberg").post("/api/v1/costs/plans/save/", _plan_body(ozg, 2031), format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == "Nur das Controlling der DKZ darf Kosten planen, buchen und abrechnen."
    assert not YearPlan.objects.filter(centre_id=ozg["id"], year=2031).exists()
    assert AuditEntry.objects.count() == entries


def test_a_plan_without_any_key_input_is_refused_in_german_and_not_saved(login, ozg):
    body = {**_plan_body(ozg, 2032), "quantities": []}
    response = login("controlling.mkk").post("/api/v1/costs/plans/save/", body, format="json")
    assert response.status_code == 400
    assert "Schlüsselgröße" in response.json()["detail"]
    assert not YearPlan.objects.filter(centre_id=ozg["id"], year=2032).exists()


def test_clerk_declares_interest_through_the_api_and_reads_it_back(login):
    round_ = ScreeningRound.objects.get(county__slug="mkk", name="MKK 2023")
    ronneburg = Municipality.objects.get(slug="ronneburg")
    clerk = login("sb.ronneburg")
    body = {"municipality": ronneburg.pk, "task_area": "37.03", "interested": True, "urgency": 6, "complexity": 4}
    saved = clerk.post(f"/api/v1/screening/rounds/{round_.pk}/declarations/", body, format="json")
    assert saved.status_code == 200, saved.content
    assert (saved.json()["urgency"], saved.json()["source"]) == (6, "portal")
    listed = clerk.get(f"/api/v1/screening/rounds/{round_.pk}/declarations/").json()
    assert {row["municipality"] for row in listed} == {ronneburg.pk}
    assert any(row["task_area"] == "37.03" and row["interested"] for row in listed)


def test_declaring_for_another_municipality_or_out_of_range_is_refused_and_changes_nothing(login):
    round_ = ScreeningRound.objects.get(county__slug="mkk", name="MKK 2023")
    neuberg, ronneburg = Municipality.objects.get(slug="neuberg"), Municipality.objects.get(slug="ronneburg")
    clerk = login("sb.ronneburg")
    url = f"/api/v1/screening/rounds/{round_.pk}/declarations/"
    other = clerk.post(url, {"municipality": neuberg.pk, "task_area": "37.03", "interested": True}, format="json")
    assert other.status_code == 403
    assert not InterestDeclaration.objects.filter(round=round_, municipality=neuberg, task_area__code="37.03")
    before = list(InterestDeclaration.objects.filter(round=round_, municipality=ronneburg).values())
    bad = clerk.post(
        url, {"municipality": ronneburg.pk, "task_area": "37.03", "interested": True, "urgency": 11}, format="json"
    )
    assert bad.status_code == 400
    assert "zwischen 1 und 10" in bad.json()["errors"]["urgency"][0]
    assert list(InterestDeclaration.objects.filter(round=round_, municipality=ronneburg).values()) == before


def test_case_documents_are_uploaded_listed_and_downloaded_through_the_api(login, users):
    case = start_case(users)
    client = login("pm.mkk")
    upload = client.post(
        f"/api/v1/cases/{case.pk}/documents/",
        {
            "title": "Protokoll",
            "file": SimpleUploadedFile("protokoll.pdf", b"%PDF-1.4 Protokoll", content_type="application/pdf"),
        },
        format="multipart",
    )
    assert upload.status_code == 201, upload.content
    listed = client.get(f"/api/v1/cases/{case.pk}/documents/").json()
    assert [d["title"] for d in listed] == ["Protokoll"]
    download = client.get(listed[0]["download"])
    assert download.status_code == 200 and download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == b"%PDF-1.4 Protokoll"


def test_a_case_document_of_a_forbidden_type_is_refused_and_not_stored(login, users):
    case = start_case(users)
    response = login("pm.mkk").post(
        f"/api/v1/cases/{case.pk}/documents/",
        {
            "title": "Skript",
            "file": SimpleUploadedFile("skript.pdf", b"#!/bin/sh\necho hallo\n", content_type="application/pdf"),
        },
        format="multipart",
    )
    assert response.status_code == 400
    assert not case.documents.exists()
    assert login("bm.maintal").get(f"/api/v1/cases/{case.pk}/documents/").status_code == 404
