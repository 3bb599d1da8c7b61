"""The viewflow Site: the application shell at /."""

from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Application, Site

from portal import views_cases, views_flows, views_inbox, views_notifications, views_profile, views_start
from portal.sections import costs, funding, procurement, screening
from portal.views import StartPageView


class PortalApp(Application):
    title = _("Übersicht")
    icon = "dashboard"
    app_name = "portal"
    menu_template_name = "portal/menu.html"

    start_path = path("", StartPageView.as_view(), name="index")
    inbox_path = path("aufgaben/", views_inbox.InboxView.as_view(), name="inbox")
    task_path = path("aufgaben/<int:task_pk>/", views_inbox.TaskPageView.as_view(), name="task")
    cases_path = path("vorgaenge/", views_cases.CaseListView.as_view(), name="cases")
    case_new_path = path("vorgaenge/neu/", views_cases.CaseCreateView.as_view(), name="case_new")
    case_path = path("vorgaenge/<int:pk>/", views_cases.CaseDetailView.as_view(), name="case")
    case_comment_path = path(
        "vorgaenge/<int:pk>/kommentare/", views_cases.CaseCommentView.as_view(), name="case_comment"
    )
    case_document_path = path(
        "vorgaenge/<int:pk>/dokumente/", views_cases.CaseDocumentUploadView.as_view(), name="case_document_upload"
    )
    case_document_download_path = path(
        "vorgaenge/<int:pk>/dokumente/<int:document_pk>/",
        views_cases.CaseDocumentDownloadView.as_view(),
        name="case_document",
    )
    case_pdf_path = path(
        "vorgaenge/<int:pk>/projektauftrag.pdf", views_cases.ProjectOrderPdfView.as_view(), name="case_order_pdf"
    )
    flows_path = path("ablaeufe/", views_flows.FlowListView.as_view(), name="flows")
    flow_path = path("ablaeufe/<str:name>/", views_flows.FlowDetailView.as_view(), name="flow")
    flow_bpmn_path = path("ablaeufe/<str:name>/bpmn/", views_flows.FlowBpmnView.as_view(), name="flow_bpmn")
    join_request_path = path(
        "leistungen/<int:centre_pk>/<int:municipality_pk>/beitreten/",
        views_start.JoinRequestView.as_view(),
        name="join_request",
    )
    notifications_path = path(
        "benachrichtigungen/", views_notifications.NotificationListView.as_view(), name="notifications"
    )
    notification_settings_path = path(
        "benachrichtigungen/einstellungen/",
        views_notifications.NotificationSettingsView.as_view(),
        name="notification_settings",
    )
    profile_path = path("profil/", views_profile.ProfileView.as_view(), name="profile")
    absence_path = path("profil/abwesenheit/<int:pk>/", views_profile.AbsenceView.as_view(), name="absence")


def _apps() -> list[Application]:
    sections = [screening.app, procurement.app, funding.app, costs.app]
    return [PortalApp(), *[app for app in sections if app is not None]]


site = Site(title=_("IKZ-Engine"), viewsets=_apps())
