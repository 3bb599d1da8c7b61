"""From domain events to webhook events. Connected in ``ApiConfig.ready``.

A receiver runs inside the transaction of the change and only notes the event (``outbox.record``), with the moment
it happened and what is known only then (old and new stage, the step, amounts); nothing is queried or sent here.
After the commit the events of the transaction go to one fan-out job (``api.webhooks.fanout``), which checks who
may see the subject (``case_for_user``, ``task_for_user``, ``procedure_for_user``, ... the same access functions
as the API) and creates the signed deliveries. A rolled-back change sends nothing.
"""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver
from viewflow.workflow.models import Task

from api.webhooks.events import Event, Subject
from api.webhooks.outbox import record
from costs.signals import plan_published, year_settled
from funding.signals import (
    application_state_changed,
    drawdown_payout_recorded,
    drawdown_recorded,
    drawdown_use_recorded,
    repayment_receipt_recorded,
)
from procurement.signals import procedure_step_done
from projects.models import Case
from projects.signals import case_created, case_stage_changed, decision_recorded
from workflows.signals import task_completed, task_created


@receiver(task_created, dispatch_uid="api.webhooks.task_created")
def on_task_created(sender, task: Task, **kwargs) -> None:
    record(Event.TASK_CREATED, subject_type=Subject.TASK, subject_id=task.pk)


@receiver(task_completed, dispatch_uid="api.webhooks.task_completed")
def on_task_completed(sender, task: Task, user=None, **kwargs) -> None:
    record(Event.TASK_COMPLETED, subject_type=Subject.TASK, subject_id=task.pk)


@receiver(case_created, dispatch_uid="api.webhooks.case_created")
def on_case_created(sender, case: Case, **kwargs) -> None:
    municipality = case.proposing_municipality
    record(
        Event.CASE_CREATED,
        subject_type=Subject.CASE,
        subject_id=case.pk,
        data={"source": case.source, "proposing_municipality": _municipality_ref(municipality)},
    )


@receiver(case_stage_changed, dispatch_uid="api.webhooks.case_stage_changed")
def on_case_stage_changed(sender, case: Case, old: str, new: str, **kwargs) -> None:
    record(Event.CASE_STAGE_CHANGED, subject_type=Subject.CASE, subject_id=case.pk, data={"old": old, "new": new})


def _municipality_ref(municipality) -> dict[str, Any] | None:
    if municipality is None:
        return None
    return {"id": municipality.pk, "ags": municipality.ags, "name": municipality.name}


def _decision_fields(kind: str, decision) -> dict[str, Any]:
    if kind == "approval":
        return {"decision": decision.decision, "reason": decision.reason, "version": decision.order.version}
    if kind == "council_resolution":
        return {"outcome": decision.outcome, "body": decision.body, "session_date": decision.session_date}
    if kind == "consent":
        return {"consent_kind": decision.kind, "agreed": decision.agreed, "note": decision.note}
    if kind == "supervisory_decision":
        return {"subject": decision.subject, "outcome": decision.outcome, "note": decision.note}
    return {}


@receiver(decision_recorded, dispatch_uid="api.webhooks.decision_recorded")
def on_decision_recorded(sender, case: Case, kind: str, decision, municipality=None, **kwargs) -> None:
    record(
        Event.DECISION_RECORDED,
        subject_type=Subject.CASE,
        subject_id=case.pk,
        data={
            "kind": kind,
            "id": decision.pk,
            "municipality": _municipality_ref(municipality),
            **_decision_fields(kind, decision),
        },
    )


# procurement: every step is "procedure.step_completed"; these steps have an event of their own as well
_PROCEDURE_EVENTS = {
    "procedure.requested": Event.PROCEDURE_REQUESTED,
    "procedure.joint_proposed": Event.PROCEDURE_REQUESTED,
    "procedure.published": Event.PROCEDURE_PUBLISHED,
    "procedure.opened": Event.PROCEDURE_OPENED,
    "procedure.awarded": Event.PROCEDURE_AWARDED,
    "procedure.direct_awarded": Event.PROCEDURE_AWARDED,
    "procedure.cancelled": Event.PROCEDURE_CANCELLED,
}
# bookkeeping that comes with a step, not a step of its own
_NOT_STEPS = {"procedure.hours_booked"}


@receiver(procedure_step_done, dispatch_uid="api.webhooks.procedure_step_done")
def on_procedure_step_done(sender, procedure, action: str, lot=None, occurred_at=None, **kwargs) -> None:
    if action in _NOT_STEPS:
        return
    data = {
        "step": action.split(".", 1)[-1],
        "lot": None
        if lot is None
        else {"id": lot.pk, "number": lot.number, "municipality": _municipality_ref(lot.municipality)},
    }
    for event in filter(None, (_PROCEDURE_EVENTS.get(action), Event.PROCEDURE_STEP_COMPLETED)):
        record(event, subject_type=Subject.PROCEDURE, subject_id=procedure.pk, data=data, occurred_at=occurred_at)


_FUNDING_EVENTS = {
    "submitted": Event.FUNDING_SUBMITTED,
    "granted": Event.FUNDING_GRANTED,
    "revoked": Event.FUNDING_REVOKED,
    "proof_submitted": Event.FUNDING_PROOF_SUBMITTED,
}


@receiver(application_state_changed, dispatch_uid="api.webhooks.application_state_changed")
def on_application_state_changed(sender, application, old: str, new: str, **kwargs) -> None:
    data = {"old": old, "new": new}
    for event in filter(None, (Event.FUNDING_STATE_CHANGED, _FUNDING_EVENTS.get(new))):
        record(event, subject_type=Subject.APPLICATION, subject_id=application.pk, data=data)


def _drawdown(drawdown) -> dict:
    return {
        "id": drawdown.pk,
        "amount": f"{drawdown.amount:.2f}",
        "requested_on": drawdown.requested_on,
        "needed_on": drawdown.needed_on,
        "paid_on": drawdown.paid_on,
    }


@receiver(drawdown_recorded, dispatch_uid="api.webhooks.drawdown_recorded")
def on_drawdown_recorded(sender, drawdown, **kwargs) -> None:
    record(
        Event.FUNDING_DRAWDOWN,
        subject_type=Subject.APPLICATION,
        subject_id=drawdown.application_id,
        data={"drawdown": _drawdown(drawdown)},
    )


@receiver(drawdown_payout_recorded, dispatch_uid="api.webhooks.drawdown_payout_recorded")
def on_drawdown_paid(sender, drawdown, **kwargs) -> None:
    record(
        Event.FUNDING_DRAWDOWN_PAID,
        subject_type=Subject.APPLICATION,
        subject_id=drawdown.application_id,
        data={"drawdown": _drawdown(drawdown)},
    )


@receiver(drawdown_use_recorded, dispatch_uid="api.webhooks.drawdown_use_recorded")
def on_drawdown_used(sender, drawdown, used_on, **kwargs) -> None:
    record(
        Event.FUNDING_DRAWDOWN_USED,
        subject_type=Subject.APPLICATION,
        subject_id=drawdown.application_id,
        data={"drawdown": _drawdown(drawdown), "used_on": used_on},
    )


@receiver(repayment_receipt_recorded, dispatch_uid="api.webhooks.repayment_receipt_recorded")
def on_repayment_paid(sender, repayment, **kwargs) -> None:
    record(
        Event.FUNDING_REPAYMENT_PAID,
        subject_type=Subject.APPLICATION,
        subject_id=repayment.application_id,
        data={
            "repayment": {
                "id": repayment.pk,
                "total": f"{repayment.total:.2f}",
                "due_on": repayment.due_on,
                "paid_on": repayment.paid_on,
            }
        },
    )


@receiver(plan_published, dispatch_uid="api.webhooks.plan_published")
def on_plan_published(sender, plan, **kwargs) -> None:
    record(
        Event.COSTS_PLAN_PUBLISHED,
        subject_type=Subject.COST_CENTRE,
        subject_id=plan.centre_id,
        data={"year": plan.year},
        occurred_at=plan.published_at,
    )


@receiver(year_settled, dispatch_uid="api.webhooks.year_settled")
def on_year_settled(sender, settlement, **kwargs) -> None:
    record(
        Event.COSTS_YEAR_SETTLED,
        subject_type=Subject.COST_CENTRE,
        subject_id=settlement.centre_id,
        data={
            "year": settlement.year,
            "settlement": {
                "id": settlement.pk,
                "version": settlement.version,
                "actual_total": f"{settlement.actual_total:.2f}",
                "charged_total": f"{settlement.charged_total:.2f}",
            },
        },
    )
