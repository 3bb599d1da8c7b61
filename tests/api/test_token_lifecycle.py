"""API tokens expire, are replaced on demand, end on revocation and with every password change (issue 17, item 5;
issue 19, item 6); the login answers with rate-limit headers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def _token(anonymous, username="pm.mkk", password="demo") -> dict:
    response = anonymous.post("/api/v1/auth/token/", {"username": username, "password": password}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def _client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_a_password_change_invalidates_old_tokens(anonymous, users):
    old = _token(anonymous)["token"]
    assert _client(old).get("/api/v1/me/").status_code == 200
    portal = Client()
    portal.force_login(users["pm.mkk"])
    response = portal.post(
        "/accounts/password_change/",
        {"old_password": "demo", "new_password1": "Neues-Passwort-2026!", "new_password2": "Neues-Passwort-2026!"},
    )
    assert response.status_code == 302, response.content
    assert _client(old).get("/api/v1/me/").status_code == 401
    new = _token(anonymous, password="Neues-Passwort-2026!")["token"]
    assert new != old
    assert _client(new).get("/api/v1/me/").status_code == 200


def test_saving_a_user_without_a_new_password_keeps_the_token(anonymous, users):
    key = _token(anonymous)["token"]
    user = users["pm.mkk"]
    user.first_name = "Petra"
    user.save()
    assert _client(key).get("/api/v1/me/").status_code == 200


def test_an_expired_token_answers_401_in_german_and_the_next_login_issues_a_new_one(anonymous, settings):
    settings.API_TOKEN_TTL_HOURS = 8
    first = _token(anonymous)
    expires = dt.datetime.fromisoformat(first["expires_at"])
    assert dt.timedelta(hours=7, minutes=59) < expires - timezone.now() <= dt.timedelta(hours=8)
    Token.objects.filter(key=first["token"]).update(created=timezone.now() - dt.timedelta(hours=9))
    response = _client(first["token"]).get("/api/v1/me/")
    assert response.status_code == 401
    assert "abgelaufen" in response.json()["detail"]
    second = _token(anonymous)["token"]
    assert second != first["token"]
    assert _client(second).get("/api/v1/me/").status_code == 200


def test_a_valid_token_is_returned_again_until_it_expires(anonymous):
    assert _token(anonymous)["token"] == _token(anonymous)["token"]


def test_rotation_replaces_the_token_at_once(anonymous):
    old = _token(anonymous)["token"]
    response = _client(old).post("/api/v1/auth/token/rotate/")
    assert response.status_code == 200
    new = response.json()["token"]
    assert new != old
    assert _client(old).get("/api/v1/me/").status_code == 401
    assert _client(new).get("/api/v1/me/").status_code == 200


def test_revocation_ends_the_token(anonymous):
    key = _token(anonymous)["token"]
    assert _client(key).post("/api/v1/auth/token/revoke/").status_code == 204
    assert _client(key).get("/api/v1/me/").status_code == 401
    assert anonymous.post("/api/v1/auth/token/revoke/").status_code == 401


def test_the_login_answers_with_rate_limit_headers(anonymous, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"login": "3/min"}}
    from rest_framework.throttling import SimpleRateThrottle

    rates = SimpleRateThrottle.THROTTLE_RATES
    SimpleRateThrottle.THROTTLE_RATES = {"login": "3/min"}
    try:
        answers = [
            anonymous.post("/api/v1/auth/token/", {"username": "pm.gg", "password": "demo"}, format="json")
            for _ in range(4)
        ]
    finally:
        SimpleRateThrottle.THROTTLE_RATES = rates
    assert [a["X-RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert {a["X-RateLimit-Limit"] for a in answers} == {"3"}
    assert answers[-1].status_code == 429 and int(answers[-1]["Retry-After"]) > 0
    assert 0 < int(answers[0]["X-RateLimit-Reset"]) <= 60
