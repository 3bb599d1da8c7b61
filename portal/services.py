"""Portal services: passing a task on within the team, notifications and their preferences.

Claiming and releasing go through workflows.engine; passing a task on to a colleague or to one's substitute
takes the same flow lock, checks that the new owner may work on the task (the node's own check) and writes an
audit entry, all in one transaction.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow import STATUS
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.models import Task

from portal.models import Notification, NotificationPreference
from projects.services.audit import audit_record
from workflows.engine import TaskConflict
from workflows.nodes import BusinessTask

log = logging.getLogger(__name__)


# --- passing tasks on -----------------------------------------------------------------------------------------
@transaction.atomic
def task_pass_on(*, task: Task, by: Any, to: Any, as_substitute: bool = False) -> Task:
    """Hand a task the user holds to a colleague (or to their substitute) who may work on it."""
    node = task.flow_task
    if not isinstance(node, BusinessTask):
        raise PermissionDenied(_("Diese Aufgabe kann nicht von Hand weitergegeben werden."))
    if to is None or not to.is_active:
        raise PermissionDenied(_("Bitte eine aktive Person auswählen."))
    try:
        with task.activation() as activation:
            current = activation.task
            if current.status not in (STATUS.NEW, STATUS.ASSIGNED):
                raise TaskConflict(_("Diese Aufgabe ist bereits erledigt oder nicht mehr offen."))
            if current.status == STATUS.ASSIGNED and current.owner_id != by.pk:
                raise PermissionDenied(_("Nur wer die Aufgabe übernommen hat, kann sie weitergeben."))
            if current.status == STATUS.NEW and not node.can_assign(by, current):
                raise PermissionDenied(_("Sie dürfen diese Aufgabe nicht weitergeben."))
            if current.owner_id == to.pk:
                return current
            if current.status == STATUS.ASSIGNED:
                activation.unassign()
            if not node.can_assign(to, activation.task):
                raise PermissionDenied(
                    _("%(name)s darf diese Aufgabe nicht bearbeiten.") % {"name": to.get_full_name() or to}
                )
            activation.assign(to)
            audit_record(
                actor=by,
                on_behalf_of=by if as_substitute else None,
                action="task.delegated" if as_substitute else "task.reassigned",
                subject=activation.task,
                changes={
                    "node": node.name,
                    "owner": {"old": by.get_username(), "new": to.get_username()},
                },
            )
    except FlowLockFailed as exc:
        raise TaskConflict(_("Der Vorgang wird gerade bearbeitet. Bitte erneut versuchen.")) from exc
    title = _("Aufgabe an Sie übergeben: %(title)s") % {"title": node.task_title}
    body = (
        _("%(name)s hat Ihnen als Vertretung die Aufgabe übergeben.")
        if as_substitute
        else _("%(name)s hat Ihnen die Aufgabe übergeben.")
    ) % {"name": by.get_full_name() or by.get_username()}
    notify(
        user=to,
        kind=Notification.Kind.NEW_TASK,
        title=title,
        body=body,
        url=f"/portal/aufgaben/{task.pk}/",
        dedupe_key=f"pass:{task.pk}:{to.pk}:{timezone.now():%Y%m%d%H%M%S}",
    )
    return task


# --- notifications --------------------------------------------------------------------------------------------
def delivery_of(*, user: Any) -> str:
    pref = NotificationPreference.objects.filter(user=user).values_list("delivery", flat=True).first()
    return pref or NotificationPreference.Delivery.IMMEDIATE


def preference_set(*, user: Any, delivery: str) -> NotificationPreference:
    if delivery not in NotificationPreference.Delivery.values:
        from django.core.exceptions import ValidationError

        raise ValidationError({"delivery": _("Bitte eine der angebotenen Möglichkeiten wählen.")})
    pref, _created = NotificationPreference.objects.update_or_create(user=user, defaults={"delivery": delivery})
    return pref


def notify(
    *, user: Any, kind: str, title: str, body: str = "", url: str = "", dedupe_key: str = ""
) -> Notification | None:
    """Store an in-app notification and, if the person wants it immediately, send the e-mail after commit.

    With a ``dedupe_key`` the same notification is stored once per person (a reminder is not repeated).
    """
    if user is None or not user.is_active:
        return None
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                user=user, kind=kind, title=title[:200], body=body, url=url[:300], dedupe_key=dedupe_key[:120]
            )
    except IntegrityError:
        return None
    if delivery_of(user=user) == NotificationPreference.Delivery.IMMEDIATE and user.email:
        from portal.tasks import send_notification_email

        pk = notification.pk
        transaction.on_commit(lambda: send_notification_email.delay(pk), robust=True)
    return notification


def notifications_mark_read(*, user: Any, ids: list[int] | None = None) -> int:
    """Mark the user's notifications (all, or the given ones) as read."""
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())


# --- absence: tasks go to the substitute ----------------------------------------------------------------------
def absences_apply(*, today) -> int:
    """Hand the tasks held by people who are absent today to their substitutes (idempotent: run hourly).

    A task the substitute may not work on stays where it is (and is logged): the capability decides, not the
    absence. Returns the number of tasks handed over.
    """
    from projects.models import Membership

    handed = 0
    absent = (
        Membership.objects.filter(
            substitute__isnull=False, absent_from__lte=today, absent_until__gte=today, user__is_active=True
        )
        .select_related("user", "substitute")
        .order_by("pk")
    )
    for membership in absent:
        for task in Task.objects.filter(owner=membership.user, status=STATUS.ASSIGNED).order_by("pk"):
            try:
                task_pass_on(task=task, by=membership.user, to=membership.substitute, as_substitute=True)
                handed += 1
            except (PermissionDenied, TaskConflict) as exc:
                log.info("absence: task %s stays with %s: %s", task.pk, membership.user, exc)
    return handed
