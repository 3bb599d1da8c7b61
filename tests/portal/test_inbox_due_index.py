"""The inbox's default sort (due date, earliest first) is read from the due-date index instead of a full sort.

The index (workflows/migrations/0003_inbox_due_index.py) is on the expression the selector sorts by; if the two
drift apart, PostgreSQL silently sorts every visible task again. The planner is told to avoid sorts and sequential
scans, so on the small test data it takes the index whenever the index can serve the page's order at all.
"""

from __future__ import annotations

import pytest
from django.db import connection

from portal.selectors import InboxFilter, inbox_for_user
from projects.models import Municipality
from tests.portal.conftest import make_open_tasks

pytestmark = pytest.mark.django_db


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("SET LOCAL enable_sort = off")
        cur.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cur.fetchall())


def test_inbox_page_sorted_by_due_date_walks_the_due_date_index(users):
    if connection.vendor != "postgresql":
        pytest.skip("the expression index exists on PostgreSQL only")
    make_open_tasks(
        40, municipality=Municipality.objects.get(slug="ronneburg"), permission="projects.approve_project_order"
    )
    tasks = inbox_for_user(user=users["bm.ronneburg"], filters=InboxFilter())
    plan = _plan(tasks[:25])
    assert "ikz_task_inbox_due" in plan, plan
    assert "Sort" not in plan.replace("Sort Key", ""), plan
    due = [t.due_text for t in tasks[:25]]
    assert due == sorted(due, key=lambda d: (d is None, d or ""))
