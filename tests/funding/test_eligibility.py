"""Eligibility against the dated programme rules, with the reasons a funding officer reads."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from funding.models import AmountTier, Application, ProgrammeRule
from funding.services.eligibility import funding_eligibility_check, saving_calculate
from funding.services.reference import funding_load_reference
from tests.funding.conftest import municipalities

pytestmark = pytest.mark.django_db
ON = dt.date(2026, 6, 1)


def check(programme, count, **kwargs):
    params = {"duration_years": 5, "saving_percent": Decimal("20"), "on": ON} | kwargs
    return funding_eligibility_check(programme=programme, partners=municipalities(count), **params)


def test_two_municipalities_get_50000_only_as_exception_with_a_reason(ikz):
    without = check(ikz, 2)
    assert not without.eligible
    assert without.amount is None
    assert "ausnahmsweise" in " ".join(without.problems)
    assert "Ausnahme begründen" in " ".join(without.problems)

    with_reason = check(ikz, 2, exception_reason="Nur zwei Nachbarn betreiben ein gemeinsames Standesamt.")
    assert with_reason.eligible
    assert with_reason.amount == Decimal("50000")
    assert any("als Ausnahme" in r and "Standesamt" in r for r in with_reason.reasons)


def test_three_municipalities_get_75000_and_hear_what_four_would_give(ikz):
    result = check(ikz, 3)
    assert result.eligible
    assert result.amount == Decimal("75000")
    assert "3 Kommunen: 75.000 €; ab 4 Kommunen wären es 100.000 €." in result.reasons


@pytest.mark.parametrize("count", [4, 7])
def test_four_or_more_municipalities_get_100000(ikz, count):
    result = check(ikz, count)
    assert result.eligible
    assert result.amount == Decimal("100000")
    assert f"{count} Kommunen: 100.000 €." in result.reasons


def test_one_municipality_is_not_eligible(ikz):
    result = check(ikz, 1, exception_reason="allein")
    assert not result.eligible
    assert "1 Kommunen: gefördert werden Zusammenschlüsse ab 2 Kommunen" in result.problems[0]


def test_two_years_duration_is_not_eligible_with_the_reason(ikz):
    result = check(ikz, 3, duration_years=2)
    assert not result.eligible
    assert result.amount is None
    assert result.problems == ["Laufzeit 2 Jahre: gefordert sind mindestens 5 Jahre – nicht förderfähig."]


def test_ten_percent_saving_is_not_eligible_with_the_reason(ikz):
    result = check(ikz, 3, saving_percent=Decimal("10"))
    assert not result.eligible
    assert result.problems == ["Einsparung 10 %: gefordert sind mindestens 15 % jährlich – nicht förderfähig."]


def test_missing_saving_calculation_is_not_eligible(ikz):
    result = check(ikz, 4, saving_percent=None)
    assert not result.eligible
    assert "Einsparberechnung fehlt" in result.problems[0]


def test_every_failed_condition_is_listed(ikz):
    result = check(ikz, 2, duration_years=3, saving_percent=Decimal("14.99"))
    assert not result.eligible
    assert len(result.problems) == 3


def test_a_rule_version_with_a_later_start_applies_only_from_then(ikz):
    current = ikz.rule_on(ON)
    successor = ProgrammeRule.objects.create(
        programme=ikz,
        version="Nachfolgevereinbarung (Test)",
        valid_from=dt.date(2027, 1, 1),
        method=ProgrammeRule.Method.PARTNER_TIERS,
        min_partners=3,
        exception_min_partners=2,
        min_duration_years=6,
        min_saving_percent=Decimal("15"),
    )
    AmountTier.objects.create(rule=successor, partners_from=3, partners_to=None, amount=Decimal("90000"))
    current.valid_to = dt.date(2026, 12, 31)
    current.save()

    before = check(ikz, 3, on=dt.date(2026, 12, 31), duration_years=5)
    after = check(ikz, 3, on=dt.date(2027, 1, 1), duration_years=6)
    assert (before.rule, before.amount) == (current, Decimal("75000"))
    assert (after.rule, after.amount) == (successor, Decimal("90000"))
    assert check(ikz, 3, on=dt.date(2027, 1, 1), duration_years=5).problems == [
        "Laufzeit 5 Jahre: gefordert sind mindestens 6 Jahre – nicht förderfähig."
    ]


def test_no_rule_in_force_means_not_eligible(ikz):
    result = check(ikz, 4, on=dt.date(2020, 12, 31))
    assert not result.eligible
    assert result.rule is None
    assert "keine Richtlinienfassung" in result.problems[0]


def test_gemeindeverwaltungsverband_gets_an_amount_per_member(ikz):
    result = check(ikz, 3, form=Application.Form.GVV)
    assert result.eligible
    assert result.amount == 3 * Decimal("150000")


def test_merged_fire_brigades_get_an_amount_each(ikz):
    result = check(ikz, 2, form=Application.Form.FIRE_BRIGADE, merged_fire_brigades=2)
    assert result.eligible
    assert result.amount == 2 * Decimal("15000")


def test_feasibility_study_says_it_is_repayable_without_cooperation(ikz):
    result = check(ikz, 3, form=Application.Form.FEASIBILITY)
    assert any("zurückzuzahlen" in r for r in result.reasons)


@pytest.mark.parametrize(
    ("cost", "amount"),
    [(Decimal("1000000"), Decimal("900000")), (Decimal("4000000"), Decimal("2500000"))],
)
def test_starke_heimat_pays_up_to_90_percent_capped_at_the_maximum(starke_heimat, cost, amount):
    on = dt.date(2024, 5, 1)
    result = funding_eligibility_check(
        programme=starke_heimat, partners=1, duration_years=2, saving_percent=None, on=on, eligible_cost=cost
    )
    assert result.eligible, result.problems
    assert result.amount == amount


def test_starke_heimat_refuses_too_small_too_long_and_expired(starke_heimat):
    small = funding_eligibility_check(
        programme=starke_heimat,
        partners=1,
        duration_years=2,
        saving_percent=None,
        on=dt.date(2024, 5, 1),
        eligible_cost=Decimal("100000"),
    )
    assert not small.eligible
    assert "unter dem Mindestbetrag von 100.000 €" in small.problems[0]
    long = funding_eligibility_check(
        programme=starke_heimat,
        partners=1,
        duration_years=3,
        saving_percent=None,
        on=dt.date(2024, 5, 1),
        eligible_cost=Decimal("500000"),
    )
    assert long.problems == ["Laufzeit 3 Jahre: höchstens 2 Jahre förderfähig."]
    expired = funding_eligibility_check(
        programme=starke_heimat,
        partners=1,
        duration_years=2,
        saving_percent=None,
        on=dt.date(2025, 1, 1),
        eligible_cost=Decimal("500000"),
    )
    assert not expired.eligible


def test_saving_compares_previous_costs_of_all_municipalities_with_the_joint_unit():
    result = saving_calculate(
        previous=[(Decimal("40000"), Decimal("5000")), (Decimal("30000"), Decimal("5000")), (Decimal("20000"), 0)],
        joint_personnel=Decimal("70000"),
        joint_material=Decimal("8000"),
    )
    assert result.previous_total == Decimal("100000")
    assert result.saving == Decimal("22000")
    assert result.percent == Decimal("22.00")


def test_saving_percentage_never_rounds_up_over_a_threshold():
    result = saving_calculate(previous=[(Decimal("100000"), 0)], joint_personnel=Decimal("85001"), joint_material=0)
    assert result.percent == Decimal("14.99")


def test_loading_the_reference_data_twice_changes_nothing(ikz):
    def snapshot():
        return sorted(
            (r.programme.code, r.valid_from, r.valid_to, [(t.partners_from, t.amount) for t in r.tiers.all()])
            for r in ProgrammeRule.objects.all()
        )

    before = snapshot()
    funding_load_reference()
    assert snapshot() == before
