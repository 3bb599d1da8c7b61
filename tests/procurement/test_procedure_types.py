"""Which procedure types the dated legal limits admit (HVTG § 12 below, VgV/VOB/A EU above the threshold)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from procurement.models import ValueLimit
from procurement.services.reference import procurement_load_reference
from procurement.services.rules import procedure_types_admissible

pytestmark = pytest.mark.django_db
ON = date(2026, 3, 2)


def admissible(kind, value, on=ON, housing=False):
    return procedure_types_admissible(kind=kind, estimated_value=Decimal(value), on=on, housing=housing)


def test_supplies_8000_is_a_direct_award():
    result = admissible("supplies", "8000")
    assert not result.eu
    assert result.proposed.procedure_type == "uvgo_direct"
    assert "HVTG" in result.proposed.legal_basis


def test_supplies_45000_admit_negotiated_award_without_competition_but_no_direct_award():
    result = admissible("supplies", "45000")
    assert "uvgo_negotiated" in result.codes
    assert "uvgo_direct" not in result.codes
    assert result.proposed.procedure_type == "uvgo_negotiated"


def test_supplies_80000_need_restricted_tender_without_competition_not_negotiated_without_competition():
    result = admissible("supplies", "80000")
    assert "uvgo_negotiated" not in result.codes
    assert "uvgo_restricted" in result.codes
    assert "uvgo_negotiated_competition" in result.codes
    assert not result.eu


def test_supplies_at_the_eu_threshold_216000_go_to_an_eu_procedure():
    result = admissible("supplies", "216000")
    assert result.eu
    assert result.eu_threshold == Decimal("216000.00")
    assert set(result.codes) >= {"eu_open", "eu_restricted"}
    assert not [code for code in result.codes if not code.startswith("eu_")]
    assert not admissible("supplies", "215999.99").eu


def test_works_240000_admit_restricted_tender_without_competition():
    result = admissible("works", "240000")
    assert "vob_restricted" in result.codes
    assert "vob_negotiated" not in result.codes
    assert result.proposed.procedure_type == "vob_restricted"


def test_works_above_250000_need_competition_unless_housing():
    assert "vob_restricted" not in admissible("works", "260000").codes
    assert "vob_restricted" in admissible("works", "260000", housing=True).codes


def test_works_5404000_go_to_an_eu_procedure():
    assert admissible("works", "5404000").eu
    assert not admissible("works", "5403999").eu


def test_a_bundle_of_three_80000_supply_needs_is_an_eu_procedure():
    single = admissible("supplies", "80000")
    bundle = admissible("supplies", str(Decimal("80000") * 3))
    assert not single.eu
    assert bundle.eu


def test_eu_negotiated_procedure_is_offered_only_with_its_condition():
    result = admissible("services", "300000")
    negotiated = next(t for t in result.types if t.procedure_type == "eu_negotiated_competition")
    assert "§ 14 Abs. 3 VgV" in negotiated.condition
    assert result.proposed.procedure_type != "eu_negotiated_competition"


def test_a_future_limit_version_changes_the_answer_only_from_its_date():
    reform_day = ON + timedelta(days=30)
    ValueLimit.objects.create(
        regime="national",
        kind_group="supplies_services",
        procedure_type="uvgo_direct",
        max_value=Decimal("100000"),
        max_inclusive=True,
        valid_from=reform_day,
        legal_basis="HVTG-Reform: Direktauftrag bis 100.000 EUR",
    )
    assert "uvgo_direct" not in admissible("supplies", "45000", on=reform_day - timedelta(days=1)).codes
    after = admissible("supplies", "45000", on=reform_day)
    assert after.proposed.procedure_type == "uvgo_direct"
    assert after.proposed.legal_basis.startswith("HVTG-Reform")


def test_no_eu_threshold_on_a_day_gives_a_german_message():
    with pytest.raises(ValidationError, match="kein EU-Schwellenwert"):
        admissible("supplies", "1000", on=date(2030, 1, 1))


def test_loading_the_reference_data_twice_changes_nothing():
    before = procurement_load_reference()
    assert procurement_load_reference() == before
    # the thresholds of 2022–23, 2024–25, 2026–27 (two kinds each) and the one for social services
    assert before["value_limits"] > 0 and before["eu_thresholds"] == 7
