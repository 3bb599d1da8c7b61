"""Races on PostgreSQL: many participants deciding at the same moment (issue 3, reliability)."""

from __future__ import annotations

import threading

import pytest
from django.core.management import call_command
from django.db import connection, connections
from viewflow.workflow import STATUS

from projects.models import Approval, County, Municipality
from projects.roles import Role
from projects.services.organisation import role_grant
from tests.cases.helpers import complete, new_case, open_tasks, order_data, user
from workflows import engine
from workflows.case import CaseFlow
from workflows.selectors import process_of_case

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

PARTICIPANTS = 30


@pytest.fixture
def seeded():
    if connection.vendor != "postgresql":
        pytest.skip("row locks and concurrent connections need PostgreSQL")
    call_command("seed_demo", quiet_logins=True, verbosity=0)


def _extra_municipalities(count: int) -> list[Municipality]:
    """The county has 29 members; the race needs 30 participants, so add test municipalities."""
    from django.contrib.auth import get_user_model

    county = County.objects.get(slug="mkk")
    extra = []
    for i in range(count):
        m, _ = Municipality.objects.get_or_create(
            ags=f"0643599{i}", defaults={"name": f"Testgemeinde {i}", "slug": f"testgemeinde-{i}", "county": county}
        )
        mayor, _ = get_user_model().objects.get_or_create(username=f"bm.testgemeinde-{i}")
        role_grant(user=mayor, role=Role.MAYOR, municipality=m)
        extra.append(m)
    return extra


def _run_at_once(jobs):
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def worker(job):
        try:
            barrier.wait(timeout=30)
            job()
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return errors


def test_thirty_participants_approving_at_the_same_moment_continue_exactly_once(seeded):
    members = list(Municipality.objects.filter(county__slug="mkk").order_by("ags"))
    members += _extra_municipalities(PARTICIPANTS - len(members))
    assert len(members) == PARTICIPANTS
    case = new_case()
    complete(case, "screening", "pm.mkk", decision="pursue", route="county_wide")
    complete(case, "development", "pm.mkk", **order_data(members, members[0]))
    tasks = {t.data["municipality_id"]: t for t in open_tasks(case, "approve_project_order")}
    assert len(tasks) == PARTICIPANTS

    def approve(m):
        return lambda: engine.task_complete(task=tasks[m.pk], user=user(f"bm.{m.slug}"), data={"decision": "approved"})

    errors = _run_at_once([approve(m) for m in members])

    assert errors == []
    assert Approval.objects.filter(order=case.current_order, decision="approved").count() == PARTICIPANTS
    process = process_of_case(case=case)
    assert process.task_set.filter(flow_task=CaseFlow.approvals_join).count() == 1
    assert process.task_set.filter(flow_task=CaseFlow.conclude_approvals, status=STATUS.DONE).count() == 1
    assert process.task_set.filter(flow_task=CaseFlow.record_resolution).count() == PARTICIPANTS


def test_two_users_claiming_the_same_task_one_wins_the_other_gets_a_clear_message(seeded):
    case = new_case()
    task = open_tasks(case, "screening")[0]
    from projects.models import Institution

    second = user("pm.mkk").__class__.objects.create(username="pm2.mkk")
    role_grant(user=second, role=Role.PROJECT_MANAGER, institution=Institution.objects.get(slug="dkz-mkk"))
    outcomes: list[str] = []

    def claim(username):
        def job():
            try:
                engine.task_assign(task=type(task).objects.get(pk=task.pk), user=user(username))
                outcomes.append("ok")
            except engine.TaskConflict as exc:
                outcomes.append(f"conflict: {exc.message}")

        return job

    errors = _run_at_once([claim("pm.mkk"), claim("pm2.mkk")])
    assert errors == []
    assert sorted(o.split(":")[0] for o in outcomes) == ["conflict", "ok"]
    assert "bereits" in next(o for o in outcomes if o.startswith("conflict"))
    task.refresh_from_db()
    assert task.status == STATUS.ASSIGNED


def test_double_submitted_completion_records_one_decision(seeded):
    case = new_case()
    complete(case, "screening", "pm.mkk", decision="pursue", route="county_wide")
    members = [Municipality.objects.get(slug=s) for s in ("ronneburg", "neuberg")]
    complete(case, "development", "pm.mkk", **order_data(members, members[0]))
    task = next(t for t in open_tasks(case, "approve_project_order") if t.data["municipality_id"] == members[0].pk)
    outcomes: list[str] = []

    def submit():
        try:
            engine.task_complete(
                task=type(task).objects.get(pk=task.pk), user=user("bm.ronneburg"), data={"decision": "approved"}
            )
            outcomes.append("ok")
        except engine.TaskConflict:
            outcomes.append("conflict")

    errors = _run_at_once([submit, submit])
    assert errors == []
    assert sorted(outcomes) == ["conflict", "ok"]
    assert Approval.objects.filter(order=case.current_order, municipality=members[0]).count() == 1
