"""Celery tasks of the funding domain: thin wrappers around the services, safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from funding.services.deadlines import funding_deadlines_notify


@shared_task(name="funding.tasks.funding_deadlines_tick", ignore_result=True)
def funding_deadlines_tick() -> int:
    """Reminders and escalations of funding deadlines, due now (run daily or more often by beat)."""
    return len(funding_deadlines_notify(now=timezone.now()))
