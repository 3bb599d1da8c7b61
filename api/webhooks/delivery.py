"""Sending one delivery: POST the stored body, signed with HMAC-SHA256, retried with exponential backoff.

Headers: ``X-IKZ-Event``, ``X-IKZ-Delivery`` (the delivery id: receivers drop ids they have already processed)
and ``X-IKZ-Signature: sha256=<hex>`` over the exact body bytes with the subscription's secret.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import logging
import socket
import ssl
import urllib.error
import urllib.request

from celery import shared_task
from celery.exceptions import Retry
from django.db.models import F
from django.utils import timezone

from api.webhooks.models import WebhookDelivery
from api.webhooks.targets import target_check

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-IKZ-Signature"
TIMEOUT_SECONDS = 10
MAX_RETRIES = 8  # backoff 5 s, 10 s, 20 s … capped at one hour: about six hours in all


class DeliveryFailed(Exception):
    """The receiver did not answer 2xx; the task retries."""


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not an invitation: the signed body never goes to a second address."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def _pinned_connection(base: type[http.client.HTTPConnection], address: str):
    """A connection class of ``base`` that opens its socket to ``address`` instead of resolving the host again.

    Everything else stays with the name of the URL: the Host header, and for https the TLS server name (SNI) and the
    certificate check against that name (the default context verifies both)."""

    class _Pinned(base):  # type: ignore[valid-type, misc]
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)

            def create_connection(destination, *rest, **options):
                return socket.create_connection((address, destination[1]), *rest, **options)

            self._create_connection = create_connection

    return _Pinned


class _PinnedHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, address: str):
        super().__init__()
        self.address = address

    def http_open(self, req):
        return self.do_open(_pinned_connection(http.client.HTTPConnection, self.address), req)


class _PinnedHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, address: str):
        self.tls = ssl.create_default_context()
        super().__init__(context=self.tls)
        self.address = address

    def https_open(self, req):
        return self.do_open(_pinned_connection(http.client.HTTPSConnection, self.address), req, context=self.tls)


def _opener(address: str | None) -> urllib.request.OpenerDirector:
    """No proxy from the environment (it would resolve the name itself) and no redirects; pinned to ``address``."""
    handlers: list[urllib.request.BaseHandler] = [urllib.request.ProxyHandler({}), _NoRedirect()]
    if address is not None:
        handlers += [_PinnedHTTPHandler(address), _PinnedHTTPSHandler(address)]
    return urllib.request.build_opener(*handlers)


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str]:
    if not url.lower().startswith(("http://", "https://")):
        return None, "Nur http(s)-Adressen werden beliefert."
    refusal, address = target_check(url, must_resolve=True)
    if refusal is not None:
        return None, refusal
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 (scheme checked)
    try:
        with _opener(address).open(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status, ""
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return None, str(getattr(exc, "reason", exc))[:500]


@shared_task(
    bind=True,
    name="api.webhooks.deliver",
    autoretry_for=(DeliveryFailed,),
    retry_backoff=5,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=MAX_RETRIES,
    acks_late=True,
    ignore_result=True,
)
def deliver(self, delivery_id: str) -> str:
    """Send one delivery. Safe to run twice: a delivered, failed or cancelled delivery is not sent again."""
    delivery = WebhookDelivery.objects.select_related("subscription").filter(pk=delivery_id).first()
    if delivery is None:
        return "missing"
    if delivery.status in (
        WebhookDelivery.Status.DELIVERED,
        WebhookDelivery.Status.FAILED,
        WebhookDelivery.Status.CANCELLED,
    ):
        return delivery.status
    rows = WebhookDelivery.objects.filter(pk=delivery.pk)
    subscription = delivery.subscription
    if not subscription.active:
        rows.update(status=WebhookDelivery.Status.CANCELLED)
        return WebhookDelivery.Status.CANCELLED
    body = delivery.body.encode("utf-8")
    code, error = _post(
        subscription.url,
        body,
        {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "IKZ-Engine-Webhook/1",
            "X-IKZ-Event": delivery.event,
            "X-IKZ-Delivery": str(delivery.pk),
            SIGNATURE_HEADER: sign(subscription.secret, body),
        },
    )
    now = timezone.now()
    if code is not None and 200 <= code < 300:
        rows.update(
            status=WebhookDelivery.Status.DELIVERED,
            attempts=F("attempts") + 1,
            response_status=code,
            last_error="",
            last_attempt_at=now,
            delivered_at=now,
        )
        return WebhookDelivery.Status.DELIVERED
    # the row counts the attempts: a delivery enqueued again by the sweep does not start its retries afresh
    final = self.request.retries >= self.max_retries or delivery.attempts + 1 > self.max_retries
    rows.update(
        status=WebhookDelivery.Status.FAILED if final else WebhookDelivery.Status.RETRYING,
        attempts=F("attempts") + 1,
        response_status=code,
        last_error=error or f"HTTP {code}",
        last_attempt_at=now,
    )
    if final:
        logger.warning("webhook delivery %s failed for good: %s", delivery.pk, error)
        return WebhookDelivery.Status.FAILED
    raise DeliveryFailed(error or f"HTTP {code}")


def _run_eagerly(delivery_id: str) -> None:
    """Without a broker: the same task and the same retry rule, one attempt after the other, in-process.

    (Celery's eager mode re-raises a task's ``Retry`` when eager exceptions propagate, so the attempts are driven
    here; the backoff waits are skipped.)"""
    retries = 0
    while True:
        try:
            deliver.apply(args=[delivery_id], retries=retries, throw=True)
            return
        except Retry:
            retries += 1


def enqueue(delivery_id) -> None:
    """Hand a delivery to Celery. Never lets a broker or receiver problem fail the caller's request."""
    try:
        if deliver.app.conf.task_always_eager:
            _run_eagerly(str(delivery_id))
        else:
            deliver.apply_async(args=[str(delivery_id)])
    except Exception:  # noqa: BLE001 - the delivery stays pending or retrying and is visible in the log
        logger.exception("webhook delivery %s could not be enqueued", delivery_id)


@shared_task(name="api.webhooks.requeue_stale_deliveries", ignore_result=True)
def requeue_stale_deliveries(
    pending_after_seconds: float | None = None, retrying_after_seconds: float | None = None
) -> int:
    """Enqueue again every delivery that nothing will send any more.

    - PENDING for longer than ``pending_after_seconds``: its message never reached the broker (the broker was down
      after the commit) or was lost in a broker crash.
    - RETRYING with its last attempt longer ago than ``retrying_after_seconds`` (beyond the longest backoff): its
      retry message was lost.

    Safe: ``deliver`` skips what is delivered, failed or cancelled, and counts attempts on the row. A message that
    was only late may send a delivery twice; receivers drop repeated ``X-IKZ-Delivery`` ids.
    """
    from datetime import timedelta

    from django.conf import settings
    from django.db.models import Q

    if pending_after_seconds is None:
        pending_after_seconds = float(getattr(settings, "WEBHOOK_REQUEUE_AFTER_SECONDS", 900))
    if retrying_after_seconds is None:
        retrying_after_seconds = float(deliver.retry_backoff_max) + pending_after_seconds
    now = timezone.now()
    stale = Q(status=WebhookDelivery.Status.PENDING, created_at__lt=now - timedelta(seconds=pending_after_seconds)) | Q(
        status=WebhookDelivery.Status.RETRYING,
        last_attempt_at__lt=now - timedelta(seconds=retrying_after_seconds),
    )
    ids = list(WebhookDelivery.objects.filter(stale).order_by("created_at").values_list("pk", flat=True))
    for delivery_id in ids:
        enqueue(delivery_id)
    return len(ids)
