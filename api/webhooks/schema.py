"""Postprocessing hook: every webhook event's body in the OpenAPI document.

Each event becomes a schema component (``TaskCreatedEvent``, ...) and an entry of ``webhooks`` (OpenAPI 3.1; in an
OpenAPI 3.0 document, where that key does not exist, ``x-webhooks``) describing the signed POST a receiver gets.
"""

from __future__ import annotations

import copy
from typing import Any

from api.webhooks.delivery import SIGNATURE_HEADER
from api.webhooks.events import EVENTS, envelope

_DESCRIPTION = (
    "POST an die Adresse des Webhooks. Rumpf: JSON wie beschrieben. Köpfe: `X-IKZ-Event` (Name), `X-IKZ-Delivery` "
    "(ID der Zustellung; eine Wiederholung nach Fehler trägt dieselbe ID), `X-IKZ-Signature: sha256=<hex>` "
    "(HMAC-SHA256 der unveränderten Rumpf-Bytes mit dem Geheimnis des Webhooks; in konstanter Zeit vergleichen). "
    "Eine Antwort 2xx bestätigt; alles andere wird mit wachsendem Abstand wiederholt."
)


def render(schema: Any, *, openapi_31: bool) -> Any:
    """The catalogue's schema for the document's version: ``x-nullable`` → a ``null`` type (3.1) or ``nullable``."""
    if isinstance(schema, list):
        return [render(item, openapi_31=openapi_31) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: render(value, openapi_31=openapi_31) for key, value in schema.items() if key != "x-nullable"}
    if schema.get("x-nullable"):
        if openapi_31:
            out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        else:
            out["nullable"] = True
    return out


def _header(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "header", "required": True, "schema": {"type": "string"}, "description": description}


def document_events(result, generator, request, public):
    openapi_31 = str(result.get("openapi", "")).startswith("3.1")
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    hooks = result.setdefault("webhooks" if openapi_31 else "x-webhooks", {})
    for spec in EVENTS.values():
        schemas[spec.component] = render(copy.deepcopy(envelope(spec)), openapi_31=openapi_31)
        hooks[spec.name] = {
            "post": {
                "operationId": "webhook_" + spec.name.replace(".", "_"),
                "summary": spec.summary,
                "description": _DESCRIPTION,
                "tags": ["Webhooks"],
                "parameters": [
                    _header("X-IKZ-Event", f"`{spec.name}`"),
                    _header("X-IKZ-Delivery", "ID der Zustellung (UUID)"),
                    _header(SIGNATURE_HEADER, "`sha256=<hex>`: HMAC-SHA256 des Rumpfs mit dem Geheimnis"),
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{spec.component}"}}},
                },
                "responses": {"2XX": {"description": "Empfangen; jede andere Antwort wird wiederholt"}},
            }
        }
    return result
