"""Without DEBUG in the environment the product behaves as in production (issue 19, item 12): it refuses to start
without SECRET_KEY and ALLOWED_HOSTS, has no demo password, sends webhooks only to public https receivers and
keeps the API description behind the login. `make run` and the test suite set DEBUG=1 themselves."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
PROBE = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({k: getattr(s, k, None) for k in ('DEBUG', 'DEMO_PASSWORD', "
    "'WEBHOOK_ALLOW_PRIVATE_TARGETS', 'API_DOCS_PUBLIC', 'SESSION_COOKIE_SECURE')}))"
)


def _settings_without_debug(**extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DEMO_PASSWORD"}}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", **extra)
    for name in ("WEBHOOK_ALLOW_HTTP", "WEBHOOK_ALLOW_PRIVATE_TARGETS", "API_DOCS_PUBLIC"):
        env.pop(name, None)
    return subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_without_debug_the_product_refuses_to_start_without_its_secrets():
    result = _settings_without_debug()
    assert result.returncode != 0
    assert "Production start refused" in result.stderr


def test_without_debug_the_product_runs_with_production_behaviour():
    result = _settings_without_debug(SECRET_KEY="k3y-" + "p8" * 30, ALLOWED_HOSTS="ikz.example.org")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "DEBUG": False,
        "DEMO_PASSWORD": None,
        "WEBHOOK_ALLOW_PRIVATE_TARGETS": False,
        "API_DOCS_PUBLIC": False,
        "SESSION_COOKIE_SECURE": True,
    }
