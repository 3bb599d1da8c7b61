"""Every feature has a surface: each public service of a domain app is called, directly or through other services,
by something a person or a system uses — a page or API view, a flow node, a Celery task, a management command or the
admin. Tests and the demo seeding do not count: a service only they call is not a feature yet.

Calls are followed by name (an AST scan): a service counts as called when a surface module names it, or when a
service that is called names it. ``INTERNAL`` lists public functions that are deliberately not reachable from a
surface, each with its reason.
"""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
DOMAIN_APPS = ("projects", "procurement", "funding", "costs")
SURFACE_PACKAGES = ("portal", "api", "workflows", "config")
NOT_SURFACES = ("demo.py", "seed_demo.py")  # the demo world is built by services, but it is not a feature

# "app.module.function": why it has no surface (yet). "no surface yet" entries are debt: each one is a feature that
# only tests and the demo reach; the second test below makes sure an entry goes once its surface exists.
INTERNAL: dict[str, str] = {
    "procurement.selectors.planned_hours_by_municipality": "no surface yet: the Vergabezentrum's plan contribution",
    "procurement.selectors.planning_talk_for_user": "no surface yet: the planning talk has no page",
    "procurement.selectors.step_hours_by_municipality": "no surface yet: the Vergabezentrum's settlement basis",
    "procurement.services.planning.bundle_admissibility": "no surface yet: the planning talk has no page",
    "procurement.services.planning.joint_procedure_propose": "no surface yet: the planning talk has no page",
    "procurement.services.planning.planning_item_add": "no surface yet: the planning talk has no page",
    "procurement.services.planning.planning_item_remove": "no surface yet: the planning talk has no page",
    "procurement.services.planning.planning_talk_agree": "no surface yet: the planning talk has no page",
    "procurement.services.planning.planning_talk_open": "no surface yet: the planning talk has no page",
    "procurement.services.planning.planning_talk_revise": "no surface yet: the planning talk has no page",
    "procurement.services.planning.trade_lots_of": "no surface yet: the planning talk has no page",
    "procurement.services.record.procedure_record_delete": "no surface yet: records are not deleted after retention",
    "procurement.services.record.procedure_retained_until": "no surface yet: records are not deleted after retention",
    "procurement.services.rules.record_retained_until": "no surface yet: records are not deleted after retention",
    "procurement.services.rules.procedure_hours_default": "no surface yet: default hours of a procedure type",
    "projects.selectors.institution_list_for_user": "no surface yet: no page lists institutions",
    "projects.services.organisation.county_of_institution": "no surface yet: no page lists institutions",
    "projects.services.screening_analysis.bundle_task_areas": "no surface yet: a bundle's task areas are not listed",
    "projects.services.screening_steering.steering_demo_members": "demo data kept beside the steering services",
}


def _service_modules(root: Path) -> list[Path]:
    modules = []
    for app in DOMAIN_APPS:
        base = root / app
        candidates = [base / "services.py", base / "selectors.py", *sorted((base / "services").glob("*.py"))]
        modules += [p for p in candidates if p.exists() and p.name not in NOT_SURFACES and p.name != "__init__.py"]
    return modules


def _surface_modules(root: Path) -> list[Path]:
    found = []
    for package in SURFACE_PACKAGES:
        found += sorted((root / package).rglob("*.py"))
    for app in DOMAIN_APPS:
        base = root / app
        found += sorted(base.glob("management/commands/*.py"))
        found += [p for p in (base / "tasks.py", base / "admin.py", base / "views.py", base / "urls.py") if p.exists()]
    return [p for p in found if p.name not in NOT_SURFACES and "migrations" not in p.parts]


def _names(node: ast.AST) -> set[str]:
    names = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Name):
            names.add(child.id)
        elif isinstance(child, ast.Attribute):
            names.add(child.attr)
        elif isinstance(child, ast.alias):
            names.add(child.asname or child.name.split(".")[-1])
    return names


def unreached_services(root: Path, internal: dict[str, str]) -> list[str]:
    services: dict[str, list[tuple[str, set[str]]]] = {}  # name -> [(qualified name, names its body uses)]
    for path in _service_modules(root):
        module = ".".join(path.relative_to(root).with_suffix("").parts)
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):  # private helpers pass calls on, too
                services.setdefault(node.name, []).append((f"{module}.{node.name}", _names(node)))
    reached: set[str] = set()
    frontier: set[str] = set()
    for path in _surface_modules(root):
        frontier |= _names(ast.parse(path.read_text(encoding="utf-8")))
    # other domain modules (models, rules, calculations) call services too; what they call counts when they are used
    while frontier:
        name = frontier.pop()
        if name in reached or name not in services:
            continue
        reached.add(name)
        for _qualified, uses in services[name]:
            frontier |= uses - reached
    return sorted(
        qualified
        for name, defs in services.items()
        if name not in reached
        for qualified, _uses in defs
        if not name.startswith("_") and qualified not in internal
    )


def test_every_public_service_of_a_domain_app_is_reached_from_a_surface():
    assert unreached_services(ROOT, INTERNAL) == []


def test_the_internal_list_names_only_services_that_exist_and_are_still_unreached():
    everything = set(unreached_services(ROOT, {}))
    assert sorted(set(INTERNAL) - everything) == []


def test_a_planted_service_without_a_surface_is_reported(tmp_path):
    for package in (*DOMAIN_APPS, *SURFACE_PACKAGES):
        (tmp_path / package).mkdir()
    (tmp_path / "funding" / "services.py").write_text(
        "def application_submit(*, application):\n    return _check(application)\n\n"
        "def _check(application):\n    return application_log(application=application)\n\n"
        "def application_log(*, application):\n    return application\n\n"
        "def application_revoke(*, application):\n    return grant_reverse(grant=application)\n\n"
        "def grant_reverse(*, grant):\n    return grant\n"
    )
    (tmp_path / "portal" / "views.py").write_text(
        "from funding.services import application_submit\n\ndef view(request):\n    application_submit(application=1)\n"
    )
    (tmp_path / "funding" / "demo.py").write_text("from funding.services import application_revoke\n")

    assert unreached_services(tmp_path, {}) == [
        "funding.services.application_revoke",
        "funding.services.grant_reverse",
    ]
    assert (
        unreached_services(
            tmp_path, {"funding.services.application_revoke": "planned", "funding.services.grant_reverse": "x"}
        )
        == []
    )
