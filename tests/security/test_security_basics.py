"""Security basics: login lockout (web and API), production cookies/HSTS/CSRF, CSP on pages, password hashing,
no secret in the repository, audit entries that cannot be changed or deleted through the admin or the API."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.hashers import make_password
from django.test import Client, override_settings
from rest_framework.test import APIClient

import config.settings as production_settings
from projects.models import AuditEntry

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def _login(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


# --- login throttling and lockout ----------------------------------------------------------------------------------
def test_web_login_is_locked_after_repeated_failures_even_for_the_right_password(client, settings):
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        assert _login(client, "controlling.mkk", "falsch").status_code == 200  # the form again, with an error
    assert _login(client, "controlling.mkk", "falsch").status_code == 429  # the limit is reached
    locked = _login(client, "controlling.mkk", "demo")
    assert locked.status_code == 429
    text = locked.content.decode()
    assert "Zu viele fehlgeschlagene Anmeldeversuche" in text and "gesperrt" in text
    assert "_auth_user_id" not in client.session
    # a colleague from the same address is not locked out
    other = Client()
    assert _login(other, "controlling.gg", "demo").status_code == 302


def test_a_successful_login_resets_the_failure_count(client, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, "vorstand.gg", "falsch")
    assert _login(client, "vorstand.gg", "demo").status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, "vorstand.gg", "falsch")
    assert _login(client, "vorstand.gg", "demo").status_code == 302


def test_api_token_login_is_locked_after_repeated_failures_with_a_german_json_answer(settings):
    api = APIClient()
    codes = [
        api.post("/api/v1/auth/token/", {"username": "foerderung.gg", "password": "x"}, format="json").status_code
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert codes == [400] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    locked = api.post("/api/v1/auth/token/", {"username": "foerderung.gg", "password": "demo"}, format="json")
    assert locked.status_code == 429
    assert "Zu viele fehlgeschlagene Anmeldeversuche" in locked.json()["detail"]
    assert "token" not in locked.json()


def test_inactive_user_cannot_log_in_on_the_web_or_the_api(users):
    user = users["vergabe.gg"]
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert _login(Client(), "vergabe.gg", "demo").status_code == 200
    response = APIClient().post("/api/v1/auth/token/", {"username": "vergabe.gg", "password": "demo"}, format="json")
    assert response.status_code == 400


# --- production settings -------------------------------------------------------------------------------------------
PROBE = """
import json
from django.conf import settings as s
from django.test import Client
r = Client().get("/healthz", secure=True, HTTP_HOST="ikz.example.org")
print(json.dumps({
    "SESSION_COOKIE_SECURE": s.SESSION_COOKIE_SECURE, "CSRF_COOKIE_SECURE": s.CSRF_COOKIE_SECURE,
    "SESSION_COOKIE_HTTPONLY": s.SESSION_COOKIE_HTTPONLY, "SESSION_COOKIE_SAMESITE": s.SESSION_COOKIE_SAMESITE,
    "CSRF_COOKIE_SAMESITE": s.CSRF_COOKIE_SAMESITE, "SECURE_HSTS_SECONDS": s.SECURE_HSTS_SECONDS,
    "SECURE_SSL_REDIRECT": s.SECURE_SSL_REDIRECT, "X_FRAME_OPTIONS": s.X_FRAME_OPTIONS,
    "SESSION_COOKIE_AGE": s.SESSION_COOKIE_AGE, "DEBUG": s.DEBUG, "MIDDLEWARE": s.MIDDLEWARE,
    "headers": dict(r.headers),
}))
"""


def test_production_mode_uses_secure_cookies_hsts_and_csrf():
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG",)}
    env.update(DEBUG="0", SECRET_KEY="prod-probe-" + "q7" * 30, ALLOWED_HOSTS="ikz.example.org")
    env.pop("SECURE_SSL_REDIRECT", None)
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    probe = json.loads(out.stdout.strip().splitlines()[-1])
    assert probe["DEBUG"] is False
    assert probe["SESSION_COOKIE_SECURE"] and probe["CSRF_COOKIE_SECURE"] and probe["SESSION_COOKIE_HTTPONLY"]
    assert probe["SESSION_COOKIE_SAMESITE"] == probe["CSRF_COOKIE_SAMESITE"] == "Lax"
    assert probe["SECURE_HSTS_SECONDS"] >= 31536000 and probe["SECURE_SSL_REDIRECT"] is True
    assert probe["X_FRAME_OPTIONS"] == "DENY"
    assert probe["SESSION_COOKIE_AGE"] <= 12 * 3600, "a session should not outlive a working day"
    assert "django.middleware.csrf.CsrfViewMiddleware" in probe["MIDDLEWARE"]
    headers = {k.lower(): v for k, v in probe["headers"].items()}
    assert "max-age=31536000" in headers["strict-transport-security"]
    assert headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" in headers


def test_pages_carry_a_content_security_policy_that_forbids_framing_and_foreign_sources(client, users):
    client.force_login(users["pm.mkk"])
    for path in ("/accounts/login/", "/portal/aufgaben/", "/portal/vorgaenge/"):
        response = client.get(path)
        assert response.status_code == 200, path
        policy = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy, path
        assert "*" not in policy and "http:" not in policy, path
        assert response.headers["X-Frame-Options"] == "DENY"


def test_pages_run_no_inline_script_without_the_nonce_of_the_request(client, users):
    client.force_login(users["pm.mkk"])
    for path in ("/accounts/login/", "/portal/aufgaben/", "/portal/vorgaenge/"):
        policy = client.get(path).headers["Content-Security-Policy"]
        script_src = re.search(r"script-src ([^;]+)", policy).group(1).split()
        assert "'self'" in script_src and "'unsafe-inline'" not in script_src, path
        assert all(source == "'self'" or source.startswith("'nonce-") for source in script_src), path


def test_an_inline_script_carrying_the_request_nonce_is_allowed_by_that_response_only(rf):
    from csp.middleware import CSPMiddleware
    from django.http import HttpResponse
    from django.template import engines

    template = engines["django"].from_string('<script nonce="{{ CSP_NONCE }}">start()</script>')
    middleware = CSPMiddleware(lambda request: HttpResponse(template.render({}, request)))
    first, second = middleware(rf.get("/")), middleware(rf.get("/"))
    nonces = [re.search(r'nonce="([^"]+)"', r.content.decode()).group(1) for r in (first, second)]
    assert nonces[0] != nonces[1]
    assert f"'nonce-{nonces[0]}'" in first["Content-Security-Policy"]
    assert f"'nonce-{nonces[0]}'" not in second["Content-Security-Policy"]


def test_csrf_protects_the_login_form():
    strict = Client(enforce_csrf_checks=True)
    assert _login(strict, "pm.mkk", "demo").status_code == 403


# --- passwords -----------------------------------------------------------------------------------------------------
def test_passwords_are_hashed_with_argon2_or_pbkdf2_in_production():
    hashers = production_settings.PASSWORD_HASHERS
    assert hashers[0].endswith("Argon2PasswordHasher")
    assert all(h.endswith(("Argon2PasswordHasher", "PBKDF2PasswordHasher")) for h in hashers)
    with override_settings(PASSWORD_HASHERS=hashers):
        assert make_password("Ein-langes-Passwort-2024").startswith("argon2$")


# --- secrets -------------------------------------------------------------------------------------------------------
SECRET_PATTERNS = {
    "private key": re.compile("-----BEGIN ([A-Z]+ )?" + "PRIVATE KEY-----"),
    "AWS access key": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "Slack token": re.compile(r"\bxox[baprs]-[A-Za-z0-9-]{10,}"),
    "Stripe/Twilio-style live key": re.compile(r"\b(sk_live|rk_live)_[A-Za-z0-9]{16,}"),
    "Google API key": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    "DRF token in a header": re.compile(r"Authorization:\s*Token\s+[0-9a-f]{40}\b"),
    "assigned secret key": re.compile(r"""SECRET_KEY\s*=\s*["'](?!dev-only-)[^"'\s]{30,}["']"""),
}


def test_no_secret_is_committed_to_the_repository():
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    findings = []
    for name in filter(None, files.decode().split("\0")):
        path = ROOT / name
        if Path(name).name in (".env",) or Path(name).suffix in (".pem", ".key", ".p12", ".pfx"):
            findings.append((name, "secret-bearing file type"))
            continue
        try:
            if path.stat().st_size > 2_000_000:
                continue
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        for label, pattern in SECRET_PATTERNS.items():
            if pattern.search(text):
                findings.append((name, label))
    assert findings == []


def test_the_secret_scan_recognises_what_it_looks_for():
    samples = {
        "private key": "-----BEGIN RSA " + "PRIVATE KEY-----",
        "AWS access key": "AKIA" + "ABCDEFGHIJKLMNOP",
        "GitHub token": "ghp_" + "a" * 36,
        "assigned secret key": "SECRET_KEY = '" + "s3cr3t" * 8 + "'",
    }
    for label, sample in samples.items():
        assert SECRET_PATTERNS[label].search(sample), label
    assert not SECRET_PATTERNS["assigned secret key"].search('SECRET_KEY = "dev-only-insecure-key-do-not-use"')


# --- audit trail ---------------------------------------------------------------------------------------------------
@pytest.fixture
def an_entry():
    entry = AuditEntry.objects.order_by("pk").first()
    assert entry is not None, "the demo world has an audit trail"
    return entry


def test_audit_entries_cannot_be_changed_or_deleted_in_the_admin(client, django_user_model, an_entry):
    admin = django_user_model.objects.create_superuser("rel.admin", "rel.admin@example.org", "x")
    client.force_login(admin)
    before = (an_entry.action, an_entry.note, an_entry.changes)
    base = f"/admin/projects/auditentry/{an_entry.pk}"
    assert client.post(f"{base}/delete/", {"post": "yes"}).status_code == 403
    client.post(f"{base}/change/", {"action": "manipuliert", "note": "x", "subject_type": "x", "subject_id": "1"})
    bulk = client.post(
        "/admin/projects/auditentry/", {"action": "delete_selected", "_selected_action": [an_entry.pk], "post": "yes"}
    )
    assert bulk.status_code in (200, 302, 403)
    assert client.get("/admin/projects/auditentry/add/").status_code == 403
    an_entry.refresh_from_db()
    assert (an_entry.action, an_entry.note, an_entry.changes) == before
    with pytest.raises(Exception, match="nicht"):
        an_entry.delete()


def test_audit_entries_cannot_be_changed_or_deleted_through_the_api(users, an_entry):
    from django.urls import get_resolver

    api = APIClient()
    api.force_authenticate(users["pm.mkk"])
    paths = sorted(
        {
            "/api/v1/" + str(p.pattern)
            for p in get_resolver("api.urls").url_patterns
            if "audit" in str(p.pattern) or "history" in str(p.pattern) or "verlauf" in str(p.pattern)
        }
    )
    before = AuditEntry.objects.count()
    for path in paths:
        concrete = re.sub(r"<[^>]+>", str(an_entry.pk), path).replace("^", "").replace("$", "")
        for method in ("put", "patch", "delete", "post"):
            response = getattr(api, method)(concrete, {"action": "x"}, format="json")
            assert response.status_code in (400, 403, 404, 405), (method, concrete, response.status_code)
    assert AuditEntry.objects.count() == before
    an_entry.refresh_from_db()
    assert an_entry.action != "x"
