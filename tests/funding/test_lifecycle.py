"""An application from a transferred case through decision, drawdowns and proof of use; the timers' reminders
and escalations are produced as time moves forward (never slept)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from funding.models import Application, Deadline, DeadlineNotice, Decision
from funding.services import applications as svc
from projects.models import AuditEntry
from tests.funding.conftest import granted_application, notify, prepare

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")


def at(year, month, day):
    return dt.datetime(year, month, day, 7, 0, tzinfo=BERLIN)


def test_application_from_a_transferred_case_through_decision_drawdowns_and_proof_of_use(
    ikz, transferred_case, users, ozg_partners, django_capture_on_commit_callbacks
):
    officer = users["foerderung.mkk"]
    application = svc.application_create(
        by=officer, programme=ikz, title="OZG Prozessdesigner", case=transferred_case, duration_years=5
    )
    assert set(application.partners.all()) == set(ozg_partners)
    assert application.state == Application.State.IDEA

    with pytest.raises(ValidationError) as missing:
        svc.application_prepare(application=application, by=officer, on=dt.date(2025, 10, 1))
    assert "Beschluss der Gemeindevertretung: Großkrotzenburg" in str(missing.value)

    application = prepare(application, officer, dt.date(2025, 10, 1))
    assert application.state == Application.State.PREPARED
    assert application.saving_percent == Decimal("18.18")  # (165,000 − 135,000) / 165,000, rounded down
    assert application.eligible_amount == Decimal("75000")
    assert application.eligible_rule == ikz.rule_on(dt.date(2025, 10, 1))

    application = svc.application_review_start(application=application, by=officer)
    application = svc.application_submit(application=application, by=officer, submitted_on=dt.date(2025, 10, 15))
    assert application.state == Application.State.SUBMITTED
    assert application.channel == "Landkreis → Regierungspräsidium → Ministerium"
    assert application.requested_amount == Decimal("75000")

    svc.decision_record(
        application=application,
        by=officer,
        outcome=Decision.Outcome.GRANT,
        decided_on=dt.date(2026, 1, 15),
        amount=Decimal("75000"),
        conditions="ANBest-P",
        earmark_until=dt.date(2031, 1, 14),
        first_year=2026,
        key=ozg_partners,
    )
    application.refresh_from_db()
    assert application.state == Application.State.GRANTED

    first = svc.drawdown_record(
        application=application,
        by=officer,
        amount=Decimal("30000"),
        requested_on=dt.date(2026, 2, 1),
        needed_on=dt.date(2026, 3, 15),
        paid_on=dt.date(2026, 2, 5),
    )
    with pytest.raises(ValidationError) as too_early:
        svc.drawdown_record(
            application=application,
            by=officer,
            amount=Decimal("45000"),
            requested_on=dt.date(2026, 2, 10),
            needed_on=dt.date(2026, 4, 11),
        )
    assert "binnen 2 Monaten" in str(too_early.value)
    with pytest.raises(ValidationError):
        svc.drawdown_record(
            application=application,
            by=officer,
            amount=Decimal("45000.01"),
            requested_on=dt.date(2026, 5, 1),
            needed_on=dt.date(2026, 5, 15),
        )
    second = svc.drawdown_record(
        application=application,
        by=officer,
        amount=Decimal("45000"),
        requested_on=dt.date(2026, 5, 1),
        needed_on=dt.date(2026, 6, 30),
        paid_on=dt.date(2026, 5, 6),
    )
    assert svc.drawn_total(application) == Decimal("75000")
    assert Deadline.objects.get(drawdown=first).due_on == dt.date(2026, 4, 5)

    # Time moves forward: the first drawdown's use deadline is 5 April 2026, reminders start 28 days earlier.
    assert notify(application, now=at(2026, 3, 1)) == []
    with django_capture_on_commit_callbacks(execute=True):
        reminders = notify(application, now=at(2026, 3, 10))
    assert [(n.kind, n.deadline.drawdown) for n in reminders] == [(DeadlineNotice.Kind.REMINDER, first)]
    assert "foerderung.mkk" in reminders[0].recipients
    assert "foerderung.gg" not in reminders[0].recipients
    assert any("foerderung.mkk@example.org" in m.to for m in mail.outbox)
    assert notify(application, now=at(2026, 3, 11)) == []  # at most one reminder per deadline
    svc.drawdown_use_confirm(drawdown=first, by=officer, used_on=dt.date(2026, 3, 20))
    svc.drawdown_use_confirm(drawdown=second, by=officer, used_on=dt.date(2026, 6, 30))

    proof = svc.application_purpose_fulfilled(application=application, by=officer, fulfilled_on=dt.date(2026, 9, 30))
    assert proof.due_on == dt.date(2027, 3, 30)  # six months after the purpose was fulfilled
    assert notify(application, now=at(2027, 2, 28)) == []
    reminders = notify(application, now=at(2027, 3, 5))
    assert [n.deadline.kind for n in reminders] == [Deadline.Kind.PROOF_OF_USE]
    assert "30.03.2027" in reminders[0].text

    svc.proof_submit(
        application=application, by=officer, submitted_on=dt.date(2027, 3, 20), amount_used=Decimal("76210.50")
    )
    assert notify(application, now=at(2027, 4, 15)) == []  # met in time: no escalation
    application = svc.application_close(application=application, by=officer, accepted_on=dt.date(2027, 6, 1))
    assert application.state == Application.State.CLOSED
    actions = set(
        AuditEntry.objects.filter(subject_type="funding.application", subject_id=str(application.pk)).values_list(
            "action", flat=True
        )
    )
    assert {
        "funding.application.submitted",
        "funding.application.granted",
        "funding.drawdown.recorded",
        "funding.deadline.reminder",
        "funding.application.closed",
    } <= actions


def test_missed_proof_of_use_deadline_is_escalated_to_officer_and_board(ikz, transferred_case, users, ozg_partners):
    officer = users["foerderung.mkk"]
    application = granted_application(ikz, transferred_case, officer, ozg_partners)
    svc.application_purpose_fulfilled(application=application, by=officer, fulfilled_on=dt.date(2026, 6, 30))
    assert [n.kind for n in notify(application, now=at(2026, 12, 10))] == [DeadlineNotice.Kind.REMINDER]
    assert notify(application, now=at(2026, 12, 30)) == []  # due on 30 December, the day itself is in time
    escalations = notify(application, now=at(2026, 12, 31))
    assert [(n.kind, n.deadline.kind) for n in escalations] == [
        (DeadlineNotice.Kind.ESCALATION, Deadline.Kind.PROOF_OF_USE)
    ]
    assert {"foerderung.mkk", "vorstand.mkk"} <= set(escalations[0].recipients)
    assert "überschritten" in escalations[0].text
    assert notify(application, now=at(2027, 1, 5)) == []


def test_submission_waits_for_the_task_transfer(ikz, transferred_case, users):
    officer = users["foerderung.mkk"]
    transferred_case.transfer.delete()
    transferred_case.refresh_from_db()
    application = svc.application_create(
        by=officer, programme=ikz, title="zu früh", case=transferred_case, duration_years=5
    )
    application = prepare(application, officer, dt.date(2025, 10, 1))
    application = svc.application_review_start(application=application, by=officer)
    with pytest.raises(ValidationError) as error:
        svc.application_submit(application=application, by=officer, submitted_on=dt.date(2025, 10, 15))
    assert "erst nach der Aufgabenübertragung" in str(error.value)
    application.refresh_from_db()
    assert application.state == Application.State.IN_REVIEW


def test_rejection_needs_a_reason_and_ends_the_application(ikz, transferred_case, users):
    officer = users["foerderung.mkk"]
    application = svc.application_create(
        by=officer, programme=ikz, title="abgelehnt", case=transferred_case, duration_years=5
    )
    application = prepare(application, officer, dt.date(2025, 10, 1))
    application = svc.application_review_start(application=application, by=officer)
    application = svc.application_submit(application=application, by=officer, submitted_on=dt.date(2025, 10, 15))
    with pytest.raises(ValidationError):
        svc.decision_record(
            application=application, by=officer, outcome=Decision.Outcome.REJECTION, decided_on=dt.date(2026, 1, 10)
        )
    svc.decision_record(
        application=application,
        by=officer,
        outcome=Decision.Outcome.REJECTION,
        decided_on=dt.date(2026, 1, 10),
        reason="Mittel ausgeschöpft",
    )
    application.refresh_from_db()
    assert application.state == Application.State.REJECTED
    assert not application.decision.attributions.exists()


def test_revocation_asks_for_repayment_with_interest(ikz, transferred_case, users, ozg_partners):
    officer = users["foerderung.mkk"]
    application = granted_application(ikz, transferred_case, officer, ozg_partners)
    svc.drawdown_record(
        application=application,
        by=officer,
        amount=Decimal("10000"),
        requested_on=dt.date(2026, 2, 1),
        needed_on=dt.date(2026, 2, 20),
        paid_on=dt.date(2026, 2, 2),
    )
    with pytest.raises(ValidationError):  # more than was paid out
        svc.application_revoke(
            application=application,
            by=officer,
            revoked_on=dt.date(2027, 2, 1),
            principal=Decimal("10000.01"),
            base_rate_percent=Decimal("1.27"),
            interest_from=dt.date(2026, 2, 2),
            due_on=dt.date(2027, 2, 2),
            reason="Zweck verfehlt",
        )
    repayment = svc.application_revoke(
        application=application,
        by=officer,
        revoked_on=dt.date(2027, 1, 15),
        principal=Decimal("10000"),
        base_rate_percent=Decimal("1.27"),
        interest_from=dt.date(2026, 2, 2),
        due_on=dt.date(2027, 2, 2),
        reason="Zweck verfehlt",
    )
    # 365 days at 1.27 % + 5 points = 6.27 % on 10,000 €
    assert repayment.interest_rate_percent == Decimal("6.27")
    assert repayment.interest == Decimal("627.00")
    application.refresh_from_db()
    assert application.state == Application.State.REVOKED
    assert application.deadlines.get(kind=Deadline.Kind.REPAYMENT, done_on__isnull=True).due_on == dt.date(2027, 2, 2)


def test_officer_of_another_county_cannot_act(ikz, transferred_case, users):
    with pytest.raises(PermissionDenied):
        svc.application_create(by=users["foerderung.gg"], programme=ikz, title="fremd", case=transferred_case)
    with pytest.raises(PermissionDenied):
        svc.application_create(by=users["bm.ronneburg"], programme=ikz, title="selbst", case=transferred_case)


def test_bad_input_changes_nothing(ikz, transferred_case, users, ozg_partners):
    officer = users["foerderung.mkk"]
    application = granted_application(ikz, transferred_case, officer, ozg_partners)
    count = AuditEntry.objects.count()
    with pytest.raises(ValidationError):
        svc.drawdown_record(
            application=application,
            by=officer,
            amount=Decimal("-5"),
            requested_on=dt.date(2026, 2, 1),
            needed_on=dt.date(2026, 2, 2),
        )
    assert not application.drawdowns.exists()
    assert AuditEntry.objects.count() == count


def test_periodic_task_escalates_what_is_overdue_today(ikz, transferred_case, users, ozg_partners):
    from django.utils import timezone

    from funding.tasks import funding_deadlines_tick

    officer = users["foerderung.mkk"]
    application = granted_application(ikz, transferred_case, officer, ozg_partners)
    today = timezone.localdate()
    svc.application_purpose_fulfilled(
        application=application,
        by=officer,
        fulfilled_on=today - dt.timedelta(days=200),
        due_on=today - dt.timedelta(days=1),
    )
    assert funding_deadlines_tick.apply().get() >= 1
    deadline = application.deadlines.get(kind=Deadline.Kind.PROOF_OF_USE)
    assert deadline.escalated_at is not None
    funding_deadlines_tick.apply().get()
    assert [n.kind for n in deadline.notices.all()] == [DeadlineNotice.Kind.ESCALATION]
