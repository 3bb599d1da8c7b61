"""End-to-end procedures by the real demo roles: a national (UVgO) and an EU procedure."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from costs.models import TimeEntry
from procurement.models import Procedure, StepTime
from procurement.services import procedure as svc
from procurement.services.record import procedure_record_create
from tests.procurement.conftest import at
from tests.procurement.steps import offers_to_proposal, open_by_two, prepare_and_publish

pytestmark = pytest.mark.django_db


def test_uvgo_procedure_from_need_to_record(users, town):
    clerk, mayor, centre = users["sb.ronneburg"], users["bm.ronneburg"], users["vergabe.mkk"]
    procedure = svc.procedure_request(
        municipality=town["ronneburg"],
        by=clerk,
        subject="Streusalz",
        kind="supplies",
        estimated_value=Decimal("80000"),
        need="Winterdienst 2026/27",
        now=at("2026-03-02"),
    )
    assert not procedure.eu
    assert procedure.proposed_type == "uvgo_restricted"
    procedure, deadline = prepare_and_publish(procedure, users, clerk=clerk, days=14)
    question = svc.question_record(procedure=procedure, by=centre, question="Lieferung lose?", now=at("2026-03-05"))
    svc.question_answer(question=question, by=centre, answer="Ja, lose Schüttung.", now=at("2026-03-06"))
    assert svc.procedure_answers_public(procedure=procedure)[0]["answer"] == "Ja, lose Schüttung."

    procedure, offers = offers_to_proposal(procedure, users, evaluators={"ronneburg": clerk}, deadline=deadline)
    lot = procedure.lots.get()
    # Alpha: 60 × 90000/100000 + 40 × 100 % = 94.00 points; Beta 80.00; Gamma 88.84.
    assert lot.proposed_offer.bidder == "Alpha GmbH"
    assert lot.proposed_offer.total_points == Decimal("94.00")

    svc.lot_award_decide(lot=lot, by=mayor, now=deadline + timedelta(days=2))
    with pytest.raises(ValidationError, match="nur für EU-Verfahren"):
        svc.lot_bidders_inform(lot=lot, by=centre, now=deadline + timedelta(days=2))
    svc.lot_award(lot=lot, by=centre, now=deadline + timedelta(days=2))  # no standstill below the EU threshold
    procedure = procedure_record_create(procedure=procedure, by=centre, now=deadline + timedelta(days=3))

    assert procedure.status == Procedure.Status.DOCUMENTED
    assert procedure.record_pdf.read(4) == b"%PDF"
    booked = StepTime.objects.filter(procedure=procedure)
    assert set(booked.values_list("municipality__slug", flat=True)) == {"ronneburg"}
    assert {"tender_documents", "publication", "opening", "formal_check", "award_proposal", "award"} <= set(
        booked.values_list("step", flat=True)
    )
    # every hour of the centre reaches the Vergabezentrum cost centre, charged to Ronneburg
    entries = TimeEntry.objects.filter(source_type="procurement.steptime", source_id__in=[str(b.pk) for b in booked])
    assert entries.count() == booked.count()
    assert sum(e.hours for e in entries) == sum(b.hours for b in booked)
    assert {(e.centre.code, e.municipality.slug) for e in entries} == {("vergabezentrum", "ronneburg")}


def test_eu_procedure_with_standstill(users, town):
    clerk, mayor, centre = users["sb.maintal"], users["bm.maintal"], users["vergabe.mkk"]
    procedure = svc.procedure_request(
        municipality=town["maintal"],
        by=clerk,
        subject="Gebäudereinigung",
        kind="services",
        estimated_value=Decimal("260000"),
        now=at("2026-03-02"),
    )
    assert procedure.eu
    # 29 days is shorter than the 30-day minimum of the electronic open procedure (§ 15 VgV).
    with pytest.raises(ValidationError, match="mindestens 30 Kalendertage"):
        prepare_and_publish(procedure, users, clerk=clerk, days=29)
    deadline = at("2026-03-02", 12) + timedelta(days=30)
    procedure = svc.procedure_publish(procedure=procedure, by=centre, offer_deadline=deadline, now=at("2026-03-02"))
    assert procedure.procedure_type == "eu_open"

    procedure, offers = offers_to_proposal(procedure, users, evaluators={"maintal": clerk}, deadline=deadline)
    lot = procedure.lots.get()
    decided = deadline + timedelta(days=2)
    svc.lot_award_decide(lot=lot, by=mayor, now=decided)

    with pytest.raises(ValidationError, match="§ 134 GWB zu informieren"):
        svc.lot_award(lot=lot, by=centre, now=decided)
    lot = svc.lot_bidders_inform(lot=lot, by=centre, electronic=True, now=decided)
    assert lot.standstill_ends_on == decided.date() + timedelta(days=10)
    with pytest.raises(ValidationError, match="Wartefrist nach § 134 GWB läuft bis einschließlich"):
        svc.lot_award(lot=lot, by=centre, now=decided + timedelta(days=10))
    lot = svc.lot_award(lot=lot, by=centre, now=decided + timedelta(days=11))
    assert lot.decided_offer.bidder == "Alpha GmbH"
    procedure = procedure_record_create(procedure=procedure, by=centre, now=decided + timedelta(days=12))
    assert procedure.status == Procedure.Status.DOCUMENTED
    assert procedure.record_pdf.read(4) == b"%PDF"


def test_standstill_is_15_days_when_not_sent_electronically(users, town):
    clerk, centre = users["sb.maintal"], users["vergabe.mkk"]
    procedure = svc.procedure_request(
        municipality=town["maintal"],
        by=clerk,
        subject="Reinigung",
        kind="services",
        estimated_value=Decimal("300000"),
        now=at("2026-03-02"),
    )
    # deadline Wed 08.04.2026, information Thu 09.04.: the 15 days end on a working day (Fri 24.04.)
    procedure, deadline = prepare_and_publish(procedure, users, clerk=clerk, days=37)
    procedure, _offers = offers_to_proposal(procedure, users, evaluators={"maintal": clerk}, deadline=deadline)
    lot = procedure.lots.get()
    svc.lot_award_decide(lot=lot, by=users["bm.maintal"], now=deadline + timedelta(days=1))
    lot = svc.lot_bidders_inform(lot=lot, by=centre, electronic=False, now=deadline + timedelta(days=1))
    assert lot.standstill_ends_on == (deadline + timedelta(days=1)).date() + timedelta(days=15)
    with pytest.raises(ValidationError):
        svc.lot_award(lot=lot, by=centre, now=deadline + timedelta(days=15))


def test_opening_by_one_person_twice_is_refused(users, town):
    clerk, centre = users["sb.ronneburg"], users["vergabe.mkk"]
    procedure = svc.procedure_request(
        municipality=town["ronneburg"],
        by=clerk,
        subject="Papier",
        kind="supplies",
        estimated_value=Decimal("30000"),
        now=at("2026-03-02"),
    )
    procedure, deadline = prepare_and_publish(procedure, users, clerk=clerk)
    svc.procedure_opening_start(procedure=procedure, by=centre, now=deadline + timedelta(hours=1))
    with pytest.raises(PermissionDenied, match="zweite Person"):
        svc.procedure_opening_confirm(procedure=procedure, by=centre, now=deadline + timedelta(hours=1))
    procedure = Procedure.objects.get(pk=procedure.pk)
    assert procedure.opened_at is None and procedure.status == Procedure.Status.PUBLISHED


def test_opening_before_the_deadline_is_refused(users, town):
    clerk = users["sb.ronneburg"]
    procedure = svc.procedure_request(
        municipality=town["ronneburg"],
        by=clerk,
        subject="Papier",
        kind="supplies",
        estimated_value=Decimal("30000"),
        now=at("2026-03-02"),
    )
    procedure, deadline = prepare_and_publish(procedure, users, clerk=clerk)
    with pytest.raises(ValidationError, match="erst nach Ablauf der Angebotsfrist"):
        open_by_two(procedure, users, now=deadline - timedelta(minutes=1))


def test_a_stricter_type_than_proposed_needs_a_reason_and_a_looser_one_is_refused(users, town):
    clerk = users["sb.ronneburg"]
    procedure = svc.procedure_request(
        municipality=town["ronneburg"],
        by=clerk,
        subject="Papier",
        kind="supplies",
        estimated_value=Decimal("80000"),
        now=at("2026-03-02"),
    )
    with pytest.raises(ValidationError, match="nicht zulässig"):
        svc.procedure_type_choose(procedure=procedure, by=clerk, procedure_type="uvgo_negotiated", now=at("2026-03-02"))
    with pytest.raises(ValidationError, match="begründen"):
        svc.procedure_type_choose(procedure=procedure, by=clerk, procedure_type="uvgo_open", now=at("2026-03-02"))
    procedure = svc.procedure_type_choose(
        procedure=procedure,
        by=clerk,
        procedure_type="uvgo_open",
        reason="Breiter Markt erwünscht",
        now=at("2026-03-02"),
    )
    assert (procedure.procedure_type, procedure.type_reason) == ("uvgo_open", "Breiter Markt erwünscht")


def test_cancellation_with_reason_at_any_stage_stops_the_procedure(users, town):
    clerk, mayor = users["sb.ronneburg"], users["bm.ronneburg"]
    procedure = svc.procedure_request(
        municipality=town["ronneburg"],
        by=clerk,
        subject="Papier",
        kind="supplies",
        estimated_value=Decimal("30000"),
        now=at("2026-03-02"),
    )
    procedure, deadline = prepare_and_publish(procedure, users, clerk=clerk)
    with pytest.raises(ValidationError, match="Grund"):
        svc.procedure_cancel(procedure=procedure, by=mayor, reason=" ")
    procedure = svc.procedure_cancel(procedure=procedure, by=mayor, reason="Haushaltsmittel gesperrt")
    assert procedure.status == Procedure.Status.CANCELLED
    with pytest.raises(ValidationError, match="aufgehoben"):
        open_by_two(procedure, users, now=deadline + timedelta(hours=1))
    record = procedure_record_create(procedure=procedure, by=users["vergabe.mkk"], now=deadline)
    assert record.record_pdf.read(4) == b"%PDF"
