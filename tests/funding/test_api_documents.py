"""/api/v1/funding/applications/{id}/documents/: list, upload (checked by content), download and replace the documents
of an application; the checklist with who must deliver; a new application starts its flow."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient
from viewflow.workflow import STATUS

from funding.models import Application, ApplicationDocument
from projects.models import AuditEntry, Municipality
from workflows.funding import funding_open_tasks, funding_process_of

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4 Beschluss"
OZG = "OZG-Zentrum: Prozessdesigner (KIKZ)"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def application():
    return Application.objects.get(title=OZG)


def api(users, username):
    client = APIClient()
    client.force_authenticate(users[username])
    return client


def pdf(name="beschluss.pdf", content=PDF, content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def post_document(client, application, **fields):
    return client.post(f"/api/v1/funding/applications/{application.pk}/documents/", fields, format="multipart")


def test_a_partner_uploads_its_council_resolution_and_downloads_it(users, application):
    ronneburg = Municipality.objects.get(slug="ronneburg")
    application.documents.filter(municipality=ronneburg).delete()
    clerk = api(users, "sb.ronneburg")
    response = post_document(
        clerk,
        application,
        kind="council_resolution",
        municipality=ronneburg.ags,
        title="Beschluss Ronneburg",
        dated="2025-03-12",
        file=pdf(),
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["content_type"], body["size"], body["version"]) == ("application/pdf", len(PDF), 1)

    listed = clerk.get(f"/api/v1/funding/applications/{application.pk}/documents/").json()
    assert body["id"] in {row["id"] for row in listed}
    download = clerk.get(body["download"])
    assert download.status_code == 200
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content) == PDF

    item = next(
        i
        for i in clerk.get(f"/api/v1/funding/applications/{application.pk}/").json()["checklist"]
        if i["municipality"] == ronneburg.ags
    )
    assert item["done"] and "Beschluss Ronneburg" in item["source"]


def test_a_partner_may_not_upload_what_the_checklist_asks_of_others(users, application):
    neuberg = Municipality.objects.get(slug="neuberg")
    clerk = api(users, "sb.ronneburg")
    before = (ApplicationDocument.objects.count(), AuditEntry.objects.count())
    foreign = post_document(
        clerk,
        application,
        kind="council_resolution",
        municipality=neuberg.ags,
        title="x",
        dated="2025-03-12",
        file=pdf(),
    )
    agreement = post_document(clerk, application, kind="agreement", title="x", dated="2025-03-12", file=pdf())
    assert (foreign.status_code, agreement.status_code) == (403, 403)
    assert "Fördermittelstelle" in foreign.json()["detail"]
    outsider = post_document(
        api(users, "sb.hammersbach"), application, kind="agreement", title="x", dated="2025-03-12", file=pdf()
    )
    assert outsider.status_code == 404
    assert (ApplicationDocument.objects.count(), AuditEntry.objects.count()) == before


def test_an_upload_is_judged_by_its_content_and_a_refusal_stores_nothing(users, application, media):
    before = (ApplicationDocument.objects.count(), AuditEntry.objects.count())
    response = post_document(
        api(users, "foerderung.mkk"),
        application,
        kind="agreement",
        title="Vereinbarung",
        dated="2025-03-12",
        file=pdf(name="vereinbarung.pdf", content=b"<html><script>alert(1)</script></html>"),
    )
    assert response.status_code == 400
    assert "keines davon" in response.json()["errors"]["file"][0]
    assert (ApplicationDocument.objects.count(), AuditEntry.objects.count()) == before
    assert not any(media.rglob("*"))


def test_the_officer_replaces_a_file_and_the_version_counts_up(users, application):
    officer = api(users, "foerderung.mkk")
    created = post_document(
        officer, application, kind="agreement", title="Vereinbarung", dated="2025-03-12", file=pdf("entwurf.pdf")
    ).json()
    url = created["download"]
    refused = api(users, "bm.ronneburg").post(url, {"file": pdf("x.pdf")}, format="multipart")
    assert refused.status_code == 403
    replaced = officer.post(url, {"file": pdf("unterzeichnet.pdf", b"%PDF-1.4 gezeichnet")}, format="multipart")
    assert replaced.status_code == 200, replaced.json()
    assert replaced.json()["version"] == 2
    assert b"".join(officer.get(url).streaming_content) == b"%PDF-1.4 gezeichnet"
    assert AuditEntry.objects.filter(action="funding.document.replaced", actor=users["foerderung.mkk"]).count() == 1


def test_an_application_created_through_the_api_starts_its_flow(users):
    partners = ["ronneburg", "neuberg", "hammersbach"]
    response = api(users, "foerderung.mkk").post(
        "/api/v1/funding/applications/",
        {
            "title": "Gemeinsames Standesamt",
            "programme": "ikz-hessen",
            "county": "mkk",
            "partners": list(Municipality.objects.filter(slug__in=partners).values_list("ags", flat=True)),
            "duration_years": 5,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    application = Application.objects.get(pk=response.json()["id"])
    assert funding_process_of(application=application).status == STATUS.NEW
    assert [t.flow_task.name for t in funding_open_tasks(application=application)] == ["prepare"]
    missing = [i for i in response.json()["checklist"] if not i["done"]]
    assert {i["deliverer"] for i in missing} >= {"Ronneburg (Bürgermeister/in oder Sachbearbeitung)"}
