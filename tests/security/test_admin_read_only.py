"""Funding records with legal or money weight (applications, decisions, attributions, drawdowns, proof of use,
repayments) are read-only in the Django admin, even for a superuser (issue 19, admin finding): they change only
through their services, with checks and an audit entry."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from funding.models import Application

pytestmark = pytest.mark.django_db


def test_a_superuser_cannot_change_a_funding_application_in_the_admin():
    application = Application.objects.order_by("pk").first()
    assert application is not None
    admin_user = get_user_model().objects.create_superuser("admin.test", "admin@example.org", "x")
    client = Client()
    client.force_login(admin_user)
    url = f"/admin/funding/application/{application.pk}/change/"
    assert client.get(url).status_code == 200  # shown, read-only
    before = Application.objects.filter(pk=application.pk).values().get()
    response = client.post(url, {"title": "Geändert im Admin", "state": "granted"})
    assert response.status_code == 403
    assert Application.objects.filter(pk=application.pk).values().get() == before
    for model in ("application", "decision", "attribution", "drawdown", "proofofuse", "repayment"):
        assert client.get(f"/admin/funding/{model}/add/").status_code == 403, model
