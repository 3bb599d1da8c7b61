"""Role separation: the municipality and the centre cannot take each other's steps; members see only their own."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from procurement.models import Procedure
from procurement.selectors import procedure_for_user, procedure_list_for_user
from procurement.services import procedure as svc
from tests.procurement.conftest import at
from tests.procurement.steps import offers_to_proposal, prepare_and_publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def requested(users, town):
    return svc.procedure_request(
        municipality=town["ronneburg"],
        by=users["sb.ronneburg"],
        subject="Papier",
        kind="supplies",
        estimated_value=Decimal("30000"),
        now=at("2026-03-02"),
    )


def test_centre_cannot_write_or_approve_a_specification(users, requested):
    centre = users["vergabe.mkk"]
    svc.procedure_type_choose(procedure=requested, by=users["sb.ronneburg"], procedure_type=requested.proposed_type)
    with pytest.raises(PermissionDenied, match="Kommune"):
        svc.procedure_specification_write(procedure=requested, by=centre, text="Entwurf des Zentrums")
    with pytest.raises(PermissionDenied):
        svc.procedure_specification_approve(procedure=requested, by=centre)
    assert Procedure.objects.get(pk=requested.pk).specification == ""


def test_centre_cannot_choose_the_procedure_type(users, requested):
    with pytest.raises(PermissionDenied, match="Kommune"):
        svc.procedure_type_choose(procedure=requested, by=users["vergabe.mkk"], procedure_type=requested.proposed_type)


def test_centre_and_clerk_cannot_decide_the_award_only_the_mayor(users, requested):
    procedure, deadline = prepare_and_publish(requested, users, clerk=users["sb.ronneburg"])
    procedure, _ = offers_to_proposal(
        procedure, users, evaluators={"ronneburg": users["sb.ronneburg"]}, deadline=deadline
    )
    lot = procedure.lots.get()
    for username in ("vergabe.mkk", "sb.ronneburg", "bm.neuberg"):
        with pytest.raises(PermissionDenied, match="Bürgermeister"):
            svc.lot_award_decide(lot=lot, by=users[username])
    assert procedure.lots.get().decided_at is None
    svc.lot_award_decide(lot=lot, by=users["bm.ronneburg"])


def test_centre_cannot_evaluate_offers_technically(users, requested):
    procedure, deadline = prepare_and_publish(requested, users, clerk=users["sb.ronneburg"])
    with pytest.raises(PermissionDenied, match="fachliche Bewertung"):
        offers_to_proposal(procedure, users, evaluators={"ronneburg": users["vergabe.mkk"]}, deadline=deadline)


def test_municipality_cannot_prepare_publish_or_open(users, requested):
    clerk, mayor = users["sb.ronneburg"], users["bm.ronneburg"]
    procedure = svc.procedure_type_choose(procedure=requested, by=clerk, procedure_type=requested.proposed_type)
    svc.procedure_specification_write(procedure=procedure, by=clerk, text="Leistungsbeschreibung")
    svc.procedure_specification_approve(procedure=procedure, by=mayor)
    for user in (clerk, mayor):
        with pytest.raises(PermissionDenied, match="Vergabezentrum"):
            svc.procedure_documents_prepare(
                procedure=procedure,
                by=user,
                tender_documents="x",
                criteria=[{"name": "Preis", "weight": 100, "is_price": True}],
            )
    svc.procedure_documents_prepare(
        procedure=procedure,
        by=users["vergabe.mkk"],
        tender_documents="x",
        criteria=[{"name": "Preis", "weight": 100, "is_price": True}],
        now=at("2026-03-02"),
    )
    deadline = at("2026-03-30")
    with pytest.raises(PermissionDenied, match="Vergabezentrum"):
        svc.procedure_publish(procedure=procedure, by=clerk, offer_deadline=deadline, now=at("2026-03-02"))
    svc.procedure_publish(procedure=procedure, by=users["vergabe.mkk"], offer_deadline=deadline, now=at("2026-03-02"))
    for user in (clerk, mayor):
        with pytest.raises(PermissionDenied, match="öffnen nur"):
            svc.procedure_opening_start(procedure=procedure, by=user, now=deadline + timedelta(hours=1))
    assert Procedure.objects.get(pk=procedure.pk).status == Procedure.Status.PUBLISHED


def test_other_member_and_other_county_get_404_supervisor_sees_nothing(users, requested):
    assert procedure_for_user(user=users["sb.ronneburg"], pk=requested.pk) == requested
    assert procedure_for_user(user=users["vergabe.mkk"], pk=requested.pk) == requested
    for username in ("sb.neuberg", "bm.neuberg", "vergabe.gg", "bm.trebur"):
        with pytest.raises(Http404):
            procedure_for_user(user=users[username], pk=requested.pk)
    assert not procedure_list_for_user(user=users["aufsicht.rpda"]).exists()
    with pytest.raises(Http404):
        procedure_for_user(user=users["aufsicht.rpda"], pk=requested.pk)


def test_other_county_centre_cannot_run_a_step(users, requested):
    svc.procedure_type_choose(procedure=requested, by=users["sb.ronneburg"], procedure_type=requested.proposed_type)
    with pytest.raises(PermissionDenied):
        svc.procedure_specification_write(procedure=requested, by=users["sb.neuberg"], text="fremd")
