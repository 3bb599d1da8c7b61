"""The application shell (issue 15): a menu by role on every page, logout, German error pages, the hand-over list."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects.models import Case
from tests.portal.conftest import make_open_tasks
from workflows.selectors import task_list_for_user

pytestmark = pytest.mark.django_db


def _menu(html: str) -> list[str]:
    nav = re.search(r'<nav class="ikz-menu".*?</nav>', html, re.S)
    assert nav, "the page has no main menu"
    return re.findall(r'data-menu="(\w+)"', nav.group(0))


@pytest.mark.parametrize("path", ["/portal/", "/portal/aufgaben/", "/portal/vorgaenge/", "/portal/profil/"])
def test_every_portal_page_has_one_main_a_menu_a_skip_link_and_a_logout_button(login, path):
    html = login("pm.mkk").get(path).content.decode()
    assert html.count("<main") == 1
    assert 'href="#main"' in html
    assert _menu(html)[:3] == ["start", "tasks", "cases"]
    assert re.search(r'<form method="post" action="/accounts/logout/"', html)
    assert "Abmelden" in html
    assert "kern/kern.min.css" in html and "material" not in html


@pytest.mark.parametrize(
    "username, present, absent",
    [
        ("pm.mkk", {"screening", "procurement", "funding"}, {"costs"}),
        ("vergabe.mkk", {"procurement"}, {"screening", "funding", "costs"}),
        ("foerderung.mkk", {"funding", "costs"}, {"screening", "procurement"}),
        ("controlling.mkk", {"costs", "funding"}, {"screening", "procurement"}),
        ("vorstand.mkk", {"screening", "procurement", "funding", "costs"}, set()),
        ("bm.ronneburg", {"screening", "procurement", "funding", "costs"}, set()),
        ("aufsicht.rpda", set(), {"screening", "procurement", "funding", "costs"}),
    ],
)
def test_the_menu_offers_the_sections_the_role_may_use(login, username, present, absent):
    menu = set(_menu(login(username).get("/portal/").content.decode()))
    assert {"start", "tasks", "cases", "notifications", "profile"} <= menu
    assert present <= menu
    assert not (absent & menu)


def test_the_menu_shows_the_number_of_open_tasks_and_marks_the_current_section(login, django_user_model):
    client = login("bm.ronneburg")
    html = client.get("/portal/aufgaben/").content.decode()
    expected = task_list_for_user(user=django_user_model.objects.get(username="bm.ronneburg")).count()
    count = re.search(r'data-menu="tasks">Aufgaben <span class="kern-badge[^"]*"><span class="kern-label">(\d+)', html)
    assert count and int(count.group(1)) == min(expected, 99)
    assert re.search(r'aria-current="page" data-menu="tasks"', html)


def test_the_menu_adds_no_query_per_open_task(login):
    from projects.models import Municipality

    ronneburg = Municipality.objects.get(slug="ronneburg")
    client = login("bm.ronneburg")
    make_open_tasks(5, municipality=ronneburg, permission="projects.approve_project_order")
    with CaptureQueriesContext(connection) as few:
        client.get("/portal/profil/")
    make_open_tasks(300, municipality=ronneburg, permission="projects.approve_project_order")
    with CaptureQueriesContext(connection) as many:
        html = client.get("/portal/profil/").content.decode()
    assert len(few.captured_queries) == len(many.captured_queries)
    assert re.search(r'<span class="kern-label">99\+</span>', html)


def test_logout_is_a_post_and_afterwards_a_protected_page_redirects_to_the_login(login):
    client = login("sb.ronneburg")
    assert client.get("/portal/").status_code == 200
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    after = client.get("/portal/aufgaben/")
    assert after.status_code == 302 and after["Location"].startswith("/accounts/login/")


def test_a_missing_case_shows_the_german_404_page_in_the_layout_even_with_debug_on(login, settings):
    settings.DEBUG = True
    missing = (Case.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000
    response = login("pm.mkk").get(f"/portal/vorgaenge/{missing}/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "Seite nicht gefunden" in html and "Traceback" not in html and "Page not found" not in html
    assert _menu(html)


def test_a_refused_page_shows_the_german_403_page_in_the_layout(django_user_model):
    from django.test import RequestFactory

    from portal.middleware import permission_denied

    request = RequestFactory().get("/portal/")
    request.user = django_user_model.objects.get(username="pm.mkk")
    response = permission_denied(request)
    html = response.content.decode()
    assert response.status_code == 403
    assert "Zugriff nicht erlaubt" in html and _menu(html)


def test_hand_over_offers_only_colleagues_who_share_a_task_capability(login):
    team = {p.username for p in login("pm.mkk").get("/portal/aufgaben/").context["team"]}
    assert not team & {"vergabe.mkk", "foerderung.mkk", "controlling.mkk", "vorstand.mkk"}
    # the mayor may hand a council resolution to the clerk: both may record it
    assert "sb.ronneburg" in {p.username for p in login("bm.ronneburg").get("/portal/aufgaben/").context["team"]}
