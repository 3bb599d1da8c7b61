"""The layers run one way: each top-level package may import only the packages listed for it below.

A new edge between packages fails this test until it is added here on purpose (with a reason). Imports inside
functions count as well: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)

# package -> the product packages it may import (besides itself)
ALLOWED: dict[str, set[str]] = {
    # domain apps: projects is the base; costs books what the others cause; procurement and funding post to costs
    "projects": set(),
    "costs": {"projects"},
    "procurement": {"projects", "costs"},
    "funding": {"projects", "costs"},
    # flows orchestrate the domain apps
    "workflows": {"projects", "procurement", "funding", "costs"},
    # the two surfaces call domain services, selectors and the task engine, never each other
    "portal": {"projects", "procurement", "funding", "costs", "workflows"},
    "api": {"projects", "procurement", "funding", "costs", "workflows"},
}
PACKAGES = set(ALLOWED) | {"config"}


def imported_packages(path: Path) -> set[str]:
    """Top-level product packages imported by a module (absolute imports, anywhere in the file)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names & PACKAGES


def layer_violations(root: Path, allowed: dict[str, set[str]]) -> list[str]:
    offenders = []
    for package, may_import in allowed.items():
        for path in sorted((root / package).rglob("*.py")):
            for name in sorted(imported_packages(path) - may_import - {package}):
                offenders.append(f"{path.relative_to(root)} imports {name}")
    return offenders


def test_each_package_imports_only_the_layers_allowed_for_it():
    assert layer_violations(ROOT, ALLOWED) == []


def test_a_planted_import_against_the_layers_is_reported(tmp_path):
    for package in ALLOWED:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "funding" / "services.py").write_text("def f():\n    from workflows.funding import FundingFlow\n")
    (tmp_path / "workflows" / "views.py").write_text("import portal.views\n")
    (tmp_path / "procurement" / "rules.py").write_text("from funding.models import Application\n")
    (tmp_path / "costs" / "ok.py").write_text("from projects.models import Municipality\nfrom . import ok\n")

    assert layer_violations(tmp_path, ALLOWED) == [
        "procurement/rules.py imports funding",
        "funding/services.py imports workflows",
        "workflows/views.py imports portal",
    ]


DOMAIN_APPS = ("projects", "procurement", "funding", "costs")


def template_violations(root: Path, apps: tuple[str, ...] = DOMAIN_APPS) -> list[str]:
    """Templates a domain app renders (render_to_string / get_template with a literal name) that are not in the app's
    own templates folder: a domain app must not depend on the portal's templates (a layer edge by file name)."""
    offenders = []
    for app in apps:
        for path in sorted((root / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)):
                    continue
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name in ("render_to_string", "get_template") and isinstance(node.args[0].value, str):
                    template = node.args[0].value
                    if not (root / app / "templates" / template).is_file():
                        offenders.append(f"{path.relative_to(root)} renders {template} from outside {app}/templates")
    return offenders


def test_domain_apps_render_only_their_own_templates():
    assert template_violations(ROOT) == []


def test_a_domain_app_rendering_a_portal_template_is_reported(tmp_path):
    for app in DOMAIN_APPS:
        (tmp_path / app / "templates" / app).mkdir(parents=True)
    (tmp_path / "costs" / "templates" / "costs" / "own.html").write_text("ok")
    (tmp_path / "costs" / "exports.py").write_text(
        "from django.template.loader import render_to_string\n"
        "def a():\n    return render_to_string('costs/own.html', {})\n"
        "def b():\n    return render_to_string('costs/statement.html', {})\n"
    )
    assert template_violations(tmp_path) == [
        "costs/exports.py renders costs/statement.html from outside costs/templates"
    ]
