"""Flows used only by the benchmarks (bench/, issue 10). Not part of any user-facing application.

- :class:`BenchHumanFlow`: ten human tasks in a row, each claimed and completed through ``workflows.engine`` (the
  service code of the portal and the REST API), with the same node type, lock and audit trail as the case flow.
- :class:`BenchAutoFlow`: ten automatic steps (``flow.Function``), each writing an audit entry, all in the start's
  transaction.
- :class:`BenchJobFlow`: one background step (:class:`workflows.nodes.CeleryJob`) between start and end, to measure
  the time from a step's commit to the start of the following job.

They use viewflow's plain ``Process`` model (no proxy, so no migration) and keep the municipality in
``process.data``.
"""

from __future__ import annotations

import json
import time

from celery import shared_task
from django import forms
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from viewflow import this
from viewflow.workflow import flow

from projects.models import Municipality
from projects.services.audit import audit_record
from workflows.nodes import (
    CeleryJob,
    ForEachMunicipality,
    Function,
    MunicipalityTask,
    _municipality_key,
    job_task,
    run_job,
)
from workflows.prepared import SelectForUpdateLock

STEPS = 10
CAPABILITY = "projects.approve_project_order"
CELERY_TIMESTAMPS_KEY = "ikz_bench:job_started"


class BenchStepForm(forms.Form):
    """A completion form without fields (the handler has nothing to record)."""

    def __init__(self, *args, task=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.task = task


class BenchTask(MunicipalityTask):
    """A municipality task in a sequence: the municipality comes from the process, not from a split item."""

    def calc_owner_permission_obj(self, activation):
        return Municipality.objects.get(pk=activation.process.data["municipality_id"])

    def owner_permission_key(self, activation):
        return _municipality_key(activation.process.data["municipality_id"])


def _human_step(number: int, next_node):
    return (
        BenchTask(form_class=BenchStepForm, handler=this.no_decision, title=f"Schritt {number}")
        .Permission(CAPABILITY)
        .Next(next_node)
    )


class BenchHumanFlow(flow.Flow):
    """Benchmark: ten human steps"""

    lock_impl = SelectForUpdateLock(nowait=False, attempts=1)

    start = flow.StartHandle(this.start_process).Next(this.step_01)
    step_01 = _human_step(1, this.step_02)
    step_02 = _human_step(2, this.step_03)
    step_03 = _human_step(3, this.step_04)
    step_04 = _human_step(4, this.step_05)
    step_05 = _human_step(5, this.step_06)
    step_06 = _human_step(6, this.step_07)
    step_07 = _human_step(7, this.step_08)
    step_08 = _human_step(8, this.step_09)
    step_09 = _human_step(9, this.step_10)
    step_10 = _human_step(10, this.end)
    end = flow.End()

    def start_process(self, activation, municipality_id: int):
        activation.process.data = {"municipality_id": municipality_id}
        return activation.process

    def no_decision(self, activation, user, data):
        return None


def _auto_step(next_node):
    return Function(this.record_step).Next(next_node)


class BenchAutoFlow(flow.Flow):
    """Benchmark: ten automatic steps"""

    lock_impl = SelectForUpdateLock(nowait=False, attempts=1)

    start = flow.StartHandle(this.start_process).Next(this.auto_01)
    auto_01 = _auto_step(this.auto_02)
    auto_02 = _auto_step(this.auto_03)
    auto_03 = _auto_step(this.auto_04)
    auto_04 = _auto_step(this.auto_05)
    auto_05 = _auto_step(this.auto_06)
    auto_06 = _auto_step(this.auto_07)
    auto_07 = _auto_step(this.auto_08)
    auto_08 = _auto_step(this.auto_09)
    auto_09 = _auto_step(this.auto_10)
    auto_10 = _auto_step(this.end)
    end = flow.End()

    def start_process(self, activation, municipality_id: int):
        activation.process.data = {"municipality_id": municipality_id}
        return activation.process

    def record_step(self, activation):
        audit_record(
            actor=None,
            action="task.completed",
            subject=activation.task,
            changes={"node": activation.flow_task.name},
        )


@job_task("workflows.bench_flows.bench_job")
def bench_job(task_pk: int) -> bool:
    """The background step of :class:`BenchJobFlow`: stamps its start time, then runs the step as any job does."""
    started = time.time()
    _redis().rpush(CELERY_TIMESTAMPS_KEY, json.dumps({"task": task_pk, "started": started}))
    return run_job(task_pk, lambda process: None)


@shared_task(name="workflows.bench_flows.bench_noop", ignore_result=True)
def bench_noop(n: int) -> int:
    """A no-op job used to fill the queue (burst)."""
    return n


_REDIS = None


def _redis():
    global _REDIS
    if _REDIS is None:
        import redis

        if not settings.CELERY_BROKER_URL:
            raise ImproperlyConfigured("The benchmark's shared counter needs CELERY_BROKER_URL (Redis).")
        _REDIS = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    return _REDIS


class BenchJobFlow(flow.Flow):
    """Benchmark: one background step"""

    lock_impl = SelectForUpdateLock(nowait=False, attempts=1)

    start = flow.StartHandle(this.start_process).Next(this.job)
    job = CeleryJob(bench_job).Next(this.end)
    end = flow.End()

    def start_process(self, activation, municipality_id: int):
        activation.process.data = {"municipality_id": municipality_id}
        return activation.process


class BenchSplitFlow(flow.Flow):
    """Benchmark: the case flow's shape: a task, a split into one task per municipality, the join, a last task"""

    lock_impl = SelectForUpdateLock(nowait=False, attempts=1)

    start = flow.StartHandle(this.start_process).Next(this.prepare)
    prepare = _human_step(0, this.split)
    split = ForEachMunicipality(this.participant_items).Next(this.approve)
    approve = (
        MunicipalityTask(form_class=BenchStepForm, handler=this.no_decision, title="Freigabe der Kommune")
        .Permission(CAPABILITY)
        .Next(this.join)
    )
    join = flow.Join().Next(this.conclude)
    conclude = _human_step(11, this.end)
    end = flow.End()

    def start_process(self, activation, municipality_id: int, participants: list[int]):
        activation.process.data = {"municipality_id": municipality_id, "participants": participants}
        return activation.process

    def participant_items(self, activation):
        return [{"municipality_id": pk} for pk in activation.process.data["participants"]]

    def no_decision(self, activation, user, data):
        return None
