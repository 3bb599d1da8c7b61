"""What an engine step leaves behind, now that it writes fewer statements (issue 21).

An automatic step (``workflows.nodes.Function``) and a human step (``BusinessTaskActivation``) keep every durable
artefact: a task row per step with its status and times, the ``previous`` link to the step before, the audit entry;
an error in an automatic step still rolls the whole action back, or, where viewflow is told to keep errors, leaves
the step in ERROR.
"""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from viewflow.workflow import STATUS
from viewflow.workflow.context import Context
from viewflow.workflow.models import Process, Task

from projects.models import AuditEntry, Municipality
from workflows.bench_flows import STEPS, BenchAutoFlow

pytestmark = pytest.mark.django_db


@pytest.fixture
def municipality_id():
    return Municipality.objects.order_by("pk").values_list("pk", flat=True).first()


def _function_tasks(process):
    return list(Task.objects.filter(process=process, flow_task_type="FUNCTION").order_by("pk"))


def test_each_automatic_step_leaves_a_done_task_linked_to_the_step_before_and_an_audit_entry(municipality_id):
    process = BenchAutoFlow.start.run(municipality_id=municipality_id)

    steps = _function_tasks(process)
    assert len(steps) == STEPS
    start = Task.objects.get(process=process, flow_task=BenchAutoFlow.start)
    before = start
    for task in steps:
        assert task.status == STATUS.DONE
        assert task.started is not None and task.finished is not None and task.started <= task.finished
        assert list(task.previous.all()) == [before]
        before = task
    audited = AuditEntry.objects.filter(
        action="task.completed", subject_type="viewflow.task", subject_id__in=[str(t.pk) for t in steps]
    )
    assert sorted(int(pk) for pk in audited.values_list("subject_id", flat=True)) == [t.pk for t in steps]
    assert Process.objects.get(pk=process.pk).status == STATUS.DONE


def test_an_automatic_step_costs_three_statements(municipality_id):
    """Insert the task with its link, the step's audit entry, update the task (viewflow's own node wrote 7)."""
    BenchAutoFlow.start.run(municipality_id=municipality_id)  # warm caches (content types, compiled statements)
    with CaptureQueriesContext(connection) as one_case:
        BenchAutoFlow.start.run(municipality_id=municipality_id)
    statements = [q["sql"] for q in one_case.captured_queries]
    step_statements = [s for s in statements if "viewflow_task" in s or "projects_auditentry" in s]
    # per step: INSERT task and link (one statement), INSERT audit entry, UPDATE task; plus start and end of the
    # case. No savepoint per step (the test's own transaction turns the case's transaction into one savepoint)
    assert sum(s.upper().startswith("SAVEPOINT") for s in statements) < STEPS
    assert len(statements) <= 3 * STEPS + 15  # viewflow's Function node: 7 per step, 84 in all
    assert sum(s.startswith('INSERT INTO "projects_auditentry"') for s in step_statements) == STEPS
    task_with_link = [s for s in step_statements if s.startswith('WITH new AS (INSERT INTO "viewflow_task"')]
    assert len(task_with_link) == STEPS
    assert all('INSERT INTO "viewflow_task_previous"' in s for s in task_with_link)
    assert sum(s.startswith('INSERT INTO "viewflow_task_previous"') for s in step_statements) <= 1  # the start's
    assert sum(s.startswith('UPDATE "viewflow_task"') for s in step_statements) == STEPS + 1  # and the start's


def test_an_error_in_an_automatic_step_rolls_the_whole_case_back(municipality_id):
    processes, audits = Process.objects.count(), AuditEntry.objects.count()
    failing = mock.patch("workflows.bench_flows.audit_record", side_effect=RuntimeError("kaputt"))
    with failing, pytest.raises(RuntimeError):
        BenchAutoFlow.start.run(municipality_id=municipality_id)
    assert Process.objects.count() == processes
    assert AuditEntry.objects.count() == audits


def test_an_error_kept_by_viewflow_leaves_the_step_in_error_without_its_partial_work(municipality_id):
    calls = []

    def fail_on_third(**kwargs):
        calls.append(kwargs)
        if len(calls) == 3:
            AuditEntry.objects.create(action="partial", subject_type="x", subject_id="1")
            raise RuntimeError("kaputt")
        return AuditEntry.objects.create(action="task.completed", subject_type="viewflow.task", subject_id="0")

    failing = mock.patch("workflows.bench_flows.audit_record", side_effect=fail_on_third)
    with failing, Context(propagate_exception=False):
        process = BenchAutoFlow.start.run(municipality_id=municipality_id)
    steps = _function_tasks(process)
    assert [t.status for t in steps] == [STATUS.DONE, STATUS.DONE, STATUS.ERROR]
    assert not AuditEntry.objects.filter(action="partial").exists()  # the step's savepoint rolled its work back


# --- the split and the human step: statements that do not grow with the number of participants -------------------


@pytest.fixture
def split_world(monkeypatch, django_capture_on_commit_callbacks):
    """A user holding the capability on 29 municipalities, a webhook subscriber, and the background jobs recorded
    instead of run (what the request itself sends is counted, not the workers' work)."""
    from api.webhooks import fanout
    from api.webhooks.models import WebhookSubscription
    from bench import world
    from portal import tasks as portal_tasks
    from workflows.bench_flows import CAPABILITY

    ids = list(Municipality.objects.order_by("pk").values_list("pk", flat=True)[:29])
    assert len(ids) == 29
    user = world.make_user("split.tester", ids, [CAPABILITY.split(".", 1)[1]])
    WebhookSubscription.objects.create(
        owner=user, municipality_id=ids[0], url="https://example.org/hook", events=["*"], secret="s" * 32
    )
    jobs: dict[str, list] = {"notify": [], "fan_out": []}
    monkeypatch.setattr(portal_tasks.notify_new_tasks_job, "delay", lambda pks: jobs["notify"].append(list(pks)))
    monkeypatch.setattr(fanout, "enqueue_fan_out", lambda event_ids: jobs["fan_out"].append(list(event_ids)))

    def split_step(n: int) -> tuple[list[str], list[Task]]:
        """Claim and complete the task before the split into ``n`` municipality tasks; the statements sent."""
        from django.contrib.auth import get_user_model

        from workflows import engine
        from workflows.bench_flows import BenchSplitFlow

        process = BenchSplitFlow.start.run(municipality_id=ids[0], participants=ids[:n])
        task = Task.objects.get(process=process, status=STATUS.NEW, flow_task_type="HUMAN")
        for kind in jobs:
            jobs[kind].clear()
        with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
            engine.task_assign(task=task, user=get_user_model().objects.get(pk=user.pk))
            created = engine.task_complete(task=task, user=get_user_model().objects.get(pk=user.pk), data={})
        return [q["sql"] for q in queries.captured_queries], [t for t in created if t.flow_task_type == "HUMAN"]

    return split_step, jobs


def test_the_split_step_sends_as_many_statements_for_29_participants_as_for_3(split_world):
    split_step, jobs = split_world
    split_step(3)  # warm caches (content types, compiled statements)
    small, created_small = split_step(3)
    large, created_large = split_step(29)
    assert len(created_small) == 3 and len(created_large) == 29
    assert len(large) == len(small), "\n".join(large)


def test_every_new_task_of_a_split_goes_to_one_notification_job_and_one_webhook_fan_out(split_world):
    from api.webhooks.models import WebhookEvent

    split_step, jobs = split_world
    _statements, created = split_step(29)
    assert jobs["notify"] == [sorted(t.pk for t in created)]  # one job per commit, every new task in it
    (event_ids,) = jobs["fan_out"]  # one fan-out for the commit
    events = WebhookEvent.objects.filter(pk__in=event_ids)
    announced = {int(e.subject_id) for e in events if e.event == "task.created"}
    assert announced == {t.pk for t in created}
    assert events.filter(event="task.completed").count() == 1


def test_a_human_step_keeps_its_artefacts_with_precompiled_statements(split_world):
    """Claim + complete: the task DONE with owner and times, the next tasks linked to it, two audit entries, the
    process row locked in each of the two transactions."""
    split_step, _jobs = split_world
    split_step(3)
    statements, created = split_step(3)
    (split,) = {p for t in created for p in t.previous.all()}  # the gateway's task, linked to the step before
    (prepare,) = split.previous.all()
    assert prepare.status == STATUS.DONE and prepare.owner.username == "split.tester"
    assert prepare.assigned is None or prepare.assigned <= prepare.finished
    assert prepare.started is not None and prepare.started <= prepare.finished
    assert all(t.status == STATUS.NEW and t.owner_permission_obj_pk == str(t.data["municipality_id"]) for t in created)
    actions = list(
        AuditEntry.objects.filter(subject_type="viewflow.task", subject_id=str(prepare.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["task.assigned", "task.completed"]
    assert sum("FOR UPDATE" in s for s in statements) == 2
    # two user loads, lock + task read + capabilities + update + audit; lock + task read + update, the gateway's
    # task (insert, link, update), the N tasks and their links, audit; after the commit the webhook check and insert
    assert len([s for s in statements if "SAVEPOINT" not in s]) <= 18, "\n".join(statements)
