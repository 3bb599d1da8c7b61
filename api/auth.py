"""API tokens: POST /api/v1/auth/token/ with username and password returns {"token", "expires_at"}.

A token expires ``API_TOKEN_TTL_HOURS`` after it was issued (then it answers 401 and the next login issues a new
one), is replaced on demand (``auth/token/rotate/``), ends with ``auth/token/revoke/`` and with every change of the
user's password (``api.signals``). Throttled endpoints answer with ``X-RateLimit-Limit``, ``X-RateLimit-Remaining``
and ``X-RateLimit-Reset`` (seconds), and ``Retry-After`` once the limit is reached.
"""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from api.authentication import token_expires_at, token_issue, token_revoke, token_rotate
from api.openapi import errors


class RateLimitHeadersMixin:
    """Adds the rate-limit headers of the view's throttles to every answer."""

    def check_throttles(self, request):
        self._rate_limits = []
        try:
            super().check_throttles(request)  # type: ignore[misc]
        finally:
            for throttle in getattr(self, "_used_throttles", []):
                if getattr(throttle, "history", None) is not None and throttle.rate:
                    remaining = max(0, throttle.num_requests - len(throttle.history))
                    reset = int(throttle.duration - (throttle.now - throttle.history[-1])) if throttle.history else 0
                    self._rate_limits.append((throttle.num_requests, remaining, max(reset, 0)))

    def get_throttles(self):
        self._used_throttles = super().get_throttles()  # type: ignore[misc]
        return self._used_throttles

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        limits = getattr(self, "_rate_limits", [])
        if limits:
            limit, remaining, reset = min(limits, key=lambda item: item[1])
            response["X-RateLimit-Limit"] = str(limit)
            response["X-RateLimit-Remaining"] = str(remaining)
            response["X-RateLimit-Reset"] = str(reset)
        return response


class LoginThrottle(ScopedRateThrottle):
    """The "login" rate per client address and user name: guessing one account's password is slowed down,
    colleagues behind the same town-hall proxy are not locked out by each other."""

    def get_cache_key(self, request, view):
        username = str(request.data.get("username", "")).strip().lower() if isinstance(request.data, dict) else ""
        return self.cache_format % {"scope": self.scope, "ident": f"{self.get_ident(request)}:{username}"}


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(label=_("Benutzername"), max_length=150)
    password = serializers.CharField(label=_("Passwort"), max_length=200, style={"input_type": "password"})

    def validate(self, attrs):
        request = self.context.get("request")
        # the Django request itself: the login lockout (django-axes) marks it, and its middleware answers 429
        django_request = getattr(request, "_request", request)
        user = authenticate(request=django_request, username=attrs["username"], password=attrs["password"])
        if user is None or not user.is_active:
            raise serializers.ValidationError(
                _("Anmeldung fehlgeschlagen: Benutzername oder Passwort ist falsch."), code="authorization"
            )
        attrs["user"] = user
        return attrs


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()
    expires_at = serializers.DateTimeField(help_text="Ab diesem Zeitpunkt gilt das Token nicht mehr.")


def _token_answer(token: Token) -> Response:
    return Response({"token": token.key, "expires_at": token_expires_at(token).isoformat()})


class TokenView(RateLimitHeadersMixin, APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginThrottle]
    throttle_scope = "login"

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: TokenResponseSerializer, **errors(400, 429)},
        auth=[],
        summary="Token für Benutzername und Passwort",
        tags=["Anmeldung"],
    )
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        return _token_answer(token_issue(user=serializer.validated_data["user"]))


class TokenRotateView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={200: TokenResponseSerializer, **errors(401)},
        summary="Neues Token (das bisherige gilt nicht mehr)",
        tags=["Anmeldung"],
    )
    def post(self, request):
        return _token_answer(token_rotate(user=request.user))


class TokenRevokeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None, **errors(401)}, summary="Token widerrufen", tags=["Anmeldung"])
    def post(self, request):
        token_revoke(user=request.user)
        return Response(status=204)
