"""The steering group enters a bundle's complexity and a decided rank with its reason in the browser and sees the
computed and the decided rank side by side (issue 18, item 12)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import axe_check, login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_project_management_enters_a_complexity_and_a_decided_rank_and_sees_both_ranks(page, axe_source):
    from projects.models import BundleComplexity, BundleRankDecision, ScreeningRound
    from projects.services.screening_analysis import bundle_row

    mkk_round = ScreeningRound.objects.get(county__slug="mkk", name="MKK 2023")
    login(page, "pm.mkk")
    page.goto(f"/screening/rounds/{mkk_round.pk}/")

    # the complexity: its own page, which shows the bundle being decided
    page.get_by_role("link", name="Komplexität festlegen – Abwasser").click()
    page.get_by_role("heading", name="Komplexität festlegen: Abwasser").wait_for()
    serious = axe_check(page, axe_source, "Komplexität eines Aufgabenbündels")
    assert not serious, [v["id"] for v in serious]
    page.get_by_label("Komplexität der Umsetzung (1–10)").fill("11")
    page.get_by_role("button", name="Komplexität speichern").click()
    page.get_by_text("Die Komplexität muss zwischen 1 und 10 liegen.").first.wait_for()
    assert BundleComplexity.objects.get(round=mkk_round, code="abwasser").complexity == 2  # refused: unchanged
    page.get_by_label("Komplexität der Umsetzung (1–10)").fill("9")
    page.get_by_label("Begründung (z. B. Beschluss der Lenkungsgruppe)").fill("Lenkungsgruppe: Satzung nötig")
    page.get_by_role("button", name="Komplexität speichern").click()
    page.get_by_text("Komplexität für Abwasser gespeichert.").wait_for()

    computed = bundle_row(screening_round=mkk_round, code="abwasser")
    assert computed.complexity == 9 and computed.complexity_source == "steering_group"
    row = page.get_by_role("row").filter(has=page.get_by_role("cell", name="Abwasser", exact=True))
    assert row.get_by_role("cell").nth(7).inner_text().startswith("9 (Lenkungsgruppe")
    assert row.get_by_role("cell").nth(8).inner_text().strip() == str(computed.score).replace(".", ",")

    # the decided rank with its reason, beside the computed one
    button = page.get_by_role("button", name="Rang für Abwasser festlegen")
    form = page.locator("form").filter(has=button)
    form.get_by_label("Rang").fill("3")
    form.get_by_label("Begründung").fill("Lenkungsgruppe: dringend trotz geringer Reichweite")
    button.click()
    page.get_by_text("Entschiedener Rang gespeichert.").wait_for()

    row = page.get_by_role("row").filter(has=page.get_by_role("cell", name="Abwasser", exact=True))
    cells = row.get_by_role("cell")
    assert cells.nth(0).inner_text().strip() == str(computed.rank)  # computed
    assert cells.nth(1).inner_text().startswith("3 (Lenkungsgruppe: dringend")  # decided, beside it
    assert "bilateral" in cells.nth(9).inner_text() and "Wenige, aber dringlich" in cells.nth(9).inner_text()
    decision = BundleRankDecision.objects.get(round=mkk_round, code="abwasser")
    assert (decision.decided_rank, decision.decided_by.username) == (3, "pm.mkk")
    serious = axe_check(page, axe_source, "Nutzwertanalyse mit Komplexität und entschiedenem Rang")
    assert not serious, [v["id"] for v in serious]
