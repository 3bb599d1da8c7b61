"""How long webhook events are kept (a beat job, ``api.webhooks.purge_old_events``, once a day).

An event whose every delivery reached its receiver (or was cancelled, or nobody received it) is deleted once it is
older than ``WEBHOOK_EVENT_RETENTION_DAYS`` (default 90). An event that is still on its way, or whose delivery
failed for good and has not been delivered again, is kept until ``WEBHOOK_EVENT_UNDELIVERED_RETENTION_DAYS``
(default 365), so that its owner can still send it again. The deliveries themselves stay (the owner's delivery log,
``GET /webhooks/{id}/deliveries/``). Running the job twice deletes nothing more: it only ever deletes what is past its
limit at that moment. Each run logs what it deleted.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from api.webhooks.models import WebhookDelivery, WebhookEvent

logger = logging.getLogger(__name__)

Status = WebhookDelivery.Status


@dataclass(frozen=True)
class RetentionDays:
    delivered: int
    undelivered: int


def retention_days() -> RetentionDays:
    """The configured limits; the one for undelivered events is never shorter than the one for delivered events."""
    delivered = int(getattr(settings, "WEBHOOK_EVENT_RETENTION_DAYS", 90))
    undelivered = int(getattr(settings, "WEBHOOK_EVENT_UNDELIVERED_RETENTION_DAYS", 365))
    return RetentionDays(delivered=delivered, undelivered=max(undelivered, delivered))


def undelivered_deliveries() -> list[QuerySet]:
    """Deliveries whose event must stay: still under way, or failed for good without a successful redelivery."""
    in_flight = WebhookDelivery.objects.filter(status__in=[Status.PENDING, Status.RETRYING])
    failed = (
        WebhookDelivery.objects.filter(redelivery_of__isnull=True)
        .exclude(status__in=[Status.DELIVERED, Status.CANCELLED])
        .exclude(redeliveries__status=Status.DELIVERED)
    )
    return [in_flight, failed]


@dataclass(frozen=True)
class PurgeResult:
    delivered: int  # done events past the retention
    expired: int  # undelivered events past the longer limit


def webhook_events_purge(*, now: datetime | None = None) -> PurgeResult:
    now = now or timezone.now()
    days = retention_days()
    done_events = WebhookEvent.objects.filter(
        fanned_out_at__isnull=False, created_at__lt=now - timedelta(days=days.delivered)
    )
    for deliveries in undelivered_deliveries():
        done_events = done_events.exclude(pk__in=deliveries.values("event_id"))
    done, _by_model = done_events.delete()
    expired, _by_model = WebhookEvent.objects.filter(created_at__lt=now - timedelta(days=days.undelivered)).delete()
    if done or expired:
        logger.info(
            "webhook events deleted: %d delivered (older than %d days), %d undelivered (older than %d days)",
            done,
            days.delivered,
            expired,
            days.undelivered,
        )
    return PurgeResult(delivered=done, expired=expired)


@shared_task(name="api.webhooks.purge_old_events", ignore_result=True)
def purge_old_events() -> dict[str, int]:
    """The beat job: delete webhook events past their retention (safe to run twice, or in parallel)."""
    result = webhook_events_purge()
    return {"delivered": result.delivered, "expired": result.expired}
