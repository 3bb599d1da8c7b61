"""The viewflow Site: the application shell at /."""

from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Application, Site

from portal.views import StartPageView


class PortalApp(Application):
    title = _("Übersicht")
    icon = "dashboard"
    app_name = "portal"

    start_path = path("", StartPageView.as_view(), name="index")


site = Site(title=_("IKZ-Engine"), viewsets=[PortalApp()])
