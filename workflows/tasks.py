"""Celery tasks of the flows. They take ids, run after commit and are safe to run twice."""

from __future__ import annotations

from celery import shared_task
from viewflow.workflow.timers import fire_due_timers as viewflow_fire_due_timers


@shared_task(name="workflows.tasks.fire_due_timers", ignore_result=True)
def fire_due_timers() -> int:
    """The single timer dispatcher: fires every viewflow timer whose time has come."""
    return viewflow_fire_due_timers()


@shared_task(name="workflows.tasks.requeue_stale_jobs", ignore_result=True)
def requeue_stale_jobs(older_than_seconds: float | None = None, lease_seconds: float | None = None) -> int:
    """Enqueue again every background step that nothing will run any more.

    - SCHEDULED for longer than ``older_than_seconds``: a broker crash lost its message (Redis popped it, the reply
      never reached the worker).
    - STARTED for longer than ``lease_seconds``: its run failed on a transient error and even the retry message
      was lost (the broker was down when Celery tried to send it). The lease must exceed the longest job and the
      broker's visibility timeout, so that a step that is still running, or whose message will come back by
      itself, is left alone.

    Enqueueing again is safe: ``run_job`` skips a step that is already done, so a message that was only late runs
    the step once all the same.
    """
    from datetime import timedelta

    from django.conf import settings
    from django.db.models import Q
    from django.utils import timezone
    from viewflow.workflow import STATUS
    from viewflow.workflow.models import Task

    from workflows.nodes import CeleryJob

    if older_than_seconds is None:
        older_than_seconds = float(getattr(settings, "JOB_REQUEUE_AFTER_SECONDS", 900))
    if lease_seconds is None:
        lease_seconds = float(getattr(settings, "JOB_LEASE_SECONDS", 7200))
    now = timezone.now()
    stale = Q(status=STATUS.SCHEDULED, created__lt=now - timedelta(seconds=older_than_seconds)) | Q(
        status=STATUS.STARTED, started__lt=now - timedelta(seconds=lease_seconds)
    )
    requeued = 0
    for task in Task.objects.filter(stale, flow_task_type="JOB").order_by("pk"):
        node = task.flow_task
        if isinstance(node, CeleryJob):
            node._celery_task.apply_async(args=[task.pk])
            requeued += 1
    return requeued
