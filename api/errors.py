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


def _flat(errors, prefix: str = "") -> dict[str, list[str]]:
    """Errors of nested bodies as one level, as the schema documents them: ``{"quantities[0].key": ["…"]}``."""
    flat: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for name, value in errors.items():
            flat.update(_flat(value, f"{prefix}.{name}" if prefix else str(name)))
    elif isinstance(errors, list) and all(isinstance(e, str) for e in errors):
        if errors:
            flat[prefix or "non_field_errors"] = [str(e) for e in errors]
    elif isinstance(errors, list):
        for index, value in enumerate(errors):
            flat.update(_flat(value, f"{prefix}[{index}]"))
    else:
        flat[prefix or "non_field_errors"] = [str(errors)]
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
        response.data = {"detail": _("Die Eingaben sind ungültig."), "errors": {"non_field_errors": data}}
    return response


@csrf_exempt  # a POST to an unknown path is a JSON 404 too, not the HTML page of a CSRF refusal
def not_found(request, *args, **kwargs):
    """Unknown paths under /api/v1/ answer JSON, not the HTML page of the portal."""
    return JsonResponse({"detail": _("Diese Adresse gibt es in der API nicht."), "errors": {}}, status=404)
