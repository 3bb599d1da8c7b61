"""The BPMN diagram in a real browser (issue 20): bpmn-js draws the case's flow, the current step is marked by colour
and by a text badge in three different stages, a click on a step the user may act on opens its task, and the page
stays accessible."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import axe_check, login, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


# demo cases of Main-Kinzig in three stages (workflows/demo.py) and the step each of them is at
STAGES = [
    ("Interkommunales Archiv", "screening", "Screening"),
    ("Gemeinsamer Datenschutzbeauftragter", "approve_project_order", "Projektauftrag freigeben"),
    ("Gemeinsamer Ordnungsbehördenbezirk", "record_resolution", "Gremienbeschluss erfassen"),
]


def _diagram_ready(page):
    page.locator(".ikz-flow--ready").wait_for()


def test_case_page_draws_the_flow_with_the_current_step_marked_in_three_stages(page, axe_source):
    from projects.models import Case

    login(page, "pm.mkk")
    problems = {}
    for title, element, name in STAGES:
        case = Case.objects.get(county__slug="mkk", title=title)
        page.goto(f"/portal/vorgaenge/{case.pk}/")
        _diagram_ready(page)
        current = page.locator(f'.djs-element[data-element-id="{element}"]')
        assert "ikz-bpmn--current" in current.get_attribute("class")
        badge = page.locator(f'.djs-overlays[data-container-id="{element}"] .ikz-bpmn-badge')
        assert badge.inner_text() == "▶ aktuell"
        assert "ikz-bpmn--completed" in page.locator('.djs-element[data-element-id="start"]').get_attribute("class")
        # every other step is either done or not reached, never marked current
        assert page.locator(".djs-element.ikz-bpmn--current").count() == 1
        # the same in text beside the diagram
        item = page.locator(f'li[data-step="{element}"]')
        assert name in item.inner_text() and "aktuell" in item.inner_text()
        problems[title] = axe_check(page, axe_source, f"Vorgang mit BPMN-Diagramm ({title})")
        if element == "record_resolution":
            page.locator("#ablauf").scroll_into_view_if_needed()
            page.locator("#ablauf").screenshot(path=_shot_path("vorgang-bpmn"))
    page.goto("/portal/ablaeufe/procurement/")
    _diagram_ready(page)
    assert page.locator('.djs-element[data-element-id="eu_decide_award"]').count() == 1
    problems["Ablauf Vergabeverfahren"] = axe_check(page, axe_source, "Ablauf Vergabeverfahren")
    screenshot(page, "ablauf-vergabe")
    serious = {name: [v["id"] for v in found] for name, found in problems.items() if found}
    assert not serious, f"serious or critical accessibility violations: {serious}"


def test_a_click_on_a_step_the_user_may_act_on_opens_its_task(page):
    from projects.models import Case

    case = Case.objects.get(county__slug="mkk", title="Interkommunales Archiv")
    login(page, "pm.mkk")
    page.goto(f"/portal/vorgaenge/{case.pk}/")
    _diagram_ready(page)
    page.locator('.djs-element[data-element-id="screening"]').click()
    page.wait_for_url("**/portal/aufgaben/*/")
    page.get_by_role("heading", name="Aufgabe: Screening").wait_for()


def _shot_path(name: str) -> str:
    """The section's picture for the README (docs/screenshots/ with SCREENSHOT_DIR, else a temporary file)."""
    import os
    import tempfile
    from pathlib import Path

    folder = os.environ.get("SCREENSHOT_DIR") or tempfile.gettempdir()
    Path(folder).mkdir(parents=True, exist_ok=True)
    return str(Path(folder) / f"{name}.png")
