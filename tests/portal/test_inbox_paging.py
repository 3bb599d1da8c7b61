"""Inbox pages read by id first (large inboxes: portal.selectors.InboxPaginator) hold the same tasks, same order."""

from __future__ import annotations

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.selectors import InboxFilter, InboxPaginator, inbox_for_user
from projects.models import Municipality
from tests.portal.conftest import make_open_tasks

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("sort", ["due", "-due", "new"])
def test_pages_chosen_by_id_first_equal_the_plain_pages(users, monkeypatch, sort):
    make_open_tasks(
        60, municipality=Municipality.objects.get(slug="ronneburg"), permission="projects.approve_project_order"
    )
    user = users["bm.ronneburg"]
    tasks = inbox_for_user(user=user, filters=InboxFilter(sort=sort))
    monkeypatch.setattr(InboxPaginator, "CHOOSE_FIRST_FROM", 1)
    plain, chosen = Paginator(tasks, 25), InboxPaginator(tasks, 25)
    assert chosen.num_pages == plain.num_pages >= 3

    for number in range(1, plain.num_pages + 1):
        expected = [(t.pk, t.process.pk, t.owner_id, t.due_text) for t in plain.page(number).object_list]
        with CaptureQueriesContext(connection) as ctx:
            page = chosen.page(number)
            got = [(t.pk, t.process.pk, t.owner_id, t.due_text) for t in page.object_list]
        assert got == expected
        assert len(ctx.captured_queries) == 1  # process and owner come with the page
        assert "IN (SELECT" in ctx.captured_queries[0]["sql"]
