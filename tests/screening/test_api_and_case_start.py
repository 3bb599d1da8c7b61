"""The utility analysis over the API, and starting an IKZ case from a ranked bundle."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from rest_framework.test import APIClient

from projects.models import Case, ScreeningRound
from projects.services.screening import screening_case_start
from projects.services.screening_analysis import bundle_analysis

pytestmark = pytest.mark.django_db


@pytest.fixture
def mkk_round():
    return ScreeningRound.objects.get(county__slug="mkk", name="MKK 2023")


def _get(user, url):
    client = APIClient()
    client.force_authenticate(user)
    return client.get(url)


def test_dkz_staff_of_the_county_get_the_aggregated_rows(mkk_round, users):
    response = _get(users["controlling.mkk"], f"/api/v1/screening/rounds/{mkk_round.pk}/bundles/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 20
    first = body["results"][0]
    assert set(first) >= {
        "bundle",
        "survey_partner_count",
        "other_count",
        "total",
        "average_urgency",
        "score",
        "rank",
        "route",
    }
    by_name = {row["bundle"]["name"]: row for row in body["results"]}
    personal = by_name["Personal"]
    assert (personal["survey_partner_count"], personal["other_count"], personal["total"]) == (15, 5, 20)
    assert Decimal(personal["average_urgency"]) == Decimal("7.80")
    assert personal["route"] == "county_wide"
    assert by_name["Abwasser"]["route"] == "bilateral"
    assert [row["rank"] for row in body["results"]] == list(range(1, 21))


@pytest.mark.parametrize(("username", "status"), [("pm.gg", 404), ("sb.ronneburg", 403), ("bm.ronneburg", 403)])
def test_others_do_not_see_the_analysis(mkk_round, users, username, status):
    response = _get(users[username], f"/api/v1/screening/rounds/{mkk_round.pk}/bundles/")
    assert response.status_code == status
    assert "results" not in response.json()


def test_anonymous_request_is_refused(mkk_round):
    assert APIClient().get(f"/api/v1/screening/rounds/{mkk_round.pk}/bundles/").status_code in (401, 403)


def test_project_manager_starts_a_case_with_the_interested_municipalities(mkk_round, users):
    row = next(r for r in bundle_analysis(screening_round=mkk_round) if r.name == "Archiv")
    case = screening_case_start(screening_round=mkk_round, bundle_code=row.code, by=users["pm.mkk"])
    assert case.source == Case.Source.SCREENING
    assert case.county == mkk_round.county
    assert case.title == "Archiv"
    participants = set(case.participants.values_list("municipality_id", flat=True))
    assert participants == set(row.municipality_ids)
    assert len(participants) == 11
    assert case.participants.filter(is_lead=True).count() == 1


def test_a_clerk_cannot_start_a_case_from_the_screening(mkk_round, users):
    with pytest.raises(PermissionDenied):
        screening_case_start(screening_round=mkk_round, bundle_code="archiv", by=users["sb.ronneburg"])
