"""The funding application's pages: documents (upload, list, download, replace) by those who deliver them, the
checklist filled from the case, the saving calculation form, a new application outside a case, the decision page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from viewflow.workflow import STATUS

from funding.models import Application, ApplicationDocument
from funding.services import applications as svc
from projects.models import AuditEntry, CouncilResolution
from workflows.funding import funding_open_tasks, funding_process_of

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4 Beschluss der Gemeindevertretung"
HTML_PAGE = b"<!doctype html><html><body><script>alert(1)</script></body></html>"
OZG = "OZG-Zentrum: Prozessdesigner (KIKZ)"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def application():
    return Application.objects.get(title=OZG)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def upload(client, application, item, content=PDF, name="beschluss.pdf", content_type="application/pdf"):
    return client.post(
        f"/funding/applications/{application.pk}/unterlagen/",
        {
            "item": item,
            "title": "Beschluss vom 12.03.",
            "dated": "2025-03-12",
            "file": SimpleUploadedFile(name, content, content_type=content_type),
        },
        follow=True,
    )


def test_a_partner_clerk_uploads_the_own_council_resolution_and_may_deliver_nothing_else(users, application):
    ronneburg = application.partners.get(slug="ronneburg")
    application.documents.filter(municipality=ronneburg).delete()
    clerk = client_for(users["sb.ronneburg"])
    page = clerk.get(f"/funding/applications/{application.pk}/").content.decode()
    assert f'value="council_resolution:{ronneburg.pk}"' in page
    assert 'value="agreement:"' not in page
    assert "liefert: Ronneburg" in page

    response = upload(clerk, application, f"council_resolution:{ronneburg.pk}")
    assert "Die Unterlage wurde hochgeladen." in response.content.decode()
    document = ApplicationDocument.objects.get(application=application, municipality=ronneburg)
    assert (document.added_by, document.content_type, document.size) == (
        users["sb.ronneburg"],
        "application/pdf",
        len(PDF),
    )
    assert AuditEntry.objects.filter(action="funding.document.added", actor=users["sb.ronneburg"]).exists()

    neuberg = application.partners.get(slug="neuberg")
    before = ApplicationDocument.objects.count()
    refused = upload(clerk, application, f"council_resolution:{neuberg.pk}")
    assert refused.status_code == 400
    refused = upload(clerk, application, "agreement:")
    assert refused.status_code == 400
    assert ApplicationDocument.objects.count() == before


def test_an_html_page_declared_as_pdf_is_refused_in_german_and_nothing_is_stored(users, application, media):
    officer = client_for(users["foerderung.mkk"])
    before = (ApplicationDocument.objects.count(), AuditEntry.objects.count())
    response = upload(officer, application, "agreement:", content=HTML_PAGE, name="vereinbarung.pdf")
    assert "der Inhalt dieser Datei ist keines davon" in response.content.decode()
    assert (ApplicationDocument.objects.count(), AuditEntry.objects.count()) == before
    assert not any(media.rglob("*.pdf"))


def test_documents_are_downloaded_as_attachments_only_by_those_who_see_the_application(users, application):
    document = svc.application_document_add(
        application=application,
        by=users["foerderung.mkk"],
        kind=ApplicationDocument.Kind.AGREEMENT,
        title="Vereinbarung",
        dated=dt.date(2025, 3, 1),
        file=SimpleUploadedFile("vereinbarung.pdf", PDF, content_type="application/pdf"),
    )
    url = f"/funding/applications/{application.pk}/unterlagen/{document.pk}/"
    response = client_for(users["bm.neuberg"]).get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF
    assert client_for(users["bm.hammersbach"]).get(url).status_code == 404
    assert client_for(users["foerderung.gg"]).get(url).status_code == 404


def test_replacing_a_file_keeps_the_document_counts_its_version_and_writes_the_audit(users, application):
    officer = users["foerderung.mkk"]
    document = svc.application_document_add(
        application=application,
        by=officer,
        kind=ApplicationDocument.Kind.AGREEMENT,
        title="Vereinbarung (Entwurf)",
        dated=dt.date(2025, 3, 1),
        file=SimpleUploadedFile("entwurf.pdf", PDF, content_type="application/pdf"),
    )
    signed = b"%PDF-1.4 unterzeichnet"
    url = f"/funding/applications/{application.pk}/unterlagen/{document.pk}/ersetzen/"
    refused = client_for(users["sb.ronneburg"]).post(
        url, {"file": SimpleUploadedFile("x.pdf", signed, content_type="application/pdf")}
    )
    assert refused.status_code == 403
    response = client_for(officer).post(
        url,
        {"file": SimpleUploadedFile("unterzeichnet.pdf", signed, content_type="application/pdf")},
        follow=True,
    )
    assert "Die Datei der Unterlage wurde ersetzt." in response.content.decode()
    document.refresh_from_db()
    assert document.version == 2
    assert document.file.read() == signed
    entry = AuditEntry.objects.filter(action="funding.document.replaced").latest("pk")
    assert entry.changes["version"] == {"old": 1, "new": 2}


def test_the_checklist_takes_the_resolutions_and_the_statute_the_case_holds(users, transferred_case, ikz, ozg_partners):
    from projects.models import StatuteAmendment
    from projects.services.cases import county_dkz

    officer = users["foerderung.mkk"]
    application = svc.application_create(by=officer, programme=ikz, title="aus dem Fall", case=transferred_case)
    first, *others = sorted(ozg_partners, key=lambda m: m.name)
    CouncilResolution.objects.create(
        case=transferred_case,
        municipality=first,
        body="Gemeindevertretung",
        session_date=dt.date(2025, 5, 6),
        outcome="adopted",
        recorded_by=users[f"sb.{first.slug}"],
    )
    checklist = {item.label: item for item in svc.application_checklist(application=application)}
    found = checklist[f"Beschluss der Gemeindevertretung: {first}"]
    assert found.done and "Sitzung vom 06.05.2025" in found.source
    missing = checklist[f"Beschluss der Gemeindevertretung: {others[0]}"]
    assert not missing.done and missing.deliverer.startswith(others[0].name)
    assert not checklist["Vereinbarung oder Satzung"].done

    StatuteAmendment.objects.create(
        case=transferred_case, dkz=county_dkz(transferred_case.county), status=StatuteAmendment.Status.IN_FORCE
    )
    checklist = {item.label: item for item in svc.application_checklist(application=application)}
    assert checklist["Vereinbarung oder Satzung"].done
    assert "Satzungsänderung in Kraft" in checklist["Vereinbarung oder Satzung"].source


def test_the_saving_form_computes_the_percentage_and_shows_it_against_the_rule(users, ikz, mkk):
    officer = users["foerderung.mkk"]
    partners = list(mkk.municipalities.filter(slug__in=["ronneburg", "neuberg", "hammersbach"]))
    application = svc.application_create(by=officer, programme=ikz, title="Einsparung", county=mkk, partners=partners)
    url = f"/funding/applications/{application.pk}/einsparung/"
    assert client_for(users["sb.ronneburg"]).get(url).status_code == 403
    data = {"joint_personnel": "100.000,00", "joint_material": "20.000,00"}
    for m in partners:
        data[f"personnel_{m.pk}"] = "50.000,00"
        data[f"material_{m.pk}"] = "0"
    client = client_for(officer)
    response = client.post(url, data, follow=True)
    application.refresh_from_db()
    assert application.saving_percent == Decimal("20.00")  # 150,000 before, 120,000 jointly
    page = response.content.decode()
    assert "20,00 %" in page and "mindestens 15 %" in page and "erreicht" in page

    data[f"personnel_{partners[0].pk}"] = "-1"
    assert client.post(url, data).status_code == 400
    application.refresh_from_db()
    assert application.saving_percent == Decimal("20.00")


def test_a_new_application_outside_a_case_starts_its_flow(users, ikz, mkk):
    partners = list(mkk.municipalities.filter(slug__in=["ronneburg", "neuberg", "hammersbach"]))
    data = {
        "programme": ikz.pk,
        "title": "Gemeinsame Kasse",
        "county": mkk.pk,
        "partners": [m.pk for m in partners],
        "form": "cooperation",
        "duration_years": "5",
    }
    assert client_for(users["pm.mkk"]).post("/funding/applications/neu/", data).status_code == 403
    response = client_for(users["foerderung.mkk"]).post("/funding/applications/neu/", data)
    application = Application.objects.get(title="Gemeinsame Kasse")
    assert response.status_code == 302
    assert funding_process_of(application=application).status == STATUS.NEW
    assert [t.flow_task.name for t in funding_open_tasks(application=application)] == ["prepare"]


def test_the_funding_task_page_shows_the_application_with_its_checklist(users, ikz, mkk):
    from workflows.funding import funding_application_start

    partners = list(mkk.municipalities.filter(slug__in=["ronneburg", "neuberg"]))
    application = funding_application_start(
        by=users["foerderung.mkk"], programme=ikz, title="Entscheidungsseite", county=mkk, partners=partners
    )
    (task,) = funding_open_tasks(application=application)
    page = client_for(users["foerderung.mkk"]).get(f"/portal/aufgaben/{task.pk}/").content.decode()
    assert "Förderantrag: Entscheidungsseite" in page
    assert "Beschluss der Gemeindevertretung: Neuberg" in page and "liefert: Neuberg" in page
    assert f'href="/funding/applications/{application.pk}/"' in page
    detail = client_for(users["foerderung.mkk"]).get(f"/funding/applications/{application.pk}/").content.decode()
    assert f'href="/portal/aufgaben/{task.pk}/"' in detail
    assert task.status == STATUS.NEW
