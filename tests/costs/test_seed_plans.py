"""The three 2024 plan tables of seed 000, recomputed from their inputs."""

from decimal import ROUND_HALF_UP, Decimal

import pytest

from costs.calculation import plan_compute

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


# Data protection (seed 000): staff, the printed external effort (€) and the computed effort = staff ÷ 1,000 ×
# the personnel cost of EG 11 step 3 in 2024 (76,669.75 €: (4,765.62 € × 12 + 70.28 %) × 1.2665).
DATA_PROTECTION = {
    "Ronneburg": (40, "2900", "3066.79"),
    "Wächtersbach": (140, "9000", "10733.77"),
    "Neuberg": (70, "4900", "5366.88"),
    "Niederdorfelden": (70, "4500", "5366.88"),
    "Bad Soden-Salmünster": (80, "4900", "6133.58"),
    "Brachttal": (70, "4600", "5366.88"),
}


def test_data_protection_effort_is_target_fte_from_staff_times_the_personnel_cost_of_eg_11_step_3(centre):
    plan = plan_compute(centre=centre("datenschutz"), year=2024)
    assert len(plan.rows) == 6
    for row in plan.rows:
        staff, printed, effort = DATA_PROTECTION[row.municipality.name]
        assert row.municipality.staff_count == staff
        assert row.inputs["fte"] == Decimal(staff) / 1000
        assert row.inputs["position_cost"] == Decimal("76669.75")
        assert row.inputs["effort"] == Decimal(effort)
        assert row.amount == _t("1.2") + Decimal(effort)
        # the seed's printed figure stands beside the computed one
        assert row.inputs["printed_effort"] == Decimal(printed)
        assert f"(Vorlage: Aufwand {Decimal(printed):,.0f} €)".replace(",", ".") in row.explanation
    assert plan.total == Decimal("43234.78") == sum(r.amount for r in plan.rows)


def test_data_protection_explanation_reads_in_english_with_the_euro_sign_at_the_amounts(centre):
    """The effort is a derivation ("0.04 target FTE × €76,669.75 = €3,066.79"); the euro sign belongs to the amounts,
    not in front of the FTE."""
    from django.utils import translation

    with translation.override("en"):
        plan = plan_compute(centre=centre("datenschutz"), year=2024)
        explanation = next(r.explanation for r in plan.rows if r.municipality.name == "Ronneburg")
    assert "effort 0.04 target FTE × €76,669.75 = €3,066.79" in explanation, explanation
    assert "€0." not in explanation


def test_data_protection_no_longer_values_an_fte_at_the_full_cost_rate(centre):
    """The full-cost rate (personnel + material + overhead of a DKZ workplace, 122,616.55 € a year for EG 11) would
    give +71 % over the seed; the personnel cost of the pay group and step gives +13.8 % (43.2 instead of 38.0 T€),
    the rest of the gap being the seed's FTE rounded to two decimals and its unstated valuation."""
    plan = plan_compute(centre=centre("datenschutz"), year=2024)
    printed_total = sum(_t("1.2") + Decimal(p) for _s, p, _e in DATA_PROTECTION.values())
    assert printed_total == _t("38.0")
    assert (plan.total / printed_total - 1).quantize(Decimal("0.001")) == Decimal("0.138")
    assert all(r.inputs["position_cost"] < Decimal("122616.55") for r in plan.rows)


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
