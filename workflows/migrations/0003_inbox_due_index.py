"""The inbox's due-date sort from an index (issue 21, item 3).

The inbox, and the task lists of the start pages, sort a user's open human tasks by the due date the task carries
in its data (``portal.selectors.due_expression``: ``(data ->> 'due')::varchar(10)``, earliest first, tasks
without a date last, then by id). Without an index PostgreSQL read and sorted every visible open task to show 25
(35 ms for a user of 421 municipalities at 10^5 tasks). This partial expression index over the open human tasks
lets the planner walk them in the page's order and stop after one page. The indexed expression must stay exactly
the selector's (tests/portal/test_inbox_due_index.py checks that the inbox query uses it). Viewflow's task model is
not ours to change, hence an expression index rather than a column (docs/adr/0005-inbox-due-date-index.md).
"""

from django.db import migrations

INDEXES = {
    "ikz_task_inbox_due": (
        "CREATE INDEX IF NOT EXISTS ikz_task_inbox_due ON viewflow_task "
        "((((data ->> 'due'))::varchar(10)) ASC NULLS LAST, id ASC) "
        "WHERE flow_task_type = 'HUMAN' AND status IN ('NEW', 'ASSIGNED')"
    ),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":  # the JSON operator and the cast are PostgreSQL's
        for sql in INDEXES.values():
            schema_editor.execute(sql)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0002_inbox_indexes"),
    ]

    operations = [migrations.RunPython(create, drop)]
