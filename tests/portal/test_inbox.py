"""The inbox and the DKZ start page: constant queries at volume, filters, claim / release / pass on."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from viewflow.workflow import STATUS
from viewflow.workflow.models import Task

from projects.models import AuditEntry, Membership, Municipality
from tests.portal.conftest import demo_case, make_open_tasks
from workflows.case import CaseFlow

pytestmark = pytest.mark.django_db


def _queries(client, path):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


def test_inbox_uses_the_same_number_of_queries_with_10_and_with_500_tasks(login):
    ronneburg = Municipality.objects.get(slug="ronneburg")
    client = login("bm.ronneburg")
    make_open_tasks(10, municipality=ronneburg, permission="projects.approve_project_order")
    few, response = _queries(client, "/portal/aufgaben/")
    assert Task.objects.filter(owner_permission_obj_pk=str(ronneburg.pk), status=STATUS.NEW).count() >= 10
    make_open_tasks(490, municipality=ronneburg, permission="projects.approve_project_order")
    many, response = _queries(client, "/portal/aufgaben/")
    assert response.context["page"].paginator.count >= 500
    assert few == many, f"inbox: {few} queries with 10 tasks, {many} with 500"


def test_dkz_start_page_uses_the_same_number_of_queries_with_10_and_with_500_tasks(login):
    anchor = Municipality.objects.get(county__slug="mkk", kind=Municipality.Kind.LANDKREIS)
    client = login("pm.mkk")
    make_open_tasks(10, node=CaseFlow.screening, municipality=anchor, permission="projects.manage_case")
    few, response = _queries(client, "/portal/")
    make_open_tasks(490, node=CaseFlow.screening, municipality=anchor, permission="projects.manage_case")
    many, response = _queries(client, "/portal/")
    assert response.context["dkz"]["overdue_count"] >= 245
    assert few == many, f"DKZ start page: {few} queries with 10 tasks, {many} with 500"


def test_inbox_sorts_by_due_date_and_filters_overdue_items(login):
    ronneburg = Municipality.objects.get(slug="ronneburg")
    make_open_tasks(14, municipality=ronneburg, permission="projects.approve_project_order")
    client = login("bm.ronneburg")
    rows = client.get("/portal/aufgaben/").context["rows"]
    dues = [r.due for r in rows if r.due]
    assert dues == sorted(dues)
    overdue = client.get("/portal/aufgaben/?due=overdue").context["rows"]
    assert overdue and all(r.overdue for r in overdue)
    assert "überfällig" in client.get("/portal/aufgaben/?due=overdue").content.decode()


def test_inbox_search_finds_tasks_by_case_number_and_task_title(login):
    case = demo_case()
    client = login("bm.ronneburg")
    by_number = client.get("/portal/aufgaben/", {"q": case.number}).context["rows"]
    assert by_number and {r.case.pk for r in by_number} == {case.pk}
    by_title = client.get("/portal/aufgaben/", {"q": "freigeben"}).context["rows"]
    assert by_title and all(r.task.flow_task == CaseFlow.approve_project_order for r in by_title)
    assert client.get("/portal/aufgaben/", {"q": "gibt es nicht"}).context["rows"] == []


def test_a_mayor_sees_only_tasks_of_the_own_municipality(login):
    client = login("bm.hammersbach")
    rows = client.get("/portal/aufgaben/").context["rows"]
    hammersbach = Municipality.objects.get(slug="hammersbach")
    assert rows and all(r.municipality == hammersbach for r in rows)


def test_bulk_claim_and_release(login):
    ronneburg = Municipality.objects.get(slug="ronneburg")
    client = login("bm.ronneburg")
    tasks = [
        t
        for t in client.get("/portal/aufgaben/").context["rows"]
        if t.municipality == ronneburg and t.task.status == STATUS.NEW
    ]
    ids = [str(t.pk) for t in tasks]
    response = client.post("/portal/aufgaben/", {"action": "claim", "task": ids}, follow=True)
    assert "übernommen" in response.content.decode()
    assert set(Task.objects.filter(pk__in=ids).values_list("owner__username", flat=True)) == {"bm.ronneburg"}
    client.post("/portal/aufgaben/", {"action": "release", "task": ids})
    assert set(Task.objects.filter(pk__in=ids).values_list("status", flat=True)) == {STATUS.NEW}


def test_a_task_of_another_municipality_cannot_be_claimed_through_the_inbox(login):
    hammersbach = Municipality.objects.get(slug="hammersbach")
    task = next(
        t
        for t in Task.objects.filter(status=STATUS.NEW, flow_task=CaseFlow.approve_project_order)
        if t.data.get("municipality_id") == hammersbach.pk
    )
    client = login("bm.ronneburg")
    response = client.post("/portal/aufgaben/", {"action": "claim", "task": [task.pk]}, follow=True)
    task.refresh_from_db()
    assert task.owner_id is None
    assert "Sie dürfen diese Aufgabe nicht übernehmen." in response.content.decode()


def test_reassign_within_the_team_needs_a_colleague_who_may_do_the_task(login, users):
    ronneburg = Municipality.objects.get(slug="ronneburg")
    (task,) = make_open_tasks(
        1, node=CaseFlow.record_resolution, municipality=ronneburg, permission="projects.record_council_resolution"
    )
    client = login("bm.ronneburg")
    client.post("/portal/aufgaben/", {"action": "claim", "task": [task.pk]})
    clerk = users["sb.ronneburg"]
    client.post("/portal/aufgaben/", {"action": "reassign", "task": [task.pk], "to": clerk.pk})
    task.refresh_from_db()
    assert task.owner == clerk and task.status == STATUS.ASSIGNED
    assert AuditEntry.objects.filter(action="task.reassigned", subject_id=str(task.pk)).exists()
    assert clerk.notifications.filter(kind="new_task", url=f"/portal/aufgaben/{task.pk}/").exists()


def test_a_clerk_cannot_be_handed_an_approval_only_the_mayor_may_give(login, users):
    ronneburg = Municipality.objects.get(slug="ronneburg")
    (task,) = make_open_tasks(1, municipality=ronneburg, permission="projects.approve_project_order")
    client = login("bm.ronneburg")
    client.post("/portal/aufgaben/", {"action": "claim", "task": [task.pk]})
    response = client.post(
        "/portal/aufgaben/", {"action": "reassign", "task": [task.pk], "to": users["sb.ronneburg"].pk}, follow=True
    )
    task.refresh_from_db()
    assert task.owner == users["bm.ronneburg"]
    assert "darf diese Aufgabe nicht bearbeiten" in response.content.decode()


def test_delegate_to_the_substitute_during_absence(login, users):
    ronneburg = Municipality.objects.get(slug="ronneburg")
    (task,) = make_open_tasks(
        1, node=CaseFlow.record_resolution, municipality=ronneburg, permission="projects.record_council_resolution"
    )
    Membership.objects.filter(user=users["sb.ronneburg"], municipality=ronneburg).update(
        substitute=users["bm.ronneburg"]
    )
    client = login("sb.ronneburg")
    client.post("/portal/aufgaben/", {"action": "claim", "task": [task.pk]})
    client.post("/portal/aufgaben/", {"action": "delegate", "task": [task.pk]})
    task.refresh_from_db()
    assert task.owner == users["bm.ronneburg"]
    entry = AuditEntry.objects.get(action="task.delegated", subject_id=str(task.pk))
    assert entry.on_behalf_of == users["sb.ronneburg"]


def test_task_page_has_labelled_fields_and_errors_tied_to_them(login):
    case = demo_case()
    ronneburg = Municipality.objects.get(slug="ronneburg")
    task = next(
        t
        for t in Task.objects.filter(
            status=STATUS.NEW, flow_task=CaseFlow.approve_project_order, process__artifact_object_id=case.pk
        )
        if t.data.get("municipality_id") == ronneburg.pk
    )
    client = login("bm.ronneburg")
    page = client.get(f"/portal/aufgaben/{task.pk}/").content.decode()
    assert "<title>Projektauftrag freigeben" in page
    assert '<label for="id_decision">' in page
    response = client.post(f"/portal/aufgaben/{task.pk}/", {"decision": "rejected", "reason": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'aria-invalid="true"' in html and 'aria-describedby="id_reason_errors"' in html
    assert 'id="id_reason_errors"' in html
    assert html.count("Bitte die Entscheidung begründen.") == 2  # in the summary and at the field, not repeated
