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


_WRITE = {"post", "put", "patch", "delete"}


def document_common_errors(result, generator, request, public):
    """Postprocessing hook: every operation documents the answers every endpoint of this API can give.

    401 when it needs a login, 404 when its path names a record (not there or not visible), 400 and 403 when it
    changes something. All in the one JSON error shape. What an endpoint declares itself is kept.
    """
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault(
        "Error",
        {
            "type": "object",
            "properties": {
                "detail": {"type": "string"},
                "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
            },
            "required": ["detail", "errors"],
        },
    )
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if method not in {"get", "head", "options"} | _WRITE:
                continue
            codes = []
            security = operation.get("security")
            if security and {} not in security:
                codes.append(401)
            if "{" in path:
                codes.append(404)
            if method in _WRITE:
                codes += [400, 403] if method != "delete" else [403]
            responses = operation.setdefault("responses", {})
            for code in codes:
                responses.setdefault(
                    str(code),
                    {
                        "description": _DESCRIPTIONS[code],
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    },
                )
    return result
