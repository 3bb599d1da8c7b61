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


def test_an_automatic_step_costs_four_statements(municipality_id):
    """Insert the task, insert its link, the step's audit entry, update the task (viewflow's own node wrote 7)."""
    BenchAutoFlow.start.run(municipality_id=municipality_id)  # warm caches (content types)
    with CaptureQueriesContext(connection) as one_case:
        BenchAutoFlow.start.run(municipality_id=municipality_id)
    statements = [q["sql"] for q in one_case.captured_queries]
    step_statements = [s for s in statements if "viewflow_task" in s or "projects_auditentry" in s]
    # per step: INSERT task, INSERT link, INSERT audit entry, UPDATE task; plus start and end of the case. No
    # savepoint per step (the test's own transaction turns the case's transaction into one savepoint)
    assert sum(s.upper().startswith("SAVEPOINT") for s in statements) < STEPS
    assert len(statements) <= 4 * STEPS + 15  # viewflow's Function node: 7 per step, 84 in all
    assert sum(s.startswith('INSERT INTO "projects_auditentry"') for s in step_statements) == STEPS
    assert sum(s.startswith("INSERT") and 'INTO "viewflow_task_previous"' in s for s in step_statements) == STEPS + 1
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
