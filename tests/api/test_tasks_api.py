"""The task list and the conventions around it: constant queries, filters, login, JSON errors for bad input."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects.models import Municipality
from tests.api.conftest import human_task, start_case
from workflows import engine

pytestmark = pytest.mark.django_db


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(queries), response.json()


def test_the_task_list_costs_the_same_number_of_queries_for_3_and_for_30_tasks(users, login):
    pm = login("pm.gg")
    url = "/api/v1/tasks/?page_size=100"
    before = login("pm.gg").get(url).json()["count"]

    def add(n):
        for i in range(n):
            case = start_case(users, county="gg", by="pm.gg", title=f"Gemeinsame Aufgabe {i}")
            if i % 3 == 0:  # some assigned to the user, the others open and claimable
                engine.task_assign(task=human_task(case), user=users["pm.gg"])

    add(3)
    _queries(pm, url)  # warm-up: content types are cached per process
    few, page = _queries(pm, url)
    assert page["count"] == before + 3
    add(27)
    many, page = _queries(pm, url)
    assert page["count"] == before + 30
    assert {"assign", "unassign"} <= {a for row in page["results"] for a in row["actions"]}
    assert few == many, f"{few} queries for {before + 3} tasks, {many} for {before + 30}"


def test_tasks_filter_by_flow_node_municipality_and_status(users, login):
    case = start_case(users)
    screening = human_task(case)
    anchor = Municipality.objects.get(slug="main-kinzig-kreis")
    pm = login("pm.mkk")

    def ids(**filters):
        response = pm.get("/api/v1/tasks/", {"page_size": 100, **filters})
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert screening.pk in ids(flow="case", node="screening", municipality=anchor.pk, status="new")
    assert ids()[0] == screening.pk  # newest first
    assert screening.pk not in ids(node="development")
    assert screening.pk not in ids(flow="procurement")
    assert screening.pk not in ids(status="assigned")
    assert screening.pk not in ids(municipality=Municipality.objects.get(slug="ronneburg").pk)
    engine.task_assign(task=screening, user=users["pm.mkk"])
    assert screening.pk in ids(status="assigned")
    for bad in ({"status": "done"}, {"node": "'; drop"}, {"municipality": "abc"}, {"flow": "Case Flow"}):
        response = pm.get("/api/v1/tasks/", bad)
        assert response.status_code == 400, bad
        assert set(response.json()) == {"detail", "errors"}


def test_token_login_answers_in_german_and_is_throttled_per_user_name(anonymous):
    response = anonymous.post("/api/v1/auth/token/", {"username": "pm.mkk", "password": "falsch"}, format="json")
    assert response.status_code == 400
    assert response.json()["detail"] == "Anmeldung fehlgeschlagen: Benutzername oder Passwort ist falsch."
    ok = anonymous.post("/api/v1/auth/token/", {"username": "pm.mkk", "password": "demo"}, format="json")
    assert ok.status_code == 200 and len(ok.json()["token"]) == 40
    codes = [
        anonymous.post("/api/v1/auth/token/", {"username": "pm.mkk", "password": "x"}, format="json").status_code
        for _ in range(10)
    ]
    assert codes[-1] == 429
    # a colleague behind the same address is not locked out
    other = anonymous.post("/api/v1/auth/token/", {"username": "pm.gg", "password": "demo"}, format="json")
    assert other.status_code == 200
    client = anonymous
    client.credentials(HTTP_AUTHORIZATION=f"Token {ok.json()['token']}")
    me = client.get("/api/v1/me/").json()
    assert (me["username"], me["county"], me["roles"]) == ("pm.mkk", "mkk", ["project_manager"])
    assert me["memberships"][0]["organisation_kind"] == "dkz"


def test_bad_input_is_answered_with_json_errors_never_html_or_500(users, login):
    case = start_case(users)
    task = human_task(case)
    pm = login("pm.mkk")
    cases = [
        ("post", f"/api/v1/tasks/{task.pk}/complete/", "{kaputt", 400),
        ("post", f"/api/v1/tasks/{task.pk}/complete/", "[1, 2]", 400),
        ("post", f"/api/v1/tasks/{task.pk}/complete/", '{"decision": {"a": 1}, "recheck_on": [1]}', 400),
        ("post", f"/api/v1/tasks/{task.pk}/complete/", '{"decision": "park", "recheck_on": "gestern"}', 400),
        ("post", "/api/v1/cases/", '{"county": "xx", "title": 5}', 400),
        ("post", "/api/v1/cases/", '{"county": ["mkk"], "title": null}', 400),
        ("post", "/api/v1/cases/", '{"county": "mkk", "title": "A", "proposing_municipality": "abc"}', 400),
        ("get", "/api/v1/cases/?stage=unbekannt", None, 400),
        ("get", "/api/v1/tasks/?page=999", None, 404),
        ("get", "/api/v1/tasks/12abc/", None, 404),
        ("get", "/api/v1/cases/1.5/history/", None, 404),
        ("get", "/api/v1/unbekannt/", None, 404),
        ("post", f"/api/v1/tasks/{task.pk}/unassign/", None, 409),  # nobody holds it
    ]
    for method, url, body, expected in cases:
        if body is None:
            response = getattr(pm, method)(url)
        else:
            response = getattr(pm, method)(url, data=body, content_type="application/json")
        assert response.status_code == expected, (url, body, response.status_code, response.content[:200])
        assert response["Content-Type"].startswith("application/json"), url
        assert set(response.json()) == {"detail", "errors"}, url
    response = pm.post(f"/api/v1/tasks/{task.pk}/complete/", {"decision": "vielleicht"}, format="json")
    assert "decision" in response.json()["errors"]
    task.refresh_from_db()
    assert task.status == "NEW"  # nothing of the above changed the task


def test_a_municipality_proposes_a_case_through_the_api_and_sees_it_but_a_clerk_of_another_does_not(login):
    ronneburg = Municipality.objects.get(slug="ronneburg")
    response = login("sb.ronneburg").post(
        "/api/v1/cases/",
        {"county": "mkk", "title": "Gemeinsamer Bauhof", "proposing_municipality": ronneburg.pk},
        format="json",
    )
    assert response.status_code == 201, response.content
    case = response.json()
    assert case["proposing_municipality"]["id"] == ronneburg.pk
    assert case["id"] in [c["id"] for c in login("sb.ronneburg").get("/api/v1/cases/").json()["results"]]
    assert case["id"] in [c["id"] for c in login("pm.mkk").get("/api/v1/cases/?stage=screening").json()["results"]]
    assert login("sb.neuberg").get(f"/api/v1/cases/{case['id']}/").status_code == 404
    response = login("sb.neuberg").post(
        "/api/v1/cases/",
        {"county": "mkk", "title": "Im Namen anderer", "proposing_municipality": ronneburg.pk},
        format="json",
    )
    assert response.status_code == 403
