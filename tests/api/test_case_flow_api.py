"""The IKZ case flow from idea to transfer driven through the REST API alone, as the real users with tokens."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from projects.models import Anstaltstraeger, Municipality
from tests.cases.helpers import ECONOMIC_CHECK

pytestmark = pytest.mark.django_db

PARTICIPANTS = ["ronneburg", "neuberg", "grosskrotzenburg"]


def muni(slug):
    return Municipality.objects.get(slug=slug)


def open_task(client, case_id, node, municipality=None):
    """The id of the one open task of ``node`` (for ``municipality``), read from the case as ``client`` sees it."""
    response = client.get(f"/api/v1/cases/{case_id}/")
    assert response.status_code == 200, response.content
    tasks = [
        t
        for t in response.json()["open_tasks"]
        if t["node"] == node and (municipality is None or t["municipality_id"] == municipality.pk)
    ]
    assert len(tasks) == 1, f"expected one open {node} task, found {tasks}"
    return tasks[0]["id"]


def complete(client, task_id, **data):
    response = client.post(f"/api/v1/tasks/{task_id}/complete/", data, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["task"]["status"] == "done"
    return body


def all_pages(client, url, **params):
    rows, page = [], 1
    while True:
        response = client.get(url, {"page_size": 100, "page": page, **params})
        assert response.status_code == 200, response.content
        rows += response.json()["results"]
        if not response.json()["next"]:
            return rows
        page += 1


def my_tasks(client, **filters):
    return all_pages(client, "/api/v1/tasks/", **filters)


def order_data(members, lead):
    today = timezone.localdate()
    return {
        "participants": [m.pk for m in members],
        "lead": lead.pk,
        "decision_rule": "unanimous",
        "goals": "Gemeinsame Aufgabenerfüllung",
        "results": "Satzung, Vereinbarung, Stellenplan",
        "start_date": today.isoformat(),
        "end_date": (today + dt.timedelta(days=365)).isoformat(),
        "costs": "Personal- und Sachkosten",
        "cost_estimate": "120000.00",
        "expected_saving": "25000.00",
        "project_lead": "DKZ Projektmanagement",
        "project_group": "Hauptämter",
        "information_management": "Monatlich",
    }


def test_county_wide_case_runs_from_idea_to_transfer_through_the_api_alone(login):
    pm = login("pm.mkk")

    # 1. idea: started exactly as the portal does, the first task is the screening
    response = pm.post(
        "/api/v1/cases/",
        {"county": "mkk", "title": "Gemeinsamer Datenschutzbeauftragter", "task_area": "Datenschutz"},
        format="json",
    )
    assert response.status_code == 201, response.content
    case = response.json()
    case_id = case["id"]
    assert case["stage"] == "screening"
    assert [t["node"] for t in case["open_tasks"]] == ["screening"]

    screening = open_task(pm, case_id, "screening")
    assert screening in [t["id"] for t in my_tasks(pm, flow="case", node="screening")]
    # Groß-Gerau's project management may not even see it; a Main-Kinzig mayor not involved neither
    assert login("pm.gg").post(f"/api/v1/tasks/{screening}/complete/", {}, format="json").status_code == 404
    assert login("bm.ronneburg").get(f"/api/v1/tasks/{screening}/").status_code == 404
    assert login("bm.ronneburg").get(f"/api/v1/cases/{case_id}/").status_code == 404

    # the UI form's validation: pursuing needs a route
    response = pm.post(f"/api/v1/tasks/{screening}/complete/", {"decision": "pursue"}, format="json")
    assert response.status_code == 400
    assert "route" in response.json()["errors"]
    result = complete(pm, screening, decision="pursue", route="county_wide")
    assert [t["node"] for t in result["next_tasks"]] == ["development"]
    # a second completion of the same task is a conflict
    response = pm.post(
        f"/api/v1/tasks/{screening}/complete/", {"decision": "pursue", "route": "county_wide"}, format="json"
    )
    assert response.status_code == 409

    # 2. development: the project order and the participants
    members = [muni(s) for s in PARTICIPANTS]
    development = open_task(pm, case_id, "development")
    detail = pm.get(f"/api/v1/tasks/{development}/").json()
    participants_field = next(f for f in detail["form"] if f["name"] == "participants")
    assert participants_field["many"] and {m.pk for m in members} <= {c["value"] for c in participants_field["choices"]}
    result = complete(pm, development, **order_data(members, members[0]))
    assert sorted(t["municipality"]["id"] for t in result["next_tasks"]) == sorted(m.pk for m in members)

    # 3. approval by each participant's mayor
    ronneburg, neuberg, _gk = members
    ronneburg_task = open_task(pm, case_id, "approve_project_order", ronneburg)
    # the clerk of Ronneburg and the mayor of Neuberg see the case, but may not approve for Ronneburg
    for wrong in ("sb.ronneburg", "bm.neuberg"):
        assert login(wrong).get(f"/api/v1/tasks/{ronneburg_task}/").status_code == 200
        response = login(wrong).post(
            f"/api/v1/tasks/{ronneburg_task}/complete/", {"decision": "approved"}, format="json"
        )
        assert response.status_code == 403, (wrong, response.content)
        assert login(wrong).post(f"/api/v1/tasks/{ronneburg_task}/assign/").status_code == 403
    # DKZ staff sees the task too, but cannot approve on a municipality's behalf
    assert pm.post(f"/api/v1/tasks/{ronneburg_task}/assign/").status_code == 403
    # the mayor of a municipality that does not take part sees nothing
    assert login("bm.maintal").post(f"/api/v1/tasks/{ronneburg_task}/assign/").status_code == 404

    bm_ronneburg = login("bm.ronneburg")
    mine = my_tasks(bm_ronneburg, node="approve_project_order", municipality=ronneburg.pk, status="new")
    assert [t["id"] for t in mine if t["subject"]["id"] == case_id] == [ronneburg_task]
    assert next(t for t in mine if t["id"] == ronneburg_task)["actions"] == ["assign", "complete"]
    response = bm_ronneburg.post(f"/api/v1/tasks/{ronneburg_task}/assign/")
    assert response.status_code == 200
    assert response.json()["task"]["assignee"] == "bm.ronneburg"
    assert response.json()["task"]["actions"] == ["unassign", "complete"]
    assert ronneburg_task in [t["id"] for t in my_tasks(bm_ronneburg, status="assigned")]
    assert bm_ronneburg.post(f"/api/v1/tasks/{ronneburg_task}/unassign/").json()["task"]["status"] == "new"

    for m in members:
        task = open_task(pm, case_id, "approve_project_order", m)
        complete(login(f"bm.{m.slug}"), task, decision="approved")
    response = bm_ronneburg.post(f"/api/v1/tasks/{ronneburg_task}/complete/", {"decision": "approved"}, format="json")
    assert response.status_code == 409
    assert pm.get(f"/api/v1/cases/{case_id}/").json()["stage"] == "resolutions"

    # 4. council resolutions
    for m in members:
        task = open_task(pm, case_id, "record_resolution", m)
        complete(
            login(f"bm.{m.slug}"),
            task,
            body="Gemeindevertretung",
            session_date=timezone.localdate().isoformat(),
            outcome="adopted",
        )

    # 5. funding decision: no application; the statute amendment needs the supervisory approval
    complete(pm, open_task(pm, case_id, "funding_decision"), apply="no", supervision="approval")
    assert pm.get(f"/api/v1/cases/{case_id}/").json()["stage"] == "statute"

    # 6. every Anstaltsträger's mayor consents, not only the participants
    carriers = [
        a.municipality for a in Anstaltstraeger.objects.filter(dkz__slug="dkz-mkk").select_related("municipality")
    ]
    assert len(carriers) == 29
    assert login("aufsicht.rpda").get(f"/api/v1/cases/{case_id}/").status_code == 404  # not yet before it
    for m in carriers:
        complete(  # the consent rests on the member's council resolution (HGO § 51)
            login(f"bm.{m.slug}"),
            open_task(pm, case_id, "consent_statute_amendment", m),
            agreed="yes",
            council_session_date=timezone.localdate().isoformat(),
            council_minute_reference="TOP 4",
        )

    # 7. the supervisory authority approves; the DKZ may not do it for them
    supervision = open_task(pm, case_id, "supervisory_review")
    response = pm.post(f"/api/v1/tasks/{supervision}/complete/", {"outcome": "approved"}, format="json")
    assert response.status_code == 403
    aufsicht = login("aufsicht.rpda")
    assert supervision in [t["id"] for t in my_tasks(aufsicht, node="supervisory_review")]
    complete(aufsicht, supervision, outcome="approved")

    # 8. the economic check: the DKZ controlling, not the project management; no transfer before it
    assert [t["node"] for t in pm.get(f"/api/v1/cases/{case_id}/").json()["open_tasks"]] == ["economic_check"]
    check = open_task(pm, case_id, "economic_check")
    response = pm.post(f"/api/v1/tasks/{check}/complete/", ECONOMIC_CHECK, format="json")
    assert response.status_code == 403
    complete(login("controlling.mkk"), check, **ECONOMIC_CHECK)
    figures = login("bm.neuberg").get(f"/api/v1/cases/{case_id}/").json()["economic_check"]
    assert (figures["own_cost"], figures["market_price"], figures["difference"]) == (
        "99260.00",
        "110000.00",
        "10740.00",
    )
    assert (figures["cheaper"], figures["decision"], figures["pay_group"]) == ("own", "own", "EG 11")

    # 9. the task transfer
    transfer = open_task(pm, case_id, "task_transfer")
    result = complete(pm, transfer, effective_date="2027-01-01", term_years=5, allocation_key="hours")
    assert result["next_tasks"] == []
    response = pm.post(
        f"/api/v1/tasks/{transfer}/complete/",
        {"effective_date": "2027-01-01", "term_years": 5, "allocation_key": "hours"},
        format="json",
    )
    assert response.status_code == 409

    case = pm.get(f"/api/v1/cases/{case_id}/").json()
    assert case["stage"] == "transferred"
    assert case["open_tasks"] == []
    assert case["current_order"]["version"] == 1
    assert case["statute_amendment"] == {
        "status": "in_force",
        "supervision": "approval",
        "board_first": False,  # Main-Kinzig's statute as recorded: the members consent without the Verwaltungsrat first
        "board_resolution": None,
    }
    assert case["transfer"]["allocation_key"] == "hours"
    assert [p["municipality"]["id"] for p in case["participants"] if p["is_lead"]] == [ronneburg.pk]
    for participant in case["participants"]:
        assert participant["approval"]["decision"] == "approved"
        assert participant["resolution"]["outcome"] == "adopted"
        assert participant["consent"]["agreed"] is True
    assert len(case["consents"]) == 29

    # the history: the case's audit entries and those of its tasks, visible to a participant as well
    history = all_pages(login("bm.neuberg"), f"/api/v1/cases/{case_id}/history/")
    actions = {e["action"] for e in history}
    assert {
        "case.captured",
        "project_order.approved",
        "council_resolution.recorded",
        "consent.statute",
        "supervision.approved",
        "task.transferred",
        "task.completed",
        "task.assigned",
        "task.released",
    } <= actions
    assert {e["subject"]["type"] for e in history} == {"projects.case", "viewflow.task"}
