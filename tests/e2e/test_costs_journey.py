"""Journey (d) of issue 16 in the browser: controlling plans a cost centre's year, publishes it, books actual costs,
time entries and a prepayment, settles the year, corrects a time entry after the lock and re-settles; the mayor of a
member then finds the balance on the statement. Every change is a click or a form; the test reads the database only
to assert outcomes."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest

from tests.e2e.conftest import axe_check, login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

YEAR = 2025  # the year after the seeded 2024 plan of the Vergabezentrum; over, so it can be settled


def _section(page, heading: str):
    return page.locator("section", has=page.get_by_role("heading", name=heading, exact=True))


def test_costs_from_plan_to_resettlement_and_the_members_balance(page, browser, world, axe_source):
    from openpyxl import load_workbook

    from costs.models import ActualCost, Prepayment, Settlement, TimeEntry, YearPlan
    from projects.models import AuditEntry, Municipality

    ronneburg = Municipality.objects.get(slug="ronneburg")
    problems = {}

    # 1. Controlling opens the next year of the Vergabezentrum: no plan yet, the page offers to create it.
    login(page, "controlling.mkk")
    page.goto("/costs/")
    page.get_by_label("Jahr").fill(str(YEAR))
    page.get_by_role("button", name="Anzeigen").click()
    page.get_by_role("link", name="Interkommunales Vergabezentrum").click()
    page.get_by_text(f"Für {YEAR} ist noch keine Vorkalkulation angelegt.").first.wait_for()
    page.get_by_role("link", name="Vorkalkulation anlegen").click()

    # 2. Budget and hours per member (key "nach Stunden" from the agreement); saved as a draft, then published.
    page.get_by_role("heading", name=f"Vorkalkulation {YEAR} anlegen – Interkommunales Vergabezentrum").wait_for()
    page.get_by_text("nach Stunden (Leistungsentnahme)").first.wait_for()
    problems["Vorkalkulation anlegen"] = axe_check(page, axe_source, "Vorkalkulation anlegen")
    page.get_by_label("PLAN-Budget (EUR)").fill("100.000,00")
    page.get_by_label("Ronneburg: Stunden", exact=True).fill("60")
    page.get_by_label("Neuberg: Stunden", exact=True).fill("40")
    page.get_by_role("button", name="Vorkalkulation speichern").click()
    page.get_by_text("Entwurf: noch nicht veröffentlicht").first.wait_for()
    plan = YearPlan.objects.get(centre__code="vergabezentrum", year=YEAR)
    assert plan.budget == Decimal("100000.00") and plan.published_at is None
    problems["Jahresseite"] = axe_check(page, axe_source, "Jahresseite der Kostenstelle")
    page.get_by_role("button", name="Den Mitgliedern veröffentlichen").click()
    page.get_by_text("den Mitgliedern veröffentlicht.").first.wait_for()
    plan.refresh_from_db()
    assert plan.published_at is not None
    assert AuditEntry.objects.filter(action="costs.plan_published", subject_id=str(plan.pk)).exists()

    # 3. Actual costs, two time entries and Ronneburg's prepayment.
    page.get_by_role("link", name="Ist-Kosten, Zeiten und Vorauszahlungen buchen").click()
    cost = _section(page, "Ist-Kosten buchen")
    cost.get_by_label("Betrag (EUR)").fill("50.000,00")
    cost.get_by_label("Beschreibung").fill("Personal- und Sachkosten 2025")
    cost.get_by_role("button", name="Ist-Kosten buchen").click()
    page.get_by_text("Ist-Kosten gebucht.").first.wait_for()
    for municipality, day, hours in (("Ronneburg", "2025-05-02", "30"), ("Neuberg", "2025-06-03", "20")):
        time = _section(page, "Zeit buchen")
        time.get_by_label("Kommune").select_option(label=municipality)
        time.get_by_label("Datum").fill(day)
        time.get_by_label("Stunden").fill(hours)
        time.get_by_label("Tätigkeit").fill("Vergabeverfahren UVgO")
        with page.expect_navigation():
            time.get_by_role("button", name="Zeit buchen").click()
        page.get_by_text("Zeit gebucht.").first.wait_for()
    prepayment = _section(page, "Vorauszahlung erfassen")
    prepayment.get_by_label("Kommune").select_option(label="Ronneburg")
    prepayment.get_by_label("Betrag (EUR)").fill("15.000,00")
    prepayment.get_by_label("eingegangen am").fill("2025-03-01")
    prepayment.get_by_role("button", name="Vorauszahlung erfassen").click()
    page.get_by_text("Vorauszahlung erfasst.").first.wait_for()
    problems["Buchungen"] = axe_check(page, axe_source, "Buchungen")
    assert ActualCost.objects.get(centre=plan.centre, year=YEAR).amount == Decimal("50000.00")
    assert TimeEntry.objects.filter(centre=plan.centre, on__year=YEAR).count() == 2
    assert Prepayment.objects.get(centre=plan.centre, year=YEAR).municipality == ronneburg

    # 4. The settlement page shows the result before it is stored; settling locks the year.
    page.get_by_role("link", name="Abrechnung", exact=True).click()
    page.get_by_role("table", name="So sähe die Abrechnung aus").wait_for()
    problems["Abrechnung"] = axe_check(page, axe_source, "Abrechnung")
    page.get_by_label("Die Buchungen sind geprüft; das Jahr wird abgerechnet und gesperrt.").check()
    page.get_by_role("button", name="Jahr abrechnen und sperren").click()
    page.get_by_text(f"Jahr {YEAR} abgerechnet; es ist jetzt gesperrt.").first.wait_for()
    first = Settlement.objects.get(centre=plan.centre, year=YEAR)
    assert first.lines.get(municipality=ronneburg).balance == Decimal("15000.00")  # 30,000 € − 15,000 € prepaid

    # 5. After the lock: Ronneburg's time entry is corrected by 10 hours, then the year is settled again.
    page.get_by_role("link", name="Ist-Kosten, Zeiten und Vorauszahlungen buchen").click()
    page.get_by_text("ist abgerechnet und gesperrt").first.wait_for()
    correction = _section(page, "Zeitbuchung korrigieren")
    correction.get_by_label("Zeitbuchung").select_option(label="02.05.2025 – Ronneburg: 30 Std., Vergabeverfahren UVgO")
    correction.get_by_label("Korrektur (Stunden)").fill("10")
    correction.get_by_label("Grund").fill("Nachtrag: Bieterfragen im Mai")
    correction.get_by_role("button", name="Korrektur buchen").click()
    page.get_by_text("Korrekturbuchung erfasst.").first.wait_for()
    page.get_by_role("link", name="Abrechnung", exact=True).click()
    page.get_by_text("Nachtrag: Bieterfragen im Mai").first.wait_for()  # the correction is listed before re-settling
    page.get_by_label("Grund der Neuabrechnung").fill("Korrektur der Stunden Ronneburg")
    page.get_by_role("button", name="Neu abrechnen").click()
    page.get_by_text(f"Jahr {YEAR} neu abgerechnet (Version 2).").first.wait_for()
    second = Settlement.objects.get(centre=plan.centre, year=YEAR, version=2)
    lines = {line.municipality.name: line for line in second.lines.all()}
    assert lines["Ronneburg"].charge + lines["Neuberg"].charge == second.actual_total == Decimal("50000.00")
    assert lines["Ronneburg"].balance == Decimal("18333.33")  # 40/60 × 50,000 € − 15,000 €
    assert AuditEntry.objects.filter(action="costs.year_resettled", subject_id=str(second.pk)).exists()

    # 6. The mayor of Ronneburg, in a session of her own, finds the balance on the statement and in the XLSX.
    mayor = browser.new_context(locale="de-DE", viewport={"width": 1280, "height": 900}, base_url=world.url)
    try:
        member = mayor.new_page()
        member.set_default_timeout(20_000)
        login(member, "bm.ronneburg")
        member.goto("/costs/")
        member.get_by_label("Jahr").fill(str(YEAR))
        member.get_by_role("button", name="Anzeigen").click()
        member.get_by_role("link", name="Ronneburg", exact=True).click()
        member.get_by_role("heading", name=f"Kostenabrechnung {YEAR} – Ronneburg").wait_for()
        row = member.get_by_role("row").filter(has_text="Interkommunales Vergabezentrum")
        assert "18.333,33 €" in row.inner_text() and "Nachzahlung" in row.inner_text()
        member.get_by_text("Neuabrechnung nach Korrekturen (Version 2)").first.wait_for()
        problems["Abrechnung Kommune"] = axe_check(member, axe_source, "Kostenabrechnung der Kommune")
        with member.expect_download() as download:
            member.get_by_role("link", name="Excel (XLSX)").click()
        sheet = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
        rows = [r for r in sheet.iter_rows(values_only=True) if r and r[0] == "Interkommunales Vergabezentrum"]
        assert rows and Decimal(str(rows[0][7])) == Decimal("18333.33")
        assert member.get_by_text("Neuberg").count() == 0  # only its own statement
    finally:
        mayor.close()

    serious = {name: [v["id"] for v in found] for name, found in problems.items() if found}
    assert not serious, f"serious or critical accessibility violations: {serious}"
