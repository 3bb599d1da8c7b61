"""REST endpoints of the costs domain, mounted under /api/v1/costs/ (see api/urls.py)."""

urlpatterns: list = []
