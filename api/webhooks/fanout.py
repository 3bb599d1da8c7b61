"""The fan-out job: events (by id) → one signed delivery per interested subscription whose owner may see the subject.

Runs in a Celery worker, never in the request. Safe to run twice (a redelivered message, the sweep): a subscription
gets at most one delivery per event (unique constraint), and only deliveries created by this run are enqueued.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from celery import shared_task
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404
from django.utils import timezone

from api.webhooks.delivery import enqueue
from api.webhooks.events import Subject
from api.webhooks.models import WebhookDelivery, WebhookEvent, WebhookSubscription

logger = logging.getLogger(__name__)


# --- who may see what ------------------------------------------------------------------------------------------


def _visible_ids(owner: Any, subject_type: str, ids: set[str]) -> set[str]:
    """The subject ids among ``ids`` the owner may see, by the same access functions as the API and the portal."""
    if subject_type == Subject.TASK:
        from workflows.selectors import task_for_user

        seen = set()
        for pk in ids:
            try:
                task_for_user(user=owner, pk=pk)
            except Http404:
                continue
            seen.add(pk)
        return seen
    if subject_type == Subject.CASE:
        from projects.selectors import case_list_for_user

        queryset = case_list_for_user(user=owner)
    elif subject_type == Subject.PROCEDURE:
        from procurement.selectors import procedure_list_for_user

        queryset = procedure_list_for_user(user=owner)
    elif subject_type == Subject.APPLICATION:
        from funding.selectors import application_list_for_user

        queryset = application_list_for_user(user=owner)
    elif subject_type == Subject.COST_CENTRE:
        from costs.selectors import cost_centre_list_for_user

        queryset = cost_centre_list_for_user(user=owner)
    else:
        return set()
    numeric = [int(pk) for pk in ids if pk.isdigit()]
    return {str(pk) for pk in queryset.filter(pk__in=numeric).values_list("pk", flat=True)}


# --- what the body says about the subject ------------------------------------------------------------------------


def _municipality(m) -> dict[str, Any] | None:
    return None if m is None else {"id": m.pk, "ags": m.ags, "name": m.name}


def _tasks(ids: Iterable[int]) -> dict[str, dict[str, Any]]:
    from viewflow.workflow.models import Task

    from api.tasks import flow_name
    from projects.models import Municipality

    tasks = list(
        Task.objects.select_related("process", "owner").prefetch_related("owner_permission_obj").filter(pk__in=ids)
    )
    by_type: dict[int, set[int]] = defaultdict(set)
    for task in tasks:
        if task.process.artifact_content_type_id and task.process.artifact_object_id:
            by_type[task.process.artifact_content_type_id].add(task.process.artifact_object_id)
    labels: dict[tuple[int, int], str] = {}
    for ct_id, object_ids in by_type.items():
        model = ContentType.objects.get_for_id(ct_id).model_class()
        if model is not None:
            labels.update({(ct_id, obj.pk): str(obj) for obj in model._default_manager.filter(pk__in=object_ids)})
    refs = {}
    for task in tasks:
        node, process = task.flow_task, task.process
        subject = None
        if process.artifact_content_type_id and process.artifact_object_id:
            key = (process.artifact_content_type_id, process.artifact_object_id)
            subject = {
                "type": ContentType.objects.get_for_id(key[0]).model,
                "id": key[1],
                "label": labels.get(key),
            }
        owner_object = task.owner_permission_obj
        refs[str(task.pk)] = {
            "task": {
                "id": task.pk,
                "flow": flow_name(node.flow_class) if node is not None else "",
                "node": node.name if node is not None else "",
                "title": str(task.title or ""),
                "status": str(task.status).lower(),
                "subject": subject,
                "municipality": _municipality(owner_object) if isinstance(owner_object, Municipality) else None,
                "created": task.created,
                "due": (task.data or {}).get("due"),
                "assignee": task.owner.get_username() if task.owner_id else None,
            }
        }
    return refs


def _cases(ids: Iterable[int]) -> dict[str, dict[str, Any]]:
    from projects.models import Case

    return {
        str(case.pk): {
            "case": {
                "id": case.pk,
                "number": case.number,
                "title": case.title,
                "county": case.county.slug,
                "stage": case.stage,
            }
        }
        for case in Case.objects.select_related("county").filter(pk__in=ids)
    }


def _procedures(ids: Iterable[int]) -> dict[str, dict[str, Any]]:
    from procurement.models import Procedure

    return {
        str(p.pk): {
            "procedure": {
                "id": p.pk,
                "reference": p.reference,
                "subject": p.subject,
                "status": p.status,
                "county": p.county.slug,
                "municipality": _municipality(p.municipality),
            }
        }
        for p in Procedure.objects.select_related("county", "municipality").filter(pk__in=ids)
    }


def _applications(ids: Iterable[int]) -> dict[str, dict[str, Any]]:
    from funding.models import Application

    return {
        str(a.pk): {
            "application": {
                "id": a.pk,
                "title": a.title,
                "state": a.state,
                "county": a.county.slug,
                "programme": a.programme.code,
                "case": a.case_id,
            }
        }
        for a in Application.objects.select_related("county", "programme").filter(pk__in=ids)
    }


def _cost_centres(ids: Iterable[int]) -> dict[str, dict[str, Any]]:
    from costs.models import CostCentre

    return {
        str(c.pk): {"cost_centre": {"id": c.pk, "code": c.code, "name": c.name}}
        for c in CostCentre.objects.filter(pk__in=ids)
    }


def _webhooks(ids: Iterable[int]) -> dict[str, dict[str, Any]]:
    return {
        str(s.pk): {"webhook": {"id": s.pk, "url": s.url, "events": list(s.events or [])}}
        for s in WebhookSubscription.objects.filter(pk__in=ids)
    }


_REFS = {
    Subject.TASK: _tasks,
    Subject.CASE: _cases,
    Subject.PROCEDURE: _procedures,
    Subject.APPLICATION: _applications,
    Subject.COST_CENTRE: _cost_centres,
    Subject.WEBHOOK: _webhooks,
}


def _subject_refs(events: list[WebhookEvent]) -> dict[tuple[str, str], dict[str, Any]]:
    wanted: dict[str, set[int]] = defaultdict(set)
    for event in events:
        if event.subject_id.isdigit():
            wanted[event.subject_type].add(int(event.subject_id))
    refs = {}
    for subject_type, ids in wanted.items():
        for subject_id, ref in _REFS[Subject(subject_type)](ids).items():
            refs[(subject_type, subject_id)] = ref
    return refs


def body_of(delivery: WebhookDelivery, event: str, event_id: Any, occurred_at: Any, data: dict[str, Any]) -> str:
    return json.dumps(
        {
            "delivery": str(delivery.pk),
            "event": event,
            "event_id": str(event_id),
            "occurred_at": occurred_at,
            "redelivery_of": str(delivery.redelivery_of_id) if delivery.redelivery_of_id else None,
            "data": data,
        },
        cls=DjangoJSONEncoder,
        ensure_ascii=False,
        sort_keys=True,
    )


# --- the job -----------------------------------------------------------------------------------------------------


def fan_out_events(event_ids: list[str]) -> list[str]:
    """Create the missing deliveries of these events; returns the ids of the deliveries created by this run."""
    order = {str(pk): index for index, pk in enumerate(event_ids)}  # as recorded: the order they happened in
    events = sorted(WebhookEvent.objects.filter(pk__in=event_ids), key=lambda e: order[str(e.pk)])
    if not events:
        return []
    names = {e.event for e in events}
    subscriptions = [
        s
        for s in WebhookSubscription.objects.filter(active=True, owner__is_active=True)
        .select_related("owner")
        .order_by("pk")
        if names & set(s.events or [])
    ]
    done = set(
        WebhookDelivery.objects.filter(event_id__in=[e.pk for e in events], redelivery_of__isnull=True).values_list(
            "subscription_id", "event_id"
        )
    )
    refs = _subject_refs(events) if subscriptions else {}
    created: list[WebhookDelivery] = []
    for subscription in subscriptions:
        mine = [e for e in events if e.event in subscription.events and (subscription.pk, e.pk) not in done]
        by_type: dict[str, set[str]] = defaultdict(set)
        for event in mine:
            by_type[event.subject_type].add(event.subject_id)
        visible = {t: _visible_ids(subscription.owner, t, ids) for t, ids in by_type.items()}
        for event in mine:
            ref = refs.get((event.subject_type, event.subject_id))
            if ref is None or event.subject_id not in visible[event.subject_type]:
                continue  # gone (rolled back elsewhere, deleted) or not for this owner
            delivery = WebhookDelivery(
                subscription=subscription,
                event=event.event,
                event_id=event.pk,
                subject_type=event.subject_type,
                subject_id=event.subject_id,
            )
            delivery.body = body_of(delivery, event.event, event.pk, event.occurred_at, {**ref, **event.data})
            created.append(delivery)
    # a parallel run may have created some of them meanwhile: those rows are skipped, and only ours are sent
    WebhookDelivery.objects.bulk_create(created, ignore_conflicts=True)
    mine_now = set(WebhookDelivery.objects.filter(pk__in=[d.pk for d in created]).values_list("pk", flat=True))
    WebhookEvent.objects.filter(pk__in=[e.pk for e in events], fanned_out_at__isnull=True).update(
        fanned_out_at=timezone.now()
    )
    return [str(d.pk) for d in created if d.pk in mine_now]


@shared_task(name="api.webhooks.fan_out", acks_late=True, ignore_result=True)
def fan_out(event_ids: list[str]) -> int:
    """Deliveries for the events of one transaction (by id); each created delivery goes to ``deliver``."""
    created = fan_out_events(event_ids)
    for delivery_id in created:
        enqueue(delivery_id)
    return len(created)


def enqueue_fan_out(event_ids: list[str]) -> None:
    """Start the fan-out job; never fails the caller (the sweep takes events whose job did not start)."""
    if not event_ids:
        return
    try:
        if fan_out.app.conf.task_always_eager:
            fan_out.apply(args=[event_ids], throw=True)
        else:
            fan_out.apply_async(args=[event_ids])
    except Exception:  # noqa: BLE001 - the events stay pending and are taken by requeue_stale_events
        logger.exception("webhook fan-out for %d events could not be started", len(event_ids))


@shared_task(name="api.webhooks.requeue_stale_events", ignore_result=True)
def requeue_stale_events(after_seconds: float | None = None) -> int:
    """Start the fan-out again for events that are not fanned out long after they were stored (the broker was
    down, or the message was lost). Safe: the fan-out creates each delivery once."""
    if after_seconds is None:
        after_seconds = float(getattr(settings, "WEBHOOK_REQUEUE_AFTER_SECONDS", 900))
    cutoff = timezone.now() - timedelta(seconds=after_seconds)
    ids = [
        str(pk)
        for pk in WebhookEvent.objects.filter(fanned_out_at__isnull=True, created_at__lt=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:1000]
    ]
    if ids:
        enqueue_fan_out(ids)
    return len(ids)
