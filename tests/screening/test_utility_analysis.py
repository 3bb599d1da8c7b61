"""Utility analysis of the demo rounds against the figures of the seeds."""

from __future__ import annotations

from decimal import Decimal

import pytest

from projects.models import Municipality, ScreeningRound, TaskArea
from projects.services.screening import declaration_save, round_settings_update
from projects.services.screening_analysis import bundle_analysis, county_municipality_count

pytestmark = pytest.mark.django_db

# Seed 000, "Schritt 2": bundle, # U-Kommunen, # Nicht U-Kommunen, Σ Kommunen, Ø Dringlichkeit
SEED_000_SCHRITT_2 = [
    ("Datenschutz", 15, 4, 19, "8.00"),
    ("Vergabe & Beschaffung", 14, 4, 18, "8.55"),
    ("Personal", 15, 5, 20, "7.80"),
    ("EDV & Digitalisierung", 15, 3, 18, "6.92"),
    ("Archiv", 10, 1, 11, "7.50"),
    ("Ordnungswesen", 12, 4, 16, "7.00"),
    ("Justiziariat", 10, 1, 11, "5.88"),
    ("Umweltschutzmaßnahmen & Natur", 7, 3, 10, "8.40"),
    ("Arbeitsschutz", 8, 2, 10, "6.67"),
    ("Abfallwirtschaft", 9, 5, 14, "6.57"),
    ("Organisation", 13, 3, 16, "6.17"),
    ("Daseinsvorsorge", 8, 4, 12, "7.80"),
    ("Wirtschaft, Tourismus & Kultur", 10, 1, 11, "6.60"),
    ("Standesamt", 6, 3, 9, "5.60"),
    ("Abwasser", 5, 1, 6, "7.25"),
    ("Gebühren, Kasse & Finanzbuchhaltung", 9, 4, 13, "6.50"),
    ("Soziales", 10, 4, 14, "5.50"),
    ("Bauhof", 7, 3, 10, "7.33"),
    ("Mobilität", 6, 2, 8, "6.50"),
    ("Gebäudereinigung", 6, 3, 9, "4.60"),
]

# Seed 002, "Interessenbekundungen – sortiert nach Zahl der Nennungen"
SEED_002_INTEREST = {
    "Personalmanagement": 12,
    "Zentrale Angelegenheiten": 11,
    "Ver- und Entsorgung, Energie": 8,
    "Bauhof": 8,
    "Informations- und Kommunikationstechnologie / Digitalisierung": 8,
    "Sicherheit und Ordnung": 7,
    "Brand-, Zivil- und Katastrophenschutz": 7,
    "Kultur- und Vereinsmanagement": 7,
    "Räumliche Planung und Entwicklung, Bauverwaltung, Wohnen": 7,
    "Finanzmanagement, Kasse": 7,
    "Soziale Leistungen, Kinder, Jugend, Familie, Schule": 6,
    "Sport, Freizeit, Erholung": 6,
    "Naturschutz und Landschaftspflege, Umweltschutz": 4,
}


@pytest.fixture
def mkk_round():
    return ScreeningRound.objects.get(county__slug="mkk", name="MKK 2023")


def test_mkk_round_has_the_20_survey_partners_of_the_seed(mkk_round):
    names = set(mkk_round.survey_partners.values_list("name", flat=True))
    assert len(names) == 20
    assert {"Main-Kinzig-Kreis", "Gelnhausen", "Brachttal", "Steinau an der Straße", "Wächtersbach"} <= names
    assert "Neuberg" not in names


def test_aggregated_mkk_table_equals_seed_000_for_all_20_bundles(mkk_round):
    rows = {row.name: row for row in bundle_analysis(screening_round=mkk_round)}
    for name, partners, others, total, average in SEED_000_SCHRITT_2:
        row = rows[name]
        assert (row.survey_partner_count, row.other_count, row.total, row.average_urgency) == (
            partners,
            others,
            total,
            Decimal(average),
        ), name
    assert len(rows) == 20


def test_some_municipalities_declare_several_task_areas_of_one_bundle(mkk_round):
    rows = {row.name: row for row in bundle_analysis(screening_round=mkk_round)}
    assert rows["Vergabe & Beschaffung"].declaration_count > rows["Vergabe & Beschaffung"].total


def test_route_is_county_wide_exactly_when_half_of_the_county_is_interested(mkk_round):
    size = county_municipality_count(screening_round=mkk_round)
    assert size == 29  # 28 municipalities and the county itself; Hanau left the county
    routes = {row.name: row.route for row in bundle_analysis(screening_round=mkk_round)}
    for name, _p, _o, total, average in SEED_000_SCHRITT_2:
        if total * 2 >= size:
            expected = "county_wide"
        else:  # below half: bilateral only when few but urgent (dated rule: ≥ 10 % and Ø ≥ 7.00)
            expected = "bilateral" if total * 10 >= size and Decimal(average) >= 7 else "not_pursued"
        assert routes[name] == expected, name
    assert routes["Datenschutz"] == "county_wide"
    assert routes["Abwasser"] == "bilateral"  # 6 of 29, Ø 7.25: few but urgent
    assert routes["Abfallwirtschaft"] == "not_pursued"  # 14 of 29 is below half, Ø 6.57 not urgent enough


def test_ranking_orders_by_score_and_follows_changed_weights(mkk_round, users):
    rows = bundle_analysis(screening_round=mkk_round)
    assert [r.rank for r in rows] == list(range(1, 21))
    assert [r.score for r in rows] == sorted((r.score for r in rows), reverse=True)
    round_settings_update(
        screening_round=mkk_round,
        by=users["pm.mkk"],
        weights={"reach": 0, "urgency": 1, "ease": 0},
        county_wide_share="0.60",
    )
    by_urgency = bundle_analysis(screening_round=mkk_round)
    assert by_urgency[0].name == "Vergabe & Beschaffung"  # highest average urgency (8.55)
    assert by_urgency[0].score == Decimal("8.55")
    assert {r.name for r in by_urgency if r.route == "county_wide"} == {
        name for name, _p, _o, total, _a in SEED_000_SCHRITT_2 if total >= Decimal("0.60") * 29
    }


def test_only_interested_declarations_count(mkk_round, users):
    before = {r.name: r for r in bundle_analysis(screening_round=mkk_round)}["Standesamt"]
    outsider = (
        Municipality.objects.filter(county__slug="mkk").exclude(pk__in=before.municipality_ids).order_by("name").first()
    )
    clerk = users[f"sb.{outsider.slug}"]
    area = TaskArea.objects.get(code="34.03")
    declaration_save(screening_round=mkk_round, municipality=outsider, task_area=area, interested=False, by=clerk)
    unchanged = {r.name: r for r in bundle_analysis(screening_round=mkk_round)}["Standesamt"]
    assert (unchanged.total, unchanged.average_urgency) == (before.total, before.average_urgency)

    declaration_save(
        screening_round=mkk_round, municipality=outsider, task_area=area, interested=True, urgency=10, by=clerk
    )
    after = {r.name: r for r in bundle_analysis(screening_round=mkk_round)}["Standesamt"]
    assert after.total == before.total + 1
    assert after.average_urgency > before.average_urgency


def test_groß_gerau_interest_declarations_reproduce_seed_002():
    gg_round = ScreeningRound.objects.get(county__slug="gg", name="Groß-Gerau 2013")
    counts = {row.name: row.total for row in bundle_analysis(screening_round=gg_round)}
    assert counts == SEED_002_INTEREST
