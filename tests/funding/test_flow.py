"""The funding flow: each step is a task of the county's funding officer calling one service; the proof of use
carries boundary timers (reminder before, escalation after) fired by the timer dispatcher."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from viewflow.workflow import STATUS
from viewflow.workflow.models import Task
from viewflow.workflow.timers import fire_due_timers

from funding.models import Application, DeadlineNotice
from funding.services import applications as svc
from tests.funding.conftest import add_documents
from workflows import engine
from workflows.funding import FundingFlow, funding_flow_start

pytestmark = pytest.mark.django_db


def open_task(process, node):
    return Task.objects.get(process=process, flow_task=node, status__in=[STATUS.NEW, STATUS.ASSIGNED])


def complete(process, node, user, **data):
    return engine.task_complete(task=open_task(process, node), user=user, data=data)


def test_funding_flow_from_preparation_to_closure_with_proof_of_use_timers(ikz, transferred_case, users, ozg_partners):
    officer = users["foerderung.mkk"]
    application = svc.application_create(
        by=officer, programme=ikz, title="OZG über den Ablauf", case=transferred_case, duration_years=5
    )
    add_documents(application, officer, dt.date(2025, 10, 1))
    process = funding_flow_start(application=application)

    with pytest.raises(PermissionDenied):
        complete(process, FundingFlow.prepare, users["foerderung.gg"], checked_on="2025-10-01")
    complete(process, FundingFlow.prepare, officer, checked_on="2025-10-01")
    complete(process, FundingFlow.review, officer, decision="return", note="Einsparberechnung prüfen")
    assert Application.objects.get(pk=application.pk).state == Application.State.IDEA
    complete(process, FundingFlow.prepare, officer, checked_on="2025-10-02")
    complete(process, FundingFlow.review, officer, decision="approve")
    complete(process, FundingFlow.submit, officer, submitted_on="2025-10-15")
    key = "\n".join(f"{m.ags}={services}" for m, services in ozg_partners.items())
    complete(
        process,
        FundingFlow.decision,
        officer,
        outcome="grant",
        decided_on="2026-01-15",
        amount="75000",
        first_year="2026",
        key=key,
    )
    application.refresh_from_db()
    assert application.state == Application.State.GRANTED
    assert sum(a.amount for a in application.decision.attributions.all()) == application.decision.amount

    today = timezone.localdate()
    fulfilled = svc.add_months(today, -6) + dt.timedelta(days=10)
    complete(process, FundingFlow.purpose, officer, fulfilled_on=fulfilled.isoformat())
    application.refresh_from_db()
    due = application.proof.due_on
    lead = dt.timedelta(days=ikz.reminder_lead_days)
    timers = {t.scheduled.date() for t in Task.objects.filter(process=process, status=STATUS.SCHEDULED)}
    assert timers == {due - lead, due + dt.timedelta(days=1)}

    fire_due_timers()  # the reminder time has passed, the escalation time has not
    notices = DeadlineNotice.objects.filter(deadline__application=application)
    assert [n.kind for n in notices] == [DeadlineNotice.Kind.REMINDER]

    complete(process, FundingFlow.proof, officer, submitted_on=today.isoformat(), amount_used="75000")
    complete(process, FundingFlow.closing, officer, accepted_on=today.isoformat())
    application.refresh_from_db()
    assert application.state == Application.State.CLOSED
    process.refresh_from_db()
    assert process.status == STATUS.DONE
    assert not Task.objects.filter(process=process, status=STATUS.SCHEDULED).exists()


def test_rejection_ends_the_flow(ikz, transferred_case, users):
    officer = users["foerderung.mkk"]
    application = svc.application_create(
        by=officer, programme=ikz, title="abgelehnt im Ablauf", case=transferred_case, duration_years=5
    )
    add_documents(application, officer, dt.date(2025, 10, 1))
    process = funding_flow_start(application=application)
    complete(process, FundingFlow.prepare, officer, checked_on="2025-10-01")
    complete(process, FundingFlow.review, officer, decision="approve")
    complete(process, FundingFlow.submit, officer, submitted_on="2025-10-15")
    complete(
        process,
        FundingFlow.decision,
        officer,
        outcome="rejection",
        decided_on="2026-01-15",
        reason="Programmmittel ausgeschöpft",
    )
    process.refresh_from_db()
    assert process.status == STATUS.DONE
    assert Application.objects.get(pk=application.pk).state == Application.State.REJECTED
