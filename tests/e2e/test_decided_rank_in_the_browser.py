"""The steering group fixes a decided rank in the browser, beside the computed rank (issue 18, item 12)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import axe_check, login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_project_management_fixes_a_decided_rank_with_its_reason_on_the_round_page(page, axe_source):
    from projects.models import BundleRankDecision, ScreeningRound
    from projects.services.screening_analysis import bundle_analysis

    mkk_round = ScreeningRound.objects.get(county__slug="mkk", name="MKK 2023")
    third = bundle_analysis(screening_round=mkk_round)[2]

    login(page, "pm.mkk")
    page.goto(f"/screening/rounds/{mkk_round.pk}/")
    form = page.locator("form").filter(has=page.get_by_role("button", name=f"Rang für {third.name} festlegen"))
    form.get_by_label("Rang").fill("1")
    form.get_by_label("Begründung").fill("Lenkungsgruppe: dringend trotz geringer Reichweite")
    form.get_by_role("button", name=f"Rang für {third.name} festlegen").click()
    page.get_by_text("Entschiedener Rang gespeichert.").wait_for()

    row = page.get_by_role("row").filter(has=page.get_by_role("cell", name=third.name, exact=True))
    assert row.get_by_role("cell").nth(0).inner_text().strip() == "3"  # computed
    assert row.get_by_role("cell").nth(1).inner_text().startswith("1")  # decided, beside it
    decision = BundleRankDecision.objects.get(round=mkk_round, code=third.code)
    assert decision.decided_rank == 1 and decision.decided_by.username == "pm.mkk"
    serious = axe_check(page, axe_source, "Screening-Runde mit entschiedenem Rang")
    assert not serious, [v["id"] for v in serious]
