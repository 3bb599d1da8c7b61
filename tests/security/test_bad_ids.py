"""Ids and years from a URL or a query that cannot exist answer 404 (or 400 for a query), never 500 (issue 19,
item 8): a number beyond the database's integer range, year 0 or 99999."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.security.matrix import discover_routes

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"  # beyond a 64-bit integer


def _filled(path: str, value_for) -> str:
    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: value_for(m.group(1) or "str", m.group(2)), path)


def _every_route_with(value_for) -> list[str]:
    return sorted({_filled(r.path, value_for) for r in discover_routes() if r.params})


@pytest.fixture
def pm(users):
    client = Client()
    client.force_login(users["pm.mkk"])
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/portal/aufgaben/?municipality=" + HUGE,
        "/costs/centres/1/99999/",
        "/costs/statements/0/25/",
        "/costs/?year=" + HUGE,
        "/portal/vorgaenge/?page=" + HUGE,
    ],
)
def test_the_three_reported_urls_answer_without_a_server_error(pm, url):
    response = pm.get(url)
    assert response.status_code in (200, 400, 404), (url, response.status_code)


def test_every_route_with_an_id_beyond_the_integer_range_answers_404(pm):
    answers = {}
    for url in _every_route_with(lambda converter, name: HUGE):
        answers[url] = pm.get(url).status_code
    assert {url: code for url, code in answers.items() if code not in (404, 405)} == {}


@pytest.mark.parametrize("year", ["0", "99999"])
def test_every_route_with_an_impossible_year_answers_404(pm, year):
    def value(converter, name):
        return year if name == "year" else "1"

    urls = [url for url in _every_route_with(value) if f"/{year}/" in url]
    assert urls
    answers = {url: pm.get(url).status_code for url in urls}
    assert {url: code for url, code in answers.items() if code != 404} == {}


@pytest.mark.parametrize(
    "query",
    [
        "costs/statements/?year=2024&municipality=" + HUGE,
        "costs/plans/?year=2024&centre=" + HUGE,
        "tasks/?municipality=" + HUGE,
        "cases/?page=" + HUGE,
    ],
)
def test_api_queries_with_impossible_ids_answer_in_german(pm, query):
    response = pm.get("/api/v1/" + query)
    assert response.status_code in (200, 400, 404), (query, response.status_code)
    if response.status_code != 200:
        assert any(word in response.content.decode() for word in ("nicht", "Bitte", "ungültig", "gültig"))
