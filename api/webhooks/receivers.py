"""From domain events to deliveries. Connected in ``ApiConfig.ready``.

A receiver runs inside the transaction of the change and only registers work for after the commit: a rolled-back
change sends nothing. After the commit, every active subscription that wants the event and whose owner may see
the record (``case_for_user`` / ``task_for_user``, the same access functions as the API) gets one delivery row
with its signed body, handed to Celery.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.dispatch import receiver
from django.http import Http404
from django.utils import timezone
from viewflow.workflow.models import Task

from api.webhooks.delivery import enqueue
from api.webhooks.models import Event, WebhookDelivery, WebhookSubscription
from projects.models import Case
from projects.selectors import case_for_user
from projects.signals import case_stage_changed, decision_recorded
from workflows.selectors import task_for_user
from workflows.signals import task_completed, task_created


def _case_ref(case: Case) -> dict[str, Any]:
    return {
        "id": case.pk,
        "number": case.number,
        "title": case.title,
        "county": case.county.slug,
        "stage": case.stage,
    }


def _municipality_ref(municipality) -> dict[str, Any] | None:
    if municipality is None:
        return None
    return {"id": municipality.pk, "ags": municipality.ags, "name": municipality.name}


def _may_see_case(case_pk: int) -> Callable[[Any], bool]:
    def check(owner) -> bool:
        try:
            case_for_user(user=owner, pk=case_pk)
        except Http404:
            return False
        return True

    return check


def _may_see_task(task_pk: int) -> Callable[[Any], bool]:
    def check(owner) -> bool:
        try:
            task_for_user(user=owner, pk=task_pk)
        except Http404:
            return False
        return True

    return check


def fan_out(event: str, data: Callable[[], dict[str, Any] | None], may_see: Callable[[Any], bool]) -> int:
    """Create and enqueue one delivery per interested subscription whose owner may see the record."""
    subscriptions = [
        s
        for s in WebhookSubscription.objects.filter(active=True).select_related("owner").order_by("pk")
        if event in (s.events or [])
    ]
    if not subscriptions:
        return 0
    payload = data()
    if payload is None:
        return 0
    event_id = uuid.uuid4()
    occurred_at = timezone.now()
    created = []
    for subscription in subscriptions:
        if not subscription.owner.is_active or not may_see(subscription.owner):
            continue
        delivery = WebhookDelivery(subscription=subscription, event=event, event_id=event_id)
        delivery.body = json.dumps(
            {
                "delivery": str(delivery.pk),
                "event": event,
                "event_id": str(event_id),
                "occurred_at": occurred_at,
                "data": payload,
            },
            cls=DjangoJSONEncoder,
            ensure_ascii=False,
            sort_keys=True,
        )
        delivery.save()
        created.append(delivery.pk)
    for pk in created:
        enqueue(pk)
    return len(created)


def _after_commit(event: str, data: Callable[[], dict[str, Any] | None], may_see: Callable[[Any], bool]) -> None:
    transaction.on_commit(lambda: fan_out(event, data, may_see))


def _task_payload(task_pk: int) -> Callable[[], dict[str, Any] | None]:
    def build() -> dict[str, Any] | None:
        from api.tasks import task_rows

        task = (
            Task.objects.select_related("process", "owner")
            .prefetch_related("owner_permission_obj")
            .filter(pk=task_pk)
            .first()
        )
        if task is None:
            return None
        row = task_rows([task], user=None)[0]
        row.pop("actions", None)
        row.pop("form", None)
        return {"task": row}

    return build


@receiver(task_created, dispatch_uid="api.webhooks.task_created")
def on_task_created(sender, task: Task, **kwargs) -> None:
    _after_commit(Event.TASK_CREATED, _task_payload(task.pk), _may_see_task(task.pk))


@receiver(task_completed, dispatch_uid="api.webhooks.task_completed")
def on_task_completed(sender, task: Task, user=None, **kwargs) -> None:
    _after_commit(Event.TASK_COMPLETED, _task_payload(task.pk), _may_see_task(task.pk))


@receiver(case_stage_changed, dispatch_uid="api.webhooks.case_stage_changed")
def on_case_stage_changed(sender, case: Case, old: str, new: str, **kwargs) -> None:
    data = {"case": _case_ref(case), "old": old, "new": new}
    _after_commit(Event.CASE_STAGE_CHANGED, lambda: data, _may_see_case(case.pk))


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
    data = {
        "case": _case_ref(case),
        "kind": kind,
        "id": decision.pk,
        "municipality": _municipality_ref(municipality),
        **_decision_fields(kind, decision),
    }
    _after_commit(Event.DECISION_RECORDED, lambda: data, _may_see_case(case.pk))
