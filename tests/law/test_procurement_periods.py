"""Periods in the procurement services: the chosen offer deadline and the § 134 GWB standstill."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from rest_framework.test import APIClient

from procurement.models import LegalPeriod, Procedure
from procurement.services import procedure as svc
from procurement.services.record import procedure_record_create, procedure_record_delete
from procurement.services.rules import offer_period_minimum, participation_deadline_check
from tests.procurement.conftest import at
from tests.procurement.steps import offers_to_proposal, prepare_and_publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def maintal():
    from projects.models import Municipality

    return Municipality.objects.get(slug="maintal")


def eu_services(users, maintal, *, now):
    return svc.procedure_request(
        municipality=maintal,
        by=users["sb.maintal"],
        subject="Gebäudereinigung",
        kind="services",
        estimated_value=Decimal("260000"),
        now=now,
    )


def test_an_eu_offer_deadline_on_fronleichnam_is_refused_and_the_next_working_day_accepted(users, maintal):
    procedure = eu_services(users, maintal, now=at("2026-04-30"))
    assert procedure.eu
    with pytest.raises(ValidationError) as refused:
        prepare_and_publish(procedure, users, clerk=users["sb.maintal"], start="2026-04-30", days=35)  # 04.06.
    message = str(refused.value)
    assert "Fronleichnam" in message and "5. Juni 2026" in message
    procedure = svc.procedure_publish(
        procedure=procedure, by=users["vergabe.mkk"], offer_deadline=at("2026-06-05", 12), now=at("2026-04-30")
    )
    assert procedure.offer_deadline == at("2026-06-05", 12)


def test_a_national_offer_deadline_on_a_sunday_is_refused(users, maintal):
    procedure = svc.procedure_request(
        municipality=maintal,
        by=users["sb.maintal"],
        subject="Streusalz",
        kind="supplies",
        estimated_value=Decimal("80000"),
        now=at("2026-03-02"),
    )
    assert not procedure.eu
    with pytest.raises(ValidationError, match="Sonntag"):
        prepare_and_publish(procedure, users, clerk=users["sb.maintal"], start="2026-03-02", days=13)  # 15.03.


def _informed_on_15_december(users, maintal):
    procedure = eu_services(users, maintal, now=at("2026-11-02"))
    procedure, deadline = prepare_and_publish(procedure, users, clerk=users["sb.maintal"], start="2026-11-02", days=31)
    procedure, _offers = offers_to_proposal(
        procedure, users, evaluators={"maintal": users["sb.maintal"]}, deadline=deadline
    )
    lot = procedure.lots.get()
    svc.lot_award_decide(lot=lot, by=users["bm.maintal"], now=at("2026-12-15"))
    return svc.lot_bidders_inform(lot=lot, by=users["vergabe.mkk"], electronic=True, now=at("2026-12-15"))


def test_a_standstill_ending_on_christmas_day_runs_to_the_next_working_day(users, maintal):
    lot = _informed_on_15_december(users, maintal)
    # 15.12. + 10 days = Fri 25.12. (holiday), 26.12. (holiday), 27.12. (Sunday) → Mon 28.12.2026
    assert lot.standstill_ends_on == date(2026, 12, 28)
    for day in ("2026-12-26", "2026-12-28"):
        with pytest.raises(ValidationError, match="Wartefrist"):
            svc.lot_award(lot=lot, by=users["vergabe.mkk"], now=at(day))
    lot = svc.lot_award(lot=lot, by=users["vergabe.mkk"], now=at("2026-12-29"))
    assert lot.awarded_at == at("2026-12-29")


def test_the_standstill_move_is_a_dated_setting_that_can_be_switched_off(users, maintal):
    current = LegalPeriod.objects.valid_on(date(2026, 12, 15)).get(purpose="standstill", electronic=True)
    LegalPeriod.objects.create(
        purpose="standstill",
        procedure_type="",
        electronic=True,
        days=current.days,
        moves_to_working_day=False,
        valid_from=date(2026, 12, 1),
        legal_basis="Test: Fristende ohne Verschiebung",
    )
    lot = _informed_on_15_december(users, maintal)
    assert lot.standstill_ends_on == date(2026, 12, 25)
    lot = svc.lot_award(lot=lot, by=users["vergabe.mkk"], now=at("2026-12-26"))
    assert lot.awarded_at is not None


def test_after_an_eu_award_the_award_notice_is_a_deadline_and_the_record_is_kept_three_years(users, maintal):
    lot = _informed_on_15_december(users, maintal)
    svc.lot_award(lot=lot, by=users["vergabe.mkk"], now=at("2026-12-29"))
    procedure = lot.procedure
    client = APIClient()
    client.force_authenticate(users["vergabe.mkk"])
    # 29.12.2026 + 30 days = Thu 28.01.2027 (§ 39 VgV)
    assert client.get(f"/api/v1/procedures/{procedure.pk}/").json()["award_notice_due_on"] == "2027-01-28"
    page = Client()
    page.force_login(users["vergabe.mkk"])
    assert "EU-Vergabebekanntmachung fällig bis" in page.get(f"/procurement/{procedure.pk}/").content.decode()

    procedure = procedure_record_create(procedure=procedure, by=users["vergabe.mkk"], now=at("2026-12-30"))
    for day in ("2027-06-01", "2029-12-29"):  # 29.12.2029 is the last day of the three years (§ 188 Abs. 2 BGB)
        with pytest.raises(ValidationError, match="aufzubewahren"):
            procedure_record_delete(procedure=procedure, by=users["vergabe.mkk"], now=at(day))
    assert Procedure.objects.get(pk=procedure.pk).record_pdf
    procedure_record_delete(procedure=procedure, by=users["vergabe.mkk"], now=at("2029-12-30"))
    assert not Procedure.objects.get(pk=procedure.pk).record_pdf


def test_an_urgent_eu_offer_period_needs_a_recorded_justification(users, maintal):
    procedure = eu_services(users, maintal, now=at("2026-03-02"))
    with pytest.raises(ValidationError, match="mindestens 30 Kalendertage"):
        prepare_and_publish(procedure, users, clerk=users["sb.maintal"], start="2026-03-02", days=16)  # Wed 18.03.
    procedure = svc.procedure_publish(
        procedure=procedure,
        by=users["vergabe.mkk"],
        offer_deadline=at("2026-03-18", 12),
        urgency_reason="Ausfall des bisherigen Dienstleisters, Reinigung der Schulen sonst nicht gesichert",
        now=at("2026-03-02"),
    )
    assert procedure.urgency_reason.startswith("Ausfall")


@pytest.mark.parametrize(
    ("procedure_type", "reason", "deadline", "accepted"),
    [
        ("eu_restricted", "", "2026-04-01", True),  # 30 days
        ("eu_restricted", "", "2026-03-31", False),
        ("eu_negotiated_competition", "", "2026-03-31", False),
        ("eu_negotiated_competition", "Dringlichkeit: Fördermittel verfallen am 30.06.", "2026-03-17", True),  # 15
        ("eu_restricted", "Dringlichkeit", "2026-03-16", False),
    ],
)
def test_the_eu_participation_period_is_30_days_or_15_when_urgent(procedure_type, reason, deadline, accepted):
    def check():
        participation_deadline_check(
            procedure_type=procedure_type,
            now=at("2026-03-02"),
            participation_deadline=at(deadline, 12),
            urgency_reason=reason,
        )

    if accepted:
        check()
    else:
        with pytest.raises(ValidationError, match="Teilnahmefrist"):
            check()


@pytest.mark.parametrize(
    ("procedure_type", "days"), [("eu_open", 15), ("eu_restricted", 10), ("eu_negotiated_competition", 10)]
)
def test_urgent_eu_offer_periods_are_dated_data(procedure_type, days):
    assert (
        offer_period_minimum(procedure_type=procedure_type, electronic=True, on=date(2026, 3, 2), urgent=True).days
        == days
    )
