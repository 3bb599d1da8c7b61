"""API tests: clients log in through POST /api/v1/auth/token/ and send the token, as a municipal system would."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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


class Receiver:
    """An HTTP server in a thread that records every POST and answers with scripted status codes (else 200)."""

    def __init__(self):
        self.requests: list[dict] = []
        self.script: dict[str, list[int]] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = {name.lower(): value for name, value in self.headers.items()}
                receiver.requests.append({"path": self.path, "headers": headers, "body": body})
                codes = receiver.script.get(self.path) or []
                self.send_response(codes.pop(0) if codes else 200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{path}"

    def at(self, path: str) -> list[dict]:
        return [r for r in self.requests if r["path"] == path]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def eager_jobs(settings):
    """Deliveries run in-process even when the suite runs with a broker (CI)."""
    from config.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.WEBHOOK_ALLOW_HTTP = True  # the local receiver speaks plain http
    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before
