"""The split into one task per participant: each municipality gets its own task, as its people rely on.

``ForEachMunicipality`` writes the tasks of a split together (workflows.nodes.BusinessTaskActivation.create_many);
what each task carries must be the same as when viewflow created them one by one.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.cases.helpers import complete, muni, new_case, open_tasks, order_data, user
from workflows.case import CaseFlow
from workflows.selectors import task_list_for_user

pytestmark = pytest.mark.django_db

PARTICIPANTS = ["ronneburg", "neuberg", "grosskrotzenburg"]


def test_each_participant_gets_its_own_approval_task_with_due_date_capability_and_link_to_the_split():
    case = new_case()
    complete(case, "screening", "pm.mkk", decision="pursue", route="county_wide")
    members = [muni(slug) for slug in PARTICIPANTS]
    created = complete(case, "development", "pm.mkk", **order_data(members, members[0]))

    approvals = open_tasks(case, "approve_project_order")
    by_municipality = {task.data["municipality_id"]: task for task in approvals}
    assert sorted(by_municipality) == sorted(m.pk for m in members)
    assert {t.pk for t in approvals} <= {t.pk for t in created}  # the completing call reports the new tasks
    due = (timezone.localdate() + dt.timedelta(days=28)).isoformat()
    for municipality in members:
        task = by_municipality[municipality.pk]
        assert task.flow_task_type == "HUMAN"
        assert task.data["due"] == due
        assert task.owner_permission == "projects.approve_project_order"
        assert task.owner_permission_obj == municipality
        assert [p.flow_task for p in task.previous.all()] == [CaseFlow.approvals]


def test_a_mayor_sees_the_approval_task_of_the_own_municipality_only():
    case = new_case()
    complete(case, "screening", "pm.mkk", decision="pursue", route="county_wide")
    members = [muni(slug) for slug in PARTICIPANTS]
    complete(case, "development", "pm.mkk", **order_data(members, members[0]))

    visible = {t.data.get("municipality_id") for t in task_list_for_user(user=user("bm.ronneburg"))}
    assert muni("ronneburg").pk in visible
    assert muni("neuberg").pk not in visible
