"""Nachkalkulation: actual cost by the key, minus prepayments and funding; a settled year is locked."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from costs.calculation import plan_compute, statement_compute
from costs.models import CostCentre, Quantity, Settlement, TimeEntry
from costs.services import (
    actual_cost_book,
    cost_centre_ensure,
    funding_credit_record,
    plan_quantity_set,
    prepayment_record,
    time_entry_book,
    time_entry_correct,
    year_plan_set,
    year_settle,
)
from projects.models import AuditEntry, Institution

pytestmark = pytest.mark.django_db

YEAR = 2026
AFTER_YEAR_END = datetime.date(YEAR + 1, 2, 15)


@pytest.fixture
def setup(muni, users):
    """A hours-keyed centre of three members: plan 100/60/40 h of 200,000 €; prepayments 25 % each."""
    controller = users["controlling.mkk"]
    dkz = Institution.objects.get(slug="dkz-mkk")
    members = [muni("Ronneburg"), muni("Neuberg"), muni("Hasselroth")]
    centre = cost_centre_ensure(
        dkz=dkz,
        code="test-vergabe",
        name="Test-Vergabezentrum",
        members=members,
        allocation_key="hours",
        valid_from=datetime.date(YEAR, 1, 1),
        sockel_share_percent=Decimal("25"),
        sockel_minimum=Decimal("3000"),
        by=controller,
    )
    year_plan_set(centre=centre, year=YEAR, budget=Decimal("200000"), by=controller)
    for municipality, hours in zip(members, (100, 60, 40), strict=True):
        plan_quantity_set(
            centre=centre, year=YEAR, municipality=municipality, key="hours:uvgo", quantity=hours, by=controller
        )
    plan = plan_compute(centre=centre, year=YEAR)
    for row in plan.rows:
        prepayment_record(
            centre=centre,
            year=YEAR,
            municipality=row.municipality,
            amount=row.sockel,
            received_on=datetime.date(YEAR, 3, 1),
            by=controller,
        )
    return centre, members, controller


def _book(centre, municipality, hours, source_id, user):
    return time_entry_book(
        centre=centre,
        municipality=municipality,
        hours=Decimal(hours),
        activity="Vergabeverfahren",
        booked_by=user,
        source_type="procedure",
        source_id=source_id,
        on=datetime.date(YEAR, 6, 1),
    )


def test_settlement_refunds_and_charges_add_up_to_actual_cost_minus_prepayments(setup, users):
    centre, (ronneburg, neuberg, hasselroth), controller = setup
    vergabe = users["vergabe.mkk"]
    # Actual use differs from the plan (100/60/40): 50 h, 90 h, 10 h booked; actual cost 180,000 €.
    _book(centre, ronneburg, "50", "p-1", vergabe)
    _book(centre, neuberg, "90", "p-2", vergabe)
    _book(centre, hasselroth, "10", "p-3", vergabe)
    actual_cost_book(centre=centre, year=YEAR, amount=Decimal("180000"), description="Personal", by=controller)

    settlement = year_settle(centre=centre, year=YEAR, by=controller, today=AFTER_YEAR_END)

    lines = {line.municipality: line for line in settlement.lines.all()}
    # Sockelbetrag: 25 % of the plan contributions 100,000 / 60,000 / 40,000 €.
    prepaid = {ronneburg: Decimal("25000.00"), neuberg: Decimal("15000.00"), hasselroth: Decimal("10000.00")}
    assert {m: line.prepayments for m, line in lines.items()} == prepaid
    assert {m: line.charge for m, line in lines.items()} == {
        ronneburg: Decimal("60000.00"),  # 50/150 × 180,000
        neuberg: Decimal("108000.00"),
        hasselroth: Decimal("12000.00"),
    }
    assert sum(line.balance for line in lines.values()) == Decimal("180000") - sum(prepaid.values())
    assert lines[neuberg].balance == Decimal("93000.00")  # additional charge
    assert lines[hasselroth].balance == Decimal("2000.00")
    assert lines[ronneburg].balance == Decimal("35000.00")
    assert "Nachzahlung" in lines[neuberg].explanation
    assert settlement.actual_total == Decimal("180000.00") and not settlement.startup_year
    assert AuditEntry.objects.filter(action="costs.year_settled", subject_id=str(settlement.pk)).exists()


def test_member_with_less_use_than_prepaid_gets_a_refund(setup, users):
    centre, (ronneburg, neuberg, hasselroth), controller = setup
    _book(centre, ronneburg, "1", "r-1", users["vergabe.mkk"])
    _book(centre, neuberg, "98", "r-2", users["vergabe.mkk"])
    _book(centre, hasselroth, "1", "r-3", users["vergabe.mkk"])
    actual_cost_book(centre=centre, year=YEAR, amount=Decimal("10000"), description="Personal", by=controller)
    settlement = year_settle(centre=centre, year=YEAR, by=controller, today=AFTER_YEAR_END)
    line = settlement.lines.get(municipality=ronneburg)
    assert line.charge == Decimal("100.00")
    assert line.balance == Decimal("100.00") - Decimal("25000.00")
    assert "Erstattung" in line.explanation


def test_a_settlement_and_its_lines_are_never_edited(setup, users):
    centre, (ronneburg, neuberg, hasselroth), controller = setup
    _book(centre, ronneburg, "10", "w-1", users["vergabe.mkk"])
    actual_cost_book(centre=centre, year=YEAR, amount=Decimal("1000"), description="Personal", by=controller)
    settlement = year_settle(centre=centre, year=YEAR, by=controller, today=AFTER_YEAR_END)
    line = settlement.lines.get(municipality=ronneburg)

    settlement.actual_total = Decimal("1")
    with pytest.raises(ValidationError, match="Nachkalkulation wird nicht geändert"):
        settlement.save()
    line.balance = Decimal("0")
    with pytest.raises(ValidationError, match="Abrechnungszeilen werden nicht geändert"):
        line.save()
    settlement.refresh_from_db()
    line.refresh_from_db()
    assert settlement.actual_total == Decimal("1000.00")
    assert line.balance != Decimal("0")


def test_funding_credit_reduces_the_members_balance(setup, users):
    centre, (ronneburg, neuberg, hasselroth), controller = setup
    for municipality, source in ((ronneburg, "a"), (neuberg, "b"), (hasselroth, "c")):
        _book(centre, municipality, "10", source, users["vergabe.mkk"])
    actual_cost_book(centre=centre, year=YEAR, amount=Decimal("30000"), description="Personal", by=controller)
    for _ in range(2):  # idempotent on the source
        funding_credit_record(
            centre=centre,
            year=YEAR,
            municipality=ronneburg,
            amount=Decimal("4000"),
            source_type="funding.attribution",
            source_id="7",
            by=users["foerderung.mkk"],
        )
    settlement = year_settle(centre=centre, year=YEAR, by=controller, today=AFTER_YEAR_END)
    line = settlement.lines.get(municipality=ronneburg)
    assert line.funding == Decimal("4000.00")
    assert line.balance == Decimal("10000.00") - Decimal("25000.00") - Decimal("4000.00")


def test_a_settled_year_is_locked_and_corrections_are_new_audited_entries(setup, users):
    centre, (ronneburg, neuberg, hasselroth), controller = setup
    entry = _book(centre, ronneburg, "5", "l-1", users["vergabe.mkk"])
    _book(centre, neuberg, "5", "l-2", users["vergabe.mkk"])
    actual_cost_book(centre=centre, year=YEAR, amount=Decimal("1000"), description="Personal", by=controller)
    year_settle(centre=centre, year=YEAR, by=controller, today=AFTER_YEAR_END)

    entry.hours = Decimal("6")
    with pytest.raises(ValidationError, match="abgerechnet und gesperrt"):
        entry.save()
    with pytest.raises(ValidationError, match="gesperrt"):
        _book(centre, hasselroth, "3", "l-3", users["vergabe.mkk"])
    with pytest.raises(ValidationError, match="gesperrt"):
        plan_quantity_set(centre=centre, year=YEAR, municipality=ronneburg, key="hours:uvgo", quantity=1, by=None)
    with pytest.raises(ValidationError, match="gesperrt"):
        year_settle(centre=centre, year=YEAR, by=controller, today=AFTER_YEAR_END)
    entry.refresh_from_db()
    assert entry.hours == Decimal("5.00")

    correction = time_entry_correct(entry=entry, hours=Decimal("1"), reason="Nachtrag", by=controller)
    assert correction.is_correction and correction.correction_of == entry
    assert AuditEntry.objects.filter(action="costs.time_corrected", subject_id=str(correction.pk)).exists()
    assert Settlement.objects.filter(centre=centre, year=YEAR).count() == 1


def test_start_up_year_charges_only_costs_actually_incurred_at_most_the_plan(muni, users):
    controller = users["controlling.mkk"]
    ronneburg, neuberg = muni("Ronneburg"), muni("Neuberg")
    centre = cost_centre_ensure(
        dkz=Institution.objects.get(slug="dkz-mkk"),
        code="test-anlauf",
        name="Anlauf",
        members=[ronneburg, neuberg],
        allocation_key="hours",
        valid_from=datetime.date(2025, 1, 1),
        startup_years=[2025],
        by=controller,
    )
    year_plan_set(centre=centre, year=2025, budget=Decimal("10000"), by=controller)
    for m in (ronneburg, neuberg):
        plan_quantity_set(centre=centre, year=2025, municipality=m, key="hours", quantity=10, by=controller)
    for m, hours, source in ((ronneburg, "2", "s-1"), (neuberg, "8", "s-2")):
        time_entry_book(
            centre=centre,
            municipality=m,
            hours=Decimal(hours),
            activity="Verfahren",
            booked_by=controller,
            source_type="procedure",
            source_id=source,
            on=datetime.date(2025, 5, 1),
        )
    actual_cost_book(centre=centre, year=2025, amount=Decimal("12000"), description="Personal", by=controller)
    settlement = year_settle(centre=centre, year=2025, by=controller, today=datetime.date(2026, 1, 20))
    lines = {line.municipality: line for line in settlement.lines.all()}
    assert settlement.startup_year
    assert lines[ronneburg].charge == Decimal("2400.00")  # actual 2/10 × 12,000 < plan 5,000
    assert lines[neuberg].charge == Decimal("5000.00")  # actual 9,600 capped at the plan contribution
    assert "Anlaufjahr" in lines[neuberg].explanation


def test_settlement_waits_for_year_end_and_needs_the_controller(setup, users):
    centre, _members, controller = setup
    with pytest.raises(ValidationError, match="erst nach Ablauf"):
        year_settle(centre=centre, year=YEAR, by=controller, today=datetime.date(YEAR, 12, 31))
    with pytest.raises(PermissionDenied):
        year_settle(centre=centre, year=YEAR, by=users["bm.ronneburg"], today=AFTER_YEAR_END)
    with pytest.raises(PermissionDenied):
        year_settle(centre=centre, year=YEAR, by=users["controlling.gg"], today=AFTER_YEAR_END)
    assert not Settlement.objects.filter(centre=centre).exists()


def test_time_entries_are_idempotent_on_their_source_and_reject_bad_input(setup, users, muni):
    centre, (ronneburg, *_rest), _controller = setup
    first = _book(centre, ronneburg, "3", "x-1", users["vergabe.mkk"])
    again = _book(centre, ronneburg, "3", "x-1", users["vergabe.mkk"])
    assert first.pk == again.pk
    assert TimeEntry.objects.filter(source_id="x-1").count() == 1
    with pytest.raises(ValidationError, match="größer als null"):
        _book(centre, ronneburg, "0", "x-2", users["vergabe.mkk"])
    with pytest.raises(ValidationError, match="nicht beteiligt"):
        _book(centre, muni("Maintal"), "2", "x-3", users["vergabe.mkk"])
    assert not TimeEntry.objects.filter(source_id__in=["x-2", "x-3"]).exists()


def test_cost_centre_ensure_is_idempotent_and_versions_changed_terms(muni):
    dkz = Institution.objects.get(slug="dkz-mkk")
    kwargs = dict(
        dkz=dkz,
        code="test-idem",
        name="Idempotent",
        members=[muni("Ronneburg")],
        allocation_key="units",
        valid_from=datetime.date(2026, 1, 1),
        by=None,
    )
    centre = cost_centre_ensure(**kwargs)
    assert cost_centre_ensure(**kwargs) == centre
    assert centre.agreements.count() == 1 and centre.memberships.count() == 1
    cost_centre_ensure(**{**kwargs, "members": [muni("Ronneburg"), muni("Neuberg")], "allocation_key": "population"})
    assert centre.memberships.count() == 2
    assert list(centre.agreements.values_list("version", "allocation_key")) == [(2, "population"), (1, "units")]
    with pytest.raises(ValidationError, match="Landkreis der DKZ"):
        cost_centre_ensure(**{**kwargs, "code": "test-foreign", "members": [muni("Trebur")]})
    assert not CostCentre.objects.filter(code="test-foreign").exists()


def test_non_participant_statement_has_no_line_for_the_centre(muni):
    """Maintal takes part in the Vergabezentrum only; Ronneburg in all three seeded centres."""
    maintal = statement_compute(municipality=muni("Maintal"), year=2024)
    assert [line.centre.code for line in maintal.lines] == ["vergabezentrum"]
    ronneburg = statement_compute(municipality=muni("Ronneburg"), year=2024)
    assert {line.centre.code for line in ronneburg.lines} == {"vergabezentrum", "datenschutz", "ozg"}
    assert statement_compute(municipality=muni("Linsengericht"), year=2024).lines == []


def test_plan_quantity_rejects_negative_values(setup):
    centre, (ronneburg, *_rest), controller = setup
    with pytest.raises(ValidationError, match="nicht negativ"):
        plan_quantity_set(
            centre=centre, year=YEAR, municipality=ronneburg, key="hours:uvgo", quantity=-1, by=controller
        )
    assert Quantity.objects.get(centre=centre, municipality=ronneburg).quantity == 100


def test_admin_form_of_a_locked_row_reports_the_lock_in_german(setup, users):
    centre, (ronneburg, *_rest), controller = setup
    entry = _book(centre, ronneburg, "5", "adm-1", users["vergabe.mkk"])
    actual_cost_book(centre=centre, year=YEAR, amount=Decimal("100"), description="Personal", by=controller)
    year_settle(centre=centre, year=YEAR, by=controller, today=AFTER_YEAR_END)
    entry.hours = Decimal("9")
    with pytest.raises(ValidationError, match="gesperrt"):
        entry.full_clean()
    with pytest.raises(ValidationError, match="gesperrt"):
        entry.delete()
