"""The audit trail is append-only, not only for single entries but also for bulk queries and, on PostgreSQL, for raw
SQL: a trigger refuses UPDATE and DELETE of the audit table (projects migration 0006)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, connection, transaction

from projects.models import AuditEntry, County
from projects.services.audit import audit_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry():
    entry = AuditEntry.objects.order_by("pk").first()
    assert entry is not None, "the demo world has an audit trail"
    return entry


@pytest.fixture
def postgres():
    if connection.vendor != "postgresql":
        pytest.skip("the trigger exists on PostgreSQL only")


def _snapshot(entry):
    return AuditEntry.objects.filter(pk=entry.pk).values("action", "note", "changes", "created_at", "actor_id").get()


def test_a_queryset_update_is_refused_and_changes_nothing(entry):
    before = _snapshot(entry)
    with pytest.raises(PermissionDenied, match="nicht geändert"):
        AuditEntry.objects.filter(pk=entry.pk).update(action="manipuliert")
    with pytest.raises(PermissionDenied, match="nicht geändert"):
        AuditEntry.objects.update(note="alles weg")
    entry.note = "manipuliert"
    with pytest.raises(PermissionDenied, match="nicht geändert"):
        AuditEntry.objects.bulk_update([entry], ["note"])
    assert _snapshot(entry) == before


def test_saving_an_existing_entry_is_refused_and_changes_nothing(entry):
    before = _snapshot(entry)
    entry.note = "manipuliert"
    with pytest.raises(PermissionDenied, match="nicht geändert"):
        entry.save()
    assert _snapshot(entry) == before


def test_a_queryset_delete_is_refused_and_removes_nothing(entry):
    count = AuditEntry.objects.count()
    with pytest.raises(PermissionDenied, match="nicht gelöscht"):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(PermissionDenied, match="nicht gelöscht"):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.count() == count


def test_a_new_entry_can_still_be_appended(users):
    county = County.objects.get(slug="mkk")
    count = AuditEntry.objects.count()
    new = audit_record(actor=users["pm.mkk"], action="test.appended", subject=county, county=county, note="neu")
    assert AuditEntry.objects.count() == count + 1
    assert AuditEntry.objects.get(pk=new.pk).note == "neu"


@pytest.mark.postgres
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE projects_auditentry SET action = 'manipuliert' WHERE id = %s",
        "UPDATE projects_auditentry SET note = 'x', changes = '{}'::jsonb WHERE id = %s",
        "DELETE FROM projects_auditentry WHERE id = %s",
    ],
)
def test_raw_sql_update_or_delete_is_refused_by_postgresql_and_the_row_is_unchanged(postgres, entry, statement):
    before = _snapshot(entry)
    count = AuditEntry.objects.count()
    refused = pytest.raises(DatabaseError, match="Protokolleinträge können nicht geändert oder gelöscht werden")
    with refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, [entry.pk])
    assert _snapshot(entry) == before
    assert AuditEntry.objects.count() == count


@pytest.mark.postgres
def test_postgresql_still_accepts_an_insert_by_raw_sql(postgres):
    count = AuditEntry.objects.count()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO projects_auditentry (created_at, action, subject_type, subject_id, changes, note) "
            "VALUES (now(), 'test.raw_insert', 'projects.county', '1', '{}'::jsonb, '')"
        )
    assert AuditEntry.objects.count() == count + 1
