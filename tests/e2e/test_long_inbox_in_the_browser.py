"""A long inbox in a real browser: the page says "more than", lists the first tasks, and a filter gives the number."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_mayor_with_more_tasks_than_the_inbox_lists_is_told_so_and_narrows_the_list_with_a_filter(
    page, users, monkeypatch
):
    from portal.selectors import InboxFilter, InboxPaginator, inbox_for_user
    from projects.models import Municipality
    from tests.portal.conftest import make_open_tasks

    make_open_tasks(
        10, municipality=Municipality.objects.get(slug="ronneburg"), permission="projects.approve_project_order"
    )
    mayor = users["bm.ronneburg"]
    this_week = inbox_for_user(user=mayor, filters=InboxFilter(due="week")).count()
    everything = inbox_for_user(user=mayor, filters=InboxFilter()).count()
    assert 0 < this_week < everything  # seven of the new tasks are overdue
    monkeypatch.setattr(InboxPaginator, "COUNT_UP_TO", this_week)

    login(page, "bm.ronneburg")
    page.goto("/portal/aufgaben/")
    status = page.get_by_role("status").filter(has_text="gefunden")
    assert status.inner_text() == (
        f"Mehr als {this_week} Aufgaben gefunden; die ersten {this_week} werden angezeigt. "
        "Mit den Filtern grenzen Sie die Liste ein."
    )
    assert page.locator("input[name=task]").count() == min(this_week, 25)

    page.get_by_label("Frist").select_option("week")
    page.get_by_role("button", name="Anwenden").click()
    page.wait_for_url(re.compile(r"due=week"))
    expected = f"{this_week} Aufgabe gefunden." if this_week == 1 else f"{this_week} Aufgaben gefunden."
    assert page.get_by_role("status").filter(has_text="gefunden").inner_text() == expected
