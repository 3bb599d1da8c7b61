"""The portal's error pages (the Content-Security-Policy header comes from django-csp, config/settings.py)."""

from __future__ import annotations


class ErrorPageMiddleware:
    """A missing object or a refused page answers with the portal's German error page inside the layout.

    Without it, ``DEBUG=True`` (``make run``) shows Django's English debug page for every ``Http404`` raised in a
    view, e.g. after following an outdated link. The API keeps its JSON error answers.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.core.exceptions import PermissionDenied
        from django.http import Http404

        if request.path.startswith("/api/"):
            return None
        if isinstance(exception, Http404):
            return error_page(request, status=404)
        if isinstance(exception, PermissionDenied):
            return error_page(request, status=403)
        return None


def error_page(request, *, status: int, exception=None):
    from django.template.response import TemplateResponse

    response = TemplateResponse(request, f"{status}.html", status=status)
    return response.render()


def page_not_found(request, exception=None):
    return error_page(request, status=404)


def permission_denied(request, exception=None):
    return error_page(request, status=403)
