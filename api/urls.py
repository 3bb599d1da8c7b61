"""/api/v1/: each domain keeps its endpoints in its own module, included here."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from api import views

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("me/", views.MeView.as_view(), name="api-me"),
    path("municipalities/", views.MunicipalityListView.as_view(), name="api-municipalities"),
    path("screening/", include("api.screening")),
    path("procedures/", include("api.procurement")),
    path("funding/", include("api.funding")),
    path("costs/", include("api.costs")),
]
