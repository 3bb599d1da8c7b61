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

# The operations' tags are ASCII (a generated client makes package and module names of them); the German name
# people read in the documentation is the tag's description. A tag not listed here is transliterated.
TAGS = {
    "Anmeldung": ("auth", "Anmeldung, Token und die angemeldete Person"),
    "Aufgaben": ("tasks", "Aufgaben: übernehmen, abgeben, erledigen"),
    "Vorgänge": ("cases", "Vorgänge der interkommunalen Zusammenarbeit"),
    "Abläufe": ("flows", "Abläufe (BPMN) und ihr Stand"),
    "Vergabe": ("procurement", "Vergabeverfahren"),
    "Webhooks": ("webhooks", "Webhooks: Ereignisse an Fremdsysteme"),
    "funding": ("funding", "Förderung: Programme, Anträge, Bescheide, Abrufe"),
    "costs": ("costs", "Kostenrechnung: Pläne, Ist-Kosten, Zeiten, Abrechnung"),
    "screening": ("screening", "Aufgabenkritik: Runden und Erklärungen"),
}
_ASCII = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss", " ": "-"})


def ascii_tag(tag: str) -> str:
    if tag in TAGS:
        return TAGS[tag][0]
    return "".join(c for c in tag.translate(_ASCII).lower() if c.isascii() and (c.isalnum() or c in "-_"))


def ascii_tags(result, generator, request, public):
    """Postprocessing hook: ASCII tags on every operation, the German names as the tags' descriptions."""
    used: dict[str, str] = {}
    for item in result.get("paths", {}).values():
        for operation in item.values():
            if isinstance(operation, dict) and "tags" in operation:
                tags = []
                for tag in operation["tags"]:
                    name = ascii_tag(tag)
                    used.setdefault(name, TAGS[tag][1] if tag in TAGS else tag)
                    tags.append(name)
                operation["tags"] = tags
    result["tags"] = [{"name": name, "description": used[name]} for name in sorted(used)]
    return result


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
