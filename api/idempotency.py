"""``Idempotency-Key`` on the API's POST requests: a retried request is answered, not done twice.

A client that sends ``Idempotency-Key: <its own unique text>`` with a POST gets, for the same key, the same user
and the same request (path and body), the answer of the first request again (status and body, marked with
``Idempotent-Replayed: true``) without the action being done a second time. The same key with another request is
refused with 422; a repeat while the first is still being handled with 409. Keys are kept for
``API_IDEMPOTENCY_TTL_HOURS`` (default 24). A unique constraint makes concurrent repeats safe: only one request
claims the key. Answers of 500 and above are not kept (the client may retry with the same key).

It works for every POST under /api/v1/ (middleware), so every endpoint that creates something has it without
further code. The login (``auth/token/``) is not covered: it has no user yet.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import cast

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, models, transaction
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request
from rest_framework.settings import api_settings

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


def idempotency_ttl() -> dt.timedelta:
    return dt.timedelta(hours=float(getattr(settings, "API_IDEMPOTENCY_TTL_HOURS", 24)))


class IdempotencyKey(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(gettext_lazy("Schlüssel"), max_length=MAX_KEY_LENGTH)
    fingerprint = models.CharField(gettext_lazy("Prüfsumme der Anfrage"), max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)  # empty while the first is handled
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(blank=True, default=b"")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        app_label = "api"
        verbose_name = gettext_lazy("Idempotenz-Schlüssel")
        verbose_name_plural = gettext_lazy("Idempotenz-Schlüssel")
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="api_idempotency_key_per_user")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"


def _error(status: int, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail, "errors": {}}, status=status)


def _api_user(request):
    """The user the API's authentication classes see (token or session), or None: then the view answers."""
    classes = cast("list[type[BaseAuthentication]]", api_settings.DEFAULT_AUTHENTICATION_CLASSES)
    drf_request = Request(request, authenticators=[cls() for cls in classes])
    try:
        user = drf_request.user
    except Exception:  # noqa: BLE001 - a bad token or a missing CSRF token: the view gives the proper answer
        return None
    return user if getattr(user, "is_authenticated", False) else None


def _claim(*, user, key: str, fingerprint: str) -> tuple[IdempotencyKey, bool]:
    """(record, claimed): claimed is True when this request is the first with the key."""
    now = timezone.now()
    IdempotencyKey.objects.filter(expires_at__lte=now).delete()
    try:
        with transaction.atomic():
            record = IdempotencyKey.objects.create(
                user=user, key=key, fingerprint=fingerprint, expires_at=now + idempotency_ttl()
            )
        return record, True
    except IntegrityError:
        return IdempotencyKey.objects.get(user=user, key=key), False


class IdempotencyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = request.headers.get(HEADER)
        if request.method != "POST" or key is None or not request.path.startswith("/api/v1/"):
            return self.get_response(request)
        key = key.strip()
        if not key or len(key) > MAX_KEY_LENGTH:
            return _error(400, _("Der Idempotency-Key muss 1 bis 255 Zeichen lang sein."))
        try:
            body = request.body
        except RequestDataTooBig:
            return self.get_response(request)
        user = _api_user(request)
        if user is None:
            return self.get_response(request)
        fingerprint = hashlib.sha256(request.path.encode() + b"\n" + body).hexdigest()
        try:
            record, claimed = _claim(user=user, key=key, fingerprint=fingerprint)
        except IdempotencyKey.DoesNotExist:  # expired and removed between the two statements
            return _error(409, _("Diese Anfrage wird gerade bearbeitet. Bitte gleich erneut senden."))
        if not claimed:
            return self._repeat(record, fingerprint)
        try:
            response = self.get_response(request)
        except BaseException:
            record.delete()
            raise
        if response.status_code >= 500 or response.streaming:
            record.delete()
            return response
        record.status_code = response.status_code
        record.content_type = response.get("Content-Type", "")
        record.body = response.content
        record.save(update_fields=["status_code", "content_type", "body"])
        return response

    @staticmethod
    def _repeat(record: IdempotencyKey, fingerprint: str) -> HttpResponse:
        if record.fingerprint != fingerprint:
            return _error(
                422,
                _(
                    "Dieser Idempotency-Key wurde bereits für eine andere Anfrage verwendet. "
                    "Bitte für jede neue Anfrage einen neuen Schlüssel senden."
                ),
            )
        if record.status_code is None:
            return _error(409, _("Diese Anfrage wird gerade bearbeitet. Bitte gleich erneut senden."))
        response = HttpResponse(bytes(record.body), status=record.status_code, content_type=record.content_type)
        response["Idempotent-Replayed"] = "true"
        return response
