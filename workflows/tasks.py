"""Celery tasks of the flows. They take ids, run after commit and are safe to run twice."""

from __future__ import annotations

from celery import shared_task
from viewflow.workflow.timers import fire_due_timers as viewflow_fire_due_timers


@shared_task(name="workflows.tasks.fire_due_timers", ignore_result=True)
def fire_due_timers() -> int:
    """The single timer dispatcher: fires every viewflow timer whose time has come."""
    return viewflow_fire_due_timers()
