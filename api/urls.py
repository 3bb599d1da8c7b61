"""/api/v1/: each domain keeps its endpoints in its own module, included here."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from api import auth, case_documents, cases, flows, tasks, views
from api.authentication import ApiDocsAccess
from api.errors import not_found
from api.webhooks import views as webhooks

# Path ids are matched as text and resolved by the access functions, so that "/tasks/abc/" answers a JSON 404
# like any id the user may not see.
urlpatterns = [
    path(
        "schema/",
        SpectacularAPIView.as_view(permission_classes=[ApiDocsAccess]),
        name="api-schema",
    ),
    # Swagger UI from the installed sidecar package, its start script as a file (no inline script: strict CSP)
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", permission_classes=[ApiDocsAccess]),
        name="api-docs",
    ),
    path("auth/token/", auth.TokenView.as_view(), name="api-token"),
    path("auth/token/rotate/", auth.TokenRotateView.as_view(), name="api-token-rotate"),
    path("auth/token/revoke/", auth.TokenRevokeView.as_view(), name="api-token-revoke"),
    path("me/", views.MeView.as_view(), name="api-me"),
    path("municipalities/", views.MunicipalityListView.as_view(), name="api-municipalities"),
    path("municipalities/<str:id>/people/", views.MunicipalityPeopleView.as_view(), name="api-municipality-people"),
    path("tasks/", tasks.TaskListView.as_view(), name="api-tasks"),
    path("tasks/<str:id>/", tasks.TaskDetailView.as_view(), name="api-task"),
    path("tasks/<str:id>/assign/", tasks.TaskAssignView.as_view(), name="api-task-assign"),
    path("tasks/<str:id>/unassign/", tasks.TaskUnassignView.as_view(), name="api-task-unassign"),
    path("tasks/<str:id>/complete/", tasks.TaskCompleteView.as_view(), name="api-task-complete"),
    path("cases/", cases.CaseListView.as_view(), name="api-cases"),
    path("cases/<str:id>/", cases.CaseDetailView.as_view(), name="api-case"),
    path("cases/<str:id>/history/", cases.CaseHistoryView.as_view(), name="api-case-history"),
    path("cases/<str:id>/flow/", flows.CaseFlowStateView.as_view(), name="api-case-flow"),
    path("cases/<str:id>/documents/", case_documents.CaseDocumentListView.as_view(), name="api-case-documents"),
    path(
        "cases/<str:id>/documents/<str:document_id>/file/",
        case_documents.CaseDocumentFileView.as_view(),
        name="api-case-document-file",
    ),
    path("flows/<str:name>/bpmn", flows.FlowBpmnView.as_view(), name="api-flow-bpmn"),
    path("webhooks/", webhooks.WebhookListView.as_view(), name="api-webhooks"),
    path("webhooks/<str:id>/", webhooks.WebhookDetailView.as_view(), name="api-webhook"),
    path("webhooks/<str:id>/deliveries/", webhooks.WebhookDeliveryListView.as_view(), name="api-webhook-deliveries"),
    path("webhooks/<str:id>/ping/", webhooks.WebhookPingView.as_view(), name="api-webhook-ping"),
    path(
        "webhooks/<str:id>/deliveries/<str:delivery_id>/redeliver/",
        webhooks.WebhookRedeliverView.as_view(),
        name="api-webhook-redeliver",
    ),
    path("screening/", include("api.screening")),
    path("procedures/", include("api.procurement")),
    path("funding/", include("api.funding")),
    path("costs/", include("api.costs")),
    re_path(r"^[\s\S]*$", not_found),
]
