"""The economic check before the DKZ takes a task over (seed 000), in a real browser: the DKZ controlling fills in the
step "Wirtschaftlichkeit prüfen" on its task page, a participating mayor then reads the figures and the decision on
the case page, and the cost centre created at the transfer shows the chosen basis.

The demo world's OZG case waits for the consent of every Anstaltsträger; the setup drives it to the supervisory
authority's approval with the case test helpers (the same engine the pages use, as the real mayors). From the check
on, every state change is a form in the browser; the test reads the database only to assert outcomes.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.e2e.conftest import axe_check, login, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _case_after_supervision():
    from django.contrib.auth import get_user_model

    from projects.models import Case, Municipality
    from tests.cases.helpers import complete, open_tasks
    from workflows.engine import task_complete

    case = Case.objects.get(county__slug="mkk", title="OZG-Digitalisierungszentrum")
    users = get_user_model().objects
    for task in open_tasks(case, "consent_statute_amendment"):
        municipality = Municipality.objects.get(pk=task.data["municipality_id"])
        task_complete(
            task=task,
            user=users.get(username=f"bm.{municipality.slug}"),
            data={
                "agreed": "yes",
                "council_session_date": timezone.localdate().isoformat(),
                "council_minute_reference": "TOP 4",
            },
        )
    complete(case, "supervisory_review", "aufsicht.rpda", outcome="approved")
    return case


def _open_task(page, case, title: str) -> None:
    page.goto("/portal/aufgaben/")
    page.get_by_label("Suche nach Titel oder Aktenzeichen").fill(case.number)
    page.get_by_role("button", name="Anwenden").click()
    page.get_by_role("link", name=title).first.click()
    page.get_by_role("heading", name=f"Aufgabe: {title}").wait_for()


def _complete_task(page, title: str) -> None:
    page.get_by_role("button", name="Absenden und erledigen").click()
    page.get_by_text(f"Erledigt: {title}").first.wait_for()


def test_controlling_records_the_economic_check_and_a_participating_mayor_sees_figures_and_decision(page, axe_source):
    from costs.models import CostCentre, EconomicCheck
    from projects.models import AuditEntry

    case = _case_after_supervision()
    problems = {}

    # 1. The DKZ controlling fills in the check on its task page; the transfer is not open before it.
    login(page, "controlling.mkk")
    _open_task(page, case, "Wirtschaftlichkeit prüfen")
    problems["Aufgabe"] = axe_check(page, axe_source, "Wirtschaftlichkeit prüfen")
    page.locator("#id_year").fill("2026")
    page.locator("#id_hours_per_year").fill("1200")
    page.locator("#id_pay_group").select_option("EG 11")
    page.locator("#id_extra_material_cost").fill("5.000,00")
    page.locator("#id_extra_material_source").fill("Angebot Fachsoftware 2026")
    page.get_by_label("Markterkundung", exact=True).check()
    page.locator("#id_market_price").fill("110.000,00")
    page.locator("#id_quotes_count").fill("3")
    page.locator("#id_market_note").fill("Drei Dienstleister im Oktober angefragt")
    page.get_by_label("Eigenerledigung", exact=True).check()
    page.locator("#id_reason").fill("Die Eigenerledigung ist günstiger.")
    _complete_task(page, "Wirtschaftlichkeit prüfen")

    check = EconomicCheck.objects.get(case=case)
    assert (check.own_cost, check.market_price, check.difference) == (
        Decimal("99260.00"),
        Decimal("110000.00"),
        Decimal("10740.00"),
    )
    assert (check.decision, check.cheaper, check.recorded_by.username) == ("own", "own", "controlling.mkk")
    assert AuditEntry.objects.filter(action="economic_check.recorded", subject_id=str(case.pk)).exists()

    # 2. The mayor of a participating municipality reads the figures and the decision on the case page.
    login(page, "bm.ronneburg")
    page.goto(f"/portal/vorgaenge/{case.pk}/")
    section = page.locator("section#wirtschaftlichkeit")
    section.get_by_role("heading", name="Prüfung der Wirtschaftlichkeit").wait_for()
    text = section.inner_text().replace("\u00a0", " ")
    assert "Entscheidung: Eigenerledigung" in text
    assert "Eigenerledigung ist günstiger" in text and "um 10.740,00 € je Jahr" in text
    assert "94.260,00 €" in text and "99.260,00 €" in text and "110.000,00 €" in text
    assert "Markterkundung" in text and "3 Angebote" in text
    assert "Die Eigenerledigung ist günstiger." in text
    screenshot(page, "wirtschaftlichkeit-vorgang")
    problems["Vorgang"] = axe_check(page, axe_source, "Vorgang mit Wirtschaftlichkeitsprüfung")

    # 3. The project management transfers the task; the new cost centre carries the chosen basis.
    login(page, "pm.mkk")
    _open_task(page, case, "Aufgabe übertragen")
    page.locator("#id_effective_date").fill(dt.date(timezone.localdate().year, 1, 1).isoformat())
    page.locator("#id_term_years").fill("5")
    page.locator("#id_allocation_key").select_option("population")
    _complete_task(page, "Aufgabe übertragen")
    centre = CostCentre.objects.get(code=case.number)
    assert centre.economic_check == check
    login(page, "controlling.mkk")
    page.goto(f"/costs/centres/{centre.pk}/{timezone.localdate().year}/")
    basis = page.locator("#kalkulationsgrundlage").inner_text().replace("\u00a0", " ")
    assert "Eigene Vollkosten, 99.260,00 € je Jahr" in basis

    assert problems == {name: [] for name in problems}, problems
