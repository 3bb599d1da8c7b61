"""Helpers for the portal tests: open tasks made in bulk (for the query-count tests) and logged-in clients."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from viewflow.workflow import STATUS
from viewflow.workflow.models import Task

from projects.models import Case, Municipality
from workflows.case import CaseFlow
from workflows.selectors import process_of_case


def demo_case(title: str = "Gemeinsamer Datenschutzbeauftragter") -> Case:
    return Case.objects.get(county__slug="mkk", title=title)


def make_open_tasks(count: int, *, node=None, municipality: Municipality, permission: str, case: Case | None = None):
    """``count`` open human tasks of a demo case, claimable with ``permission`` on ``municipality``.

    Made in bulk (no flow activation): the portal only reads them; due dates alternate between overdue and this week.
    """
    case = case or demo_case()
    process = process_of_case(case=case)
    ct = ContentType.objects.get_for_model(Municipality)
    today = timezone.localdate()
    node = node or CaseFlow.approve_project_order
    tasks = [
        Task(
            process=process,
            flow_task=node,
            flow_task_type="HUMAN",
            status=STATUS.NEW,
            owner_permission=permission,
            owner_permission_content_type=ct,
            owner_permission_obj_pk=str(municipality.pk),
            data={
                "municipality_id": municipality.pk,
                "due": (today + dt.timedelta(days=(i % 14) - 7)).isoformat(),
            },
        )
        for i in range(count)
    ]
    return Task.objects.bulk_create(tasks)


@pytest.fixture
def login(client, django_user_model):
    def _login(username: str):
        client.logout()
        client.force_login(django_user_model.objects.get(username=username))
        return client

    return _login
