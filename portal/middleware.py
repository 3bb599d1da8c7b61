"""Content-Security-Policy header for every response."""

from __future__ import annotations

from django.conf import settings

DEFAULT_CSP = (
    "default-src 'self'; img-src 'self' data:; font-src 'self' data:; "
    # viewflow's Material frontend ships inline bootstrap snippets; see docs/adr/0003.
    "style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


# Swagger UI (from drf-spectacular-sidecar, served by the product): no inline script, no other origin
DOCS_CSP = (
    "default-src 'self'; img-src 'self' data:; font-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = getattr(settings, "CONTENT_SECURITY_POLICY", DEFAULT_CSP)

    def __call__(self, request):
        response = self.get_response(request)
        policy = DOCS_CSP if request.path.startswith("/api/v1/docs") else self.policy
        response.headers.setdefault("Content-Security-Policy", policy)
        return response
