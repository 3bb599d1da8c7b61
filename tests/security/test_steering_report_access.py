"""The steering group's status report names only cases the reader may see (issue 19, item 5): a clerk of a
municipality and the supervisory authority get the numbers of the county, but no title, number or milestone of a
case they cannot open; the project management sees everything."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from projects.models import County, Milestone, PortfolioItem
from projects.services.cases import case_capture

pytestmark = pytest.mark.django_db


@pytest.fixture
def secret_case(users):
    mkk = County.objects.get(slug="mkk")
    case = case_capture(county=mkk, title="Vertrauliche Zusammenlegung der Kämmereien", by=users["pm.mkk"])
    item = PortfolioItem.objects.create(county=mkk, case=case, priority=1)
    Milestone.objects.create(
        item=item, title="Geheimer Meilenstein", due_on=timezone.localdate() - dt.timedelta(days=2)
    )
    return case


def _report(users, username: str) -> str:
    client = Client()
    client.force_login(users[username])
    response = client.get("/screening/steering/mkk/")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("username", ["sb.ronneburg", "aufsicht.rpda", "bm.neuberg"])
def test_the_status_report_names_no_case_the_reader_may_not_see(users, secret_case, username):
    page = _report(users, username)
    assert secret_case.title not in page
    assert secret_case.number not in page
    assert "Geheimer Meilenstein" not in page
    assert "die Sie nicht einsehen" in page  # counted, not named


def test_the_project_management_sees_the_cases_of_the_report(users, secret_case):
    page = _report(users, "pm.mkk")
    assert secret_case.title in page
    assert "Geheimer Meilenstein" in page
