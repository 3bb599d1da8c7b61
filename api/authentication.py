"""API token lifecycle and the token authentication that refuses expired tokens (no import of DRF views here:
the authentication class is loaded by DRF's settings while its views module is still being imported)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission


def token_lifetime() -> dt.timedelta:
    return dt.timedelta(hours=float(getattr(settings, "API_TOKEN_TTL_HOURS", 168)))


def token_expires_at(token: Token) -> dt.datetime:
    return token.created + token_lifetime()


def token_issue(*, user) -> Token:
    """The user's valid token, or a new one where there is none or it has expired."""
    with transaction.atomic():
        token = Token.objects.select_for_update().filter(user=user).first()
        if token is not None and token_expires_at(token) > timezone.now():
            return token
        Token.objects.filter(user=user).delete()
        return Token.objects.create(user=user)


def token_rotate(*, user) -> Token:
    """A new token for the user; the old one stops working at once."""
    with transaction.atomic():
        Token.objects.filter(user=user).delete()
        return Token.objects.create(user=user)


def token_revoke(*, user) -> None:
    Token.objects.filter(user=user).delete()


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, refusing a token older than ``API_TOKEN_TTL_HOURS``."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if token_expires_at(token) <= timezone.now():
            token.delete()
            raise AuthenticationFailed(_("Das Token ist abgelaufen. Bitte erneut anmelden."))
        return user, token


class ApiDocsAccess(BasePermission):
    """The schema and its documentation page: for logged-in users, for everyone only with ``API_DOCS_PUBLIC``."""

    def has_permission(self, request, view) -> bool:
        return bool(getattr(settings, "API_DOCS_PUBLIC", False) or (request.user and request.user.is_authenticated))
