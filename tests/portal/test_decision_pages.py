"""Decision pages of the case flow show what is decided (issue 15): the project order with the changes to the
previous version, the changes the municipalities asked for, the statute amendment with the consents so far."""

from __future__ import annotations

import pytest
from viewflow.workflow import STATUS
from viewflow.workflow.models import Task

from projects.models import Approval, Membership, Municipality
from projects.roles import Role
from tests.portal.conftest import demo_case, make_open_tasks
from workflows.case import CaseFlow

pytestmark = pytest.mark.django_db


def test_the_approval_page_shows_the_project_order_with_the_changes_to_the_previous_version(login):
    case = demo_case()
    first = case.current_order
    second = type(first).objects.get(pk=first.pk)
    second.pk, second.version = None, first.version + 1
    second.goals = "Ein gemeinsamer Datenschutzbeauftragter für alle beteiligten Kommunen ab 2027"
    second.save()
    ronneburg = Municipality.objects.get(slug="ronneburg")
    task = next(
        t
        for t in Task.objects.filter(
            status=STATUS.NEW, flow_task=CaseFlow.approve_project_order, process__artifact_object_id=case.pk
        )
        if t.data.get("municipality_id") == ronneburg.pk
    )
    html = login("bm.ronneburg").get(f"/portal/aufgaben/{task.pk}/").content.decode()
    assert f"Projektauftrag, Version {second.version}" in html
    assert f"Änderungen gegenüber Version {first.version} sind markiert" in html
    assert second.goals in html
    assert f"bisher (Version {first.version}):" in html and first.goals.split("\n")[0][:40] in html
    assert f'href="/portal/vorgaenge/{case.pk}/?a={first.version}&amp;b={second.version}#projektauftrag"' in html


def test_the_revision_task_shows_the_changes_the_municipalities_asked_for(login, users):
    case = demo_case()
    ronneburg = Municipality.objects.get(slug="ronneburg")
    Approval.objects.create(
        order=case.current_order,
        municipality=ronneburg,
        decision=Approval.Decision.CHANGES,
        reason="Bitte die Kosten je Kommune aufschlüsseln.",
        decided_by=users["bm.ronneburg"],
    )
    anchor = Municipality.objects.get(county__slug="mkk", kind=Municipality.Kind.LANDKREIS)
    (task,) = make_open_tasks(
        1, node=CaseFlow.development, municipality=anchor, permission="projects.manage_case", case=case
    )
    html = login("pm.mkk").get(f"/portal/aufgaben/{task.pk}/").content.decode()
    assert "Erbetene Änderungen am Projektauftrag" in html
    assert "Ronneburg" in html and "Bitte die Kosten je Kommune aufschlüsseln." in html


def test_the_statute_consent_page_shows_the_amendment_and_who_has_consented_so_far(login):
    tasks = Task.objects.filter(status=STATUS.NEW, flow_task=CaseFlow.consent_statute_amendment).select_related(
        "process"
    )
    assert tasks, "the demo has an open statute amendment"
    task = tasks[0]
    mayor = Membership.objects.filter(role=Role.MAYOR, municipality_id=task.data["municipality_id"]).first()
    waiting = Municipality.objects.get(pk=tasks[1].data["municipality_id"]).name
    html = login(mayor.user.username).get(f"/portal/aufgaben/{task.pk}/").content.decode()
    assert '<h2 id="amendment-heading">Satzungsänderung</h2>' in html
    assert "Aufnahme der Aufgabe" in html and "Aufsichtsverfahren" in html
    assert "Zustimmung zur Satzungsänderung: bisher erklärt" in html
    assert "Es fehlen noch:" in html and waiting in html
