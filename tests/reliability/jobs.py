"""Probe flows for the fault tests, run by real Celery workers in subprocesses.

- :class:`FaultJobFlow`: start → one background step (:class:`workflows.nodes.CeleryJob` + :func:`run_job`) → end.
  The step sleeps for a window in which the test kills the worker, then writes one marker row (an audit entry)
  idempotently. Every attempt is counted in Redis, so a test can prove that a job really ran more than once.
- :class:`FaultTimerFlow`: start → timer at ``process.data["due"]`` → a function writing a marker row → end.

Only importable where ``tests.reliability`` is an installed app (the subprocesses set EXTRA_INSTALLED_APPS).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time

from django.conf import settings
from django.db import OperationalError, transaction
from viewflow import this
from viewflow.workflow import flow, lock
from viewflow.workflow.models import Process

from projects.models import AuditEntry
from projects.services.audit import audit_record
from workflows.nodes import CeleryJob, job_task, run_job

JOB_MARKER = "reliability.job_done"
TIMER_MARKER = "reliability.timer_fired"
STARTED_KEY = "reliability:started"
ATTEMPTS_KEY = "reliability:attempts:{}"


def _redis():
    import redis

    return redis.Redis.from_url(settings.CELERY_BROKER_URL)


def _write_marker_once(process: Process, action: str) -> None:
    """The job's effect: one marker row per process, written under the process row lock (safe to run twice)."""
    with transaction.atomic():
        Process.objects.select_for_update().get(pk=process.pk)
        if not AuditEntry.objects.filter(action=action, subject_id=str(process.pk)).exists():
            audit_record(actor=None, action=action, subject=process, changes={"pid": os.getpid()})


def _work(process: Process) -> None:
    attempt = _redis().incr(ATTEMPTS_KEY.format(process.pk))
    _redis().rpush(STARTED_KEY, json.dumps({"process": process.pk, "pid": os.getpid(), "attempt": attempt}))
    if attempt <= int(os.environ.get("FAULT_TRANSIENT_FAILURES", "0")):  # the database is away for a moment
        raise OperationalError("server closed the connection unexpectedly (simulated)")
    if os.environ.get("FAULT_PERMANENT_FAILURE") == "1":  # a bug: no retry helps
        raise ValueError("Fehlerhafte Daten im Schritt (simuliert)")
    time.sleep(float(os.environ.get("FAULT_JOB_SECONDS", "1.5")))  # the window in which a test kills the worker
    _write_marker_once(process, JOB_MARKER)


@job_task("tests.reliability.jobs.fault_job")
def fault_job(task_pk: int) -> bool:
    return run_job(task_pk, _work)


class FaultJobFlow(flow.Flow):
    """Fehlertest: ein Hintergrundschritt"""

    lock_impl = lock.SelectForUpdateLock(nowait=False, attempts=1)

    start = flow.StartHandle(this.start_process).Next(this.job)
    job = CeleryJob(fault_job).Next(this.end)
    end = flow.End()

    def start_process(self, activation, label: str):
        activation.process.data = {"label": label}
        return activation.process


def _timer_due(activation) -> dt.datetime:
    return dt.datetime.fromisoformat(activation.process.data["due"])


class FaultTimerFlow(flow.Flow):
    """Fehlertest: ein Timer"""

    lock_impl = lock.SelectForUpdateLock(nowait=False, attempts=1)

    start = flow.StartHandle(this.start_process).Next(this.wait)
    wait = flow.Timer(_timer_due).Next(this.record)
    record = flow.Function(this.record_fired).Next(this.end)
    end = flow.End()

    def start_process(self, activation, due: dt.datetime):
        activation.process.data = {"due": due.isoformat()}
        return activation.process

    def record_fired(self, activation):
        _write_marker_once(activation.process, TIMER_MARKER)
