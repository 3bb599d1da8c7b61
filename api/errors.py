"""Every API error is JSON: {"detail": ..., "errors": {...}}."""

from __future__ import annotations

from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(data, dict) and "detail" in data and len(data) == 1:
        response.data = {"detail": data["detail"], "errors": {}}
    elif isinstance(data, dict):
        response.data = {"detail": "Die Eingaben sind ungültig.", "errors": data}
    else:
        response.data = {"detail": "Die Eingaben sind ungültig.", "errors": {"non_field_errors": data}}
    return response
