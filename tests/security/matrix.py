"""The permission matrix's mechanism: every URL pattern of the product, the demo roles, and real object ids.

Routes are discovered from the URL configuration; each path parameter is filled from a registry of object kinds
(case, task, document, procedure, bidder question, application and its document, cost centre, time entry, statement,
screening round, webhook, county). A route with a parameter the registry does not know is reported, so a new page
cannot slip past the matrix unnoticed.
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
    ("api/v1/procedures/", "pk", "procedure"),
    ("api/v1/procedures/", "step", "procedure_step"),
    ("api/v1/procedures/", "question_pk", "question"),
    ("funding/applications/", "document_pk", "application_document"),
    ("funding/applications/", "pk", "application"),
    ("api/v1/funding/applications/", "document_pk", "application_document"),
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
    ("screening/rounds/", "fmt", "export_format"),
    ("screening/rounds/", "code", "bundle"),
    ("screening/", "county", "county"),
    ("api/v1/webhooks/", "id", "webhook"),
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
