"""API tests: clients log in through POST /api/v1/auth/token/ and send the token, as a municipal system would."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from projects.models import County
from projects.services.cases import case_capture
from workflows.case import case_start


@pytest.fixture(autouse=True)
def _fresh_login_throttle():
    cache.clear()  # the login throttle counts per client and user name across tests otherwise
    yield
    cache.clear()


@pytest.fixture
def login():
    """login("bm.ronneburg") → an APIClient sending that user's token."""
    clients: dict[str, APIClient] = {}

    def _login(username: str, password: str = "demo") -> APIClient:
        if username not in clients:
            client = APIClient()
            response = client.post("/api/v1/auth/token/", {"username": username, "password": password}, format="json")
            assert response.status_code == 200, response.content
            client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
            clients[username] = client
        return clients[username]

    return _login


@pytest.fixture
def anonymous():
    return APIClient()


def start_case(users, county="mkk", by="pm.mkk", title="Gemeinsame Vollstreckungsstelle"):
    """Set-up shortcut for tests that are not about starting cases (those go through POST /cases/)."""
    case = case_capture(county=County.objects.get(slug=county), title=title, by=users[by], task_area="Kasse")
    case_start(case=case)
    return case


def human_task(case):
    """The one open human task of a freshly started case (the screening)."""
    from viewflow.workflow import STATUS

    from workflows.selectors import tasks_of_case

    return tasks_of_case(case=case).get(flow_task_type="HUMAN", status__in=[STATUS.NEW, STATUS.ASSIGNED])
