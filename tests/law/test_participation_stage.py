"""EU procedures with a participation competition (§§ 16, 17 VgV): the participation period of 30 days (15 if
urgent, with the reason recorded on the publish form), then the selected candidates are invited to offer."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from viewflow.workflow import STATUS
from viewflow.workflow.timers import fire_due_timers

from procurement.models import Procedure
from procurement.services import procedure as svc
from tests.procurement.conftest import at
from tests.procurement.test_flow import Clock, complete, open_task
from workflows.procurement import ProcurementFlow, procurement_flow_start

pytestmark = pytest.mark.django_db
F = ProcurementFlow


def restricted_to_publication(users, town, procedure_type="eu_restricted"):
    clerk, mayor, centre = users["sb.maintal"], users["bm.maintal"], users["vergabe.mkk"]
    procedure = svc.procedure_request(
        municipality=town["maintal"],
        by=clerk,
        subject="Gebäudereinigung",
        kind="services",
        estimated_value=Decimal("300000"),
    )
    process = procurement_flow_start(procedure=procedure)
    openers = [centre.pk, users["vergabe2.mkk"].pk]
    complete(
        process,
        F.choose_type,
        clerk,
        procedure_type=procedure_type,
        reason="Eignung vorab prüfen",
        openers_from="centre",
        openers=openers,
    )
    complete(process, F.write_specification, clerk, text="Unterhaltsreinigung 12.000 m²")
    complete(process, F.approve_specification, mayor, confirm=True)
    complete(process, F.prepare_documents, centre, tender_documents="Unterlagen", price_weight="100")
    return procedure, process


def test_restricted_procedure_runs_a_30_day_participation_period_before_the_invitation_to_offer(
    users, town, monkeypatch
):
    clock = Clock(monkeypatch, at("2026-02-02"))
    centre = users["vergabe.mkk"]
    procedure, process = restricted_to_publication(users, town)

    publish = open_task(process, F.publish)
    form = F.publish.form_for(publish)
    assert "participation_deadline" in form.fields and "offer_deadline" not in form.fields

    with pytest.raises(ValidationError) as refused:  # 29 days: shorter than § 16 Abs. 2 VgV
        complete(process, F.publish, centre, participation_deadline=(clock.now + timedelta(days=29)).isoformat())
    assert "mindestens 30 Kalendertage" in str(refused.value)
    deadline = at("2026-03-04", 12)  # 30 days after 2 February, a Wednesday
    complete(process, F.publish, centre, participation_deadline=deadline.isoformat(), electronic=True)
    procedure.refresh_from_db()
    assert procedure.status == Procedure.Status.PARTICIPATION
    assert procedure.participation_deadline == deadline and procedure.offer_deadline is None

    timer = process.task_set.get(flow_task=F.participation_period)
    assert timer.status == STATUS.SCHEDULED and timer.scheduled == deadline
    assert not process.task_set.filter(flow_task=F.invite_candidates).exists()
    assert fire_due_timers() == 0
    clock.now = deadline + timedelta(hours=1)
    assert fire_due_timers() == 1

    too_early = clock.now + timedelta(days=20)  # the offer period of the restricted procedure is 25 days
    with pytest.raises(ValidationError):
        complete(
            process,
            F.invite_candidates,
            centre,
            candidates="Sauber GmbH\nGlanz AG",
            offer_deadline=too_early.isoformat(),
        )
    offer_deadline = at("2026-03-31", 12)
    complete(
        process,
        F.invite_candidates,
        centre,
        candidates="Sauber GmbH\nGlanz AG\n",
        offer_deadline=offer_deadline.isoformat(),
    )
    procedure.refresh_from_db()
    assert procedure.status == Procedure.Status.PUBLISHED
    assert procedure.candidates == "Sauber GmbH\nGlanz AG" and procedure.offer_deadline == offer_deadline
    assert process.task_set.get(flow_task=F.offer_period).scheduled == offer_deadline


def test_urgent_participation_period_of_15_days_needs_the_reason_given_on_the_publish_form(users, town, monkeypatch):
    Clock(monkeypatch, at("2026-02-02"))
    centre = users["vergabe.mkk"]
    procedure, process = restricted_to_publication(users, town, procedure_type="eu_negotiated_competition")
    short = at("2026-02-17", 12)  # 15 days
    with pytest.raises(ValidationError):
        complete(process, F.publish, centre, participation_deadline=short.isoformat())
    reason = "Fördermittel verfallen am 30.06.2026"
    complete(process, F.publish, centre, participation_deadline=short.isoformat(), urgency_reason=reason)
    procedure.refresh_from_db()
    assert procedure.urgency_reason == reason and procedure.participation_deadline == short


def test_open_procedure_publishes_with_an_urgent_offer_deadline_and_its_reason(users, town, monkeypatch):
    Clock(monkeypatch, at("2026-02-02"))
    centre = users["vergabe.mkk"]
    procedure, process = restricted_to_publication(users, town, procedure_type="eu_open")
    form = F.publish.form_for(open_task(process, F.publish))
    assert "offer_deadline" in form.fields and "participation_deadline" not in form.fields
    urgent = at("2026-02-17", 12)  # 15 days, § 15 Abs. 3 VgV
    with pytest.raises(ValidationError):
        complete(process, F.publish, centre, offer_deadline=urgent.isoformat())
    complete(process, F.publish, centre, offer_deadline=urgent.isoformat(), urgency_reason="Ausfall des Dienstleisters")
    procedure.refresh_from_db()
    assert procedure.status == Procedure.Status.PUBLISHED and procedure.urgency_reason == "Ausfall des Dienstleisters"
    assert process.task_set.get(flow_task=F.offer_period).scheduled == urgent


def test_the_participation_stage_is_driven_through_the_api_publish_then_invite(users, town, monkeypatch):
    """The publish step of the API takes the participation deadline, and the invitation is a step of its own."""
    from rest_framework.test import APIClient

    clock = Clock(monkeypatch, at("2026-02-02"))
    procedure, process = restricted_to_publication(users, town)
    api = APIClient()
    api.force_authenticate(users["vergabe.mkk"])
    url = f"/api/v1/procedures/{procedure.pk}/steps/"

    deadline = at("2026-03-04", 12)
    answer = api.post(url + "publish/", {"participation_deadline": deadline.isoformat()}, format="json")
    assert answer.status_code == 200, answer.json()
    procedure.refresh_from_db()
    assert procedure.status == Procedure.Status.PARTICIPATION and procedure.participation_deadline == deadline

    early = api.post(
        url + "invite_candidates/",
        {"candidates": ["Sauber GmbH"], "offer_deadline": at("2026-03-31", 12).isoformat()},
        format="json",
    )
    assert early.status_code == 409  # the participation period is still running
    clock.now = deadline + timedelta(hours=1)
    assert fire_due_timers() == 1
    empty = api.post(
        url + "invite_candidates/",
        {"candidates": [], "offer_deadline": at("2026-03-31", 12).isoformat()},
        format="json",
    )
    assert empty.status_code == 400 and "candidates" in empty.json()["errors"]
    invited = api.post(
        url + "invite_candidates/",
        {"candidates": ["Sauber GmbH", " Glanz AG "], "offer_deadline": at("2026-03-31", 12).isoformat()},
        format="json",
    )
    assert invited.status_code == 200, invited.json()
    procedure.refresh_from_db()
    assert procedure.status == Procedure.Status.PUBLISHED
    assert procedure.candidates == "Sauber GmbH\nGlanz AG" and procedure.offer_deadline == at("2026-03-31", 12)
