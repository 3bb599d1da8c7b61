"""`make run` on a clean var/ directory serves the login page and the demo users can log in (issue 2)."""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def running_product(tmp_path):
    port = _free_port()
    # no DEBUG either: `make run` sets what it needs itself
    unset = {"DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE", "DEBUG"}
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env.update({"VAR_DIR": str(tmp_path / "var"), "PORT": str(port)})
    log = open(tmp_path / "run.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        ["make", "run"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(1)
        else:
            pytest.fail("make run did not answer within 240 s")
        if proc.poll() is not None:
            pytest.fail("make run exited:\n" + (tmp_path / "run.log").read_text())
        yield base, tmp_path / "run.log"
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=20)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def test_make_run_serves_login_and_pm_mkk_logs_in_with_demo_password(running_product):
    base, log_path = running_product
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login_page = opener.open(f"{base}/accounts/login/", timeout=10).read().decode()
    assert 'name="username"' in login_page
    assert "Anmelden" in login_page
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page).group(1)
    body = urllib.parse.urlencode({"username": "pm.mkk", "password": "demo", "csrfmiddlewaretoken": token}).encode()
    request = urllib.request.Request(
        f"{base}/accounts/login/", data=body, headers={"Referer": f"{base}/accounts/login/"}
    )
    start = opener.open(request, timeout=30)
    assert start.status == 200
    assert start.geturl().startswith(f"{base}/portal/")
    assert "DKZ-Projektmanagement" in start.read().decode()
    assert "pm.mkk" in log_path.read_text()  # the demo logins are printed
