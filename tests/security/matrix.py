"""The permission matrix's mechanism: every URL pattern of the product, the demo roles, and real object ids.

Routes are discovered from the URL configuration; each path parameter is filled from a registry of object kinds
(case, task, document, procedure, bidder question, application with its document, drawdown and repayment, cost
centre, time entry, statement, screening round, webhook, county). A route with a parameter the registry does not
know is reported, so a new page cannot slip past the matrix unnoticed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

# routes that are not pages of the product (or need secrets in the path)
EXCLUDED_PREFIXES = ("admin/", "static/", "media/", "i18n/", "accounts/", "api/v1/^")
# answer without login: health, token login, and the API description (schema and its documentation page)
PUBLIC = {"healthz", "api/v1/auth/token/", "api/v1/schema/", "api/v1/docs/"}


@dataclass(frozen=True)
class Route:
    path: str  # e.g. "portal/vorgaenge/<int:pk>/"
    name: str

    @property
    def is_api(self) -> bool:
        return self.path.startswith("api/")

    @property
    def params(self) -> list[str]:
        return re.findall(r"<(?:\w+:)?(\w+)>", self.path)


def discover_routes() -> list[Route]:
    routes: list[Route] = []

    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                path = prefix + str(p.pattern)
                if not path.startswith(EXCLUDED_PREFIXES):
                    routes.append(Route(path, p.name or ""))

    walk(get_resolver().url_patterns)
    unique = {r.path: r for r in routes}
    return sorted(unique.values(), key=lambda r: r.path)


# which object kind a route's parameters stand for: (path prefix, parameter) → kind
KINDS: list[tuple[str, str, str]] = [
    ("portal/aufgaben/", "task_pk", "task"),
    ("api/v1/tasks/", "id", "task"),
    ("portal/vorgaenge/", "document_pk", "document"),
    ("portal/vorgaenge/", "pk", "case"),
    ("api/v1/cases/", "document_id", "document"),
    ("api/v1/cases/", "id", "case"),
    # the record PDF exists only for a documented procedure, a step only where its task is open
    ("procurement/<int:pk>/vergabevermerk.pdf", "pk", "procedure_documented"),
    ("procurement/<int:pk>/lose/", "number", "lot_number"),
    ("procurement/", "pk", "procedure"),
    ("api/v1/procedures/<int:pk>/steps/", "pk", "procedure_in_step"),
    ("api/v1/procedures/<int:pk>/record.pdf", "pk", "procedure_documented"),
    ("api/v1/procedures/<int:pk>/open", "pk", "procedure_in_step"),  # openers and candidates: before publication
    ("api/v1/procedures/", "pk", "procedure"),
    ("api/v1/procedures/", "question_pk", "question"),
    ("api/v1/procedures/", "lot_pk", "lot"),
    ("funding/applications/", "document_pk", "application_document"),
    ("funding/applications/", "pk", "application"),
    ("api/v1/funding/applications/", "document_pk", "application_document"),
    ("api/v1/funding/applications/", "drawdown_pk", "drawdown"),
    ("api/v1/funding/applications/", "repayment_pk", "repayment"),
    ("api/v1/funding/applications/", "pk", "application"),
    ("api/v1/funding/programmes/", "pk", "programme"),
    ("costs/centres/", "pk", "cost_centre"),
    ("api/v1/costs/time-entries/", "pk", "time_entry"),
    ("portal/leistungen/", "centre_pk", "cost_centre"),
    ("portal/leistungen/", "municipality_pk", "municipality"),
    ("costs/", "year", "year"),
    ("costs/statements/", "municipality", "municipality"),
    ("screening/rounds/", "pk", "round"),
    ("api/v1/screening/rounds/", "pk", "round"),
    ("api/v1/screening/rounds/", "code", "bundle"),
    ("screening/rounds/", "fmt", "export_format"),
    ("screening/rounds/", "code", "bundle"),
    ("screening/", "county", "county"),
    ("api/v1/webhooks/", "id", "webhook"),
    ("api/v1/webhooks/", "delivery_id", "webhook_delivery"),
    ("api/v1/municipalities/", "id", "municipality"),
    # the flows as BPMN 2.0 (reference data of the product, the same for every logged-in user)
    # the profile: a person's own membership (absence and substitute)
    ("portal/profil/abwesenheit/", "pk", "membership"),
    ("portal/ablaeufe/", "name", "flow"),
    ("api/v1/flows/", "name", "flow"),
]


def kind_of(route: Route, param: str) -> str | None:
    for prefix, name, kind in KINDS:
        if route.path.startswith(prefix) and name == param:
            return kind
    return None


def main_kind(route: Route) -> str:
    """The object kind the route is about (its most specific parameter), or "list" without parameters."""
    kinds = [kind_of(route, p) for p in route.params]
    for preferred in (
        "document",
        "task",
        "question",
        "webhook",
        "application_document",
        "application",
        "procedure",
        "procedure_documented",
        "procedure_in_step",
        "case",
        "cost_centre",
        "round",
        "programme",
        "municipality",
        "county",
    ):
        if preferred in kinds:
            return preferred
    return "list" if not route.params else (kinds[0] or "unknown")


def concrete(route: Route, values: dict[str, str]) -> str | None:
    path = route.path
    for param in route.params:
        kind = kind_of(route, param)
        if kind is None or kind not in values:
            return None
        path = re.sub(r"<(?:\w+:)?" + param + ">", str(values[kind]), path)
    return "/" + path


# --- the Django admin ---------------------------------------------------------------------------------------------
# Every model registered in the admin, by what the admin may do with it (docs/architecture.md, "The Django admin"):
# "read-only": a record with legal or money weight, shown but never added, changed or deleted in the admin;
# "service": added and deleted only through its service (checks, side effects, audit entry), never edited in place;
# "audited": money bookings of the controlling, saved by the admin with an audit entry ("costs.admin_saved");
# anything else is reference or master data edited in the admin, with the reason. A newly registered model fails
# tests/security/test_admin_matrix.py until it is classified here.
ADMIN_MODELS: dict[str, str] = {
    "funding.application": "read-only",
    "funding.applicationdocument": "read-only",
    "funding.applicationpartner": "read-only",
    "funding.attribution": "read-only",
    "funding.deadline": "read-only",
    "funding.deadlinenotice": "read-only",
    "funding.decision": "read-only",
    "funding.drawdown": "read-only",
    "funding.noticekey": "read-only",
    "funding.proofofuse": "read-only",
    "funding.repayment": "read-only",
    "procurement.awardcriterion": "read-only",
    "procurement.bidderquestion": "read-only",
    "procurement.lot": "read-only",
    "procurement.offer": "read-only",
    "procurement.offerscore": "read-only",
    "procurement.procedure": "read-only",
    "procurement.steptime": "read-only",
    "projects.auditentry": "read-only",
    "costs.settlement": "read-only",
    "viewflow.process": "read-only",
    "viewflow.task": "read-only",
    "auth.group": "read-only",
    "projects.membership": "service",
    "costs.actualcost": "audited",
    "costs.fundingcredit": "audited",
    "costs.prepayment": "audited",
    "costs.timeentry": "audited",
    "costs.agreement": "audited",
    "costs.costcentre": "audited",
    "costs.economiccheck": "read-only",
    "costs.paygrouprate": "audited",
    "costs.personnelcost": "audited",
    "costs.quantity": "audited",
    "costs.yearplan": "audited",
    "costs.joinrequest": "data: a request to join a centre, no legal effect until the controller admits the member",
    "funding.programme": "reference data: dated programme rules",
    "funding.programmerule": "reference data: dated programme rules",
    "funding.amounttier": "reference data: dated programme rules",
    "procurement.valuelimit": "reference data: dated legal value limits",
    "procurement.euthreshold": "reference data: dated EU thresholds",
    "procurement.legalperiod": "reference data: dated legal periods",
    "procurement.proceduretypehours": "reference data: dated hours per procedure type",
    "procurement.planningtalk": "planning data without legal effect (no page yet)",
    "procurement.planningitem": "planning data without legal effect (no page yet)",
    "projects.county": "master data of the organisation",
    "projects.institution": "master data of the organisation",
    "projects.municipality": "master data of the organisation (no per-object permission pages)",
    "projects.cooperationarea": "screening catalogue (reference data)",
    "projects.taskbundle": "screening catalogue (reference data)",
    "projects.taskarea": "screening catalogue (reference data)",
    "projects.ikzidea": "screening catalogue (reference data)",
    "projects.inventorytopic": "screening catalogue (reference data)",
    "projects.inventoryentry": "screening inventory, kept by the clerks' page as well",
    "projects.interestdeclaration": "screening declarations, without legal effect",
    "projects.portfolioitem": "screening portfolio, without legal effect",
    "projects.screeninground": "screening round set-up (no page yet)",
    "projects.steeringgroupmember": "screening steering group",
    "auth.user": "accounts; groups and permissions read-only (they follow from memberships)",
    "authtoken.tokenproxy": "API tokens (revoking one is always safe)",
    "axes.accessattempt": "login lockout records",
    "axes.accessfailurelog": "login lockout records",
    "axes.accesslog": "login lockout records",
    "django_celery_beat.clockedschedule": "operations: background schedules",
    "django_celery_beat.crontabschedule": "operations: background schedules",
    "django_celery_beat.intervalschedule": "operations: background schedules",
    "django_celery_beat.periodictask": "operations: background schedules",
    "django_celery_beat.solarschedule": "operations: background schedules",
}
LEGAL_WEIGHT_RULES = ("read-only", "service", "audited")

# the admin routes of records with legal or money weight: the object of a change/delete route is that model's row
KINDS += [
    (f"admin/{label.replace('.', '/')}/", "object_id", f"admin:{label}")
    for label, rule in ADMIN_MODELS.items()
    if rule in LEGAL_WEIGHT_RULES
]
ADMIN_ROUTE_SUFFIXES = ("", "add/", "<path:object_id>/change/", "<path:object_id>/delete/")


def discover_admin_routes() -> dict[str, list[Route]]:
    """The changelist, add, change and delete routes of every admin model with legal or money weight, as the URL
    configuration has them."""
    from django.contrib import admin

    paths: list[str] = []

    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                paths.append(prefix + str(p.pattern))

    walk(get_resolver().url_patterns)
    found: dict[str, list[Route]] = {}
    for model in admin.site._registry:
        label = model._meta.label_lower
        if ADMIN_MODELS.get(label) not in LEGAL_WEIGHT_RULES:
            continue
        base = f"admin/{model._meta.app_label}/{model._meta.model_name}/"
        found[label] = [Route(p, "") for p in paths if p.startswith(base) and p[len(base) :] in ADMIN_ROUTE_SUFFIXES]
    return found
