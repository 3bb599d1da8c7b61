"""Webhook events are kept only as long as needed: delivered ones go after the retention (90 days by default),
those still under way or failed without a successful redelivery stay until the longer limit (365 days), so that
their owner can still send them again. The daily beat job is safe to run twice."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.conf import settings
from django.utils import timezone

from api.webhooks.models import WebhookDelivery, WebhookEvent, WebhookSubscription
from api.webhooks.retention import purge_old_events, webhook_events_purge
from projects.models import County

pytestmark = pytest.mark.django_db

Status = WebhookDelivery.Status


@pytest.fixture
def hook(users):
    return WebhookSubscription.objects.create(
        owner=users["pm.mkk"],
        county=County.objects.get(slug="mkk"),
        url="https://empfaenger.example.org/hook",
        events=["case.stage_changed"],
        secret="s" * 32,
    )


def _event(hook, *, days_old: int, statuses: tuple = (), fanned_out: bool = True) -> WebhookEvent:
    """An event stored ``days_old`` days ago with one delivery chain: the original's status, then redeliveries'."""
    now = timezone.now()
    event = WebhookEvent.objects.create(
        event="case.stage_changed",
        subject_type="case",
        subject_id="1",
        occurred_at=now,
        fanned_out_at=now if fanned_out else None,
    )
    WebhookEvent.objects.filter(pk=event.pk).update(created_at=now - dt.timedelta(days=days_old))
    original = None
    for status in statuses:
        delivery = WebhookDelivery.objects.create(
            subscription=hook,
            event=event.event,
            event_id=event.pk,
            subject_type="case",
            subject_id="1",
            body="{}",
            status=status,
            redelivery_of=original,
        )
        original = original or delivery
    return event


def _left(*events: WebhookEvent) -> list[bool]:
    existing = set(WebhookEvent.objects.values_list("pk", flat=True))
    return [e.pk in existing for e in events]


def test_delivered_events_go_after_the_retention_and_undelivered_ones_stay_until_the_longer_limit(hook):
    delivered_old = _event(hook, days_old=91, statuses=(Status.DELIVERED,))
    nobody_wanted_it = _event(hook, days_old=91)
    redelivered = _event(hook, days_old=91, statuses=(Status.FAILED, Status.DELIVERED))
    delivered_recent = _event(hook, days_old=89, statuses=(Status.DELIVERED,))
    failed = _event(hook, days_old=91, statuses=(Status.FAILED,))
    retrying = _event(hook, days_old=91, statuses=(Status.RETRYING,))
    redelivery_under_way = _event(hook, days_old=91, statuses=(Status.FAILED, Status.PENDING))
    never_fanned_out = _event(hook, days_old=91, fanned_out=False)
    failed_long_ago = _event(hook, days_old=366, statuses=(Status.FAILED,))
    deliveries = WebhookDelivery.objects.count()

    result = webhook_events_purge()

    assert (result.delivered, result.expired) == (3, 1)
    assert _left(delivered_old, nobody_wanted_it, redelivered, failed_long_ago) == [False] * 4
    assert _left(delivered_recent, failed, retrying, redelivery_under_way, never_fanned_out) == [True] * 5
    assert WebhookDelivery.objects.count() == deliveries  # the owner's delivery log stays
    # a failed delivery whose event is kept can still be sent again
    assert WebhookDelivery.objects.filter(event_id=failed.pk, status=Status.FAILED).exists()


def test_running_the_job_twice_deletes_nothing_more(hook):
    _event(hook, days_old=100, statuses=(Status.DELIVERED,))
    kept = _event(hook, days_old=100, statuses=(Status.FAILED,))
    assert purge_old_events() == {"delivered": 1, "expired": 0}
    assert purge_old_events() == {"delivered": 0, "expired": 0}
    assert _left(kept) == [True]


def test_the_retention_is_a_setting_and_the_undelivered_limit_is_never_the_shorter_one(hook, settings):
    settings.WEBHOOK_EVENT_RETENTION_DAYS = 30
    settings.WEBHOOK_EVENT_UNDELIVERED_RETENTION_DAYS = 10  # misconfigured: read as 30
    month_old = _event(hook, days_old=31, statuses=(Status.DELIVERED,))
    failed = _event(hook, days_old=20, statuses=(Status.FAILED,))
    failed_older = _event(hook, days_old=31, statuses=(Status.FAILED,))
    result = webhook_events_purge()
    assert (result.delivered, result.expired) == (1, 1)
    assert _left(month_old, failed, failed_older) == [False, True, False]


def test_the_purge_runs_daily_in_the_beat_schedule_with_the_documented_defaults():
    from config.celery import app

    jobs = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert jobs["api.webhooks.purge_old_events"] == 86400.0
    assert "api.webhooks.purge_old_events" in app.tasks
    assert (settings.WEBHOOK_EVENT_RETENTION_DAYS, settings.WEBHOOK_EVENT_UNDELIVERED_RETENTION_DAYS) == (90, 365)


def test_an_event_id_unknown_to_the_deliveries_does_not_keep_anything(hook):
    WebhookDelivery.objects.create(
        subscription=hook, event="case.stage_changed", event_id=uuid.uuid4(), body="{}", status=Status.FAILED
    )
    old = _event(hook, days_old=91, statuses=(Status.DELIVERED,))
    assert webhook_events_purge().delivered == 1 and _left(old) == [False]
