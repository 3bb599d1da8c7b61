"""The economic check before the DKZ takes a task over (seed 000): own full cost from the dated full-cost rate against
the market price, computed by the service, decided with a reason by the DKZ controlling."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from costs.calculation import rate_for
from costs.economic import economic_check_record
from costs.models import EconomicCheck
from costs.services import cost_centre_ensure
from projects.models import AuditEntry, Case, CaseParticipant, County, Institution, Municipality

pytestmark = pytest.mark.django_db

VALID = {
    "year": 2026,
    "hours_per_year": Decimal("1200"),
    "pay_group": "EG 11",
    "extra_material_cost": Decimal("5000"),
    "extra_material_source": "Angebot Fachsoftware 2026",
    "market_source": "inquiry",
    "market_price": Decimal("110000"),
    "quotes_count": 3,
    "market_note": "Drei Dienstleister angefragt",
    "decision": "own",
    "reason": "Die Eigenerledigung ist günstiger.",
}


@pytest.fixture
def case(users):
    case = Case.objects.create(
        county=County.objects.get(slug="mkk"),
        number="MKK-TEST-WIRT",
        title="Gemeinsamer Datenschutzbeauftragter",
        created_by=users["pm.mkk"],
        stage=Case.Stage.TRANSFER,
        route=Case.Route.COUNTY_WIDE,
    )
    for slug in ("ronneburg", "neuberg"):
        CaseParticipant.objects.create(case=case, municipality=Municipality.objects.get(slug=slug))
    return case


def test_own_full_cost_is_hours_times_the_dated_rate_plus_material_and_overhead_against_the_market_price(case, users):
    check = economic_check_record(case=case, by=users["controlling.mkk"], **VALID)

    rate = rate_for(pay_group="EG 11", year=2026)
    assert check.rate == rate and check.hourly_rate == rate.hourly_rate == Decimal("78.55")
    assert check.time_cost == Decimal("94260.00")  # 1,200 h × 78.55 €/h
    # the rate's parts: workplace material and overhead from the reference data, the personnel part takes the cents
    assert (check.material_share, check.overhead_share) == (Decimal("7456.76"), Decimal("14467.21"))
    assert check.personnel_share + check.material_share + check.overhead_share == check.time_cost
    assert check.own_cost == Decimal("99260.00")  # + 5,000 € software
    assert check.difference == Decimal("10740.00")  # 110,000 € market price − 99,260 €
    assert check.cheaper == EconomicCheck.Cheaper.OWN
    assert (check.basis_label, check.basis_amount) == ("Eigene Vollkosten", Decimal("99260.00"))
    assert "KGSt" in check.rate_explanation
    entry = AuditEntry.objects.get(action="economic_check.recorded", subject_id=str(case.pk))
    assert entry.actor.username == "controlling.mkk"
    assert entry.changes["own_cost"]["new"] == "99260.00" and entry.changes["decision"]["new"] == "own"


def test_the_market_is_the_cheaper_option_when_its_price_is_below_the_own_full_cost(case, users):
    check = economic_check_record(
        case=case, by=users["controlling.mkk"], **{**VALID, "market_price": Decimal("90000"), "decision": "buy"}
    )
    assert (check.difference, check.cheaper) == (Decimal("-9260.00"), EconomicCheck.Cheaper.BUY)
    assert (check.basis_label, check.basis_amount, check.saving) == (
        "Marktpreis",
        Decimal("90000.00"),
        Decimal("9260.00"),
    )


def test_a_procedure_of_the_procurement_centre_is_the_market_price_by_its_reference(case, users):
    check = economic_check_record(
        case=case,
        by=users["controlling.mkk"],
        **{**VALID, "market_source": "procedure", "procedure_reference": "MKK-2026-017", "quotes_count": None},
    )
    assert (check.market_source, check.procedure_reference, check.quotes_count) == ("procedure", "MKK-2026-017", None)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"hours_per_year": Decimal("0")}, "hours_per_year", "Stunden je Jahr"),
        ({"year": 2030}, "pay_group", "kein Vollkostensatz hinterlegt"),
        ({"pay_group": "EG 99"}, "pay_group", "kein Vollkostensatz hinterlegt"),
        ({"quotes_count": None}, "quotes_count", "Anzahl der eingeholten Angebote"),
        ({"market_note": " "}, "market_note", "Markterkundung beschreiben"),
        ({"market_source": "procedure"}, "procedure", "Vergabeverfahren"),
        ({"market_price": Decimal("0")}, "market_price", "Marktpreis"),
        ({"extra_material_source": ""}, "extra_material_source", "Quelle der zusätzlichen Sachkosten"),
        ({"extra_material_cost": Decimal("-1")}, "extra_material_cost", "zwischen 0 und"),
        ({"decision": "maybe"}, "decision", "Eigenerledigung oder Fremdvergabe"),
        ({"reason": ""}, "reason", "begründen"),
    ],
)
def test_bad_input_is_refused_in_german_and_writes_nothing(case, users, change, field, message):
    entries = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as refused:
        economic_check_record(case=case, by=users["controlling.mkk"], **{**VALID, **change})
    assert message in " ".join(refused.value.message_dict[field])
    assert not EconomicCheck.objects.filter(case=case).exists()
    assert AuditEntry.objects.count() == entries


@pytest.mark.parametrize("username", ["pm.mkk", "bm.ronneburg", "controlling.gg"])
def test_only_the_dkz_controlling_of_the_county_may_record_the_check(case, users, username):
    with pytest.raises(PermissionDenied, match="Nur das Controlling der DKZ"):
        economic_check_record(case=case, by=users[username], **VALID)
    assert not EconomicCheck.objects.filter(case=case).exists()


def test_the_cost_centre_carries_the_chosen_basis_and_the_check_is_fixed_from_then_on(case, users):
    controller = users["controlling.mkk"]
    check = economic_check_record(
        case=case, by=controller, **{**VALID, "market_price": Decimal("90000"), "decision": "buy"}
    )
    centre = cost_centre_ensure(
        dkz=Institution.objects.get(slug="dkz-mkk"),
        code=case.number,
        name="Datenschutz",
        members=[p.municipality for p in case.participants.all()],
        allocation_key="hours",
        valid_from=dt.date(2027, 1, 1),
        by=users["pm.mkk"],
        economic_check=check,
    )
    assert centre.economic_check == check
    assert (centre.economic_check.basis_label, centre.economic_check.basis_amount) == (
        "Marktpreis",
        Decimal("90000.00"),
    )
    assert AuditEntry.objects.filter(action="costs.centre_basis", subject_id=str(centre.pk)).exists()
    with pytest.raises(ValidationError, match="Kostenstelle ist bereits"):
        economic_check_record(case=case, by=controller, **VALID)
    check.refresh_from_db()
    assert check.decision == "buy"
