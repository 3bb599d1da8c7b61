"""The steering group's complexity page of a bundle, and the analysis page showing source, route and both ranks."""

from __future__ import annotations

from decimal import Decimal

import pytest

from projects.models import AuditEntry, BundleComplexity, ScreeningRound
from projects.services.screening_analysis import bundle_row

pytestmark = pytest.mark.django_db


@pytest.fixture
def mkk_round():
    return ScreeningRound.objects.get(county__slug="mkk", name="MKK 2023")


def _url(screening_round, code="abwasser"):
    return f"/screening/rounds/{screening_round.pk}/bundles/{code}/complexity/"


def test_the_complexity_page_shows_the_bundle_being_decided(client, users, mkk_round):
    client.force_login(users["pm.mkk"])
    html = client.get(_url(mkk_round)).content.decode()
    assert "Komplexität festlegen: Abwasser" in html
    assert "Rang (berechnet)" in html and "Rang (entschieden)" in html
    assert "Wenige, aber dringlich" in html  # the route and why
    assert 'name="complexity"' in html and 'value="2"' in html  # the demo value, to change
    assert 'type="number"' in html and "<textarea" in html  # a number and a text: no JSON to fill in


def test_project_management_enters_a_complexity_and_the_score_follows(client, users, mkk_round):
    client.force_login(users["pm.mkk"])
    response = client.post(_url(mkk_round), {"complexity": "7", "note": "Beschluss der Lenkungsgruppe"})
    assert response.status_code == 302
    row = bundle_row(screening_round=mkk_round, code="abwasser")
    assert (row.complexity, row.score) == (Decimal(7), Decimal("4.34"))
    page = client.get(response["Location"]).content.decode()
    assert "Komplexität für Abwasser gespeichert." in page
    assert "Lenkungsgruppe" in page and "Komplexität (Quelle)" in page


def test_a_complexity_of_eleven_is_refused_in_german_and_changes_nothing(client, users, mkk_round):
    client.force_login(users["pm.mkk"])
    audits = AuditEntry.objects.count()
    response = client.post(_url(mkk_round), {"complexity": "11", "note": ""})
    assert response.status_code == 400
    assert "Die Komplexität muss zwischen 1 und 10 liegen." in response.content.decode()
    assert BundleComplexity.objects.get(round=mkk_round, code="abwasser").complexity == 2
    assert AuditEntry.objects.count() == audits


@pytest.mark.parametrize(("username", "status"), [("vorstand.mkk", 403), ("sb.ronneburg", 403), ("pm.gg", 404)])
def test_others_may_not_enter_a_complexity(client, users, mkk_round, username, status):
    client.force_login(users[username])
    assert client.get(_url(mkk_round)).status_code == status
    assert client.post(_url(mkk_round), {"complexity": "9"}).status_code == status
    assert BundleComplexity.objects.get(round=mkk_round, code="abwasser").complexity == 2


def test_the_analysis_page_shows_routes_with_their_reason_and_the_rule(client, users, mkk_round):
    client.force_login(users["pm.mkk"])
    html = client.get(f"/screening/rounds/{mkk_round.pk}/").content.decode()
    assert "derzeit nicht verfolgt" in html and "kreisweiter Weg" in html and "bilateraler Weg" in html
    assert "Regel gültig seit 01.01.2023" in html and "kein Gesetz" in html
    assert html.count("Komplexität festlegen") >= 20
