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


def test_an_inbox_longer_than_it_lists_says_more_than_and_lists_the_first_tasks_by_due_date(login, users, monkeypatch):
    ronneburg = Municipality.objects.get(slug="ronneburg")
    client = login("bm.ronneburg")
    make_open_tasks(6, municipality=ronneburg, permission="projects.approve_project_order")
    everything = list(inbox_for_user(user=users["bm.ronneburg"], filters=InboxFilter()))
    assert len(everything) >= 6
    monkeypatch.setattr(InboxPaginator, "COUNT_UP_TO", 4)
    monkeypatch.setattr(InboxPaginator, "CHOOSE_FIRST_FROM", 1)

    response = client.get("/portal/aufgaben/")

    text = response.content.decode()
    assert "Mehr als 4 Aufgaben gefunden; die ersten 4 werden angezeigt." in text
    assert "Aufgaben gefunden." not in text.replace("Mehr als 4 Aufgaben gefunden;", "")
    assert [row.task.pk for row in response.context["rows"]] == [t.pk for t in everything[:4]]


def test_an_inbox_within_the_limit_gives_the_exact_number(login, users, monkeypatch):
    ronneburg = Municipality.objects.get(slug="ronneburg")
    client = login("bm.ronneburg")
    make_open_tasks(3, municipality=ronneburg, permission="projects.approve_project_order")
    exact = inbox_for_user(user=users["bm.ronneburg"], filters=InboxFilter()).count()
    monkeypatch.setattr(InboxPaginator, "COUNT_UP_TO", exact)

    text = client.get("/portal/aufgaben/").content.decode()

    assert f"{exact} Aufgaben gefunden." in text
    assert "Mehr als" not in text


def test_counting_a_long_inbox_stops_after_the_limit(users, monkeypatch):
    make_open_tasks(
        8, municipality=Municipality.objects.get(slug="ronneburg"), permission="projects.approve_project_order"
    )
    monkeypatch.setattr(InboxPaginator, "COUNT_UP_TO", 5)
    paginator = InboxPaginator(inbox_for_user(user=users["bm.ronneburg"], filters=InboxFilter()), 2)
    with CaptureQueriesContext(connection) as ctx:
        assert (paginator.count, paginator.more, paginator.num_pages) == (5, True, 3)
    assert len(ctx.captured_queries) == 1
    assert "LIMIT 6" in ctx.captured_queries[0]["sql"]
