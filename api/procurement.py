"""REST endpoints of the procurement domain, mounted under /api/v1/procedures/ (see api/urls.py)."""

urlpatterns: list = []
