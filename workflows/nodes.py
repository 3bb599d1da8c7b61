"""Custom viewflow nodes built on the open-source edition (ADR 0004).

- :class:`BusinessTask`: a human task whose completion form and handler live on the node, so that the portal view
  and the REST API complete it the same way (``workflows.engine.task_complete``).
- :class:`MunicipalityTask`: one per municipality; only holders of the capability *on that municipality* may claim it
  (the guardian object comes from ``task.data["municipality_id"]``, not from the process).
- :class:`DkzTask`: a task for DKZ staff (or the supervisory authority) of the case's county.
- :class:`ForEachMunicipality`: a split that creates one branch task per item (municipality).
- :class:`CeleryJob`: a background step, enqueued after commit, safe to run twice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from viewflow import this
from viewflow.workflow import STATUS, Activation, flow
from viewflow.workflow.context import context
from viewflow.workflow.nodes import AbstractJob, AbstractJobActivation
from viewflow.workflow.nodes.func import FunctionActivation as ViewflowFunctionActivation
from viewflow.workflow.nodes.split import SplitActivation
from viewflow.workflow.nodes.view import ViewActivation
from viewflow.workflow.signals import task_finished, task_started

from projects.models import Municipality
from projects.services.periods import due_on_working_day
from workflows.prepared import insert_links, insert_row, update_columns

Handler = Callable[..., Any]

# The task columns a step's transitions may change (assign, start, handler, complete). The others (flow task, token,
# process, permission, created) are written once by the INSERT; viewflow's full-row save rewrote all of them.
STEP_FIELDS = (
    "status",
    "owner",
    "assigned",
    "started",
    "finished",
    "data",
    "artifact_content_type",
    "artifact_object_id",
)


def _link_previous(tasks: list, previous) -> None:
    """The ``previous`` links of new tasks to the task that created them: one precompiled INSERT for all of them."""
    through = type(previous).previous.through
    insert_links(through, "from_task", "to_task", [(task.pk, previous.pk) for task in tasks])


def _previous_link(previous) -> tuple[Any, str, str, Any]:
    """The ``previous`` link of a new task to the task that created it, written with the task's INSERT."""
    return type(previous).previous.through, "from_task", "to_task", previous.pk


class BusinessTaskActivation(ViewActivation):
    """viewflow's view activation, writing a new task in one INSERT.

    viewflow's ``create`` loads the permission object (the municipality) to set the generic foreign key, inserts the
    row, links it to its predecessor and then calls ``_on_create``, which wrote the due date with a second UPDATE.
    Here the permission columns are set from the node's ``owner_permission_key`` (no query where the node knows the
    object's id), the due date is part of the INSERT, and :meth:`create_many` writes the tasks of a split in one
    INSERT (plus one for their ``previous`` links).
    """

    @classmethod
    def _new(cls, flow_task, prev_activation, token, data=None, seed=None):
        task = flow_task.flow_class.task_class(
            process=prev_activation.process, flow_task=flow_task, flow_task_type=flow_task.task_type, token=token
        )
        task.data = data if data is not None else {}
        if seed is not None:
            task.seed = seed
        activation = cls(task)
        owner_permission = flow_task.calc_owner_permission(activation)
        if owner_permission:
            task.owner_permission = owner_permission
            content_type, object_pk = flow_task.owner_permission_key(activation)
            task.owner_permission_content_type = content_type
            task.owner_permission_obj_pk = None if object_pk is None else str(object_pk)
        owner = flow_task.calc_owner(activation)
        if owner:
            task.owner = owner
            task.status = STATUS.ASSIGNED
        flow_task.stamp_due(activation)
        return activation

    @classmethod
    def create(cls, flow_task, prev_activation, token, data=None, seed=None):
        activation = cls._new(flow_task, prev_activation, token, data=data, seed=seed)
        # the task and its ``previous`` link in one statement; post_save is sent as by save() (task_created)
        insert_row(activation.task, link=_previous_link(prev_activation.task))
        return activation

    @classmethod
    def create_many(cls, flow_task, prev_activation, items: list[tuple[Any, dict]]) -> list:
        """One new task per ``(token, data)``: one INSERT for the tasks, one for their links."""
        from django.db.models.signals import post_save

        activations = [cls._new(flow_task, prev_activation, token, data=data) for token, data in items]
        tasks = [a.task for a in activations]
        task_class = flow_task.flow_class.task_class
        task_class._default_manager.bulk_create(tasks)
        _link_previous(tasks, prev_activation.task)
        for task in tasks:  # what save() would have sent (the task_created bridge listens to it)
            post_save.send(
                sender=task_class, instance=task, created=True, update_fields=None, raw=False, using=task._state.db
            )
        for activation in activations:  # what the node's _create does after create (boundary timers)
            for boundary_event in flow_task._boundary_events:
                boundary_event._arm(activation)
        return activations

    # viewflow's transitions save the full row; these write only the columns the transition changes.
    @Activation.status.super()
    def assign(self, user):
        self.task.owner = user
        update_columns(self.task, ("owner", "status"))

    @Activation.status.super()
    def unassign(self):
        self.task.owner = None
        update_columns(self.task, ("owner", "status"))

    @Activation.status.super()
    def complete(self):
        _complete(self)


def _complete(activation) -> None:
    """viewflow's ``Activation.complete`` with an UPDATE of the step's columns instead of the full row."""
    activation.task.finished = timezone.now()
    update_columns(activation.task, STEP_FIELDS)
    task_finished.send(sender=activation.flow_class, process=activation.process, task=activation.task)


class FunctionActivation(ViewflowFunctionActivation):
    """viewflow's function activation with fewer statements per automatic step (7 → 4).

    - create: the ``previous`` link is one INSERT (``previous.add`` first read the existing links);
    - activate: no savepoint around the callback when errors propagate (the default: the whole transaction rolls
      back anyway); with ``propagate_exception=False`` viewflow's savepoint and error state are kept;
    - complete: an UPDATE of the step's columns instead of the full row.
    """

    @classmethod
    def create(cls, flow_task, prev_activation, token, data=None, seed=None):
        task = flow_task.flow_class.task_class(
            process=prev_activation.process, flow_task=flow_task, flow_task_type=flow_task.task_type, token=token
        )
        task.data = data if data is not None else {}
        task.seed = seed
        insert_row(task, link=_previous_link(prev_activation.task))  # the task and its link in one statement
        return cls(task)

    @Activation.status.super()
    def activate(self):
        if not context.propagate_exception:
            return super().activate.original()
        self.task.started = timezone.now()
        task_started.send(sender=self.flow_class, process=self.process, task=self.task)
        self.flow_task._func(self)

    @Activation.status.super()
    def complete(self):
        _complete(self)


class Function(flow.Function):
    """``flow.Function`` with :class:`FunctionActivation` (same node, same task rows and links)."""

    activation_class = FunctionActivation


class BusinessTask(flow.View):
    """A human task with a German title, a form class and a handler calling one domain service.

    ``handler(activation, user, data)`` runs inside the task's activation (flow lock held, one transaction); it
    must call the domain service that records the decision. ``due`` returns the due date of a new task.
    """

    activation_class = BusinessTaskActivation

    def __init__(self, *, form_class, handler: Handler, title: str | Promise, due: Callable | None = None, **kwargs):
        from workflows.views import TaskFormView

        super().__init__(TaskFormView.as_view(), **kwargs)
        self.form_class = form_class
        self._handler = handler
        self._due = due
        self.task_title = title

    def _resolve(self, instance):
        super()._resolve(instance)
        self._handler = this.resolve(instance, self._handler)
        if self._due is not None:
            self._due = this.resolve(instance, self._due)

    def stamp_due(self, activation) -> None:
        """Write the due date into the new task's data (before its INSERT: BusinessTaskActivation)."""
        if self._due is not None:
            due = self._due(activation)
            if due is not None:
                due = due_on_working_day(due)  # an internal task is never due on a weekend or holiday in Hessen
                activation.task.data["due"] = due.isoformat()

    def owner_permission_key(self, activation) -> tuple[Any, Any]:
        """(content type, object id) of the task's permission object; loads the object unless a node knows its id."""
        obj = self.calc_owner_permission_obj(activation)
        if obj is None:
            return None, None
        from django.contrib.contenttypes.models import ContentType

        return ContentType.objects.get_for_model(obj, for_concrete_model=False), obj.pk

    def handle(self, activation, user, data: dict[str, Any]) -> Any:
        return self._handler(activation, user, data)

    def form_for(self, task, data=None, files=None):
        return self.form_class(data=data, files=files, task=task)


def holds_task_capability(user, task) -> bool:
    """The user holds the task's capability on the task's municipality (guardian rows, never a global grant).

    Uses the user's capability pairs, loaded once per request (one query), instead of a guardian query per task.
    """
    from workflows.selectors import capability_pairs_of

    if user is None or not user.is_authenticated or not user.is_active or not task.owner_permission:
        return False
    return str(task.owner_permission_obj_pk) in capability_pairs_of(user=user).get(task.owner_permission, ())


def _municipality_key(municipality_id) -> tuple[Any, Any]:
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(Municipality, for_concrete_model=False), municipality_id


class MunicipalityTask(BusinessTask):
    def calc_owner_permission_obj(self, activation):
        return Municipality.objects.get(pk=activation.task.data["municipality_id"])

    def owner_permission_key(self, activation):
        """The municipality's id is in the task's data: no query (ContentType is cached per process)."""
        return _municipality_key(activation.task.data["municipality_id"])

    def can_assign(self, user, task):
        return not task.owner_id and holds_task_capability(user, task)


class DkzTask(BusinessTask):
    """Claimable by holders of the capability on the county itself (its Landkreis member record)."""

    def calc_owner_permission_obj(self, activation):
        return activation.process.anchor_municipality()

    def can_assign(self, user, task):
        return not task.owner_id and holds_task_capability(user, task)


class ForEachActivation(SplitActivation):
    @Activation.status.super()
    def activate(self):
        ((node, _cond, _source),) = self.flow_task._branches
        items = list(self.flow_task._items(self))
        if not items:
            raise ValueError("Keine Beteiligten für die parallelen Aufgaben.")
        self.next_tasks = [(node, item) for item in items]

    @Activation.status.super()
    def create_next(self):
        """The N branch tasks of a business task in one INSERT (viewflow's split inserts them one by one)."""
        from viewflow.workflow.token import Token

        ((node, _cond, _source),) = self.flow_task._branches
        activation_class = getattr(node, "activation_class", None)
        if not (isinstance(activation_class, type) and issubclass(activation_class, BusinessTaskActivation)):
            yield from super().create_next.original()
            return
        tokens = Token.split_token_source(self.task.token, self.task.pk)
        yield from activation_class.create_many(node, self, [(next(tokens), data) for _node, data in self.next_tasks])


class ForEachMunicipality(flow.Split):
    """One outgoing task per item; each item becomes the new task's ``data``."""

    activation_class = ForEachActivation

    def __init__(self, items, **kwargs):
        super().__init__(**kwargs)
        self._items = items

    def _resolve(self, instance):
        super()._resolve(instance)
        self._items = this.resolve(instance, self._items)


class CeleryJobActivation(AbstractJobActivation):
    @Activation.status.transition(source=STATUS.NEW, target=STATUS.SCHEDULED)
    def activate(self):
        self.task.save()
        task_pk = self.task.pk
        celery_task = self.flow_task._celery_task
        transaction.on_commit(lambda: celery_task.apply_async(args=[task_pk]))

    @Activation.status.transition(source=[STATUS.NEW, STATUS.SCHEDULED, STATUS.ERROR], target=STATUS.CANCELED)
    def cancel(self):
        self.task.finished = timezone.now()
        self.task.save()


class CeleryJob(AbstractJob):
    """A background step: the Celery task receives the viewflow task id and calls :func:`run_job`."""

    activation_class = CeleryJobActivation

    def __init__(self, celery_task, **kwargs):
        super().__init__(**kwargs)
        self._celery_task = celery_task


def transient_errors() -> tuple[type[BaseException], ...]:
    """Errors of the infrastructure (database, broker, network) that pass by themselves: a job retries on them."""
    from django.db import InterfaceError, OperationalError
    from kombu.exceptions import OperationalError as BrokerError
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError
    from viewflow.workflow.exceptions import FlowLockFailed

    return (
        OperationalError,
        InterfaceError,
        BrokerError,
        RedisConnectionError,
        RedisTimeoutError,
        FlowLockFailed,
        ConnectionError,
        TimeoutError,
    )


def run_job(task_pk: int, work: Callable[[Any], None]) -> bool:
    """Run a job step exactly once: start under the lock, work, finish under the lock.

    Safe to run twice (a redelivered message): a task that is already DONE or CANCELED is skipped.
    ``work`` must be idempotent itself (it may run again after a crash between work and finish).

    A transient error (database or broker away, see :func:`transient_errors`) leaves the step STARTED and is
    raised again, so that the Celery task retries it (:func:`job_task`); if even the retry message is lost, the
    periodic sweep ``workflows.tasks.requeue_stale_jobs`` finds the step after its lease. Any other error marks the
    step ERROR, for a person to look at.
    """
    from viewflow.workflow.models import Task

    task = Task.objects.get(pk=task_pk)
    with task.activation() as activation:
        if activation.task.status in (STATUS.DONE, STATUS.CANCELED, STATUS.ERROR):
            return False
        if activation.task.status != STATUS.STARTED:
            activation.start()
    try:
        work(activation.process)
    except transient_errors():
        raise
    except Exception as exc:
        with task.activation() as activation:
            if activation.task.status == STATUS.STARTED:
                activation.error(exc)
        raise
    with task.activation() as activation:
        if activation.task.status == STATUS.STARTED:
            activation.execute()
    return True


def job_task(name: str):
    """Declare the Celery task of a job step: ``@job_task("app.jobs.name") def job(task_pk): return run_job(...)``.

    Late acknowledgement (a killed worker's message is delivered again) and retries with backoff on transient
    errors, without limit: a step must not be lost because the database restarted while it ran.
    """
    from celery import shared_task

    return shared_task(
        name=name,
        ignore_result=True,
        acks_late=True,
        reject_on_worker_lost=True,
        autoretry_for=transient_errors(),
        max_retries=None,
        retry_backoff=2,
        retry_backoff_max=300,
        retry_jitter=True,
    )


class Condition:
    """A gateway condition with a German label: ``.Case(this.rejected, when(_("Abgelehnt"), lambda act: ...))``.

    Called like the plain predicate; the label names the outgoing sequence flow in the BPMN export.
    """

    def __init__(self, label: str | Promise, predicate: Callable[[Any], bool]):
        self.label = label
        self._predicate = predicate

    def __call__(self, activation) -> bool:
        return bool(self._predicate(activation))


def when(label: str | Promise, predicate: Callable[[Any], bool]) -> Condition:
    return Condition(label, predicate)


class WaitForChildFlow(flow.Handle):
    """The parent waits here until its child process resumes it (``child`` names the child flow, e.g. "funding").

    Runs like :class:`viewflow.workflow.flow.Handle`; the BPMN export shows it as a call activity of the child.
    """

    def __init__(self, func, *, child: str, **kwargs):
        super().__init__(func, **kwargs)
        self.child_flow = child
