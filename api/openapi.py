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
    422: "Der Idempotency-Key wurde schon für eine andere Anfrage verwendet",
    429: "Zu viele Versuche; später erneut versuchen",
}

_IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Eigener eindeutiger Schlüssel der Anfrage (höchstens 255 Zeichen): eine Wiederholung mit demselben "
    "Schlüssel und Inhalt bekommt die erste Antwort erneut (Kopfzeile `Idempotent-Replayed: true`), ohne dass die "
    "Aktion ein zweites Mal geschieht; derselbe Schlüssel mit anderem Inhalt: 422. Gültig 24 Stunden.",
    "schema": {"type": "string", "maxLength": 255},
}
_IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "Das `ETag` einer früheren Antwort: unverändert → 304 ohne Inhalt",
    "schema": {"type": "string"},
}
_ETAG_HEADER = {"ETag": {"description": "Kennung dieses Stands der Antwort", "schema": {"type": "string"}}}


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

    401 when it needs a login, 404 when its path, body or query names a record (not there or not visible) or its
    page is beyond the last, 400 and 403 when it changes something, 400 when it takes query parameters. All in the
    one JSON error shape. What an endpoint declares itself is kept.
    The conventions of api/conventions.py and api/idempotency.py are documented here too: ``Idempotency-Key`` with
    409 and 422 on every POST that needs a login, ``If-None-Match`` with 304 and the ``ETag`` header on every GET.
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
                if "requestBody" in operation:
                    codes.append(404)  # the body names a record that is not there or not visible
            query = {p.get("name") for p in operation.get("parameters", []) if p.get("in") == "query"}
            if query:
                # a query parameter out of its range; one naming a record not there or not visible, a page beyond
                # the last
                codes += [400, 404]
            responses = operation.setdefault("responses", {})
            parameters = operation.setdefault("parameters", [])
            if method == "post" and security and {} not in security:
                parameters.append(_IDEMPOTENCY_KEY)
                codes += [409, 422]
            if method == "get":
                parameters.append(_IF_NONE_MATCH)
                responses.setdefault("304", {"description": "Unverändert seit dem ETag in If-None-Match"})
                for code, answer in responses.items():
                    if code.startswith("2"):
                        answer.setdefault("headers", {}).update(_ETAG_HEADER)
            if not parameters:
                del operation["parameters"]
            for code in dict.fromkeys(codes):
                responses.setdefault(
                    str(code),
                    {
                        "description": _DESCRIPTIONS[code],
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    },
                )
    return result
