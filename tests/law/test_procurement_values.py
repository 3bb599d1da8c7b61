"""Procurement values as dated data: EU thresholds of 2022–2027 and for social services, HVTG § 12 per trade lot,
the housing limit only for housing lots when bundling."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from rest_framework.test import APIClient

from procurement.models import PlanningItem
from procurement.services.planning import (
    joint_procedure_propose,
    planning_item_add,
    planning_talk_agree,
    planning_talk_open,
    trade_lots_of,
)
from procurement.services.rules import LotValue, procedure_types_admissible
from tests.procurement.conftest import at

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("kind", "on", "value", "eu", "threshold"),
    [
        ("services", "2022-01-01", "214999.99", False, "215000.00"),
        ("supplies", "2023-12-31", "215000", True, "215000.00"),
        ("works", "2022-06-30", "5382000", True, "5382000.00"),
        ("works", "2023-06-30", "5381999", False, "5382000.00"),
        ("services", "2024-01-01", "220999", False, "221000.00"),
        ("services", "2025-12-31", "221000", True, "221000.00"),
        ("works", "2024-05-01", "5537999", False, "5538000.00"),
        ("works", "2025-05-01", "5538000", True, "5538000.00"),
        ("services", "2026-01-01", "216000", True, "216000.00"),
        ("works", "2027-12-31", "5404000", True, "5404000.00"),
        ("social_services", "2023-03-01", "749999.99", False, "750000.00"),
        ("social_services", "2026-03-01", "750000", True, "750000.00"),
        ("social_services", "2027-03-01", "300000", False, "750000.00"),
    ],
)
def test_a_procedure_gets_the_eu_threshold_of_its_period(kind, on, value, eu, threshold):
    result = procedure_types_admissible(kind=kind, estimated_value=Decimal(value), on=date.fromisoformat(on))
    assert result.eu is eu
    assert result.eu_threshold == Decimal(threshold)
    assert result.eu_threshold_basis  # every threshold carries its source note


def test_social_services_above_750000_may_choose_the_negotiated_procedure_freely():
    result = procedure_types_admissible(kind="social_services", estimated_value=Decimal("800000"), on=date(2026, 5, 4))
    negotiated = next(t for t in result.types if t.procedure_type == "eu_negotiated_competition")
    assert not negotiated.condition and "§ 130" in negotiated.legal_basis


def test_works_limits_apply_per_trade_lot_and_the_answer_names_the_lot_basis():
    lots = [LotValue("Rohbau", Decimal("200000")), LotValue("Elektro", Decimal("200000"))]
    per_lot = procedure_types_admissible(
        kind="works", estimated_value=Decimal("400000"), on=date(2026, 5, 4), lots=lots
    )
    restricted = next(t for t in per_lot.types if t.procedure_type == "vob_restricted")
    assert "je Fachlos" in restricted.value_basis and "Rohbau" in restricted.value_basis
    assert "je Fachlos" in per_lot.as_dict()["lot_basis"]
    assert "je Fachlos" in restricted.legal_basis  # the source note quotes the law
    whole = procedure_types_admissible(kind="works", estimated_value=Decimal("400000"), on=date(2026, 5, 4))
    assert "vob_restricted" not in whole.codes  # one trade lot of 400,000 EUR is above 250,000 EUR


def test_supply_limits_apply_to_the_whole_contract_not_per_lot():
    lots = [LotValue("Papier", Decimal("60000")), LotValue("Toner", Decimal("60000"))]
    result = procedure_types_admissible(
        kind="supplies", estimated_value=Decimal("120000"), on=date(2026, 5, 4), lots=lots
    )
    assert "uvgo_restricted" not in result.codes
    assert result.lot_basis.startswith("Gesamtauftragswert")


@pytest.mark.parametrize(
    ("parts", "restricted_admissible"),
    [
        # housing Rohbau 300k + non-housing Elektro 400k: Elektro alone is above 250k (was admitted under "any")
        ([("Rohbau", "300000", True), ("Elektro", "400000", False)], False),
        # both trade lots housing and each below 1 M
        ([("Rohbau", "900000", True), ("Elektro", "400000", True)], True),
        # one trade with a housing and a non-housing part is not housing as a whole
        ([("Dach", "300000", True), ("Dach", "100000", False)], False),
        ([("Dach", "150000", True), ("Dach", "100000", False)], True),
    ],
)
def test_bundling_applies_the_housing_limit_only_to_housing_lots(parts, restricted_admissible):
    items = [PlanningItem(category=c, estimated_value=Decimal(v), housing=h, kind="works") for c, v, h in parts]
    total = sum((i.estimated_value for i in items), Decimal("0"))
    result = procedure_types_admissible(
        kind="works", estimated_value=total, on=date(2026, 5, 4), lots=trade_lots_of(items)
    )
    assert ("vob_restricted" in result.codes) is restricted_admissible


def test_a_joint_works_procedure_shows_its_lot_basis_in_the_api(users, town):
    items = []
    for slug, value, housing in (("ronneburg", "150000", True), ("neuberg", "80000", False)):
        clerk = users[f"sb.{slug}"]
        talk = planning_talk_open(municipality=town[slug], year=2026, by=clerk)
        items.append(
            planning_item_add(
                talk=talk,
                by=clerk,
                subject="Dachsanierung",
                kind="works",
                category="Dachdeckerarbeiten",
                estimated_value=Decimal(value),
                quarter=2,
                housing=housing,
            )
        )
        planning_talk_agree(talk=talk, by=users[f"bm.{slug}"])
        planning_talk_agree(talk=talk, by=users["vergabe.mkk"])
    procedure = joint_procedure_propose(items=items, by=users["vergabe.mkk"], subject="Dächer", now=at("2026-03-02"))
    assert not procedure.housing  # one of the two needs is not housing
    client = APIClient()
    client.force_authenticate(users["vergabe.mkk"])
    data = client.get(f"/api/v1/procedures/{procedure.pk}/").json()
    restricted = next(t for t in data["admissible_types"] if t["procedure_type"] == "vob_restricted")
    # one trade lot (the same trade of two members) of 230,000 EUR against the general limit of 250,000 EUR
    assert (
        "je Fachlos" in restricted["value_basis"] and "Dachdeckerarbeiten 230.000,00 EUR" in restricted["value_basis"]
    )
    page = Client()
    page.force_login(users["vergabe.mkk"])
    assert "Dachdeckerarbeiten 230.000,00 EUR" in page.get(f"/procurement/{procedure.pk}/").content.decode()


def test_a_day_before_the_first_stored_threshold_is_refused_with_a_clear_message():
    with pytest.raises(ValidationError, match="kein EU-Schwellenwert"):
        procedure_types_admissible(kind="services", estimated_value=Decimal("1000"), on=date(2021, 12, 31))


@pytest.mark.parametrize(
    ("value", "eu", "proposed", "also"),
    [
        ("9000", False, "uvgo_direct", {"uvgo_freelance", "uvgo_open"}),
        ("150000", False, "uvgo_freelance", {"uvgo_open"}),  # § 50 UVgO: competition, no HVTG value table
        ("216000", True, "eu_negotiated_competition", {"eu_open", "eu_restricted"}),  # § 74 VgV: the regular type
    ],
)
def test_freelance_services_follow_50_uvgo_below_and_the_negotiated_procedure_above_the_threshold(
    value, eu, proposed, also
):
    result = procedure_types_admissible(kind="freelance", estimated_value=Decimal(value), on=date(2026, 5, 4))
    assert result.eu is eu
    assert result.proposed.procedure_type == proposed
    assert also <= set(result.codes)
    assert not next(t for t in result.types if t.procedure_type == proposed).condition
