"""Reminders before and escalations after every open legal date.

Called with ``now`` by the periodic Celery task (and by flow timers); tests move ``now`` forward instead of
sleeping. Each deadline gets at most one reminder and one escalation, so running it twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from funding.models import Deadline, DeadlineNotice
from projects.models import Institution, Membership
from projects.roles import Role
from projects.services.audit import audit_record


def _recipients(county_id: int, kind: str) -> list[Any]:
    roles = [Role.FUNDING] if kind == DeadlineNotice.Kind.REMINDER else [Role.FUNDING, Role.BOARD]
    user_ids = Membership.objects.filter(
        role__in=roles, institution__kind=Institution.Kind.DKZ, institution__counties=county_id
    ).values("user_id")
    return list(get_user_model().objects.filter(pk__in=user_ids, is_active=True).order_by("username"))


def _text(deadline: Deadline, kind: str, today: dt.date) -> str:
    application = deadline.application
    if kind == DeadlineNotice.Kind.REMINDER:
        return _("Erinnerung: {label} für „{title}“ ist am {due} fällig (noch {days} Tage).").format(
            label=deadline.label,
            title=application.title,
            due=deadline.due_on.strftime("%d.%m.%Y"),
            days=(deadline.due_on - today).days,
        )
    return _("Eskalation: {label} für „{title}“ war am {due} fällig und ist seit {days} Tagen überschritten.").format(
        label=deadline.label,
        title=application.title,
        due=deadline.due_on.strftime("%d.%m.%Y"),
        days=(today - deadline.due_on).days,
    )


@transaction.atomic
def funding_deadlines_notify(*, now: dt.datetime | None = None) -> list[DeadlineNotice]:
    """Produce the reminders and escalations due at ``now``; mail them after the commit."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    open_deadlines = (
        Deadline.objects.select_for_update()
        .filter(done_on__isnull=True, remind_on__lte=today)
        .select_related("application", "application__county")
        .order_by("due_on", "pk")
    )
    notices: list[DeadlineNotice] = []
    for deadline in open_deadlines:
        overdue = today > deadline.due_on
        if overdue and deadline.escalated_at is None:
            kind = DeadlineNotice.Kind.ESCALATION
            deadline.escalated_at = now
        elif not overdue and deadline.reminded_at is None:
            kind = DeadlineNotice.Kind.REMINDER
            deadline.reminded_at = now
        else:
            continue
        deadline.save(update_fields=["reminded_at", "escalated_at"])
        users = _recipients(deadline.application.county_id, kind)
        notice = DeadlineNotice.objects.create(
            deadline=deadline,
            kind=kind,
            created_at=now,
            text=_text(deadline, kind, today),
            recipients=[u.get_username() for u in users],
        )
        audit_record(
            actor=None,
            action=f"funding.deadline.{kind}",
            subject=deadline.application,
            county=deadline.application.county,
            changes={"deadline": str(deadline), "recipients": notice.recipients},
            note=notice.text,
        )
        notices.append(notice)
        mails = [(notice.text, notice.text, settings.DEFAULT_FROM_EMAIL, [u.email]) for u in users if u.email]
        if mails:
            transaction.on_commit(partial(send_mass_mail, mails, fail_silently=True))
    return notices
