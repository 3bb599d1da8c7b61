"""Every API error is JSON: {"detail": ..., "errors": {...}}.

Besides DRF's own exceptions, the domain's exceptions map to HTTP here, in one place:
Django ``ValidationError`` → 400 (per-field errors), ``PermissionDenied`` → 403, ``Http404`` → 404,
``TaskConflict`` / ``TaskAlreadyDecided`` → 409.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.exceptions import ValidationError as DrfValidationError
from rest_framework.views import exception_handler as drf_exception_handler

from projects.services.cases import TaskAlreadyDecided
from workflows.engine import TaskConflict


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


def _translate(exc):
    if isinstance(exc, ParseError):
        return ParseError(_("Der Inhalt der Anfrage ist kein gültiges JSON."))
    if isinstance(exc, TaskConflict):
        return Conflict(exc.message)
    if isinstance(exc, TaskAlreadyDecided):
        return Conflict(" ".join(exc.messages))
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            return DrfValidationError(exc.message_dict)
        return DrfValidationError({"non_field_errors": exc.messages})
    return exc


def _flat(errors: dict) -> dict:
    """Every field's errors as a list of messages (the documented shape ``{field: [message]}``); errors of list items
    and nested objects name their place: ``{"events": {"0": ["…"]}}`` → ``{"events": ["0: …"]}``."""
    flat: dict = {}

    def walk(field: str, place: str, value) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(field, f"{place}.{key}" if place else str(key), inner)
        elif isinstance(value, list) and any(isinstance(item, dict | list) for item in value):
            for index, inner in enumerate(value):
                if inner:
                    walk(field, f"{place}.{index}" if place else str(index), inner)
        else:
            messages = value if isinstance(value, list) else [value]
            flat.setdefault(field, []).extend(f"{place}: {m}" if place else m for m in messages)

    for field, value in errors.items():
        walk(str(field), "", value)
    return flat


def exception_handler(exc, context):
    response = drf_exception_handler(_translate(exc), context)
    if response is None:
        return None
    data = response.data
    if isinstance(data, dict) and "detail" in data and len(data) == 1:
        response.data = {"detail": data["detail"], "errors": {}}
    elif isinstance(data, dict):
        non_field = data.get("non_field_errors")
        detail = " ".join(str(m) for m in non_field) if non_field and len(data) == 1 else None
        response.data = {"detail": detail or _("Die Eingaben sind ungültig."), "errors": _flat(data)}
    else:
        response.data = {"detail": _("Die Eingaben sind ungültig."), "errors": _flat({"non_field_errors": data})}
    return response


@csrf_exempt  # changes nothing; a POST to an unknown path answers this JSON 404, not the CSRF page
def not_found(request, *args, **kwargs):
    """Unknown paths under /api/v1/ answer JSON, not the HTML page of the portal."""
    return JsonResponse({"detail": _("Diese Adresse gibt es in der API nicht."), "errors": {}}, status=404)
