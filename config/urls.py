from django.contrib import admin
from django.urls import include, path
from viewflow.contrib.auth import AuthViewset

from portal.health import healthz
from portal.site import site

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", AuthViewset(with_profile_view=False, allow_password_change=True).urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("api.urls")),
    path("", site.urls),
]

handler403 = "portal.middleware.permission_denied"
handler404 = "portal.middleware.page_not_found"
