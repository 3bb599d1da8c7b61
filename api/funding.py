"""REST endpoints of the funding domain, mounted under /api/v1/funding/ (see api/urls.py)."""

urlpatterns: list = []
