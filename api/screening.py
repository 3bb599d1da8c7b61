"""REST endpoints of the screening, mounted under /api/v1/screening/ (see api/urls.py)."""

urlpatterns: list = []
