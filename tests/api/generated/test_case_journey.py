"""A municipal system drives an IKZ case from the idea to the task transfer with the generated client alone."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from projects.models import Anstaltstraeger, Municipality
from tests.cases.helpers import ECONOMIC_CHECK

pytestmark = pytest.mark.django_db(transaction=True)

PARTICIPANTS = ["ronneburg", "neuberg", "grosskrotzenburg"]


class Journey:
    """Calls of the generated client, as the given users (each with their own token)."""

    def __init__(self, generated_client, token_for):
        self.clients: dict[str, object] = {}
        self._client = generated_client
        self._token = token_for

    def as_(self, username):
        if username not in self.clients:
            self.clients[username] = self._client(self._token(username))
        return self.clients[username]

    def case(self, username, case_id):
        from ikz_api_client.api.cases import cases_retrieve
        from ikz_api_client.models import CaseDetail

        answer = cases_retrieve.sync_detailed(case_id, client=self.as_(username))
        assert answer.status_code == 200, answer.content
        assert isinstance(answer.parsed, CaseDetail)
        return answer.parsed

    def open_task(self, case_id, node, municipality=None):
        tasks = [
            t
            for t in self.case("pm.mkk", case_id).open_tasks
            if t.node == node and (municipality is None or t.municipality_id == municipality.pk)
        ]
        assert len(tasks) == 1, f"expected one open {node} task, found {tasks}"
        return tasks[0].id

    def complete(self, username, task_id, **data):
        from ikz_api_client.api.tasks import tasks_complete_create
        from ikz_api_client.models import TaskResult, TasksCompleteCreateBody

        answer = tasks_complete_create.sync_detailed(
            task_id, client=self.as_(username), body=TasksCompleteCreateBody.from_dict(data)
        )
        assert answer.status_code == 200, answer.content
        assert isinstance(answer.parsed, TaskResult)
        assert answer.parsed.task.status == "done"
        return answer.parsed

    def my_tasks(self, username, **filters):
        from ikz_api_client.api.tasks import tasks_list

        rows, page = [], 1
        while True:
            answer = tasks_list.sync_detailed(client=self.as_(username), page=page, page_size=100, **filters)
            assert answer.status_code == 200, answer.content
            rows += answer.parsed.results
            if not answer.parsed.next_:
                return rows
            page += 1


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


def test_a_case_runs_from_post_cases_to_the_task_transfer_with_the_generated_client(generated_client, token_for):
    from ikz_api_client.api.cases import cases_create, cases_history_list
    from ikz_api_client.api.tasks import tasks_complete_create
    from ikz_api_client.models import CaseCreateRequest, CaseDetail, Error, TasksCompleteCreateBody

    journey = Journey(generated_client, token_for)
    pm = journey.as_("pm.mkk")

    # 1. the idea, started as the portal starts it; the first task is the screening, due on a date
    answer = cases_create.sync_detailed(
        client=pm,
        body=CaseCreateRequest(county="mkk", title="Gemeinsamer Datenschutzbeauftragter", task_area="Datenschutz"),
    )
    assert answer.status_code == 201, answer.content
    assert isinstance(answer.parsed, CaseDetail)
    case_id = answer.parsed.id
    assert answer.parsed.stage == "screening"
    assert [t.node for t in answer.parsed.open_tasks] == ["screening"]
    assert answer.parsed.next_due == min(t.due for t in answer.parsed.open_tasks if t.due)

    screening = journey.open_task(case_id, "screening")
    assert screening in [t.id for t in journey.my_tasks("pm.mkk", flow="case", node="screening")]
    # the form's validation: pursuing needs a route (German field errors in the one error shape)
    refused = tasks_complete_create.sync_detailed(
        screening, client=pm, body=TasksCompleteCreateBody.from_dict({"decision": "pursue"})
    )
    assert refused.status_code == 400
    assert isinstance(refused.parsed, Error) and "route" in refused.parsed.errors.additional_properties
    journey.complete("pm.mkk", screening, decision="pursue", route="county_wide")

    # 2. the project order and its participants
    members = [Municipality.objects.get(slug=s) for s in PARTICIPANTS]
    result = journey.complete("pm.mkk", journey.open_task(case_id, "development"), **order_data(members, members[0]))
    assert sorted(t.municipality.id for t in result.next_tasks) == sorted(m.pk for m in members)

    # 3. each participant's mayor approves with their own token; the neighbour's mayor may not
    ronneburg = members[0]
    ronneburg_task = journey.open_task(case_id, "approve_project_order", ronneburg)
    wrong = tasks_complete_create.sync_detailed(
        ronneburg_task,
        client=journey.as_("bm.neuberg"),
        body=TasksCompleteCreateBody.from_dict({"decision": "approved"}),
    )
    assert wrong.status_code == 403
    for m in members:
        journey.complete(f"bm.{m.slug}", journey.open_task(case_id, "approve_project_order", m), decision="approved")
    assert journey.case("pm.mkk", case_id).stage == "resolutions"

    # 4. council resolutions
    for m in members:
        journey.complete(
            f"bm.{m.slug}",
            journey.open_task(case_id, "record_resolution", m),
            body="Gemeindevertretung",
            session_date=timezone.localdate().isoformat(),
            outcome="adopted",
        )

    # 5. no funding application; the statute amendment needs the supervisory approval
    journey.complete("pm.mkk", journey.open_task(case_id, "funding_decision"), apply="no", supervision="approval")
    assert journey.case("pm.mkk", case_id).stage == "statute"

    # 6. every Anstaltsträger's mayor consents
    carriers = [
        a.municipality for a in Anstaltstraeger.objects.filter(dkz__slug="dkz-mkk").select_related("municipality")
    ]
    for m in carriers:
        journey.complete(
            f"bm.{m.slug}",
            journey.open_task(case_id, "consent_statute_amendment", m),
            agreed="yes",
            council_session_date=timezone.localdate().isoformat(),
            council_minute_reference="TOP 4",
        )

    # 7. the supervisory authority approves
    journey.complete("aufsicht.rpda", journey.open_task(case_id, "supervisory_review"), outcome="approved")

    # 8. the economic check by the DKZ controlling: the figures come back computed, typed in the generated client
    journey.complete("controlling.mkk", journey.open_task(case_id, "economic_check"), **ECONOMIC_CHECK)
    check = journey.case("bm.neuberg", case_id).economic_check
    assert check is not None
    assert (check.own_cost, check.market_price, check.difference) == ("99260.00", "110000.00", "10740.00")
    assert (check.cheaper, check.decision) == ("own", "own")

    # 9. the task transfer
    result = journey.complete(
        "pm.mkk",
        journey.open_task(case_id, "task_transfer"),
        effective_date="2027-01-01",
        term_years=5,
        allocation_key="hours",
    )
    assert result.next_tasks == []

    case = journey.case("bm.neuberg", case_id)
    assert case.stage == "transferred"
    assert case.open_tasks == []
    # the legal acts of the case come as typed models of the generated client
    assert case.transfer is not None and case.transfer.allocation_key == "hours"
    assert (case.transfer.effective_date, case.transfer.term_years) == (dt.date(2027, 1, 1), 5)
    assert (case.statute_amendment.status, case.statute_amendment.supervision) == ("in_force", "approval")
    assert (case.supervisory_decision.subject, case.supervisory_decision.outcome) == ("statute", "approved")
    assert case.supervisory_decision.decided_at.utcoffset() == dt.timedelta(0)
    assert case.competent_authority.name and case.competent_authority.reason
    assert all(p.approval.decision == "approved" for p in case.participants)
    history = cases_history_list.sync_detailed(case_id, client=journey.as_("bm.neuberg"), page_size=100)
    assert history.status_code == 200
    assert {"case.captured", "supervision.approved", "task.transferred"} <= {e.action for e in history.parsed.results}
    assert {e.subject.type_ for e in history.parsed.results} == {"projects.case", "viewflow.task"}
    assert {e.subject.id for e in history.parsed.results if e.subject.type_ == "projects.case"} == {str(case_id)}
