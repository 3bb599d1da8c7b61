"""The DKZ's statute settings decide how cases run (organisation form, approval or notification of an amendment, the
Verwaltungsrat resolving first); changing them in the admin leaves an audit entry like every other state change."""

from html.parser import HTMLParser

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from projects.models import AuditEntry, Institution

pytestmark = pytest.mark.django_db


class _FormValues(HTMLParser):
    """The values a browser would submit from the admin's change form as rendered (inputs, selects, textareas)."""

    def __init__(self):
        super().__init__()
        self.values: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio"):
                if "checked" in a:
                    self.values[name] = a.get("value") or "on"
            else:
                self.values[name] = a.get("value") or ""
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select] = a.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data.lstrip("\n")


def test_turning_on_the_verwaltungsrat_first_in_the_admin_is_audited_with_who_and_what():
    admin_user = get_user_model().objects.create_superuser("admin.statute", "statute@example.org", "x")
    dkz = Institution.objects.get(slug="dkz-mkk")
    assert dkz.verwaltungsrat_resolves_first is False
    client = _logged_in(admin_user)
    url = reverse("admin:projects_institution_change", args=[dkz.pk])
    parser = _FormValues()
    parser.feed(client.get(url).content.decode())
    body = {k: v for k, v in parser.values.items() if k != "verwaltungsrat_resolves_first"}
    body["verwaltungsrat_resolves_first"] = "on"
    before = AuditEntry.objects.count()

    response = client.post(url, body)

    assert response.status_code == 302, response.content.decode()[:2000]
    assert Institution.objects.get(pk=dkz.pk).verwaltungsrat_resolves_first is True
    entries = AuditEntry.objects.order_by("pk")[before:]
    assert [(e.action, e.actor, e.subject_id) for e in entries] == [
        ("projects.institution_changed", admin_user, str(dkz.pk))
    ]
    assert entries[0].changes == {"verwaltungsrat_resolves_first": True}


def _logged_in(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client
