"""Token login: POST /api/v1/auth/token/ with username and password returns {"token": ...}."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from api.openapi import errors


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


class TokenView(APIView):
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
        token, _created = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})
