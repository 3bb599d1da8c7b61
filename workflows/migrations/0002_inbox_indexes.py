"""Indexes for the task inbox (workflows.selectors.task_list_for_user) on viewflow's task table (issue 10).

Viewflow's own indexes (status, created, owner, ...) are single-column. The inbox asks for open human tasks whose
(capability, municipality) pair the user holds, newest first. Two partial indexes over the open human tasks only:
- by (municipality, capability, created): a clerk's or a county's few municipalities, read in order;
- by created (open or assigned human tasks): for users with hundreds of municipalities the planner walks them
  newest first and stops after one page.
Measured before/after in docs/benchmarks.md. Plain RunSQL (viewflow's model is not ours to change).
"""

from django.db import migrations

INDEXES = {
    "ikz_task_inbox_muni": (
        "CREATE INDEX IF NOT EXISTS ikz_task_inbox_muni ON viewflow_task "
        "(owner_permission_obj_pk, owner_permission, created DESC, id DESC) "
        "WHERE status = 'NEW' AND flow_task_type = 'HUMAN'"
    ),
    # NEW and ASSIGNED: the inbox's OR (assigned to me, or open and claimable) implies this predicate, so the
    # planner may walk it newest first (with status = 'NEW' alone it fell back to a 477 ms scan at 10^6 tasks)
    "ikz_task_inbox_created": (
        "CREATE INDEX IF NOT EXISTS ikz_task_inbox_created ON viewflow_task (created DESC, id DESC) "
        "WHERE flow_task_type = 'HUMAN' AND status IN ('NEW', 'ASSIGNED')"
    ),
}


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0001_initial"),
        ("viewflow", "0015_task_scheduled"),
    ]

    operations = [
        migrations.RunSQL(sql, reverse_sql=f"DROP INDEX IF EXISTS {name}") for name, sql in INDEXES.items()
    ]
