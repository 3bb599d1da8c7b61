"""New tasks are announced by one notification job per committed step, whatever the number of tasks it creates.

A split over N municipalities creates N tasks in one transaction; the portal publishes one job carrying their ids
after the commit (not N jobs), every task's claimants are still notified, a task of a rolled-back savepoint is not,
and a job that runs twice (a redelivered message) notifies and mails once.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.core import mail
from django.db import transaction

from portal import notifications
from portal import tasks as portal_tasks
from portal.models import Notification
from tests.cases.helpers import complete, muni, new_case, open_tasks, order_data

pytestmark = pytest.mark.django_db

PARTICIPANTS = ["ronneburg", "neuberg", "grosskrotzenburg"]


@pytest.fixture
def published(monkeypatch):
    jobs: list[list[int]] = []
    monkeypatch.setattr(portal_tasks.notify_new_tasks_job, "delay", lambda pks: jobs.append(list(pks)))
    return jobs


def _split_case(django_capture_on_commit_callbacks):
    case = new_case()
    complete(case, "screening", "pm.mkk", decision="pursue", route="county_wide")
    members = [muni(slug) for slug in PARTICIPANTS]
    with django_capture_on_commit_callbacks(execute=True):
        complete(case, "development", "pm.mkk", **order_data(members, members[0]))
    return case


def test_a_split_publishes_one_notification_job_with_all_its_new_tasks(published, django_capture_on_commit_callbacks):
    case = _split_case(django_capture_on_commit_callbacks)
    approvals = open_tasks(case, "approve_project_order")
    assert len(approvals) == len(PARTICIPANTS)
    (job,) = published
    assert {t.pk for t in approvals} <= set(job)
    assert job == sorted(set(job))


def test_each_participant_of_a_split_is_notified_of_its_task_once_even_if_the_job_runs_twice(
    users, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    case = _split_case(django_capture_on_commit_callbacks)  # the job runs in-process after the commit
    approvals = open_tasks(case, "approve_project_order")
    mayor = users["bm.ronneburg"]
    ronneburg_task = next(t for t in approvals if t.data["municipality_id"] == muni("ronneburg").pk)
    url = f"/portal/aufgaben/{ronneburg_task.pk}/"
    assert mayor.notifications.filter(kind=Notification.Kind.NEW_TASK, url=url).count() == 1
    for task in approvals:  # every municipality's task reached somebody of that municipality
        assert Notification.objects.filter(kind=Notification.Kind.NEW_TASK, url=f"/portal/aufgaben/{task.pk}/").exists()
    notified, mailed = Notification.objects.count(), len(mail.outbox)

    with django_capture_on_commit_callbacks(execute=True):
        sent_again = notifications.notify_new_tasks([t.pk for t in approvals])
    assert sent_again == 0
    assert Notification.objects.count() == notified and len(mail.outbox) == mailed


def test_a_task_of_a_rolled_back_savepoint_is_not_announced_and_the_rest_of_the_transaction_is(
    published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        notifications.on_task_created(None, task=SimpleNamespace(pk=1))
        try:
            with transaction.atomic():
                notifications.on_task_created(None, task=SimpleNamespace(pk=2))
                raise RuntimeError("the step failed")
        except RuntimeError:
            pass
        notifications.on_task_created(None, task=SimpleNamespace(pk=3))
        try:
            with transaction.atomic():  # the last new task of the transaction is rolled back
                notifications.on_task_created(None, task=SimpleNamespace(pk=4))
                raise RuntimeError("the step failed")
        except RuntimeError:
            pass
    assert published == [[1, 3]]


def test_a_rolled_back_step_announces_nothing(published, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                notifications.on_task_created(None, task=SimpleNamespace(pk=5))
                raise RuntimeError("the step failed")
        except RuntimeError:
            pass
    assert published == []
