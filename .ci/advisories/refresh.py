"""Refresh the advisory snapshot from a checkout of an OSV advisory database.

    .venv/bin/python .ci/advisories/refresh.py PATH/TO/advisory-database [--source-url URL]

PATH is a git checkout (work tree) of one of:

- the PyPA advisory database, https://github.com/pypa/advisory-database (OSV YAML under `vulns/`), written to
  `.ci/advisories/pypa/<package>/<id>.yaml`;
- the GitHub Advisory Database, https://github.com/github/advisory-database (OSV JSON under
  `advisories/github-reviewed/`), written to `.ci/advisories/github/<package>/<id>.json`.

Only records with an `affected[]` entry for a package pinned in constraints.txt (ecosystem PyPI, PEP 503 names) are
copied, byte for byte. The source's previous files are replaced, and `SNAPSHOT.json` records the source repository,
its commit and commit date (the date of the data) and the pinned packages that source covers. Both databases can be
used side by side; refresh each one you have.

The repository address is taken from the checkout's `origin` remote unless given with --source-url (needed when the
checkout was cloned from a local mirror).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE.parent))
from audit_offline import normalise, read_pins  # noqa: E402  (.ci/audit_offline.py)

META = "SNAPSHOT.json"
LICENCE = "CC-BY-4.0"
LAYOUTS = {
    # key: (directory inside the checkout, file pattern, parser)
    "pypa": ("vulns", "*.yaml"),
    "github": ("advisories/github-reviewed", "*.json"),
}


def detect_layout(checkout: Path) -> str:
    for key, (directory, _) in LAYOUTS.items():
        if (checkout / directory).is_dir():
            return key
    raise SystemExit(f"{checkout}: neither vulns/ (PyPA) nor advisories/github-reviewed/ (GitHub) found")


def parse(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        return json.loads(text)
    import yaml

    return yaml.safe_load(text)


def git(checkout: Path, *args: str) -> str | None:
    """Output of a read-only git command in the checkout (None when it fails); git is looked up on PATH."""
    command = ["git", "-C", str(checkout), *args]
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603, S607 (no shell)
    return result.stdout.strip() if result.returncode == 0 else None


def refresh(checkout: Path, source_url: str | None, snapshot: Path, constraints: Path) -> dict[str, Any]:
    layout = detect_layout(checkout)
    directory, pattern = LAYOUTS[layout]
    head = git(checkout, "log", "-1", "--format=%H%n%cI")
    if not head:
        raise SystemExit(f"{checkout}: not a git checkout (the commit and its date are needed)")
    commit, commit_date = head.splitlines()
    url = source_url or git(checkout, "remote", "get-url", "origin") or ""
    if not url.startswith("https://"):
        raise SystemExit(f"origin is {url!r}, not a public address: give the repository address with --source-url")
    packages = sorted(read_pins(constraints)[0])
    wanted = set(packages)

    target = snapshot / layout
    if target.exists():
        shutil.rmtree(target)
    copied = 0
    for path in sorted((checkout / directory).rglob(pattern)):
        record = parse(path)
        names = {
            normalise(str((a.get("package") or {}).get("name", "")))
            for a in record.get("affected") or []
            if (a.get("package") or {}).get("ecosystem") == "PyPI"
        }
        for name in sorted(names & wanted):
            out = target / name / path.name
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, out)
            copied += 1

    meta_path = snapshot / META
    meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
    sources = [s for s in meta.get("sources", []) if s.get("layout") != layout]
    sources.append(
        {
            "layout": layout,
            "repository": url,
            "commit": commit,
            "commit_date": commit_date,
            "licence": LICENCE,
            "records": copied,
            "packages": packages,
        }
    )
    meta = {
        "note": "OSV advisories for the pins of constraints.txt; written by .ci/advisories/refresh.py",
        "sources": sorted(sources, key=lambda s: s["layout"]),
    }
    meta_path.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return meta


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "checkout", type=Path, help="git checkout of pypa/advisory-database or github/advisory-database"
    )
    parser.add_argument("--source-url", help="public address of the database repository (default: origin)")
    parser.add_argument("--snapshot", type=Path, default=HERE)
    parser.add_argument("--constraints", type=Path, default=ROOT / "constraints.txt")
    args = parser.parse_args(argv)
    meta = refresh(args.checkout.resolve(), args.source_url, args.snapshot, args.constraints)
    for source in meta["sources"]:
        print(f"{source['layout']}: {source['records']} records from {source['repository']} @ {source['commit'][:12]}")
        print(f"  {len(source['packages'])} pinned packages covered")
    print("Update the source table in .ci/advisories/README.md.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
