"""Audit entries cannot be changed or deleted, not even by bulk queries or raw SQL (PostgreSQL only).

A row trigger refuses every UPDATE and DELETE of the audit table. TRUNCATE is deliberately not refused: Django's
flush (and so the test suite's transactional tests) empties all tables with one TRUNCATE statement; truncating the
table is left to the database owner, who could drop the trigger anyway. On other databases (SQLite in development)
the model and its queryset refuse changes (projects/models/audit.py).
"""

from django.db import migrations

FUNCTION = "projects_auditentry_refuse_change"
TRIGGER = "projects_auditentry_immutable"


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("projects", "AuditEntry")._meta.db_table)
    schema_editor.execute(
        f"""
        CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'Protokolleinträge können nicht geändert oder gelöscht werden (% auf %).',
                TG_OP, TG_TABLE_NAME
                USING ERRCODE = 'insufficient_privilege',
                      HINT = 'Das Protokoll ist nur fortschreibbar (projects.AuditEntry).';
        END;
        $$
        """,
        params=None,  # no placeholders: the % are PL/pgSQL's
    )
    schema_editor.execute(
        f"CREATE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
    )


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("projects", "AuditEntry")._meta.db_table)
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {table}")
    schema_editor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0005_membership_absence"),
    ]

    operations = [
        migrations.RunPython(create_trigger, drop_trigger),
    ]
