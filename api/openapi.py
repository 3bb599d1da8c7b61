"""OpenAPI helpers: the one JSON error shape and the documented error answers."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers

ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "detail": serializers.CharField(help_text="Meldung für Menschen (deutsch)"),
        "errors": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()),
            help_text="Fehler je Feld (bei 400), sonst leer",
        ),
    },
)

_DESCRIPTIONS = {
    400: "Ungültige Eingaben: Fehler je Feld in `errors`",
    401: "Nicht angemeldet (Token oder Sitzung fehlt oder ist ungültig)",
    403: "Sichtbar, aber diese Aktion ist Ihnen nicht erlaubt",
    404: "Nicht vorhanden oder für Sie nicht sichtbar",
    409: "Nicht mehr offen: bereits erledigt, von anderen übernommen oder ein Wettlauf verloren",
    429: "Zu viele Versuche; später erneut versuchen",
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """Documented error answers, always the JSON error shape."""
    return {code: OpenApiResponse(ErrorSerializer, description=_DESCRIPTIONS[code]) for code in codes}


def id_parameter(description: str) -> OpenApiParameter:
    return OpenApiParameter("id", int, OpenApiParameter.PATH, description=description)
