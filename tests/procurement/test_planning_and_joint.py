"""Planning talks (agreed by mayor and centre, versioned), bundling, and a joint procedure with lots."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from procurement.models import PlanningTalk, Procedure, StepTime
from procurement.selectors import bundle_candidates, planned_hours_by_municipality, procedure_for_user
from procurement.services import procedure as svc
from procurement.services.planning import (
    joint_procedure_confirm,
    joint_procedure_propose,
    planning_item_add,
    planning_talk_agree,
    planning_talk_open,
    planning_talk_revise,
)
from procurement.services.rules import procedure_hours_default, step_hours_default
from tests.procurement.conftest import at
from tests.procurement.steps import offers_to_proposal, prepare_and_publish

pytestmark = pytest.mark.django_db
YEAR = 2026
MEMBERS = ("ronneburg", "neuberg", "hammersbach")


def agreed_talk(users, municipality, *items):
    clerk = users[f"sb.{municipality.slug}"]
    talk = planning_talk_open(municipality=municipality, year=YEAR, by=clerk)
    added = [
        planning_item_add(
            talk=talk,
            by=clerk,
            subject=subject,
            kind="supplies",
            category=category,
            estimated_value=Decimal(value),
            quarter=quarter,
        )
        for subject, category, value, quarter in items
    ]
    planning_talk_agree(talk=talk, by=users[f"bm.{municipality.slug}"])
    talk = planning_talk_agree(talk=talk, by=users["vergabe.mkk"])
    return talk, added


def test_planning_talk_needs_mayor_and_centre_and_changes_make_a_new_version(users, town):
    clerk = users["sb.ronneburg"]
    talk = planning_talk_open(municipality=town["ronneburg"], year=YEAR, by=clerk)
    item = planning_item_add(
        talk=talk,
        by=clerk,
        subject="Büromaterial",
        kind="supplies",
        category="Papier",
        estimated_value=Decimal("12000"),
        quarter=1,
    )
    assert item.procedure_type == "uvgo_negotiated" and not item.eu
    assert item.estimated_hours == procedure_hours_default(procedure_type="uvgo_negotiated", on=date(YEAR, 1, 1))
    with pytest.raises(PermissionDenied):
        planning_talk_agree(talk=talk, by=clerk)
    talk = planning_talk_agree(talk=talk, by=users["bm.ronneburg"])
    assert talk.status == PlanningTalk.Status.DRAFT
    talk = planning_talk_agree(talk=talk, by=users["vergabe.mkk"])
    assert talk.status == PlanningTalk.Status.AGREED
    with pytest.raises(ValidationError):
        planning_item_add(
            talk=talk, by=clerk, subject="x", kind="supplies", category="y", estimated_value=Decimal("1"), quarter=2
        )

    new = planning_talk_revise(talk=talk, by=clerk, reason="Zusätzlicher Bedarf Druckerpapier")
    assert (new.version, new.items.count(), new.status) == (2, 1, PlanningTalk.Status.DRAFT)
    planning_item_add(
        talk=new,
        by=clerk,
        subject="Druckerpapier",
        kind="supplies",
        category="Papier",
        estimated_value=Decimal("5000"),
        quarter=2,
    )
    planning_talk_agree(talk=new, by=users["bm.ronneburg"])
    planning_talk_agree(talk=new, by=users["vergabe.mkk"])
    assert PlanningTalk.objects.get(pk=talk.pk).status == PlanningTalk.Status.SUPERSEDED
    assert PlanningTalk.objects.get(pk=talk.pk).items.count() == 1


def test_planned_hours_per_municipality_split_national_and_eu(users, town):
    talk, items = agreed_talk(
        users, town["maintal"], ("Reinigung", "Reinigung", "260000", 1), ("Papier", "Papier", "12000", 2)
    )
    hours = planned_hours_by_municipality(county_id=town["maintal"].county_id, year=YEAR)[town["maintal"].pk]
    eu_item = next(i for i in items if i.eu)
    national_item = next(i for i in items if not i.eu)
    assert hours == {"eu": eu_item.estimated_hours, "national": national_item.estimated_hours}
    assert eu_item.estimated_hours > national_item.estimated_hours > 0


def test_supervisor_and_other_members_cannot_run_a_planning_talk(users, town):
    for username in ("aufsicht.rpda", "sb.neuberg", "vergabe.gg"):
        with pytest.raises(PermissionDenied):
            planning_talk_open(municipality=town["ronneburg"], year=YEAR, by=users[username])


def test_joint_procedure_of_three_members_each_mayor_awards_its_own_lot(users, town):
    items = []
    for slug in MEMBERS:
        _talk, added = agreed_talk(users, town[slug], ("Streusalz", "Streusalz", "80000", 3))
        items += added
    assert not any(item.eu for item in items)  # each need alone stays below the EU threshold

    candidates = bundle_candidates(user=users["vergabe.mkk"], year=YEAR)
    salt = next(c for c in candidates if c["category"] == "Streusalz")
    assert {i.talk.municipality.slug for i in salt["items"]} == set(MEMBERS)
    assert bundle_candidates(user=users["sb.ronneburg"], year=YEAR) == []

    with pytest.raises(PermissionDenied):
        joint_procedure_propose(items=salt["items"], by=users["sb.ronneburg"], subject="Streusalz")
    procedure = joint_procedure_propose(
        items=salt["items"], by=users["vergabe.mkk"], subject="Streusalz 2026", now=at("2026-03-02")
    )
    assert procedure.eu  # the combined value of 240,000 EUR reaches the EU threshold
    assert procedure.estimated_value == sum(i.estimated_value for i in items)
    assert procedure.lots.count() == 3
    for slug in MEMBERS:
        assert procedure_for_user(user=users[f"sb.{slug}"], pk=procedure.pk) == procedure

    for lot in procedure.lots.all():
        joint_procedure_confirm(lot=lot, by=users[f"sb.{lot.municipality.slug}"], now=at("2026-03-02"))
    procedure = Procedure.objects.get(pk=procedure.pk)
    assert procedure.status == Procedure.Status.NEED

    lead_clerk = users[f"sb.{procedure.municipality.slug}"]
    procedure, deadline = prepare_and_publish(procedure, users, clerk=lead_clerk, days=30)
    evaluators = {slug: users[f"sb.{slug}"] for slug in MEMBERS}
    procedure, _offers = offers_to_proposal(procedure, users, evaluators=evaluators, deadline=deadline)

    day = deadline + timedelta(days=1)
    lots = list(procedure.lots.select_related("municipality"))
    with pytest.raises(PermissionDenied):
        svc.lot_award_decide(lot=lots[1], by=users[f"bm.{lots[0].municipality.slug}"], now=day)
    for lot in lots:
        svc.lot_award_decide(lot=lot, by=users[f"bm.{lot.municipality.slug}"], now=day)
        svc.lot_bidders_inform(lot=lot, by=users["vergabe.mkk"], now=day)
    # informed Thu 02.04.2026: the 10 days end on Sunday 12.04., so the standstill runs to Monday 13.04.
    for lot in lots:
        svc.lot_award(lot=lot, by=users["vergabe.mkk"], now=day + timedelta(days=12))
    procedure = Procedure.objects.get(pk=procedure.pk)
    assert procedure.status == Procedure.Status.AWARDED
    assert {lot.decided_by.username for lot in procedure.lots.all()} == {f"bm.{slug}" for slug in MEMBERS}

    # the centre's hours of joint steps are split over the three members and add up
    documents = StepTime.objects.filter(procedure=procedure, step="tender_documents")
    assert documents.count() == 3
    parts = sorted(documents.values_list("hours", flat=True))
    expected = step_hours_default(procedure_type="eu_open", step="tender_documents", on=date(2026, 3, 2))
    assert sum(parts) == expected > 0
    assert parts[-1] - parts[0] <= Decimal("0.01")  # equal lots, equal shares up to the rounding unit
