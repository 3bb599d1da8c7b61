"""schemathesis against the OpenAPI schema (/api/v1/schema/): generated requests to every operation, as a logged-in
project manager, never answer 5xx. Few examples per operation, so that it stays within the suite's time."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from config.wsgi import application

pytestmark = pytest.mark.django_db

# the schema is generated without the database (drf-spectacular), so it can be loaded at collection time
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """Requests go straight to the WSGI application (not the test client), whose end-of-request handler would close
    the test's database connection in the middle of its transaction; the test client disconnects it the same way."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def token(users):
    from rest_framework.authtoken.models import Token

    return Token.objects.get_or_create(user=users["pm.mkk"])[0].key


@schema.parametrize()
@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_operations_never_answer_with_a_server_error(case, token):
    case.headers = {**(case.headers or {}), "Authorization": f"Token {token}"}
    response = case.call()
    assert response.status_code < 500, (case.method, case.formatted_path, response.status_code, response.text[:300])
