"""The permission matrix of the Django admin (issue 19, admin finding; rule in docs/architecture.md, "The Django
admin"): for every admin model with legal or money weight (tests/security/matrix.py, ADMIN_MODELS), its list, add,
change and delete pages × five kinds of user, GET and POST, each POST in a savepoint.

Columns (ADMIN_ROLES): anonymous, a product user without admin access (pm.mkk), a staff account without permissions,
a staff account holding every model permission of the admin, a superuser. Cells: the status code, "+" when rows of
the model changed, "a" when an audit entry was written. Rules for every cell: no 5xx; no change without an audit
entry; no change at all by anyone but the last two columns; read-only models never change.
"""

from __future__ import annotations

import json

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client, RequestFactory

from tests.security.matrix import ADMIN_MODELS, LEGAL_WEIGHT_RULES, concrete, discover_admin_routes

pytestmark = pytest.mark.django_db

ADMIN_ROLES = ["anonym", "pm.mkk", "staff", "staff-berechtigt", "superuser"]

# pinned answers per rule, cell → one answer per role in ADMIN_ROLES order (302 = to the admin login)
READ_ONLY = {
    "GET list": "302 302 403 200 200",
    "GET add": "302 302 403 403 403",
    "GET change": "302 302 403 200 200",  # shown, without a save button
    "GET delete": "302 302 403 403 403",
    "POST add": "302 302 403 403 403",
    "POST change": "302 302 403 403 403",
    "POST delete": "302 302 403 403 403",
}
# a membership: granted (add) and revoked (delete) through the role services, with their audit entry; never edited
SERVICE = {
    "GET list": "302 302 403 200 200",
    "GET add": "302 302 403 200 200",
    "GET change": "302 302 403 200 200",
    "GET delete": "302 302 403 200 200",
    "POST add": "302 302 403 200 200",  # the matrix's empty form: refused with the form's messages
    "POST change": "302 302 403 403 403",
    "POST delete": "302 302 403 302+a 302+a",
}
# the controlling's bookings: saved and deleted with an audit entry (costs.admin_saved / costs.admin_deleted)
AUDITED = {
    "GET list": "302 302 403 200 200",
    "GET add": "302 302 403 200 200",
    "GET change": "302 302 403 200 200",
    "GET delete": "302 302 403 200 200",
    "POST add": "302 302 403 200 200",
    "POST change": "302 302 403 302a 302a",  # saved unchanged: still an audit entry
    "POST delete": "302 302 403 302+a 302+a",
}
EXPECTED_ADMIN: dict[str, dict[str, str]] = {
    label: {"read-only": READ_ONLY, "service": SERVICE, "audited": AUDITED}[rule]
    for label, rule in ADMIN_MODELS.items()
    if rule in LEGAL_WEIGHT_RULES
}
# a booking of a settled (locked) year: shown, neither changed nor deleted (corrections are new rows)
LOCKED = {
    **AUDITED,
    "GET delete": "302 302 403 403 403",
    "POST change": "302 302 403 403 403",
    "POST delete": "302 302 403 403 403",
}
# where a model's pages answer otherwise than its rule's pattern, with the reason
EXPECTED_ADMIN.update(
    {
        # the first row of these is in the year the ``records`` fixture settles
        "costs.actualcost": LOCKED,
        "costs.fundingcredit": LOCKED,
        "costs.prepayment": LOCKED,
        "costs.quantity": LOCKED,
        "costs.yearplan": LOCKED,
        # an agreement is versioned: a new version is added, never changed; rows that rest on it keep it (the
        # delete page names them and deletes nothing)
        "costs.agreement": {**AUDITED, "POST change": "302 302 403 403 403", "POST delete": "302 302 403 200 200"},
        # the matrix's change body lacks the forms of the centre's members and agreements: shown again, nothing
        # saved; its plans and bookings keep it (the delete page names them)
        "costs.costcentre": {**AUDITED, "POST change": "302 302 403 200 200", "POST delete": "302 302 403 200 200"},
    }
)


# admin models without a row in the demo world or the ``records`` fixture: only their list and add pages are reached
# here (both use funding's one ReadOnlyAdminMixin, whose change page test_admin_read_only.py posts to)
WITHOUT_DEMO_ROW = {"costs.economiccheck", "funding.deadlinenotice", "funding.repayment"}


def test_every_model_in_the_admin_is_classified():
    registered = {model._meta.label_lower for model in admin.site._registry}
    assert sorted(registered - set(ADMIN_MODELS)) == [], "classify these admin models in ADMIN_MODELS"
    assert sorted(set(ADMIN_MODELS) - registered) == [], "no longer in the admin: remove from ADMIN_MODELS"


@pytest.fixture
def accounts(users):
    User = get_user_model()
    staff = User.objects.create_user("staff.ohne", password="x", is_staff=True)
    allowed = User.objects.create_user("staff.alle", password="x", is_staff=True)
    models = list(admin.site._registry)
    allowed.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label__in={m._meta.app_label for m in models},
            codename__regex=r"^(add|change|delete|view)_",
        )
    )
    superuser = User.objects.create_superuser("admin.matrix", "admin@example.org", "x")
    return {
        "anonym": None,
        "pm.mkk": users["pm.mkk"],
        "staff": staff,
        "staff-berechtigt": allowed,
        "superuser": superuser,
    }


@pytest.fixture
def records(users, settings, tmp_path):
    """Rows the demo world does not hold: a procedure up to its award proposal (lots, criteria, offers, scores, a
    bidder question) by the real roles, and the controlling's bookings and settlement of a cost centre's year."""
    import datetime as dt
    from decimal import Decimal

    from costs import services as costs
    from costs.models import YearPlan
    from procurement.services import procedure as svc
    from projects.models import Municipality
    from tests.procurement.conftest import at
    from tests.procurement.steps import offers_to_proposal, prepare_and_publish

    settings.MEDIA_ROOT = tmp_path
    clerk = users["sb.ronneburg"]
    procedure = svc.procedure_request(
        municipality=Municipality.objects.get(slug="ronneburg"),
        by=clerk,
        subject="Streusalz",
        kind="supplies",
        estimated_value=Decimal("80000"),
        now=at("2026-03-02"),
    )
    procedure, deadline = prepare_and_publish(procedure, users, clerk=clerk, days=14)
    svc.question_record(procedure=procedure, by=users["vergabe.mkk"], question="Lieferung lose?", now=at("2026-03-05"))
    offers_to_proposal(procedure, users, evaluators={"ronneburg": clerk}, deadline=deadline)

    controller = users["controlling.mkk"]
    plan = YearPlan.objects.filter(centre__dkz__slug="dkz-mkk").order_by("centre_id", "-year").first()
    centre, year = plan.centre, plan.year
    member = centre.members.order_by("name").first()
    costs.time_entry_book(
        centre=centre, municipality=member, hours=2, activity="Matrix", booked_by=controller, on=dt.date(year, 6, 1)
    )
    costs.actual_cost_book(centre=centre, year=year, amount=Decimal("1000"), description="Matrix", by=controller)
    costs.prepayment_record(
        centre=centre,
        year=year,
        municipality=member,
        amount=Decimal("100"),
        received_on=dt.date(year, 3, 1),
        by=controller,
    )
    costs.funding_credit_record(
        centre=centre,
        year=year,
        municipality=member,
        amount=Decimal("50"),
        source_type="matrix",
        source_id="1",
        by=controller,
    )
    costs.year_settle(centre=centre, year=year, by=controller, today=dt.date(year + 1, 2, 1))


def _objects() -> dict[str, object]:
    found = {}
    for model in admin.site._registry:
        label = model._meta.label_lower
        if ADMIN_MODELS.get(label) in LEGAL_WEIGHT_RULES:
            found[label] = model._default_manager.order_by("pk").first()
    return found


def _change_body(model, obj, superuser) -> dict:
    """The change form as the admin fills it for ``obj`` (a save without changes)."""
    request = RequestFactory().get("/")
    request.user = superuser
    model_admin = admin.site._registry[model]
    form = model_admin.get_form(request, obj, change=True)(instance=obj)
    body = {}
    for name in form.fields:
        value = form[name].value()
        if value is not None:
            body[name] = value
    return body


def _observe(accounts) -> dict[tuple[str, str, str], str]:
    from django.db import transaction

    from projects.models import AuditEntry

    objects = _objects()
    missing = sorted(label for label, obj in objects.items() if obj is None)
    assert missing == sorted(WITHOUT_DEMO_ROW), "pin the admin models without a row in the demo world"
    clients = {}
    for role, account in accounts.items():
        clients[role] = Client(raise_request_exception=False)
        if account is not None:
            clients[role].force_login(account)
    models = {m._meta.label_lower: m for m in admin.site._registry}
    cells = {}
    for label, routes in sorted(discover_admin_routes().items()):
        model, obj = models[label], objects[label]
        for route in routes:
            if (url := concrete(route, {f"admin:{label}": getattr(obj, "pk", None)})) is None or "None" in url:
                continue  # no row in the demo world: its list and add pages only
            page = {"": "list", "add/": "add"}.get(route.path.split(f"/{model._meta.model_name}/", 1)[1])
            page = page or route.path.rstrip("/").rsplit("/", 1)[1]
            for role in ADMIN_ROLES:
                cells[(label, f"GET {page}", role)] = str(clients[role].get(url).status_code)
                if page == "list":
                    continue
                body = {"add": {}, "delete": {"post": "yes"}}.get(page) or _change_body(
                    model, obj, accounts["superuser"]
                )
                savepoint = transaction.savepoint()
                try:
                    rows, audits = list(model._default_manager.order_by("pk").values()), AuditEntry.objects.count()
                    code = clients[role].post(url, body).status_code
                    changed = list(model._default_manager.order_by("pk").values()) != rows
                    audited = AuditEntry.objects.count() != audits
                finally:
                    transaction.savepoint_rollback(savepoint)
                cells[(label, f"POST {page}", role)] = f"{code}{'+' if changed else ''}{'a' if audited else ''}"
    return cells


def test_admin_pages_of_legal_weight_records_change_nothing_without_their_service_and_audit_entry(accounts, records):
    cells = _observe(accounts)
    violations = []
    for (label, action, role), cell in sorted(cells.items()):
        code = int(cell.rstrip("+a"))
        if code >= 500:
            violations.append((label, action, role, cell, "server error"))
        if "+" in cell and "a" not in cell:
            violations.append((label, action, role, cell, "changed without an audit entry"))
        if ("+" in cell or "a" in cell) and role not in ("staff-berechtigt", "superuser"):
            violations.append((label, action, role, cell, "changed by a user without admin rights"))
        if "+" in cell and ADMIN_MODELS[label] == "read-only":
            violations.append((label, action, role, cell, "a read-only record changed"))
    assert violations == [], "\n".join(map(str, violations))
    observed: dict[str, dict[str, str]] = {}
    for (label, action, role), cell in cells.items():
        observed.setdefault(label, {}).setdefault(action, {})[role] = cell  # type: ignore[index]
    table = {
        label: {action: " ".join(answers[r] for r in ADMIN_ROLES) for action, answers in actions.items()}
        for label, actions in observed.items()
    }
    differences = {
        label: {
            a: {"expected": EXPECTED_ADMIN[label].get(a), "observed": v}
            for a, v in actions.items()
            if EXPECTED_ADMIN[label].get(a) != v
        }
        for label, actions in table.items()
    }
    differences = {label: d for label, d in differences.items() if d}
    assert differences == {}, json.dumps(differences, indent=1)
