"""Working with human tasks: the one code path for the portal, the API, the demo and the benchmarks.

``task_assign`` / ``task_unassign`` / ``task_complete`` take the flow lock, re-read the task, check the user's right
through the node (viewflow's own transition checks are advisory, viewflow.md §6), call the node's handler (one
domain service) and advance the flow, all in one transaction.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models.signals import post_save
from django.utils.translation import gettext as _
from viewflow.workflow import STATUS
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.models import Task

from projects.services.cases import TaskAlreadyDecided
from workflows.nodes import BusinessTask
from workflows.prepared import PreparedQuery
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


# the task with its process, compiled once per connection (the step's hot path, issue 21)
_TASK_WITH_PROCESS = PreparedQuery(lambda pk: Task.objects.select_related("process").filter(pk=pk).order_by(), "pk")


@contextmanager
def _activation(task: Task):
    """The task's activation under the flow lock, on a fresh copy of the task read with its process in one query.

    viewflow's ``Task.activation()`` re-reads the task and then its process (two queries after the lock). The copy
    keeps the caller's object unchanged if the transition rolls back.
    """
    with task.flow_task.flow_class.lock(task.process_id):
        found = _TASK_WITH_PROCESS.instances(pk=task.pk)
        if not found:
            raise Task.DoesNotExist(f"Task {task.pk} does not exist.")
        fresh: Any = found[0]
        yield fresh.flow_task.activation_class(fresh)


# Tasks created while a user action advances the flow (collected from post_save, no query afterwards).
_created: ContextVar[list[Task] | None] = ContextVar("ikz_created_tasks", default=None)


def _collect_created(sender, instance, created: bool, **kwargs) -> None:
    collected = _created.get()
    if created and collected is not None:
        collected.append(instance)


post_save.connect(_collect_created, sender=Task, dispatch_uid="workflows.engine.collect_created")


def _copy_state(target: Task, source: Task) -> None:
    for field in Task._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))


def task_assign(*, task: Task, user: Any) -> Task:
    node = _node(task)
    try:
        with _activation(task) as activation:
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
    _copy_state(task, activation.task)
    return task


def task_unassign(*, task: Task, user: Any) -> Task:
    node = _node(task)
    with _activation(task) as activation:
        _open_or_conflict(activation.task)
        if activation.task.status != STATUS.ASSIGNED:
            raise TaskConflict(_("Die Aufgabe ist niemandem zugewiesen."))
        if not node.can_unassign(user, activation.task):
            raise PermissionDenied(_("Nur wer die Aufgabe übernommen hat, kann sie zurückgeben."))
        activation.unassign()
        _audit(activation, user, "task.released")
    _copy_state(task, activation.task)
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
    created: list[Task] = []
    token = _created.set(created)
    try:
        with _activation(task) as activation:  # the flow lock's transaction is the action's one transaction
            _open_or_conflict(activation.task)
            if activation.task.status == STATUS.NEW:
                if not node.can_assign(user, activation.task):
                    raise PermissionDenied(_("Sie dürfen diese Aufgabe nicht erledigen."))
                activation.assign(user)
            elif activation.task.owner_id != user.pk:
                raise PermissionDenied(_("Die Aufgabe ist einer anderen Person zugewiesen."))
            activation.start(None)
            node.handle(activation, user, form.cleaned_data)
            activation.execute()
            _audit(activation, user, "task.completed")
            task_completed.send(sender=type(activation.task), task=activation.task, user=user)
    except TaskAlreadyDecided as exc:
        raise TaskConflict(" ".join(exc.messages)) from exc
    except FlowLockFailed as exc:
        raise TaskConflict(_("Der Vorgang wird gerade bearbeitet. Bitte erneut versuchen.")) from exc
    finally:
        _created.reset(token)
    _copy_state(task, activation.task)
    return sorted((t for t in created if t.process_id == task.process_id), key=lambda t: t.pk)


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
