"""Full-cost rates as dated reference data, the extensible key registry, idempotent demo seed."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from costs.calculation import personnel_cost_for, plan_compute, rate_for
from costs.demo import costs_demo_seed
from costs.keys import REGISTRY
from costs.models import Agreement, CostCentre, PayGroupRate, Quantity, YearPlan
from costs.services import cost_centre_ensure, plan_quantity_set, year_plan_set
from projects.models import AuditEntry, Institution

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("pay_group", "published"), [("EG 9c", "68.33"), ("EG 11", "78.55")])
def test_full_cost_rate_is_personnel_plus_material_plus_overhead_over_annual_hours(pay_group, published):
    rate = rate_for(pay_group=pay_group, year=2025)
    # KGSt 2025/26 (domain.md §5): material 9,700 €, overhead 20 % of personnel cost, 1,561 h.
    assert (rate.material_cost, rate.overhead_percent, rate.annual_hours) == (9700, 20, 1561)
    expected = (rate.personnel_cost * Decimal("1.2") + Decimal("9700")) / Decimal("1561")
    assert rate.hourly_rate == expected.quantize(Decimal("0.01")) == Decimal(published)
    assert f"{rate.annual_hours}" in rate.explanation


def test_rates_are_dated_no_rate_outside_their_period():
    assert rate_for(pay_group="EG 11", year=2026) is not None
    assert rate_for(pay_group="EG 11", year=2024) is None


def test_a_new_rate_row_takes_effect_from_its_date():
    PayGroupRate.objects.create(
        pay_group="EG 11",
        valid_from=datetime.date(2027, 1, 1),
        personnel_cost=Decimal("100000"),
        material_cost=Decimal("10000"),
        overhead_percent=Decimal("20"),
        annual_hours=Decimal("1560"),
    )
    assert rate_for(pay_group="EG 11", year=2027).hourly_rate == Decimal("83.33")  # 130,000 / 1,560
    assert rate_for(pay_group="EG 11", year=2026).hourly_rate == Decimal("78.55")


def test_every_key_explains_its_calculation():
    assert {"hours", "units", "population", "base_effort"} <= set(REGISTRY)
    for key in REGISTRY.values():
        assert str(key.label) and len(str(key.description)) > 30


def _centre(muni, code, key, **terms):
    return cost_centre_ensure(
        dkz=Institution.objects.get(slug="dkz-mkk"),
        code=code,
        name=code,
        members=[muni("Ronneburg"), muni("Neuberg"), muni("Maintal")],
        allocation_key=key,
        valid_from=datetime.date(2026, 1, 1),
        by=None,
        **terms,
    )


def test_population_key_splits_by_inhabitants(muni):
    centre = _centre(muni, "test-pop", "population")
    year_plan_set(centre=centre, year=2026, budget=Decimal("10000"), by=None)
    plan = plan_compute(centre=centre, year=2026)
    populations = {r.municipality.name: Decimal(r.municipality.population) for r in plan.rows}
    total = sum(populations.values())
    assert sum(r.amount for r in plan.rows) == Decimal("10000")
    for row in plan.rows:
        assert abs(row.amount - Decimal("10000") * populations[row.municipality.name] / total) < Decimal("0.01")


def test_base_and_effort_values_target_fte_at_the_personnel_cost_of_the_agreed_pay_group_and_step(muni):
    centre = _centre(
        muni, "test-dsb", "base_effort", base_amount=Decimal("1200"), rate_pay_group="EG 11", effort_pay_step=3
    )
    plan_quantity_set(centre=centre, year=2026, municipality=muni("Ronneburg"), key="fte", quantity="0.05", by=None)
    plan_quantity_set(centre=centre, year=2026, municipality=muni("Neuberg"), key="effort", quantity="800", by=None)
    plan = plan_compute(centre=centre, year=2026)
    rows = {r.municipality.name: r for r in plan.rows}
    position = personnel_cost_for(pay_group="EG 11", step=3, year=2026)
    # 1 July 2026: the table from 1 May 2026, 5,046.03 € a month: (× 12 + 70.28 %) × 1.2665
    assert position.annual_cost == Decimal("81181.02")
    assert position.annual_cost < rate_for(pay_group="EG 11", year=2026).annual_cost  # not the full-cost rate
    assert rows["Ronneburg"].amount == Decimal("1200") + Decimal("4059.05")  # 0.05 × 81,181.02
    assert rows["Neuberg"].amount == Decimal("2000.00")  # an effort fixed as an amount, no FTE
    assert rows["Maintal"].amount == Decimal("1200.00")
    assert plan.total == sum(r.amount for r in plan.rows)


def test_base_and_effort_without_a_personnel_cost_for_the_step_is_refused_in_german(muni):
    centre = _centre(muni, "test-dsb2", "base_effort", base_amount=Decimal("1200"), rate_pay_group="EG 11")
    plan_quantity_set(centre=centre, year=2026, municipality=muni("Ronneburg"), key="fte", quantity="0.05", by=None)
    with pytest.raises(ValidationError, match="keine Personalkosten je Stelle"):
        plan_compute(centre=centre, year=2026)


def test_unknown_key_is_rejected_in_german():
    with pytest.raises(ValidationError, match="Unbekannter Verteilungsschlüssel"):
        cost_centre_ensure(
            dkz=Institution.objects.get(slug="dkz-mkk"),
            code="test-x",
            name="x",
            members=[],
            allocation_key="dice",
            valid_from=datetime.date(2026, 1, 1),
            by=None,
        )
    assert not CostCentre.objects.filter(code="test-x").exists()


def test_agreements_are_never_edited_only_versioned(centre):
    agreement = centre("vergabezentrum").agreements.get()
    agreement.sockel_minimum = Decimal("1")
    with pytest.raises(ValidationError, match="neue Version"):
        agreement.save()


def test_demo_seed_is_idempotent():
    counts = lambda: (  # noqa: E731
        CostCentre.objects.count(),
        Agreement.objects.count(),
        YearPlan.objects.count(),
        Quantity.objects.count(),
        AuditEntry.objects.filter(action__startswith="costs.").count(),
    )
    before = counts()
    costs_demo_seed()
    assert counts() == before
    assert before[0] >= 3 and before[3] == 18 * 2 + 6 + 3  # hours (UVgO, VgV), printed data protection effort, OZG


def test_every_costs_model_is_in_the_admin(admin_client):
    from django.apps import apps
    from django.contrib import admin

    for model in apps.get_app_config("costs").get_models():
        if model.__name__ in {"CostCentreMember", "SettlementLine"}:
            continue  # inlines
        assert admin.site.is_registered(model), model
        url = f"/admin/costs/{model._meta.model_name}/"
        assert admin_client.get(url).status_code == 200, url
