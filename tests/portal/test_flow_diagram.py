"""The BPMN diagram on the case page and the "Abläufe" pages (issue 20): the steps with their state in text beside
the diagram, the link to a task the user may act on, and the BPMN 2.0 download."""

from __future__ import annotations

import re

import pytest
from lxml import etree

from tests.portal.conftest import demo_case

pytestmark = pytest.mark.django_db


def _steps(html: str) -> dict[str, str]:
    """{step id: the list item's text} of the page's list of steps."""
    items = re.findall(r'<li class="ikz-flow__step[^"]*" data-step="([^"]+)">(.*?)</li>', html, re.S)
    return {step: re.sub(r"<[^>]+>", "", text).strip() for step, text in items}


def test_case_page_lists_every_step_with_its_state_and_the_current_one_in_text(login):
    case = demo_case("Gemeinsamer Ordnungsbehördenbezirk")  # waiting for the council resolutions
    html = login("pm.mkk").get(f"/portal/vorgaenge/{case.pk}/").content.decode()
    steps = _steps(html)
    assert steps["screening"].endswith("erledigt")
    assert steps["approve_project_order"].endswith("erledigt")
    assert steps["record_resolution"].endswith("aktuell")
    assert steps["supervisory_review"].endswith("nicht erreicht")
    assert "Aktueller Schritt: <strong>Gremienbeschluss erfassen</strong>" in html
    assert 'data-bpmn-url="/portal/ablaeufe/case/bpmn/"' in html
    assert "Als BPMN 2.0 herunterladen" in html


def test_a_step_the_user_may_act_on_links_to_its_task_and_others_do_not(login):
    case = demo_case("Interkommunales Archiv")  # at the screening, a task of the DKZ project management
    pm = _steps(login("pm.mkk").get(f"/portal/vorgaenge/{case.pk}/").content.decode())
    assert "von Ihnen zu bearbeiten" in pm["screening"]
    other = login("controlling.mkk").get(f"/portal/vorgaenge/{case.pk}/")  # sees the case, may not screen it
    assert other.status_code == 200
    assert "von Ihnen zu bearbeiten" not in _steps(other.content.decode())["screening"]
    link = re.search(
        r'data-step="screening"><a href="(/portal/aufgaben/\d+/)"',
        login("pm.mkk").get(f"/portal/vorgaenge/{case.pk}/").content.decode(),
    )
    assert link and login("pm.mkk").get(link.group(1)).status_code == 200


def test_flow_pages_show_each_flow_and_offer_its_bpmn_download(login):
    client = login("bm.ronneburg")
    listing = client.get("/portal/ablaeufe/").content.decode()
    for name in ("case", "procurement", "funding"):
        assert f'href="/portal/ablaeufe/{name}/"' in listing
        page = client.get(f"/portal/ablaeufe/{name}/")
        assert page.status_code == 200 and "Als BPMN 2.0 herunterladen" in page.content.decode()
        download = client.get(f"/portal/ablaeufe/{name}/bpmn/")
        assert download["Content-Disposition"] == f'attachment; filename="{name}.bpmn"'
        root = etree.fromstring(download.content)
        assert root.find("{http://www.omg.org/spec/BPMN/20100524/MODEL}process").get("id") == name
    assert "Projektauftrag freigeben" in _steps(client.get("/portal/ablaeufe/case/").content.decode()).values()


def test_an_unknown_flow_answers_404_and_the_pages_need_a_login(client, login):
    assert client.get("/portal/ablaeufe/case/bpmn/").status_code == 302
    assert login("bm.ronneburg").get("/portal/ablaeufe/bench_human/bpmn/").status_code == 404
    assert login("bm.ronneburg").get("/portal/ablaeufe/nichts/").status_code == 404


def test_procedure_page_shows_the_procurement_diagram_at_the_procedures_step(login, users):
    from decimal import Decimal

    from procurement.services.procedure import procedure_request
    from projects.models import Municipality
    from workflows.procurement import procurement_flow_start

    procedure = procedure_request(
        municipality=Municipality.objects.get(slug="maintal"),
        by=users["sb.maintal"],
        subject="Gebäudereinigung",
        kind="services",
        estimated_value=Decimal("300000"),
    )
    procurement_flow_start(procedure=procedure)
    html = login("sb.maintal").get(f"/procurement/{procedure.pk}/").content.decode()
    steps = _steps(html)
    assert steps["start"].endswith("erledigt")
    assert "aktuell" in steps["choose_type"] and "von Ihnen zu bearbeiten" in steps["choose_type"]
    assert 'data-bpmn-url="/portal/ablaeufe/procurement/bpmn/"' in html


def test_funding_application_page_shows_the_funding_diagram_at_the_applications_step(login):
    from funding.models import Application
    from workflows.funding import funding_flow_start

    application = Application.objects.filter(county__slug="mkk").order_by("pk").first()
    funding_flow_start(application=application)
    html = login("foerderung.mkk").get(f"/funding/applications/{application.pk}/").content.decode()
    steps = _steps(html)
    assert "aktuell" in steps["prepare"] and "von Ihnen zu bearbeiten" in steps["prepare"]
    assert steps["closed"].endswith("nicht erreicht")
    assert 'data-bpmn-url="/portal/ablaeufe/funding/bpmn/"' in html
