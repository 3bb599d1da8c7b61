"""Statements compiled once and run again (projects.prepared): what they write and read is what the ORM would.

The engine step and the audit trail use them on their hot path (issue 21); a task read this way must be the same
task, an UPDATE must leave the other columns alone, an INSERT must fill defaults and tell its listeners.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models.signals import post_save
from django.test.utils import CaptureQueriesContext
from viewflow.workflow import STATUS
from viewflow.workflow.models import Task

from projects.models import AuditEntry, Municipality
from projects.prepared import PreparedQuery, insert_row, update_columns
from projects.services.audit import audit_record
from workflows.bench_flows import BenchHumanFlow

pytestmark = pytest.mark.django_db

TASK_WITH_PROCESS = PreparedQuery(lambda pk: Task.objects.select_related("process").filter(pk=pk), "pk")


@pytest.fixture
def open_task():
    municipality_id = Municipality.objects.order_by("pk").values_list("pk", flat=True).first()
    process = BenchHumanFlow.start.run(municipality_id=municipality_id)
    return Task.objects.get(process=process, status=STATUS.NEW, flow_task_type="HUMAN")


def test_a_prepared_read_gives_the_same_task_and_process_as_the_queryset_in_one_statement(open_task):
    expected = Task.objects.select_related("process").get(pk=open_task.pk)
    TASK_WITH_PROCESS.instances(pk=open_task.pk)  # compiled on first use
    with CaptureQueriesContext(connection) as queries:
        (task,) = TASK_WITH_PROCESS.instances(pk=open_task.pk)
        process = task.process  # came with the task
    assert len(queries.captured_queries) == 1
    for field in Task._meta.concrete_fields:
        assert getattr(task, field.attname) == getattr(expected, field.attname), field.name
    assert task.flow_task is BenchHumanFlow.step_01
    assert process.pk == expected.process.pk and process.data == expected.process.data
    assert TASK_WITH_PROCESS.instances(pk=-1) == []


def test_a_prepared_update_writes_only_the_columns_named(open_task):
    stale = Task.objects.get(pk=open_task.pk)
    Task.objects.filter(pk=open_task.pk).update(data={"written": "elsewhere"})
    stale.status = STATUS.CANCELED
    update_columns(stale, ("status",))
    fresh = Task.objects.get(pk=open_task.pk)
    assert fresh.status == STATUS.CANCELED
    assert fresh.data == {"written": "elsewhere"}  # the stale copy's data was not written back


def test_a_prepared_insert_fills_defaults_returns_the_id_and_tells_listeners():
    heard = []

    def listener(sender, instance, created, **kwargs):
        heard.append((instance.pk, created))

    post_save.connect(listener, sender=AuditEntry, dispatch_uid="test.prepared.insert")
    try:
        entry = audit_record(actor=None, action="test.prepared", subject=Municipality.objects.first(), changes={"a": 1})
    finally:
        post_save.disconnect(dispatch_uid="test.prepared.insert", sender=AuditEntry)
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.created_at is not None and stored.created_at == entry.created_at
    assert stored.changes == {"a": 1} and stored.action == "test.prepared"
    assert heard == [(entry.pk, True)]


def test_an_audit_entry_written_by_a_prepared_insert_still_cannot_be_rewritten():
    entry = audit_record(actor=None, action="test.once", subject=Municipality.objects.first())
    entry.note = "geändert"
    with pytest.raises(PermissionDenied):  # a saved row goes through the model's save(), which refuses it
        insert_row(entry)
    assert AuditEntry.objects.get(pk=entry.pk).note == ""
