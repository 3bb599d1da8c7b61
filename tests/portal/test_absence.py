"""During an absence, the tasks a person holds go to their substitute (audited "on behalf of"); before and after the
absence nothing moves, and a substitute without the capability does not receive the task."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from portal.services import absences_apply
from projects.models import AuditEntry, Membership, Municipality
from projects.roles import Role
from projects.services.organisation import role_grant
from tests.cases.helpers import complete, muni, new_case, order_data, task_of, user
from workflows import engine

pytestmark = pytest.mark.django_db


@pytest.fixture
def approval_held_by_the_mayor():
    case = new_case()
    complete(case, "screening", "pm.mkk", decision="pursue", route="county_wide")
    members = [muni("ronneburg"), muni("neuberg")]
    complete(case, "development", "pm.mkk", **order_data(members, members[0]))
    task = task_of(case, "approve_project_order", members[0])
    engine.task_assign(task=task, user=user("bm.ronneburg"))
    return task


def _absent(substitute, start, end):
    Membership.objects.filter(user__username="bm.ronneburg").update(
        substitute=substitute, absent_from=start, absent_until=end
    )


def test_tasks_go_to_the_substitute_only_while_the_holder_is_absent(approval_held_by_the_mayor):
    deputy = get_user_model().objects.create(username="bm2.ronneburg", first_name="Erster Beigeordneter")
    role_grant(user=deputy, role=Role.MAYOR, municipality=Municipality.objects.get(slug="ronneburg"))
    today = timezone.localdate()
    _absent(deputy, today + dt.timedelta(days=1), today + dt.timedelta(days=7))
    assert absences_apply(today=today) == 0  # not absent yet
    assert absences_apply(today=today + dt.timedelta(days=1)) == 1
    approval_held_by_the_mayor.refresh_from_db()
    assert approval_held_by_the_mayor.owner == deputy
    entry = AuditEntry.objects.get(action="task.delegated", subject_id=str(approval_held_by_the_mayor.pk))
    assert entry.on_behalf_of.username == "bm.ronneburg"
    assert absences_apply(today=today + dt.timedelta(days=2)) == 0  # idempotent
    # the deputy can finish it
    engine.task_complete(task=approval_held_by_the_mayor, user=deputy, data={"decision": "approved"})


def test_a_substitute_without_the_capability_does_not_receive_the_task(approval_held_by_the_mayor):
    clerk = user("sb.ronneburg")
    today = timezone.localdate()
    _absent(clerk, today, today)
    assert absences_apply(today=today) == 0
    approval_held_by_the_mayor.refresh_from_db()
    assert approval_held_by_the_mayor.owner.username == "bm.ronneburg"
