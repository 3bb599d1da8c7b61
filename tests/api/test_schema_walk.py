"""Walk the OpenAPI schema: every documented operation exists, answers anonymous callers with 401 and users
without rights with 403/404 (or an empty list), always in JSON and with a documented status code."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.api.conftest import human_task, start_case

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete")
PARAM = re.compile(r"\{[^}]+\}")
# valid bodies for creating things, so that "no right" is what is tested, not a missing field
BODIES = {
    "/api/v1/cases/": {"county": "mkk", "title": "Gemeinsame Poststelle"},
    "/api/v1/webhooks/": {
        "url": "https://dms.example/hooks",
        "events": ["task.created"],
        "secret": "geheim-und-lang-genug-1234",
        "county": "mkk",
    },
}


@pytest.fixture
def schema(anonymous):
    response = anonymous.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def operations(schema):
    for path, item in schema["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def is_public(operation) -> bool:
    security = operation.get("security")
    return not security or {} in security


def call(client, method, path, body=None):
    return getattr(client, method)(path, body if body is not None else {}, format="json")


def documented(operation, status_code) -> bool:
    return str(status_code) in operation["responses"]


def test_the_schema_documents_the_contract_of_version_1(schema):
    paths = set(schema["paths"])
    assert {
        "/api/v1/auth/token/",
        "/api/v1/me/",
        "/api/v1/municipalities/",
        "/api/v1/tasks/",
        "/api/v1/tasks/{id}/",
        "/api/v1/tasks/{id}/assign/",
        "/api/v1/tasks/{id}/unassign/",
        "/api/v1/tasks/{id}/complete/",
        "/api/v1/cases/",
        "/api/v1/cases/{id}/",
        "/api/v1/cases/{id}/history/",
        "/api/v1/webhooks/",
    } <= paths
    complete = schema["paths"]["/api/v1/tasks/{id}/complete/"]["post"]["responses"]
    assert {"200", "400", "401", "403", "404", "409"} <= set(complete)
    for path, method, operation in operations(schema):
        assert any(code.startswith("4") for code in operation["responses"]), f"{method} {path}: no errors documented"


def test_every_documented_operation_refuses_anonymous_callers_with_401(schema, anonymous):
    for path, method, operation in operations(schema):
        url = PARAM.sub("1", path)
        response = call(anonymous, method, url, BODIES.get(path))
        assert response["Content-Type"].startswith("application/json"), f"{method} {url}"
        if is_public(operation):
            assert response.status_code in (200, 400, 429), f"{method} {url}: {response.status_code}"
            continue
        assert response.status_code == 401, f"{method} {url}: {response.status_code}"
        assert documented(operation, 401), f"{method} {path} does not document 401"


def test_every_documented_operation_shows_nothing_to_a_user_without_rights(schema, users, login):
    # real ids of records of Main-Kinzig (a case, its task, a webhook of its project management) ...
    case = start_case(users)
    task = human_task(case)
    hook = login("pm.mkk").post("/api/v1/webhooks/", BODIES["/api/v1/webhooks/"], format="json").json()
    real = {"cases": case.pk, "tasks": task.pk, "webhooks": hook["id"]}

    # ... asked for by someone with no membership at all, and by Groß-Gerau's project management
    nobody = get_user_model().objects.create_user("niemand", password="x-unused-x")
    outsider = APIClient()
    outsider.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=nobody).key}")
    for client in (outsider, login("pm.gg")):
        for path, method, operation in operations(schema):
            # me/ and the token's rotation and revocation act on the caller alone (tests/api/test_token_lifecycle.py)
            if is_public(operation) or path in (
                "/api/v1/me/",
                "/api/v1/auth/token/rotate/",
                "/api/v1/auth/token/revoke/",
            ):
                continue
            if "{" in path:
                resource = path.split("/")[3]
                # real ids only where the record is Main-Kinzig's for sure (other lists may be public reference data)
                ids = ([str(real[resource])] if resource in real else []) + ["999999999", "abc"]
                for id_ in ids:
                    url = PARAM.sub(id_, path)
                    response = call(client, method, url, {})
                    assert response["Content-Type"].startswith("application/json"), f"{method} {url}"
                    assert response.status_code in (403, 404), f"{method} {url}: {response.status_code}"
                    assert documented(operation, response.status_code), f"{method} {path}: {response.status_code}"
            elif method == "get":
                response = call(client, method, path)
                assert response["Content-Type"].startswith("application/json"), f"{method} {path}"
                # 400: a list that needs a filter (e.g. a county) refuses before showing anything
                assert response.status_code in (200, 400, 403, 404), f"{method} {path}: {response.status_code}"
                if response.status_code == 200 and path != "/api/v1/municipalities/":
                    body = response.json()
                    rows = body["results"] if isinstance(body, dict) and "results" in body else body
                    resource = path.split("/")[3]
                    leaked = [r for r in rows if _is_main_kinzig(r) or r.get("id") == real.get(resource)]
                    assert not leaked, f"{path} shows Main-Kinzig records"
            else:
                response = call(client, method, path, BODIES.get(path, {}))
                expected = (403,) if path in BODIES else (400, 403, 404)
                assert response.status_code in expected, f"{method} {path}: {response.status_code}"
                assert documented(operation, response.status_code), f"{method} {path}: {response.status_code}"


def _is_main_kinzig(row) -> bool:
    text = str(row)
    return "'county': 'mkk'" in text or "IKZ-MKK" in text
