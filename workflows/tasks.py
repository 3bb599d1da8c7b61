"""Celery tasks of the flows. They take ids, run after commit and are safe to run twice."""

from __future__ import annotations

from celery import shared_task
from viewflow.workflow.timers import fire_due_timers as viewflow_fire_due_timers


@shared_task(name="workflows.tasks.fire_due_timers", ignore_result=True)
def fire_due_timers() -> int:
    """The single timer dispatcher: fires every viewflow timer whose time has come."""
    return viewflow_fire_due_timers()


@shared_task(name="workflows.tasks.requeue_stale_jobs", ignore_result=True)
def requeue_stale_jobs(older_than_seconds: float | None = None) -> int:
    """Enqueue again every background step still waiting for its message after ``older_than_seconds``.

    A broker crash can lose a message (Redis pops it, the reply never reaches the worker). The step's task row is
    still SCHEDULED then, and nothing would ever run it. Enqueueing it again is safe: ``run_job`` skips a step that
    is already done, so a message that was only late runs the step once all the same.
    """
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone
    from viewflow.workflow import STATUS
    from viewflow.workflow.models import Task

    from workflows.nodes import CeleryJob

    if older_than_seconds is None:
        older_than_seconds = float(getattr(settings, "JOB_REQUEUE_AFTER_SECONDS", 900))
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    requeued = 0
    for task in Task.objects.filter(flow_task_type="JOB", status=STATUS.SCHEDULED, created__lt=cutoff).order_by("pk"):
        node = task.flow_task
        if isinstance(node, CeleryJob):
            node._celery_task.apply_async(args=[task.pk])
            requeued += 1
    return requeued
