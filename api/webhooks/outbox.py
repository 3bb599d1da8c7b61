"""From a domain event to one Celery job per transaction, started after the commit.

``record()`` runs inside the transaction of the change (a signal receiver): it notes the event and the moment it
happened (``occurred_at``), nothing else, so a step that creates N tasks (a split over N municipalities) costs N
appends to a list here. After the commit the events of the transaction are stored with one bulk insert and handed
to one ``fan_out`` job by their ids; the job loops over the subscriptions and checks visibility.

Only what was committed is sent: each event is confirmed by its own ``on_commit`` callback, which Django drops
with a rolled-back savepoint (or transaction); the one batch per transaction is flushed by a callback that runs after
all of them (appended last each time an event is noted, outside any savepoint, so that a rolled-back savepoint
does not take the flush with it).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import DEFAULT_DB_ALIAS, transaction
from django.utils import timezone

from workflows.prepared import PreparedQuery

logger = logging.getLogger(__name__)


@dataclass
class PendingEvent:
    event: str
    subject_type: str
    subject_id: str
    occurred_at: dt.datetime
    data: dict[str, Any]
    id: uuid.UUID = field(default_factory=uuid.uuid4)


class _Batch:
    """The events of one transaction on one connection."""

    def __init__(self) -> None:
        self.events: list[PendingEvent] = []
        self.committed: list[PendingEvent] = []
        self.flush_callback: Callable[[], None] | None = None
        self.flushes = 0
        self.done = False

    def confirm(self, event: PendingEvent) -> None:
        self.committed.append(event)

    def flush(self, number: int) -> None:
        # flush callbacks are appended after every noted event; only the last one sends (it runs after all
        # confirmations, whichever savepoints were rolled back)
        if number != self.flushes or self.done:
            return
        self.done = True
        if self.committed:
            publish(self.committed)


def _batch_of(connection) -> _Batch:
    batch: _Batch | None = getattr(connection, "_ikz_webhook_batch", None)
    pending = connection.run_on_commit
    # the batch belongs to the running transaction while its flush callback is still registered there (commit and
    # rollback empty the list); searched from the end, where it is in the common case
    # (savepoint rollbacks rebuild the entries, so the callback itself is compared)
    flush = batch.flush_callback if batch is not None and not batch.done else None
    if batch is not None and flush is not None and any(entry[1] is flush for entry in reversed(pending)):
        return batch
    batch = _Batch()
    connection._ikz_webhook_batch = batch
    return batch


def record(
    event: str,
    *,
    subject_type: str,
    subject_id: Any,
    data: dict[str, Any] | None = None,
    occurred_at: dt.datetime | None = None,
) -> None:
    """Note that ``event`` happened to the subject now (or at ``occurred_at``); sent after the commit."""
    pending = PendingEvent(
        event=str(event),
        subject_type=str(subject_type),
        subject_id=str(subject_id),
        occurred_at=occurred_at or timezone.now(),
        data=data or {},
    )
    connection = transaction.get_connection(DEFAULT_DB_ALIAS)
    if not connection.in_atomic_block:
        publish([pending])  # autocommit: the change is committed already
        return
    batch = _batch_of(connection)
    batch.events.append(pending)
    transaction.on_commit(lambda: batch.confirm(pending))  # dropped with a rolled-back savepoint
    batch.flushes += 1
    number = batch.flushes
    # outside every savepoint (no savepoint ids), so only the end of the whole transaction decides about it
    batch.flush_callback = lambda: batch.flush(number)
    connection.run_on_commit.append((set(), batch.flush_callback, False))


def _any_subscription():
    from api.webhooks.models import WebhookSubscription

    return WebhookSubscription.objects.filter(active=True).order_by().values_list("pk")[:1]


# asked after every commit that noted an event: compiled once per connection (issue 21)
_ANY_SUBSCRIPTION = PreparedQuery(_any_subscription)


def publish(events: list[PendingEvent]) -> None:
    """Store the committed events (one insert) and start the fan-out job with their ids.

    Never fails the caller: the change is committed already. Events whose job could not be started are picked up
    by ``requeue_stale_events`` (beat)."""
    from api.webhooks.fanout import enqueue_fan_out
    from api.webhooks.models import WebhookEvent

    try:
        if not _ANY_SUBSCRIPTION.rows()[1]:
            return  # nobody listens: nothing to keep
        rows = WebhookEvent.objects.bulk_create(
            WebhookEvent(
                id=e.id,
                event=e.event,
                subject_type=e.subject_type,
                subject_id=e.subject_id,
                data=e.data,
                occurred_at=e.occurred_at,
            )
            for e in events
        )
    except Exception:  # noqa: BLE001 - the request's change stands; the events are lost and logged
        logger.exception("webhook events could not be stored: %s", [e.event for e in events])
        return
    enqueue_fan_out([str(row.pk) for row in rows])
