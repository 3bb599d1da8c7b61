"""The flows as BPMN 2.0 over the API (issue 20): the document of each flow and a case's position in it."""

from __future__ import annotations

import pytest
from lxml import etree

from tests.api.conftest import human_task, start_case

pytestmark = pytest.mark.django_db

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"


@pytest.mark.parametrize("name", ["case", "procurement", "funding"])
def test_a_user_downloads_each_flow_as_a_bpmn_document(login, name):
    for accept in ("*/*", "application/xml"):
        response = login("bm.ronneburg").get(f"/api/v1/flows/{name}/bpmn", HTTP_ACCEPT=accept)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/xml")
        assert etree.fromstring(response.content).find(f"{BPMN}process").get("id") == name


def test_an_unknown_flow_answers_404_in_json(login, anonymous):
    response = login("bm.ronneburg").get("/api/v1/flows/bench_human/bpmn")
    assert response.status_code == 404 and response["Content-Type"].startswith("application/json")
    assert anonymous.get("/api/v1/flows/case/bpmn").status_code == 401


def test_the_flow_state_of_a_case_names_its_current_step_and_the_callers_task(login, users):
    case = start_case(users)
    task = human_task(case)
    body = login("pm.mkk").get(f"/api/v1/cases/{case.pk}/flow/").json()
    assert body["flow"] == "case" and body["bpmn"] == "/api/v1/flows/case/bpmn"
    steps = {s["id"]: s for s in body["steps"]}
    assert steps["start"]["state"] == "completed"
    assert steps["screening"]["state"] == "current" and steps["screening"]["task_id"] == task.pk
    assert steps["development"]["state"] == "" and steps["development"]["state_label"] == "nicht erreicht"
    # every step id is an element of the BPMN document
    document = etree.fromstring(login("pm.mkk").get(body["bpmn"]).content)
    ids = {el.get("id") for el in document.find(f"{BPMN}process")}
    assert set(steps) <= ids
    # someone who sees the case but may not screen it gets the state without the task
    other = {s["id"]: s for s in login("controlling.mkk").get(f"/api/v1/cases/{case.pk}/flow/").json()["steps"]}
    assert other["screening"]["state"] == "current" and other["screening"]["task_id"] is None
    assert login("pm.gg").get(f"/api/v1/cases/{case.pk}/flow/").status_code == 404
