"""Working with human tasks: the one code path for the portal, the API, the demo and the benchmarks.

``task_assign`` / ``task_unassign`` / ``task_complete`` take the flow lock, re-read the task, check the user's right
through the node (viewflow's own transition checks are advisory, viewflow.md §6), call the node's handler (one
domain service) and advance the flow, all in one transaction.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow import STATUS
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.models import Task

from projects.services.cases import TaskAlreadyDecided
from workflows.nodes import BusinessTask
from workflows.signals import task_completed


class TaskConflict(Exception):
    """The task is no longer open (completed by someone else, cancelled, or a race was lost)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _node(task: Task) -> BusinessTask:
    node = task.flow_task
    if not isinstance(node, BusinessTask):
        raise PermissionDenied(_("Diese Aufgabe kann nicht von Hand erledigt werden."))
    return node


def task_actions_for(*, task: Task, user: Any) -> list[str]:
    """What the user may do with the task now: assign, unassign, complete."""
    node = task.flow_task
    if not isinstance(node, BusinessTask) or task.status not in (STATUS.NEW, STATUS.ASSIGNED):
        return []
    if task.status == STATUS.NEW:
        return ["assign", "complete"] if node.can_assign(user, task) else []
    if task.owner_id == user.pk:
        return ["unassign", "complete"]
    return []


def _open_or_conflict(task: Task) -> None:
    if task.status not in (STATUS.NEW, STATUS.ASSIGNED):
        raise TaskConflict(_("Diese Aufgabe ist bereits erledigt oder nicht mehr offen."))


def _working_copy(task: Task) -> Task:
    """Transitions run on a fresh copy: if they roll back, the caller's object still shows the stored state.

    No query here: ``activation()`` takes the lock and then reloads the row.
    """
    return Task(pk=task.pk, process_id=task.process_id, flow_task=task.flow_task)


def _copy_state(target: Task, source: Task) -> None:
    for field in Task._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))


def task_assign(*, task: Task, user: Any) -> Task:
    node = _node(task)
    try:
        with _working_copy(task).activation() as activation:
            _open_or_conflict(activation.task)
            if activation.task.status == STATUS.ASSIGNED:
                if activation.task.owner_id == user.pk:
                    return activation.task
                raise TaskConflict(
                    _("Die Aufgabe wurde bereits von %(name)s übernommen.")
                    % {"name": activation.task.owner.get_full_name() or activation.task.owner}
                )
            if not node.can_assign(user, activation.task):
                raise PermissionDenied(_("Sie dürfen diese Aufgabe nicht übernehmen."))
            activation.assign(user)
            _audit(activation, user, "task.assigned")
    except FlowLockFailed as exc:
        raise TaskConflict(_("Der Vorgang wird gerade bearbeitet. Bitte erneut versuchen.")) from exc
    task.refresh_from_db()
    return task


def task_unassign(*, task: Task, user: Any) -> Task:
    node = _node(task)
    with _working_copy(task).activation() as activation:
        _open_or_conflict(activation.task)
        if activation.task.status != STATUS.ASSIGNED:
            raise TaskConflict(_("Die Aufgabe ist niemandem zugewiesen."))
        if not node.can_unassign(user, activation.task):
            raise PermissionDenied(_("Nur wer die Aufgabe übernommen hat, kann sie zurückgeben."))
        activation.unassign()
        _audit(activation, user, "task.released")
    task.refresh_from_db()
    return task


def task_validate(*, task: Task, data: dict[str, Any], files=None):
    """Validate completion data with the node's form. Returns the form (``is_valid()`` already called)."""
    form = _node(task).form_for(task, data=data, files=files)
    form.is_valid()
    return form


def task_complete(*, task: Task, user: Any, data: dict[str, Any], files=None) -> list[Task]:
    """Complete a task as ``user`` with ``data`` (claims it first if it is still open). Returns the new tasks."""
    node = _node(task)
    form = task_validate(task=task, data=data, files=files)
    if not form.is_valid():
        raise ValidationError({k: [e["message"] for e in v] for k, v in form.errors.get_json_data().items()})
    try:
        with transaction.atomic(), _working_copy(task).activation() as activation:
            _open_or_conflict(activation.task)
            if activation.task.status == STATUS.NEW:
                if not node.can_assign(user, activation.task):
                    raise PermissionDenied(_("Sie dürfen diese Aufgabe nicht erledigen."))
                activation.assign(user)
            elif activation.task.owner_id != user.pk:
                raise PermissionDenied(_("Die Aufgabe ist einer anderen Person zugewiesen."))
            started_at = timezone.now()
            activation.start(None)
            node.handle(activation, user, form.cleaned_data)
            activation.execute()
            _audit(activation, user, "task.completed")
            task_completed.send(sender=type(activation.task), task=activation.task, user=user)
    except TaskAlreadyDecided as exc:
        raise TaskConflict(" ".join(exc.messages)) from exc
    except FlowLockFailed as exc:
        raise TaskConflict(_("Der Vorgang wird gerade bearbeitet. Bitte erneut versuchen.")) from exc
    _copy_state(task, activation.task)
    return list(Task.objects.filter(process_id=task.process_id, created__gte=started_at).order_by("pk"))


def _audit(activation, user, action: str) -> None:
    from projects.services.audit import audit_record

    process = activation.process
    case = getattr(process, "case", None) if hasattr(process, "artifact_object_id") else None
    audit_record(
        actor=user,
        action=action,
        subject=activation.task,
        county=getattr(case, "county", None),
        changes={
            "node": activation.flow_task.name,
            "title": str(activation.flow_task.task_title),
            "data": {k: v for k, v in activation.task.data.items() if k in ("municipality_id",)},
        },
    )
