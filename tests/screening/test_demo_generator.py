"""The demo generator derives declarations from target figures; seeding twice changes nothing."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest

from projects.demo_screening import plan_bundle, screening_demo_seed, urgency_plan
from projects.models import AuditEntry, InterestDeclaration, InventoryEntry, ScreeningRound

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("municipalities", "average"), [(18, "8.55"), (10, "6.67"), (9, "4.60"), (3, "9.50")])
def test_urgency_plan_reaches_any_reachable_average_with_the_fewest_declarations(municipalities, average):
    target = Decimal(average)
    plan = urgency_plan(municipalities=municipalities, average=target, max_per_municipality=5)
    mean = (Decimal(sum(plan)) / len(plan)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert mean == target
    assert len(plan) >= municipalities
    assert all(1 <= u <= 10 for u in plan)
    for fewer in range(municipalities, len(plan)):  # no smaller count would do
        assert not any(
            (Decimal(s) / fewer).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) == target
            for s in range(fewer, 10 * fewer + 1)
        )


def test_an_average_that_needs_more_task_areas_than_the_bundle_has_is_refused():
    with pytest.raises(ValueError):
        urgency_plan(municipalities=2, average=Decimal("5.33"), max_per_municipality=1)


def test_plan_bundle_picks_the_wanted_partners_and_others():
    partners, others = [f"U{i}" for i in range(10)], [f"N{i}" for i in range(5)]
    plan = plan_bundle(
        index=3,
        partners=partners,
        others=others,
        partner_count=4,
        other_count=2,
        average=Decimal("7.25"),
        task_areas=["a", "b", "c"],
    )
    declaring = {p.municipality for p in plan}
    assert len(declaring & set(partners)) == 4 and len(declaring & set(others)) == 2
    assert len({(p.municipality, p.task_area) for p in plan}) == len(plan)  # no task area twice per municipality


def test_seeding_twice_changes_nothing():
    counts = (
        InterestDeclaration.objects.count(),
        InventoryEntry.objects.count(),
        ScreeningRound.objects.count(),
        AuditEntry.objects.count(),
    )
    screening_demo_seed()
    assert (
        InterestDeclaration.objects.count(),
        InventoryEntry.objects.count(),
        ScreeningRound.objects.count(),
        AuditEntry.objects.count(),
    ) == counts
