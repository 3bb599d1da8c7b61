"""Webhooks reach only public addresses, and a delivery the broker never got is sent later, once."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from api.models import WebhookDelivery, WebhookSubscription
from api.webhooks.delivery import requeue_stale_deliveries
from projects.models import AuditEntry
from tests.api.test_webhooks import SECRET

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",  # the server itself
        "https://localhost:8443/hook",  # a name for it
        "https://10.20.30.40/hook",  # the internal network
        "https://192.168.1.1/hook",
        "https://169.254.169.254/latest/meta-data/",  # a cloud's metadata service
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://0.0.0.0/hook",
    ],
)
def test_a_webhook_into_the_internal_network_is_refused_with_a_german_message(login, settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    subscriptions, audit = WebhookSubscription.objects.count(), AuditEntry.objects.count()
    response = login("pm.mkk").post(
        "/api/v1/webhooks/", {"url": url, "events": ["task.created"], "secret": SECRET, "county": "mkk"}, format="json"
    )
    assert response.status_code == 400, response.content
    assert "öffentliche Adressen" in response.json()["errors"]["url"][0]
    assert (WebhookSubscription.objects.count(), AuditEntry.objects.count()) == (subscriptions, audit)


def test_a_public_address_and_a_name_not_resolvable_yet_are_accepted(login, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    for url in ("https://93.184.215.14/hooks", "https://dms.ronneburg.example/hooks"):
        response = login("pm.mkk").post(
            "/api/v1/webhooks/",
            {"url": url, "events": ["task.created"], "secret": SECRET, "county": "mkk"},
            format="json",
        )
        assert response.status_code == 201, response.content


def _pending_delivery(subscription: WebhookSubscription, **fields) -> WebhookDelivery:
    """A delivery row as the after-commit receiver writes it; its message never reached the broker."""
    return WebhookDelivery.objects.create(
        subscription=subscription,
        event="task.created",
        event_id=uuid.uuid4(),
        body='{"event": "task.created"}',
        **fields,
    )


def _subscription(login, url: str) -> WebhookSubscription:
    response = login("bm.ronneburg").post(
        "/api/v1/webhooks/", {"url": url, "events": ["task.created"], "secret": SECRET}, format="json"
    )
    assert response.status_code == 201, response.content
    return WebhookSubscription.objects.get(pk=response.json()["id"])


def test_a_target_that_points_inside_at_delivery_time_gets_nothing(login, receiver, eager_jobs, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True  # registered while allowed (or the name pointed elsewhere then)
    subscription = _subscription(login, receiver.url("/intern"))
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    delivery = _pending_delivery(subscription, created_at=timezone.now())
    WebhookDelivery.objects.filter(pk=delivery.pk).update(created_at=timezone.now() - dt.timedelta(hours=1))
    requeue_stale_deliveries(pending_after_seconds=60)
    delivery.refresh_from_db()
    assert receiver.at("/intern") == []
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert "öffentliche Adressen" in delivery.last_error


def test_a_delivery_the_broker_never_got_is_sent_by_the_sweep_once(login, receiver, eager_jobs):
    subscription = _subscription(login, receiver.url("/verloren"))
    lost = _pending_delivery(subscription)
    fresh = _pending_delivery(subscription)
    WebhookDelivery.objects.filter(pk=lost.pk).update(created_at=timezone.now() - dt.timedelta(minutes=30))
    assert requeue_stale_deliveries(pending_after_seconds=600) == 1  # the fresh one may still be on its way
    assert [r["headers"]["x-ikz-delivery"] for r in receiver.at("/verloren")] == [str(lost.pk)]
    lost.refresh_from_db()
    assert (lost.status, lost.attempts) == (WebhookDelivery.Status.DELIVERED, 1)
    assert requeue_stale_deliveries(pending_after_seconds=600) == 0  # sent is sent
    assert len(receiver.at("/verloren")) == 1
    fresh.refresh_from_db()
    assert fresh.status == WebhookDelivery.Status.PENDING


def test_a_retrying_delivery_whose_retry_was_lost_continues_its_count_and_ends(login, receiver, eager_jobs):
    from api.webhooks.delivery import deliver

    subscription = _subscription(login, receiver.url("/wackelt"))
    receiver.script["/wackelt"] = [503] * 20
    long_ago = timezone.now() - dt.timedelta(hours=3)
    stuck = _pending_delivery(subscription, status=WebhookDelivery.Status.RETRYING, attempts=deliver.max_retries)
    WebhookDelivery.objects.filter(pk=stuck.pk).update(last_attempt_at=long_ago)
    recent = _pending_delivery(subscription, status=WebhookDelivery.Status.RETRYING, attempts=1)
    WebhookDelivery.objects.filter(pk=recent.pk).update(last_attempt_at=timezone.now())
    assert requeue_stale_deliveries() == 1
    stuck.refresh_from_db()
    # one more attempt, the last one: the row's count goes on, it does not start afresh
    assert (stuck.status, stuck.attempts) == (WebhookDelivery.Status.FAILED, deliver.max_retries + 1)
    assert len(receiver.at("/wackelt")) == 1
    recent.refresh_from_db()
    assert (recent.status, recent.attempts) == (WebhookDelivery.Status.RETRYING, 1)


def test_the_sweep_runs_on_the_beat():  # no database needed
    from django.conf import settings

    schedule = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "api.webhooks.requeue_stale_deliveries" in schedule


class _Rebinding:
    """A name that resolves to a public address when it is checked and to loopback when it is resolved again."""

    def __init__(self, monkeypatch, name: str, public: str = "93.184.215.14"):
        import socket

        self.name, self.public, self.connected_to = name, public, []
        self.lookups = 0
        real_getaddrinfo, real_connect = socket.getaddrinfo, socket.create_connection

        def getaddrinfo(host, port, *args, **kwargs):
            if host != name:
                return real_getaddrinfo(host, port, *args, **kwargs)
            self.lookups += 1
            address = public if self.lookups == 1 else "127.0.0.1"
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port or 0))]

        def create_connection(address, *args, **kwargs):
            self.connected_to.append(address[0])
            if address[0] == public:  # the test machine has no way out: the public host does not answer
                raise ConnectionRefusedError("refused")
            return real_connect(address, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        monkeypatch.setattr(socket, "create_connection", create_connection)


def test_a_name_rebound_to_loopback_after_the_check_gets_nothing(login, receiver, eager_jobs, settings, monkeypatch):
    from api.webhooks.delivery import deliver

    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    subscription = _subscription(login, f"http://rebind.example:{receiver.server.server_port}/intern")
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    rebinding = _Rebinding(monkeypatch, "rebind.example")
    delivery = _pending_delivery(subscription)

    deliver.apply(args=[str(delivery.pk)], retries=deliver.max_retries)

    assert receiver.at("/intern") == []
    assert rebinding.connected_to == [rebinding.public]  # the checked address, and nothing else
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED


def test_a_pinned_delivery_keeps_the_name_in_the_host_header(login, receiver, eager_jobs, settings, monkeypatch):
    import socket

    from api.webhooks.delivery import deliver

    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host == "dms.ronneburg.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    port = receiver.server.server_port
    subscription = _subscription(login, f"http://dms.ronneburg.example:{port}/eingang")
    delivery = _pending_delivery(subscription)
    deliver.apply(args=[str(delivery.pk)])
    [request] = receiver.at("/eingang")
    assert request["headers"]["host"] == f"dms.ronneburg.example:{port}"
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.DELIVERED


def test_a_pinned_https_connection_verifies_the_certificate_for_the_name(monkeypatch):
    import http.client
    import socket
    import ssl

    from api.webhooks.delivery import _pinned_connection, _PinnedHTTPSHandler

    opened, wrapped = [], []

    class Socket:
        def setsockopt(self, *args):
            pass

    monkeypatch.setattr(socket, "create_connection", lambda address, *a, **k: opened.append(address) or Socket())

    class Context:
        check_hostname, verify_mode = True, ssl.CERT_REQUIRED

        def wrap_socket(self, sock, server_hostname=None):
            wrapped.append(server_hostname)
            return sock

    connection = _pinned_connection(http.client.HTTPSConnection, "93.184.215.14")(
        "dms.ronneburg.example", 443, context=Context()
    )
    connection.connect()
    assert opened == [("93.184.215.14", 443)]
    assert wrapped == ["dms.ronneburg.example"]
    handler_context = _PinnedHTTPSHandler("93.184.215.14")._context
    assert handler_context.check_hostname and handler_context.verify_mode == ssl.CERT_REQUIRED
