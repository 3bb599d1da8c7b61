"""The API's documentation is served by the product: Swagger UI from the pinned drf-spectacular-sidecar package
under a strict Content-Security-Policy, and in production the schema and the docs need a login unless a setting
publishes them (issue 17, item 6; issue 19, item 11)."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

pytestmark = pytest.mark.django_db


def test_swagger_ui_comes_from_the_product_under_a_strict_csp(settings):
    settings.API_DOCS_PUBLIC = True
    response = Client().get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert sources and all(src.startswith("/") and not src.startswith("//") for src in sources), sources
    assert "<script>" not in html  # the start script is a file of its own, no inline script
    for src in sources:
        if src.startswith(settings.STATIC_URL):
            assert finders.find(src.removeprefix(settings.STATIC_URL).split("?")[0]), src
    policy = response["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]+)", policy).group(1)
    assert script_src.strip() == "'self'"
    start_script = Client().get("/api/v1/docs/?script=")
    assert start_script.status_code == 200 and b"SwaggerUIBundle" in start_script.content


def test_in_production_the_schema_and_docs_need_a_login(settings, users):
    settings.API_DOCS_PUBLIC = False
    anonymous = Client()
    assert anonymous.get("/api/v1/schema/").status_code == 401
    assert anonymous.get("/api/v1/docs/").status_code == 401
    member = Client()
    member.force_login(users["sb.ronneburg"])
    assert member.get("/api/v1/schema/").status_code == 200
    assert member.get("/api/v1/docs/").status_code == 200


def test_a_setting_publishes_the_schema_and_docs(settings):
    settings.API_DOCS_PUBLIC = True
    assert Client().get("/api/v1/schema/").status_code == 200
