"""Case pages: visibility (404 outside it), documents, comments, new idea, project order comparison and PDF."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from projects.models import Case, CaseDocument
from projects.services.cases import case_capture, case_document_add
from tests.portal.conftest import demo_case
from workflows.case import case_start

pytestmark = pytest.mark.django_db


def _gg_case(users):
    from projects.models import County

    case = case_capture(county=County.objects.get(slug="gg"), title="Gemeinsame Vollstreckung", by=users["pm.gg"])
    case_start(case=case)
    return case


def test_another_countys_case_answers_404_everywhere(login, users):
    case = _gg_case(users)
    document = case_document_add(
        case=case, upload=SimpleUploadedFile("a.txt", b"x", content_type="text/plain"), title="A", by=users["pm.gg"]
    )
    client = login("pm.mkk")
    for path in (
        f"/portal/vorgaenge/{case.pk}/",
        f"/portal/vorgaenge/{case.pk}/projektauftrag.pdf",
        f"/portal/vorgaenge/{case.pk}/dokumente/{document.pk}/",
    ):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/portal/vorgaenge/{case.pk}/kommentare/", {"text": "hallo"}).status_code == 404
    assert login("pm.gg").get(f"/portal/vorgaenge/{case.pk}/").status_code == 200


def test_documents_are_served_only_to_those_who_may_see_the_case(login, users):
    case = demo_case()
    client = login("bm.ronneburg")  # Ronneburg takes part
    upload = SimpleUploadedFile("Protokoll Sitzung.txt", b"Inhalt", content_type="text/plain")
    response = client.post(f"/portal/vorgaenge/{case.pk}/dokumente/", {"title": "Protokoll", "file": upload})
    assert response.status_code == 302
    document = CaseDocument.objects.get(case=case, title="Protokoll")
    download = client.get(f"/portal/vorgaenge/{case.pk}/dokumente/{document.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"Inhalt"
    assert "attachment" in download["Content-Disposition"]
    # a mayor of a municipality not taking part, and another county's project manager: 404
    assert login("bm.gelnhausen").get(f"/portal/vorgaenge/{case.pk}/dokumente/{document.pk}/").status_code == 404
    assert login("pm.gg").get(f"/portal/vorgaenge/{case.pk}/dokumente/{document.pk}/").status_code == 404
    # a document id of another case through a visible case: 404
    other = _gg_case(users)
    foreign = case_document_add(
        case=other, upload=SimpleUploadedFile("b.txt", b"y", content_type="text/plain"), title="B", by=users["pm.gg"]
    )
    assert login("bm.ronneburg").get(f"/portal/vorgaenge/{case.pk}/dokumente/{foreign.pk}/").status_code == 404


def test_case_page_shows_stage_participants_order_flow_chart_and_timeline(login):
    case = demo_case()
    page = login("bm.ronneburg").get(f"/portal/vorgaenge/{case.pk}/").content.decode()
    assert "Freigabe durch die Kommunen" in page
    assert "Ronneburg (federführend)" in page or "Ronneburg" in page
    assert "95.000,00\u00a0€" in page  # German amount format
    # the flow chart is the BPMN diagram drawn by bpmn-js from the flow's document (tests/e2e show it drawn)
    assert 'data-bpmn-url="/portal/ablaeufe/case/bpmn/"' in page and "BPMN-Diagramm „IKZ-Vorgang“" in page
    assert "Aktueller Schritt:" in page
    assert "Projektauftrag freigeben" in page
    assert "Idee erfasst" in page  # timeline


def test_project_order_versions_side_by_side_mark_the_changed_section(login, users):
    from projects.services.cases import project_order_save

    case = demo_case()
    project_order_save(case=case, by=users["pm.mkk"], goals="Neue Ziele nach Rückmeldung der Kommunen")
    response = login("pm.mkk").get(f"/portal/vorgaenge/{case.pk}/")
    rows = {row["label"]: row for row in response.context["comparison"]}
    assert rows["Projektziele"]["changed"] and not rows["Projektleitung"]["changed"]
    assert "geändert" in response.content.decode() and "unverändert" in response.content.decode()


def test_project_order_pdf_is_a_pdf(login):
    case = demo_case()
    response = login("bm.ronneburg").get(f"/portal/vorgaenge/{case.pk}/projektauftrag.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_a_clerk_brings_in_an_idea_for_the_own_municipality_and_the_flow_starts(login):
    client = login("sb.ronneburg")
    form = client.get("/portal/vorgaenge/neu/").context["form"]
    choices = dict(form.fields["proposer"].choices)
    assert list(choices.values()) == ["Ronneburg"]
    response = client.post(
        "/portal/vorgaenge/neu/",
        {"title": "Gemeinsamer Bauhof", "proposer": next(iter(choices)), "source": "own_idea", "task_area": "Bauhof"},
    )
    case = Case.objects.get(title="Gemeinsamer Bauhof")
    assert response.status_code == 302 and response["Location"] == f"/portal/vorgaenge/{case.pk}/"
    assert case.proposing_municipality.slug == "ronneburg" and case.stage == Case.Stage.SCREENING
    assert client.get(response["Location"]).status_code == 200
    assert "Screening" in client.get(response["Location"]).context["current_steps"]


def test_the_idea_form_reports_a_missing_title_at_the_field(login):
    client = login("sb.ronneburg")
    proposer = next(iter(dict(client.get("/portal/vorgaenge/neu/").context["form"].fields["proposer"].choices)))
    response = client.post("/portal/vorgaenge/neu/", {"title": "", "proposer": proposer, "source": "own_idea"})
    assert response.status_code == 400
    assert 'aria-describedby="id_title_errors"' in response.content.decode()


def test_the_supervisory_authority_may_not_capture_ideas(login):
    assert login("aufsicht.rpda").get("/portal/vorgaenge/neu/").status_code == 403


def test_comment_with_mention_notifies_the_colleague(login, users, django_capture_on_commit_callbacks):
    case = demo_case()
    client = login("bm.ronneburg")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/portal/vorgaenge/{case.pk}/kommentare/", {"text": "Bitte prüfen, @sb.ronneburg"})
    assert users["sb.ronneburg"].notifications.filter(kind="mention").exists()
    assert not users["pm.mkk"].notifications.filter(kind="mention").exists()
