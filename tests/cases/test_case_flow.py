"""The IKZ case flow from idea to transferred task, driven as the real users (issue 3)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from viewflow.workflow import STATUS
from viewflow.workflow.timers import fire_due_timers

from projects.models import Anstaltstraeger, Approval, Case, Consent, StatuteTask
from projects.services.audit import audit_for_subject
from tests.cases.helpers import (
    approve_all,
    check_economy,
    complete,
    muni,
    new_case,
    open_tasks,
    order_data,
    resolve_all,
    task_of,
    user,
)
from workflows import engine
from workflows.case import CaseFlow
from workflows.selectors import process_of_case

pytestmark = pytest.mark.django_db

PARTICIPANTS = ["ronneburg", "neuberg", "grosskrotzenburg"]


def _develop(case, slugs=PARTICIPANTS, **overrides):
    members = [muni(s) for s in slugs]
    complete(case, "development", "pm.mkk", **order_data(members, members[0], **overrides))
    return members


def test_county_wide_case_runs_from_idea_to_transfer_as_the_real_users():
    case = new_case()
    complete(case, "screening", "pm.mkk", decision="pursue", route="county_wide")
    members = _develop(case)
    case.refresh_from_db()
    assert case.stage == Case.Stage.APPROVAL
    assert len(open_tasks(case, "approve_project_order")) == 3

    approve_all(case, members)
    case.refresh_from_db()
    assert case.stage == Case.Stage.RESOLUTIONS
    resolve_all(case, members)
    complete(case, "funding_decision", "pm.mkk", apply="no", supervision="approval")
    case.refresh_from_db()
    assert case.stage == Case.Stage.STATUTE

    # every Anstaltsträger of the DKZ consents, not only the participants
    carriers = [a.municipality for a in Anstaltstraeger.objects.filter(dkz__slug="dkz-mkk")]
    assert len(open_tasks(case, "consent_statute_amendment")) == len(carriers) == 29
    # each consent rests on the member's council resolution (HGO § 51): session date and minutes with it
    for m in carriers:
        complete(
            case,
            "consent_statute_amendment",
            f"bm.{m.slug}",
            municipality=m,
            agreed="yes",
            council_session_date=timezone.localdate().isoformat(),
            council_minute_reference="TOP 4",
        )
    assert Consent.objects.filter(case=case, agreed=True).count() == 29

    complete(case, "supervisory_review", "aufsicht.rpda", outcome="approved")
    check_economy(case)
    complete(case, "task_transfer", "pm.mkk", effective_date="2027-01-01", term_years=5, allocation_key="hours")

    case.refresh_from_db()
    assert case.stage == Case.Stage.TRANSFERRED
    assert process_of_case(case=case).status == STATUS.DONE
    assert StatuteTask.objects.filter(case=case, dkz__slug="dkz-mkk").exists()
    actions = set(audit_for_subject(subject=case).values_list("action", flat=True))
    assert {
        "case.captured",
        "project_order.approved",
        "council_resolution.recorded",
        "consent.statute",
        "supervision.approved",
        "economic_check.recorded",
        "task.transferred",
    } <= actions


def test_bilateral_case_with_two_participants_ends_with_signed_agreement():
    case = new_case(title="Gemeinsamer Ordnungsbehördenbezirk", task_area="Ordnungswesen")
    complete(case, "screening", "pm.mkk", decision="pursue", route="bilateral", agreement_form="mandate")
    members = _develop(case, ["ronneburg", "neuberg"])
    approve_all(case, members)
    resolve_all(case, members)
    complete(case, "funding_decision", "pm.mkk", apply="yes", note="KIKZ prüfen")
    assert len(open_tasks(case, "sign_agreement")) == 2
    for m in members:
        complete(case, "sign_agreement", f"bm.{m.slug}", municipality=m, agreed="yes")
    # a mandate is only notified: the supervisory authority acknowledges, it cannot "approve"; two municipalities
    # of one county: the Landrat is competent (§ 35 Abs. 2 KGG)
    with pytest.raises(ValidationError):
        complete(case, "supervisory_review", "aufsicht.lr-mkk", outcome="approved")
    complete(case, "supervisory_review", "aufsicht.lr-mkk", outcome="acknowledged")
    check_economy(case, market_source="inquiry", decision="buy", reason="Fremdvergabe trotz höherer Kosten: Vertretung")
    complete(case, "task_transfer", "pm.mkk", effective_date="2027-01-01", term_years=5, allocation_key="units")
    case.refresh_from_db()
    assert case.stage == Case.Stage.TRANSFERRED
    assert not StatuteTask.objects.filter(case=case).exists()


def test_changes_requested_send_the_order_back_and_approvals_restart_for_the_new_version():
    case = new_case()
    complete(case, "screening", "pm.mkk", decision="pursue", route="county_wide")
    members = _develop(case)
    ronneburg, neuberg, gk = members
    complete(case, "approve_project_order", "bm.ronneburg", municipality=ronneburg, decision="approved")
    complete(
        case,
        "approve_project_order",
        "bm.neuberg",
        municipality=neuberg,
        decision="changes",
        reason="Kostenschätzung zu niedrig",
    )
    complete(case, "approve_project_order", "bm.grosskrotzenburg", municipality=gk, decision="approved")
    case.refresh_from_db()
    assert case.stage == Case.Stage.DEVELOPMENT
    _develop(case, cost_estimate="150000.00")
    assert case.orders.count() == 2
    assert case.current_order.version == 2
    # the approval of version 1 does not count for version 2: everyone decides again
    assert len(open_tasks(case, "approve_project_order")) == 3
    approve_all(case, members)
    assert set(Approval.objects.filter(order=case.current_order).values_list("decision", flat=True)) == {"approved"}
    case.refresh_from_db()
    assert case.stage == Case.Stage.RESOLUTIONS


def test_a_rejecting_participant_is_dropped_when_the_rest_still_meets_the_minimum():
    case = new_case()
    complete(case, "screening", "pm.mkk", decision="pursue", route="county_wide")
    members = _develop(case)
    complete(case, "approve_project_order", "bm.ronneburg", municipality=members[0], decision="approved")
    complete(
        case,
        "approve_project_order",
        "bm.neuberg",
        municipality=members[1],
        decision="rejected",
        reason="Kein Bedarf",
    )
    complete(case, "approve_project_order", "bm.grosskrotzenburg", municipality=members[2], decision="approved")
    case.refresh_from_db()
    assert case.stage == Case.Stage.RESOLUTIONS
    assert list(case.participants.filter(status="dropped").values_list("municipality__slug", flat=True)) == ["neuberg"]
    assert len(open_tasks(case, "record_resolution")) == 2


def test_rejection_below_the_minimum_ends_the_case():
    case = new_case()
    complete(case, "screening", "pm.mkk", decision="pursue", route="bilateral", agreement_form="delegation")
    members = _develop(case, ["ronneburg", "neuberg"])
    complete(case, "approve_project_order", "bm.ronneburg", municipality=members[0], decision="approved")
    complete(
        case,
        "approve_project_order",
        "bm.neuberg",
        municipality=members[1],
        decision="rejected",
        reason="Kein Bedarf",
    )
    case.refresh_from_db()
    assert case.stage == Case.Stage.REJECTED
    assert process_of_case(case=case).status == STATUS.DONE


def test_parked_case_comes_back_when_its_recheck_date_is_due():
    case = new_case()
    recheck = timezone.localdate() + dt.timedelta(days=30)
    complete(case, "screening", "pm.mkk", decision="park", recheck_on=recheck.isoformat())
    case.refresh_from_db()
    assert case.stage == Case.Stage.PARKED
    assert fire_due_timers() == 0
    timer = process_of_case(case=case).task_set.get(status=STATUS.SCHEDULED)
    assert timer.scheduled.date() == recheck
    type(timer).objects.filter(pk=timer.pk).update(scheduled=timezone.now() - dt.timedelta(minutes=1))
    assert fire_due_timers() == 1
    case.refresh_from_db()
    assert case.stage == Case.Stage.SCREENING
    assert task_of(case, "screening")


def test_screening_rejection_needs_a_reason_and_changes_nothing_without_it():
    case = new_case()
    with pytest.raises(ValidationError) as err:
        complete(case, "screening", "pm.mkk", decision="reject", reason="")
    assert "reason" in err.value.message_dict
    case.refresh_from_db()
    assert case.stage == Case.Stage.SCREENING
    assert task_of(case, "screening").status == STATUS.NEW


def test_non_participant_mayor_cannot_see_or_claim_and_clerk_cannot_approve():
    case = new_case()
    complete(case, "screening", "pm.mkk", decision="pursue", route="county_wide")
    members = _develop(case)
    task = task_of(case, "approve_project_order", members[0])
    from workflows.selectors import task_for_user, task_list_for_user

    outsider = user("bm.maintal")
    assert task not in task_list_for_user(user=outsider)
    with pytest.raises(Exception) as err:
        task_for_user(user=outsider, pk=task.pk)
    assert err.typename == "Http404"
    # the clerk of a participant sees the case but may not approve
    clerk = user("sb.ronneburg")
    assert task not in task_list_for_user(user=clerk)
    with pytest.raises(PermissionDenied):
        engine.task_complete(task=task, user=clerk, data={"decision": "approved"})
    # DKZ staff cannot approve on a municipality's behalf
    with pytest.raises(PermissionDenied):
        engine.task_assign(task=task, user=user("pm.mkk"))
    # the mayor of Neuberg cannot take Ronneburg's task
    with pytest.raises(PermissionDenied):
        engine.task_assign(task=task, user=user("bm.neuberg"))
    assert task in task_list_for_user(user=user("bm.ronneburg"))


def test_groß_gerau_project_manager_sees_nothing_of_main_kinzig():
    from projects.selectors import case_list_for_user
    from workflows.selectors import task_list_for_user

    case = new_case()
    pm_gg = user("pm.gg")
    assert not case_list_for_user(user=pm_gg).filter(pk=case.pk).exists()
    assert not task_list_for_user(user=pm_gg).exists()
    with pytest.raises(PermissionDenied):
        engine.task_assign(task=task_of(case, "screening"), user=pm_gg)


def test_second_completion_of_the_same_task_is_a_conflict_and_changes_nothing():
    case = new_case()
    complete(case, "screening", "pm.mkk", decision="pursue", route="county_wide")
    members = _develop(case)
    task = task_of(case, "approve_project_order", members[0])
    engine.task_complete(task=task, user=user("bm.ronneburg"), data={"decision": "approved"})
    with pytest.raises(engine.TaskConflict):
        engine.task_complete(task=task, user=user("bm.ronneburg"), data={"decision": "rejected", "reason": "x"})
    assert list(Approval.objects.filter(order=case.current_order).values_list("decision", flat=True)) == ["approved"]


def test_stale_form_for_an_old_project_order_version_is_refused():
    case = new_case()
    complete(case, "screening", "pm.mkk", decision="pursue", route="county_wide")
    members = _develop(case)
    task = task_of(case, "approve_project_order", members[0])
    with pytest.raises(engine.TaskConflict):
        engine.task_complete(task=task, user=user("bm.ronneburg"), data={"decision": "approved", "version": 99})
    assert not Approval.objects.filter(order=case.current_order).exists()


def _move_timers(case, then, to):
    """Move the boundary timers that lead to the node ``then`` to ``to``."""
    from viewflow.workflow.models import Task

    boundary = next(
        n
        for n in CaseFlow.instance.nodes()
        if getattr(n, "_next", None) is getattr(CaseFlow, then) and "timeout" in n.name
    )
    Task.objects.filter(process=process_of_case(case=case), flow_task=boundary, status=STATUS.SCHEDULED).update(
        scheduled=to
    )


def test_resolution_deadline_reminds_before_and_escalates_after_without_blocking_the_flow(
    django_capture_on_commit_callbacks,
):
    from projects.models import AuditEntry
    from projects.services.deadlines import deadline_notice

    received = []
    deadline_notice.connect(
        lambda **kw: received.append((kw["kind"], kw["municipality"].slug)), weak=False, dispatch_uid="test-deadline"
    )
    try:
        case = new_case()
        Case.objects.filter(pk=case.pk).update(resolution_due=timezone.localdate() + dt.timedelta(days=30))
        complete(case, "screening", "pm.mkk", decision="pursue", route="county_wide")
        members = _develop(case, ["ronneburg", "neuberg"])
        approve_all(case, members)
        boundary = [t for t in process_of_case(case=case).task_set.filter(status=STATUS.SCHEDULED)]
        assert len(boundary) == 4  # a reminder and an escalation timer per resolution task
        assert fire_due_timers() == 0  # nothing due yet

        # time moves forward past the reminder date: both municipalities are reminded once
        _move_timers(case, "remind_resolution", timezone.now() - dt.timedelta(minutes=1))
        with django_capture_on_commit_callbacks(execute=True):
            assert fire_due_timers() == 2
        assert sorted(received) == [("reminder", "neuberg"), ("reminder", "ronneburg")]
        # Ronneburg decides; its escalation timer is cancelled with the task
        complete(
            case,
            "record_resolution",
            "sb.ronneburg",
            municipality=members[0],
            body="Gemeindevertretung",
            session_date=timezone.localdate().isoformat(),
            outcome="adopted",
        )
        # past the deadline: only Neuberg is escalated
        _move_timers(case, "escalate_resolution", timezone.now() - dt.timedelta(minutes=1))
        with django_capture_on_commit_callbacks(execute=True):
            assert fire_due_timers() == 1
        assert received[-1] == ("escalation", "neuberg")
        assert AuditEntry.objects.filter(subject_id=str(case.pk), action="deadline.escalation").count() == 1
        # the escalation reaches the county's project management, the reminder the municipality's clerk
        assert user("pm.mkk").notifications.filter(kind="overdue", title__contains=case.number).count() == 1
        assert user("sb.neuberg").notifications.filter(kind="reminder", title__contains=case.number).count() == 1
        assert not user("pm.gg").notifications.filter(title__contains=case.number).exists()
        # the late resolution still continues the flow
        complete(
            case,
            "record_resolution",
            "sb.neuberg",
            municipality=members[1],
            body="Gemeindevertretung",
            session_date=timezone.localdate().isoformat(),
            outcome="adopted",
        )
        case.refresh_from_db()
        assert case.stage == Case.Stage.FUNDING
        assert task_of(case, "funding_decision")
    finally:
        deadline_notice.disconnect(dispatch_uid="test-deadline")


def test_seed_demo_shows_cases_in_different_stages():
    stages = set(Case.objects.filter(county__slug="mkk", created_by__username="pm.mkk").values_list("stage", flat=True))
    assert {Case.Stage.SCREENING, Case.Stage.APPROVAL, Case.Stage.RESOLUTIONS, Case.Stage.STATUTE} <= stages


def test_every_anstaltstraeger_mayor_sees_the_case_they_are_asked_to_consent_to():
    from projects.selectors import case_list_for_user

    case = new_case()
    complete(case, "screening", "pm.mkk", decision="pursue", route="county_wide")
    members = _develop(case)
    outsider = user("bm.maintal")  # not a participant, but an Anstaltsträger of the DKZ
    assert not case_list_for_user(user=outsider).filter(pk=case.pk).exists()
    approve_all(case, members)
    resolve_all(case, members)
    complete(case, "funding_decision", "pm.mkk", apply="no")
    assert case_list_for_user(user=outsider).filter(pk=case.pk).exists()
    assert not case_list_for_user(user=user("bm.trebur")).filter(pk=case.pk).exists()  # other county
