"""E-mails carry absolute links (SITE_URL); histories show German sentences, never the technical event keys."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail

from portal.models import Notification
from portal.tasks import send_notification_email
from portal.timeline import describe

pytestmark = pytest.mark.django_db


def test_a_notification_email_links_to_the_task_with_an_absolute_address(users, settings):
    settings.SITE_URL = "https://ikz.example.org"
    mayor = users["bm.ronneburg"]
    mayor.email = mayor.email or "bm@ronneburg.example"
    mayor.save()
    notification = Notification.objects.create(user=mayor, kind="new_task", title="Test", url="/portal/aufgaben/7/")
    mail.outbox.clear()
    assert send_notification_email(notification.pk)
    (message,) = mail.outbox
    assert "https://ikz.example.org/portal/aufgaben/7/" in message.body
    assert 'href="https://ikz.example.org/portal/aufgaben/7/"' in message.alternatives[0][0]


def test_every_audit_action_written_by_the_code_has_a_german_sentence():
    root = Path(settings.BASE_DIR)
    actions = set()
    for folder in ("projects", "procurement", "funding", "costs", "portal", "workflows"):
        for path in (root / folder).rglob("*.py"):
            actions |= set(re.findall(r'\baction="([a-z_]+\.[a-z_.]+)"', path.read_text(encoding="utf-8")))
    assert len(actions) > 40
    for action in sorted(actions):
        text = str(describe(action))
        assert text != action and "." not in text.split()[0], f"{action} has no German sentence"


def test_an_unknown_action_is_never_shown_as_its_key():
    assert str(describe("something.new_happened")) == "Eintrag geändert"
    assert str(describe("funding.application.approved")) == "Förderantrag: Stand geändert"
