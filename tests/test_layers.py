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
