"""Reminders before and escalations after a legal or agreed deadline.

The flows fire these from viewflow's database timers (boundary timers on the task, fired by the beat's
``fire_due_timers``); each writes an audit entry and emits :data:`deadline_notice`, on which the notification
module sends the mails through Celery after the commit. Idempotent per (subject, municipality, kind, due date).
"""

from __future__ import annotations

import datetime as dt

import django.dispatch
from django.db import transaction

from projects.models import AuditEntry, Case, Municipality
from projects.services.audit import audit_record

# sender=Case; kwargs: case, municipality, kind ("reminder" | "escalation"), due (date), topic (str)
deadline_notice = django.dispatch.Signal()


@transaction.atomic
def deadline_notify(*, case: Case, municipality: Municipality | None, kind: str, due: dt.date, topic: str) -> bool:
    """Record a reminder or escalation once; returns False if it was already recorded."""
    if kind not in ("reminder", "escalation"):
        raise ValueError(kind)
    action = f"deadline.{kind}"
    already = AuditEntry.objects.filter(
        subject_type=case._meta.label_lower,
        subject_id=str(case.pk),
        action=action,
        municipality=municipality,
        changes__due=due.isoformat(),
        changes__topic=topic,
    ).exists()
    if already:
        return False
    audit_record(
        actor=None,
        action=action,
        subject=case,
        county=case.county,
        municipality=municipality,
        changes={"due": due.isoformat(), "topic": topic},
    )
    transaction.on_commit(
        lambda: deadline_notice.send(sender=Case, case=case, municipality=municipality, kind=kind, due=due, topic=topic)
    )
    return True
