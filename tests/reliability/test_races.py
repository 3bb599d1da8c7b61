"""Races on PostgreSQL beyond tests/cases/test_concurrency.py: a timer firing while a user completes the same task,
and two users completing the same task through the task page: one outcome, the other a clear message, no 500,
no duplicate rows."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.test import Client
from django.utils import timezone
from viewflow.workflow import STATUS
from viewflow.workflow.models import Task

from projects.models import AuditEntry, CouncilResolution, Institution, Municipality
from projects.roles import Role
from projects.services.organisation import role_grant
from tests.cases.helpers import approve_all, complete, new_case, open_tasks, order_data, user
from workflows import engine
from workflows.case import CaseFlow
from workflows.tasks import fire_due_timers

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.fixture
def seeded():
    if connection.vendor != "postgresql":
        pytest.skip("row locks and concurrent connections need PostgreSQL")
    call_command("seed_demo", if_empty=True, quiet_logins=True, verbosity=0)  # after a flush only


def _at_once(jobs, timeout=60):
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []
    results: list = [None] * len(jobs)

    def run(i, job):
        try:
            barrier.wait(timeout=30)
            results[i] = job()
        except BaseException as exc:  # noqa: BLE001 - collected and asserted
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    assert not any(t.is_alive() for t in threads), "a racer hung"
    return results, errors


def _case_at_resolutions():
    members = [Municipality.objects.get(slug=s) for s in ("ronneburg", "neuberg", "hammersbach")]
    case = new_case()
    complete(case, "screening", "pm.mkk", decision="pursue", route="county_wide")
    complete(case, "development", "pm.mkk", **order_data(members, members[0]))
    approve_all(case, members)
    return case, members


def test_timer_firing_while_the_user_completes_the_same_task_gives_one_outcome(seeded):
    case, members = _case_at_resolutions()
    hosts = {t.data["municipality_id"]: t for t in open_tasks(case, "record_resolution")}
    assert len(hosts) == len(members)
    # every boundary timer (reminder, escalation) falls due now, exactly as the user submits the resolution
    timers = Task.objects.filter(process_id=case_process_id(case), flow_task_type="TIMER", status=STATUS.SCHEDULED)
    assert timers.count() == 2 * len(members)
    timers.update(scheduled=timezone.now() - dt.timedelta(minutes=1))

    def resolve(m):
        def job():
            try:
                engine.task_complete(
                    task=Task.objects.get(pk=hosts[m.pk].pk),
                    user=user(f"sb.{m.slug}"),
                    data={
                        "body": "Gemeindevertretung",
                        "session_date": timezone.localdate().isoformat(),
                        "outcome": "adopted",
                    },
                )
                return "ok"
            except engine.TaskConflict as exc:
                return f"conflict: {exc.message}"

        return job

    jobs = [resolve(m) for m in members] + [fire_due_timers, fire_due_timers]
    results, errors = _at_once(jobs)

    assert errors == []
    assert results[: len(members)] == ["ok"] * len(members), results
    for m in members:
        assert CouncilResolution.objects.filter(case=case, municipality=m).count() == 1
    assert Task.objects.filter(pk__in=[t.pk for t in hosts.values()], status=STATUS.DONE).count() == len(members)
    # each reminder/escalation either fired once (before the completion) or was cancelled with its host, never both
    for kind in ("reminder", "escalation"):
        for m in members:
            notices = AuditEntry.objects.filter(
                action=f"deadline.{kind}", subject_id=str(case.pk), municipality=m
            ).count()
            assert notices <= 1, (kind, m, notices)
    for timer in Task.objects.filter(process_id=case_process_id(case), flow_task_type="TIMER"):
        assert timer.status in (STATUS.DONE, STATUS.CANCELED), (timer.flow_task, timer.status)
    # the flow went on exactly once after all resolutions
    assert Task.objects.filter(process_id=case_process_id(case), flow_task=CaseFlow.resolutions_join).count() == 1
    assert Task.objects.filter(process_id=case_process_id(case), flow_task=CaseFlow.funding_decision).count() == 1


def case_process_id(case) -> int:
    from workflows.selectors import process_of_case

    return process_of_case(case=case).pk


def test_two_users_completing_the_same_task_page_one_wins_the_other_sees_a_message(seeded):
    case = new_case()
    task = open_tasks(case, "screening")[0]
    second = user("pm.mkk").__class__.objects.create(username="pm2.mkk")
    role_grant(user=second, role=Role.PROJECT_MANAGER, institution=Institution.objects.get(slug="dkz-mkk"))
    url = f"/portal/aufgaben/{task.pk}/"
    data = {"decision": "pursue", "route": "county_wide", "reason": ""}

    def submit(username):
        def job():
            client = Client()
            client.force_login(user(username))
            response = client.post(url, data)
            if response.status_code != 302:
                return response.status_code, response.content.decode()
            # (the page's HTML, not response.context: template signals are shared between threads)
            return response.status_code, client.get(response.headers["Location"]).content.decode()

        return job

    results, errors = _at_once([submit("pm.mkk"), submit("pm2.mkk")])
    assert errors == []
    statuses = sorted(r[0] for r in results)
    assert all(s < 500 for s in statuses), results
    assert Task.objects.filter(pk=task.pk, status=STATUS.DONE).count() == 1
    assert Task.objects.filter(process_id=task.process_id, flow_task=CaseFlow.development).count() == 1
    completions = AuditEntry.objects.filter(action="task.completed", subject_id=str(task.pk))
    assert completions.count() == 1
    winners = [r for r in results if "Erledigt: Screening" in r[1]]
    losers = [r for r in results if "bereits erledigt" in r[1] or "anderen Person zugewiesen" in r[1]]
    assert len(winners) == 1 and len(losers) == 1, [(r[0], len(r[1])) for r in results]
