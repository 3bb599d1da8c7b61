"""Who hears about what: a new task, a reminder, an overdue item, a decision, a mention.

Connected to model signals in :mod:`portal.apps` (a new viewflow task, a stage change in the audit trail, the
mentions of a comment); the work runs after the commit, so a failure here never undoes the business step.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any, cast

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import override
from guardian.shortcuts import get_users_with_perms
from viewflow.workflow import STATUS
from viewflow.workflow.models import Task

from portal.models import Notification
from portal.selectors import due_expression
from portal.services import notify
from projects.models import Case, CaseParticipant
from projects.roles import MUNICIPAL_ROLES

log = logging.getLogger(__name__)

REMINDER_DAYS = 3


def _case_of(task: Task) -> Case | None:
    process = task.process
    if process.artifact_content_type_id != ContentType.objects.get_for_model(Case).pk:
        return None
    return Case.objects.filter(pk=process.artifact_object_id).first()


def task_recipients(task: Task) -> list[Any]:
    """The owner, or everybody who may claim the open task (capability on its municipality)."""
    if task.owner_id:
        return [task.owner]
    obj = task.owner_permission_obj
    if not task.owner_permission or obj is None:
        return []
    codename = task.owner_permission.split(".", 1)[-1]
    users: QuerySet = cast(
        QuerySet,
        get_users_with_perms(obj, only_with_perms_in=[codename], with_group_users=True, with_superusers=False),
    )  # a query set without attach_perms
    return list(users.filter(is_active=True))


_UNKNOWN: Any = object()


def _task_text(task: Task, case: Case | None = _UNKNOWN) -> tuple[str, str, str]:
    if case is _UNKNOWN:
        case = _case_of(task)
    title = str(getattr(task.flow_task, "task_title", "") or task.flow_task)
    subject = f"{title} – {case.number} {case.title}" if case else title
    due = (task.data or {}).get("due")
    due_text = date_format(dt.date.fromisoformat(due), "SHORT_DATE_FORMAT") if due else ""
    return subject, due_text, f"/portal/aufgaben/{task.pk}/"


def _notify_new_task(task: Task, cases: dict[int, Case | None]) -> int:
    if task.status not in (STATUS.NEW, STATUS.ASSIGNED) or task.flow_task_type != "HUMAN":
        return 0
    if task.process_id not in cases:
        cases[task.process_id] = _case_of(task)
    with override("de"):
        subject, due_text, url = _task_text(task, case=cases[task.process_id])
        body = _("Fällig am %(due)s.") % {"due": due_text} if due_text else ""
        sent = 0
        for user in task_recipients(task):
            sent += bool(
                notify(
                    user=user,
                    kind=Notification.Kind.NEW_TASK,
                    title=_("Neue Aufgabe: %(subject)s") % {"subject": subject},
                    body=body,
                    url=url,
                    dedupe_key=f"new:{task.pk}",
                )
            )
    return sent


def notify_new_tasks(task_pks: list[int]) -> int:
    """Tell who may claim each of the new tasks (one job per committed transaction carries all its new tasks).

    Safe to run twice: each person gets a task's notification once (dedupe key), and a mail only with it."""
    tasks = Task.objects.select_related("process", "owner").filter(pk__in=task_pks).order_by("pk")
    cases: dict[int, Case | None] = {}  # the tasks of a split share their case
    return sum(_notify_new_task(task, cases) for task in tasks)


def notify_new_task(task_pk: int) -> int:
    return notify_new_tasks([task_pk])


def task_reminders_send(*, today: dt.date | None = None) -> int:
    """Reminders for open tasks due within the next days, and notices for overdue ones (each once per due date)."""

    today = today or timezone.localdate()
    soon = (today + dt.timedelta(days=REMINDER_DAYS)).isoformat()
    tasks = (
        Task.objects.filter(flow_task_type="HUMAN", status__in=(STATUS.NEW, STATUS.ASSIGNED))
        .annotate(due_text=due_expression())
        .filter(due_text__isnull=False, due_text__lte=soon)
        .select_related("process", "owner")
        .order_by("pk")
    )
    sent = 0
    with override("de"):
        for task in tasks.iterator(chunk_size=500):
            subject, due_text, url = _task_text(task)
            overdue = task.due_text < today.isoformat()
            kind = Notification.Kind.OVERDUE if overdue else Notification.Kind.REMINDER
            title = (_("Frist überschritten: %(subject)s") if overdue else _("Erinnerung: %(subject)s")) % {
                "subject": subject
            }
            body = (_("Die Frist ist am %(due)s abgelaufen.") if overdue else _("Fällig am %(due)s.")) % {
                "due": due_text
            }
            for user in task_recipients(task):
                sent += bool(
                    notify(
                        user=user,
                        kind=kind,
                        title=title,
                        body=body,
                        url=url,
                        dedupe_key=f"{kind}:{task.pk}:{task.due_text}",
                    )
                )
    return sent


def case_members(case: Case) -> list[Any]:
    """People of the municipalities taking part in (or proposing) the case."""
    municipality_ids = set(CaseParticipant.objects.filter(case=case).values_list("municipality_id", flat=True))
    if case.proposing_municipality_id:
        municipality_ids.add(case.proposing_municipality_id)
    return list(
        get_user_model()
        .objects.filter(
            memberships__municipality_id__in=municipality_ids,
            memberships__role__in=[str(r) for r in MUNICIPAL_ROLES],
            is_active=True,
        )
        .distinct()
    )


def notify_decision(case_pk: int, new: str, by_pk: int | None = None) -> int:
    """A case changed its stage through a decision: tell the members taking part (not the one who decided)."""
    case = Case.objects.filter(pk=case_pk).first()
    if case is None:
        return 0
    labels = dict(Case.Stage.choices)
    sent = 0
    with override("de"):
        stage = labels.get(new, new)
        title = _("Entscheidung im Vorgang %(number)s: %(stage)s") % {"number": case.number, "stage": stage}
        body = _("Der Vorgang „%(title)s“ ist jetzt in der Phase „%(stage)s“.") % {"title": case.title, "stage": stage}
        if new == Case.Stage.REJECTED and case.rejection_reason:
            body += "\n" + case.rejection_reason
        for user in case_members(case):
            if by_pk == user.pk:
                continue
            sent += bool(
                notify(
                    user=user,
                    kind=Notification.Kind.DECISION,
                    title=title,
                    body=body,
                    url=f"/portal/vorgaenge/{case.pk}/",
                )
            )
    return sent


def notify_mentions(comment_pk: int, user_pks: list[int]) -> int:
    from projects.models import CaseComment

    comment = CaseComment.objects.select_related("case", "author").filter(pk=comment_pk).first()
    if comment is None:
        return 0
    sent = 0
    with override("de"):
        for user in get_user_model().objects.filter(pk__in=user_pks, is_active=True):
            sent += bool(
                notify(
                    user=user,
                    kind=Notification.Kind.MENTION,
                    title=_("%(name)s hat Sie im Vorgang %(number)s erwähnt")
                    % {"name": comment.author.get_full_name() or comment.author, "number": comment.case.number},
                    body=comment.text,
                    url=f"/portal/vorgaenge/{comment.case_id}/#kommentare",
                    dedupe_key=f"mention:{comment.pk}",
                )
            )
    return sent


# --- signal receivers (connected in PortalConfig.ready) -------------------------------------------------------
class _NewTasks:
    """The new tasks of one transaction on one connection: one notification job after the commit for all of them.

    Each task is confirmed by its own ``on_commit`` callback, which Django drops with a rolled-back savepoint; the
    job is started by a flush callback appended (outside every savepoint) after each confirmation, of which only the
    last one sends, so that a split over N municipalities publishes one job instead of N.
    """

    def __init__(self) -> None:
        self.committed: list[int] = []
        self.flushes = 0
        self.flush_callback: Callable[[], None] | None = None
        self.done = False

    def confirm(self, task_pk: int) -> None:
        self.committed.append(task_pk)

    def flush(self, number: int) -> None:
        if number != self.flushes or self.done:
            return
        self.done = True
        if self.committed:
            _publish_new_tasks(sorted(set(self.committed)))


def _publish_new_tasks(task_pks: list[int]) -> None:
    from portal.tasks import notify_new_tasks_job

    try:
        notify_new_tasks_job.delay(task_pks)
    except Exception:  # noqa: BLE001 - the step is committed; the notifications are lost and logged
        log.exception("notification job for new tasks %s could not be started", task_pks)


def _new_tasks_of(connection) -> _NewTasks:
    batch: _NewTasks | None = getattr(connection, "_ikz_new_tasks", None)
    flush = batch.flush_callback if batch is not None and not batch.done else None
    # the batch belongs to the running transaction while its flush callback is still registered there (commit and
    # rollback empty the list; savepoint rollbacks rebuild the entries, so the callback itself is compared)
    if (
        batch is not None
        and flush is not None
        and any(entry[1] is flush for entry in reversed(connection.run_on_commit))
    ):
        return batch
    batch = _NewTasks()
    connection._ikz_new_tasks = batch
    return batch


def on_task_created(sender, task: Task, **kwargs) -> None:
    pk = task.pk
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        _publish_new_tasks([pk])  # autocommit: the task is committed already
        return
    batch = _new_tasks_of(connection)
    transaction.on_commit(lambda: batch.confirm(pk))  # dropped with a rolled-back savepoint
    batch.flushes += 1
    number = batch.flushes
    batch.flush_callback = lambda: batch.flush(number)
    connection.run_on_commit.append((set(), batch.flush_callback, True))  # outside every savepoint


def on_case_stage_changed(sender, case: Case, old: str, new: str, by: Any = None, **kwargs) -> None:
    from portal.tasks import notify_decision_job

    case_pk, by_pk = case.pk, getattr(by, "pk", None)
    transaction.on_commit(lambda: notify_decision_job.delay(case_pk, new, by_pk), robust=True)


def on_mentions_changed(sender, instance, action: str, pk_set, **kwargs) -> None:
    from portal.tasks import notify_mentions_job

    if action == "post_add" and pk_set:
        comment_pk, user_pks = instance.pk, sorted(pk_set)
        transaction.on_commit(lambda: notify_mentions_job.delay(comment_pk, user_pks), robust=True)


def notify_deadline(case_pk: int, municipality_pk: int | None, kind: str, due_iso: str, topic: str) -> int:
    """A legal deadline of a case: the reminder goes to the municipality's people who can act (capability
    ``record_council_resolution``), the escalation to the DKZ project management of the county."""
    from projects.models import Municipality
    from projects.services.cases import county_anchor

    case = Case.objects.select_related("county").filter(pk=case_pk).first()
    if case is None:
        return 0
    municipality = Municipality.objects.filter(pk=municipality_pk).first() if municipality_pk else None
    deferred = topic == "council_resolution_deferred"  # the project management is told of a deferral
    if kind == "escalation" or deferred:
        target, codename = county_anchor(case.county), "manage_case"
    elif municipality is not None:
        target, codename = municipality, "record_council_resolution"
    else:
        return 0
    users: QuerySet = cast(
        QuerySet,
        get_users_with_perms(target, only_with_perms_in=[codename], with_group_users=True, with_superusers=False),
    )  # a query set without attach_perms
    due_text = date_format(dt.date.fromisoformat(due_iso), "SHORT_DATE_FORMAT")
    who = municipality.name if municipality else ""
    sent = 0
    for user in users.filter(is_active=True):
        with override("de"):
            if deferred:
                title = _("Gremienbeschluss vertagt: %(who)s zu %(number)s, nächste Sitzung %(due)s") % {
                    "who": who,
                    "number": case.number,
                    "due": due_text,
                }
            elif kind == "escalation":
                title = _("Frist überschritten: Gremienbeschluss %(who)s zu %(number)s") % {
                    "who": who,
                    "number": case.number,
                }
            else:
                title = _("Erinnerung: Gremienbeschluss zu %(number)s bis %(due)s") % {
                    "number": case.number,
                    "due": due_text,
                }
            body = _("Vorgang %(number)s „%(title)s“: Frist %(due)s.") % {
                "number": case.number,
                "title": case.title,
                "due": due_text,
            }
        notification = notify(
            user=user,
            kind=Notification.Kind.OVERDUE if kind == "escalation" else Notification.Kind.REMINDER,
            title=title,
            body=body,
            url=f"/portal/vorgaenge/{case.pk}/",
            dedupe_key=f"deadline:{kind}:{topic}:{case.pk}:{municipality_pk}:{due_iso}",
        )
        sent += notification is not None
    return sent


def on_deadline_notice(sender, case: Case, municipality, kind: str, due, topic: str, **kwargs) -> None:
    from portal.tasks import notify_deadline_job

    notify_deadline_job.delay(case.pk, getattr(municipality, "pk", None), kind, due.isoformat(), topic)
