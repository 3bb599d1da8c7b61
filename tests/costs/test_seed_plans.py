"""The three 2024 plan tables of seed 000, recomputed from their inputs."""

from decimal import ROUND_HALF_UP, Decimal

import pytest

from costs.calculation import plan_compute
from costs.models import Quantity

pytestmark = pytest.mark.django_db

# Inputs of the Vergabezentrum table (UVgO hours, VgV hours) and the seed's printed figures (hours, T€, T€).
VERGABE_SEED = {
    "Flörsbachtal": (15, 17, 32, 20, 5),
    "Freigericht": (22, 17, 39, 25, 6),
    "Hasselroth": (0, 17, 17, 11, 3),
    "Main-Kinzig-Kreis": (560, 51, 610, 383, 96),
    "Wächtersbach": (103, 34, 137, 86, 21),
    "Rodenbach": (52, 51, 102, 64, 16),
    "Langenselbold": (118, 51, 169, 106, 26),
    "Erlensee": (15, 17, 32, 20, 5),
    "Bruchköbel": (184, 34, 218, 137, 34),
    "Bad Soden-Salmünster": (22, 17, 39, 25, 6),
    "Maintal": (118, 34, 152, 95, 24),
    "Ronneburg": (15, 0, 15, 9, 3),
    "Bad Orb": (33, 15, 48, 30, 8),
    "Gelnhausen": (75, 33, 108, 68, 17),
    "Großkrotzenburg": (24, 11, 35, 22, 5),
    "Jossgrund": (11, 5, 16, 10, 3),
    "Neuberg": (17, 8, 25, 16, 4),
    "Brachttal": (16, 7, 23, 14, 4),  # the seed spells it "Brachtal"
}
SEED_PRINTED_SUMS = {"uvgo": 1399, "vgv": 416, "hours": 1815, "contribution_teur": 1140, "sockel_teur": 286}


def _t(value) -> Decimal:
    return Decimal(value) * 1000


def test_vergabezentrum_contributions_are_proportional_to_hours_and_add_up_to_1140_teur(centre):
    plan = plan_compute(centre=centre("vergabezentrum"), year=2024)
    assert len(plan.rows) == 18
    assert plan.total == _t(1140)
    assert sum(r.amount for r in plan.rows) == _t(1140)
    assert sum(r.amount_teur for r in plan.rows) == Decimal("1140.0")
    total_hours = plan.weight_total
    for row in plan.rows:
        uvgo, vgv, *_ = VERGABE_SEED[row.municipality.name]
        assert row.weight == uvgo + vgv
        exact = _t(1140) * row.weight / total_hours
        assert abs(row.amount - exact) < Decimal("0.01")


def test_vergabezentrum_sockelbetrag_is_25_percent_but_at_least_3_teur(centre):
    plan = plan_compute(centre=centre("vergabezentrum"), year=2024)
    at_minimum = {r.municipality.name for r in plan.rows if r.sockel == _t(3)}
    assert at_minimum == {"Hasselroth", "Ronneburg", "Jossgrund"}
    for row in plan.rows:
        quarter = (row.amount / 4).quantize(Decimal("0.01"), ROUND_HALF_UP)
        assert row.sockel == max(quarter, _t(3))
        if row.municipality.name in at_minimum:
            assert quarter < _t(3)
            assert "Mindestbetrag" in row.sockel_explanation


def test_data_protection_contribution_is_base_plus_external_effort_total_38_teur(centre):
    plan = plan_compute(centre=centre("datenschutz"), year=2024)
    efforts = {
        q.municipality.name: q.quantity for q in Quantity.objects.filter(centre=plan.centre, year=2024, key="effort")
    }
    assert len(plan.rows) == 6
    for row in plan.rows:
        assert row.amount == _t("1.2") + efforts[row.municipality.name]
    assert plan.total == _t("38.0")
    assert {r.municipality.name: r.amount_teur for r in plan.rows} == {
        "Ronneburg": Decimal("4.1"),
        "Wächtersbach": Decimal("10.2"),
        "Neuberg": Decimal("6.1"),
        "Niederdorfelden": Decimal("5.7"),
        "Bad Soden-Salmünster": Decimal("6.1"),
        "Brachttal": Decimal("5.8"),
    }


def test_ozg_split_by_services_gives_26_8_37_9_38_5_teur(centre):
    plan = plan_compute(centre=centre("ozg"), year=2024)
    shown = {r.municipality.name: r.amount_teur for r in plan.rows}
    assert shown == {
        "Großkrotzenburg": Decimal("26.8"),
        "Ronneburg": Decimal("37.9"),
        "Neuberg": Decimal("38.5"),
    }
    assert plan.total == _t("103.2") == sum(r.amount for r in plan.rows)
    assert {r.municipality.name: r.weight for r in plan.rows} == {
        "Großkrotzenburg": 80,
        "Ronneburg": 113,
        "Neuberg": 115,
    }


def test_where_the_seed_printed_figures_differ_from_its_inputs(centre):
    """The product shows the computed values; these are the seed's printed figures its inputs contradict."""
    plan = plan_compute(centre=centre("vergabezentrum"), year=2024)
    rows = {r.municipality.name: r for r in plan.rows}
    differences = {}
    for name, (uvgo, vgv, hours, contribution, sockel) in VERGABE_SEED.items():
        row = rows[name]
        if uvgo + vgv != hours:
            differences[(name, "Summe Std.")] = (hours, row.weight)
        if round(row.amount / 1000) != contribution:
            differences[(name, "PLAN-Kostenbeitrag T€")] = (contribution, row.amount)
        if round(row.sockel / 1000) != sockel:
            differences[(name, "Sockelbetrag T€")] = (sockel, (row.sockel / 1000).quantize(Decimal("0.1")))
    sums = {
        "uvgo": sum(v[0] for v in VERGABE_SEED.values()),
        "vgv": sum(v[1] for v in VERGABE_SEED.values()),
        "hours": plan.weight_total,
        "contribution_teur": plan.total / 1000,
        "sockel_teur": round(plan.sockel_total / 1000),
    }
    for key, printed in SEED_PRINTED_SUMS.items():
        if sums[key] != printed:
            differences[("Summe", key)] = (printed, sums[key])

    assert differences == {
        # The row sums: 560 + 51 = 611 and 52 + 51 = 103, the seed prints 610 and 102.
        ("Main-Kinzig-Kreis", "Summe Std."): (610, 611),
        ("Rodenbach", "Summe Std."): (102, 103),
        # Contributions (EUR) from the hours as printed: 39/1,819 × 1,140,000 € = 24,442.00 € (seed: 25 T€);
        # 103/1,819 × 1,140,000 € = 64,551.95 € (seed: 64 T€, from its 102 hours).
        ("Freigericht", "PLAN-Kostenbeitrag T€"): (25, Decimal("24442.00")),
        ("Bad Soden-Salmünster", "PLAN-Kostenbeitrag T€"): (25, Decimal("24442.00")),
        ("Rodenbach", "PLAN-Kostenbeitrag T€"): (64, Decimal("64551.95")),
        # Column sums: the printed hours add up to 1,400 / 419 / 1,819, not 1,399 / 416 / 1,815.
        ("Summe", "uvgo"): (1399, 1400),
        ("Summe", "vgv"): (416, 419),
        ("Summe", "hours"): (1815, 1819),
    }
    # The seed's own printed contributions add up to 1,141 T€ although it prints the total 1,140 T€;
    # the computed parts add up to exactly 1,140,000.00 € (and 1,140.0 T€ as shown).
    assert sum(v[3] for v in VERGABE_SEED.values()) == 1141
    assert sum(r.amount for r in plan.rows) == Decimal("1140000.00")
    # The Sockelbetraege agree with the seed when rounded to whole T€ (computed total 286.5 T€, printed 286).
    assert plan.sockel_total == sum(
        max((r.amount / 4).quantize(Decimal("0.01"), ROUND_HALF_UP), _t(3)) for r in plan.rows
    )


def test_data_protection_effort_is_taken_as_given_because_printed_fte_do_not_reproduce_it(centre):
    """The seed's external effort per FTE ranges from about 61 to 72.5 T€ (the FTE are printed rounded to two
    decimals), so the effort amounts are the inputs and the FTE are kept for information only."""
    rows = Quantity.objects.filter(centre=centre("datenschutz"), year=2024)
    effort = {q.municipality_id: q.quantity for q in rows if q.key == "effort"}
    fte = {q.municipality_id: q.quantity for q in rows if q.key == "fte"}
    per_fte = {mid: effort[mid] / fte[mid] for mid in effort}
    assert sum(fte.values()) == Decimal("0.47")
    assert max(per_fte.values()) - min(per_fte.values()) > _t(10)
