"""Login lockout (django-axes): the answer to a locked-out login, in German, as HTML or as JSON for the API."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils.html import escape
from django.utils.translation import gettext as _


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    message = _("Zu viele fehlgeschlagene Anmeldeversuche. Die Anmeldung ist für %(minutes)d Minuten gesperrt.") % {
        "minutes": minutes
    }
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=429)
    page = (
        '<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><title>'
        + escape(_("Anmeldung gesperrt"))
        + "</title></head><body><h1>"
        + escape(_("Anmeldung gesperrt"))
        + "</h1><p>"
        + escape(message)
        + "</p></body></html>"
    )
    return HttpResponse(page, status=429, content_type="text/html; charset=utf-8")
