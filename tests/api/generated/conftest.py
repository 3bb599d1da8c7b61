"""The API as an integrator meets it: a Python client generated from the live OpenAPI document.

Once per test session the schema is written from the running code (``manage.py spectacular --validate
--fail-on-warn``), ``openapi-python-client generate`` (pinned in pyproject.toml, no network) builds the package
``ikz_api_client`` from it into a temporary folder, and every module of the package is imported. Any warning of the
schema generator or of the client generator fails the session's API tests: a client that silently lacks an
operation is not a client.

The generated client talks HTTP to pytest-django's ``live_server``; its database is transactional and emptied
after each test, so each test seeds the demo world (``api_world``) and the module seeds it again at the end for the
tests that follow (as the browser tests do).

How a test uses it (tests in this folder; nothing but the generated client talks to the server)::

    from ikz_api_client.api.cases import cases_create
    from ikz_api_client.models import CaseCreateRequest

    def test_something(generated_client, token_for):
        client = generated_client(token_for("pm.mkk"))        # AuthenticatedClient ("Token <key>")
        response = cases_create.sync_detailed(client=client, body=CaseCreateRequest(county="mkk", title="..."))
        assert response.status_code == 201

``token_for(username, password="demo")`` logs in through ``POST /api/v1/auth/token/`` with the generated client
(``auth_token_create``) and returns the token; ``anonymous_client()`` is a ``Client`` without a token. Extra headers
(``Idempotency-Key``, ``Accept-Language``, ``If-None-Match``) go through ``client.with_headers({...})``.
"""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command

PACKAGE = "ikz_api_client"
GENERATOR_CONFIG = f"""\
project_name_override: ikz-api-client
package_name_override: {PACKAGE}
post_hooks: []
content_type_overrides:
  application/xml: application/octet-stream
"""


def _generator() -> list[str]:
    script = Path(sys.executable).parent / "openapi-python-client"
    if not script.exists():
        pytest.fail("openapi-python-client is not installed: pip install -c constraints.txt -e '.[dev]'")
    return [str(script)]


@pytest.fixture(scope="session")
def generated_package(tmp_path_factory, django_db_blocker):
    """Generate ``ikz_api_client`` from the live schema once per session; import every module of it."""
    folder = tmp_path_factory.mktemp("generated-client")
    schema = folder / "schema.yaml"
    with django_db_blocker.unblock():
        call_command("spectacular", "--file", str(schema), "--validate", "--fail-on-warn")
    config = folder / "config.yaml"
    config.write_text(GENERATOR_CONFIG, encoding="utf-8")
    target = folder / "client" / PACKAGE
    result = subprocess.run(
        [
            *_generator(),
            "generate",
            "--path",
            str(schema),
            "--config",
            str(config),
            "--output-path",
            str(target),
            "--meta",
            "none",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    if result.returncode != 0 or "warning" in output.lower() or "error" in output.lower():
        pytest.fail(f"openapi-python-client did not generate a clean client:\n{output}")
    sys.path.insert(0, str(target.parent))
    package = importlib.import_module(PACKAGE)
    for module in pkgutil.walk_packages(package.__path__, f"{PACKAGE}."):
        importlib.import_module(module.name)  # an import error here is a schema the generator misread
    return package


@pytest.fixture(scope="module", autouse=True)
def demo_world_restored(django_db_blocker):
    """Seed the demo world again after the module: the live server's tests leave an empty database behind."""
    yield
    with django_db_blocker.unblock():
        call_command("seed_demo", quiet_logins=True, verbosity=0)


@pytest.fixture
def api_world(live_server, generated_package):
    """The demo world behind a live server, and the generated client package."""
    cache.clear()  # the login throttle counts across tests
    call_command("seed_demo", quiet_logins=True, verbosity=0)
    yield live_server
    cache.clear()


@pytest.fixture
def anonymous_client(api_world, generated_package):
    def _client():
        return generated_package.Client(base_url=api_world.url, raise_on_unexpected_status=True)

    return _client


@pytest.fixture
def generated_client(api_world, generated_package):
    """generated_client(token) → an ``AuthenticatedClient`` of the live server sending ``Token <token>``."""

    def _client(token: str):
        return generated_package.AuthenticatedClient(
            base_url=api_world.url, token=token, prefix="Token", raise_on_unexpected_status=True
        )

    return _client


@pytest.fixture
def token_for(anonymous_client, generated_package):
    """token_for("pm.mkk") → that user's API token, obtained through POST /api/v1/auth/token/."""
    from ikz_api_client.api.auth import auth_token_create
    from ikz_api_client.models import TokenRequestRequest, TokenResponse

    tokens: dict[str, str] = {}

    def _token(username: str, password: str = "demo") -> str:
        if username not in tokens:
            answer = auth_token_create.sync(
                client=anonymous_client(), body=TokenRequestRequest(username=username, password=password)
            )
            assert isinstance(answer, TokenResponse), answer
            tokens[username] = answer.token
        return tokens[username]

    return _token
