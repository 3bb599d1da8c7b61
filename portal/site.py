"""The viewflow Site: the application shell at /."""

from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Application, Site

from portal.sections import costs, funding, procurement, screening
from portal.views import StartPageView


class PortalApp(Application):
    title = _("Übersicht")
    icon = "dashboard"
    app_name = "portal"

    start_path = path("", StartPageView.as_view(), name="index")


def _apps() -> list[Application]:
    sections = [screening.app, procurement.app, funding.app, costs.app]
    return [PortalApp(), *[app for app in sections if app is not None]]


site = Site(title=_("IKZ-Engine"), viewsets=_apps())
