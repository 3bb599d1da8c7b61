"""Notifications: a new task, a reminder, an overdue item, a decision; preferences; the in-app list; e-mails."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from portal.models import Notification, NotificationPreference
from portal.notifications import task_reminders_send
from portal.tasks import send_daily_digests
from projects.models import Municipality
from tests.cases.helpers import complete, new_case
from tests.portal.conftest import make_open_tasks

pytestmark = pytest.mark.django_db


@pytest.fixture
def after_commit(django_capture_on_commit_callbacks):
    """Run the notification work that waits for the commit (the test's transaction never commits)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_a_new_task_notifies_who_may_claim_it_by_mail_in_german(users, after_commit):
    users["pm.mkk"].notifications.all().delete()
    mail.outbox.clear()
    with after_commit():
        case = new_case(title="Gemeinsame Kasse")
    notification = users["pm.mkk"].notifications.get(kind="new_task")
    assert case.number in notification.title and notification.title.startswith("Neue Aufgabe: Screening")
    sent = [m for m in mail.outbox if users["pm.mkk"].email in m.to]
    assert len(sent) == 1
    assert "Guten Tag" in sent[0].body and sent[0].alternatives[0][1] == "text/html"
    assert notification.url in sent[0].body


def test_a_decision_notifies_the_members_taking_part(users, after_commit):
    ronneburg = Municipality.objects.get(slug="ronneburg")
    case = new_case(title="Gemeinsames Standesamt", proposing_municipality=ronneburg)
    with after_commit():
        complete(case, "screening", "pm.mkk", decision="reject", reason="Kein Bedarf")
    assert users["bm.ronneburg"].notifications.filter(kind="decision", title__contains=case.number).exists()
    assert not users["pm.mkk"].notifications.filter(kind="decision", title__contains=case.number).exists()


def test_reminder_before_the_due_date_and_notice_once_overdue_each_sent_once(users):
    ronneburg = Municipality.objects.get(slug="ronneburg")
    soon, late = make_open_tasks(2, municipality=ronneburg, permission="projects.approve_project_order")
    today = timezone.localdate()
    soon.data["due"] = (today + dt.timedelta(days=2)).isoformat()
    late.data["due"] = (today - dt.timedelta(days=1)).isoformat()
    soon.save(), late.save()
    task_reminders_send(today=today)
    task_reminders_send(today=today)
    mayor = users["bm.ronneburg"]
    assert mayor.notifications.filter(kind="reminder", url=f"/portal/aufgaben/{soon.pk}/").count() == 1
    assert mayor.notifications.filter(kind="overdue", url=f"/portal/aufgaben/{late.pk}/").count() == 1


def test_preferences_digest_collects_and_off_sends_nothing(users, client, after_commit):
    mayor, clerk = users["bm.ronneburg"], users["sb.ronneburg"]
    client.force_login(mayor)
    assert client.post("/portal/benachrichtigungen/einstellungen/", {"delivery": "digest"}).status_code == 302
    NotificationPreference.objects.update_or_create(user=clerk, defaults={"delivery": "off"})
    mail.outbox.clear()
    from portal.services import notify

    with after_commit():
        for user in (mayor, clerk):
            notify(user=user, kind="reminder", title="Erinnerung: Test A")
            notify(user=user, kind="overdue", title="Frist überschritten: Test B")
    assert mail.outbox == []  # nobody gets an immediate mail
    assert send_daily_digests() >= 1
    digest = [m for m in mail.outbox if mayor.email in m.to]
    assert len(digest) == 1 and "Test A" in digest[0].body and "Test B" in digest[0].body
    assert not [m for m in mail.outbox if clerk.email in m.to]
    mail.outbox.clear()
    send_daily_digests()
    assert not [m for m in mail.outbox if mayor.email in m.to]  # nothing new: no second digest


def test_in_app_list_shows_and_marks_read(users, client):
    mayor = users["bm.ronneburg"]
    Notification.objects.create(user=mayor, kind="decision", title="Entscheidung im Vorgang X", url="/portal/")
    client.force_login(mayor)
    page = client.get("/portal/benachrichtigungen/").content.decode()
    assert "Entscheidung im Vorgang X" in page and "ungelesene" in page
    client.post("/portal/benachrichtigungen/")
    assert not mayor.notifications.filter(read_at__isnull=True).exists()
