"""Offline dependency audit: the pins of constraints.txt against a committed snapshot of OSV advisories.

CI (`.ci/run`) asks pip-audit first; where pip-audit cannot reach its advisory data, this script audits the same pins
against `.ci/advisories/` (see its README for the source, the licence and how to refresh it). Matching follows the
OSV schema for the PyPI ecosystem:

- an `affected[]` entry applies when `package.ecosystem` is PyPI and `package.name` equals the pin's name after PEP 503
  normalisation;
- the pin is affected when its version is in the entry's explicit `versions` list, or inside one of its `ECOSYSTEM`
  ranges: the events (`introduced`, `fixed`, `last_affected`, `limit`) are sorted by version (`packaging.version`)
  and walked as the OSV schema describes;
- withdrawn records are ignored; records that name one another (`id` / `aliases`, e.g. PYSEC, GHSA and CVE of the
  same issue) are reported once;
- ids listed in `.ci/audit_ignore.toml` (with a reason and a review date) are reported as ignored, not as failures.

Exit codes: 0 no known vulnerability, 1 at least one vulnerable pin, 2 the snapshot or a file could not be read.
`--print-ignore-ids` prints the ignored ids (one per line) for pip-audit's `--ignore-vuln`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONSTRAINTS = ROOT / "constraints.txt"
DEFAULT_SNAPSHOT = ROOT / ".ci" / "advisories"
DEFAULT_IGNORE = ROOT / ".ci" / "audit_ignore.toml"
SNAPSHOT_META = "SNAPSHOT.json"
MAX_AGE_DAYS = 90


def normalise(name: str) -> str:
    """PEP 503 normalised project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


class EvaluationError(ValueError):
    """A record's range cannot be evaluated (e.g. a version that is not PEP 440)."""


# --- matching ------------------------------------------------------------------------------------------------------
_EVENT_ORDER = {"introduced": 0, "fixed": 1, "last_affected": 2, "limit": 3}


def _event_version(kind: str, value: str) -> Version:
    if kind == "introduced" and value == "0":
        return Version("0")
    try:
        return Version(value)
    except InvalidVersion as exc:
        raise EvaluationError(f"{kind} {value!r} is not a PEP 440 version") from exc


def in_range(version: Version, events: Iterable[Mapping[str, str]]) -> bool:
    """Whether `version` lies in one OSV ECOSYSTEM range, given by its events."""
    parsed: list[tuple[Version, int, str]] = []
    for event in events:
        for kind, value in event.items():
            if kind in _EVENT_ORDER:
                parsed.append((_event_version(kind, str(value)), _EVENT_ORDER[kind], kind))
    affected = False
    for event_version, _, kind in sorted(parsed):
        if kind == "introduced":
            affected = affected or version >= event_version
        elif kind == "last_affected":
            affected = affected and not version > event_version  # last_affected itself is still affected
        else:  # fixed, limit: from this version on not affected
            affected = affected and not version >= event_version
    return affected


def _same_version(version: Version, listed: str) -> bool:
    try:
        return Version(listed) == version
    except InvalidVersion:
        return str(listed) == str(version)


def affected_entry_matches(entry: Mapping[str, Any], name: str, version: Version) -> tuple[bool, list[str]]:
    """(matches, fixed versions) for one `affected[]` entry and a pin (normalised name, version)."""
    package = entry.get("package") or {}
    if package.get("ecosystem") != "PyPI" or normalise(str(package.get("name", ""))) != name:
        return False, []
    fixes: list[str] = []
    for rng in entry.get("ranges") or []:
        if rng.get("type") != "ECOSYSTEM":
            continue  # GIT/SEMVER ranges: the explicit `versions` list carries their PyPI meaning
        events = rng.get("events") or []
        fixes += [str(e["fixed"]) for e in events if "fixed" in e]
        if in_range(version, events):
            return True, fixes
    if any(_same_version(version, str(v)) for v in entry.get("versions") or []):
        return True, fixes
    return False, []


@dataclass
class Finding:
    """One issue (a group of records naming one another) that affects one pin."""

    package: str
    version: str
    ids: set[str] = field(default_factory=set)
    aliases: set[str] = field(default_factory=set)
    fixed: set[str] = field(default_factory=set)
    summary: str = ""
    ignored_by: str | None = None

    @property
    def primary_ids(self) -> list[str]:
        return sorted(self.ids, key=_id_order)

    @property
    def all_ids(self) -> set[str]:
        return self.ids | self.aliases


def _id_order(vid: str) -> tuple[int, str]:
    prefix = vid.split("-", 1)[0]
    return ({"PYSEC": 0, "GHSA": 1, "CVE": 2}.get(prefix, 3), vid)


def _sort_versions(versions: Iterable[str]) -> list[str]:
    def key(v: str) -> tuple[int, Version | str]:
        try:
            return (0, Version(v))
        except InvalidVersion:
            return (1, v)

    return sorted(set(versions), key=key)


def audit(
    pins: Mapping[str, str],
    records: Iterable[Mapping[str, Any]],
    ignored: Mapping[str, Any] | None = None,
) -> tuple[list[Finding], list[str]]:
    """Match pins (normalised name -> version string) against OSV records.

    Returns the findings (one per pin and issue, aliases merged) and warnings (records that could not be evaluated).
    Findings whose id or alias is a key of `ignored` carry that key in `ignored_by`.
    """
    ignored = ignored or {}
    warnings: list[str] = []
    raw: list[Finding] = []
    for record in records:
        if record.get("withdrawn"):
            continue
        rid = str(record.get("id", "?"))
        for name, version_text in pins.items():
            try:
                version = Version(version_text)
            except InvalidVersion:
                continue  # reported by the caller as not audited
            for entry in record.get("affected") or []:
                try:
                    matches, fixes = affected_entry_matches(entry, name, version)
                except EvaluationError as exc:
                    warnings.append(f"{rid} ({name}): range not evaluated: {exc}")
                    continue
                if matches:
                    newer_fixes = {f for f in fixes if _newer(f, version)}
                    raw.append(
                        Finding(
                            package=name,
                            version=version_text,
                            ids={rid},
                            aliases={str(a) for a in record.get("aliases") or []},
                            fixed=newer_fixes,
                            summary=str(record.get("summary") or record.get("details") or "").strip(),
                        )
                    )
    findings = _merge_aliases(raw)
    for finding in findings:
        hit = sorted(finding.all_ids & set(ignored))
        finding.ignored_by = hit[0] if hit else None
    return findings, warnings


def _newer(fix: str, version: Version) -> bool:
    try:
        return Version(fix) > version
    except InvalidVersion:
        return True


def _merge_aliases(raw: list[Finding]) -> list[Finding]:
    """Merge findings of one pin whose ids/aliases overlap (transitively)."""
    merged: list[Finding] = []
    by_pin: dict[tuple[str, str], list[Finding]] = {}
    for finding in raw:
        by_pin.setdefault((finding.package, finding.version), []).append(finding)
    for group in by_pin.values():
        clusters: list[Finding] = []
        for finding in group:
            overlapping = [c for c in clusters if c.all_ids & finding.all_ids]
            target = Finding(package=finding.package, version=finding.version)
            for part in [*overlapping, finding]:
                target.ids |= part.ids
                target.aliases |= part.aliases
                target.fixed |= part.fixed
                target.summary = target.summary or part.summary
            clusters = [c for c in clusters if c not in overlapping] + [target]
        for cluster in clusters:
            cluster.aliases -= cluster.ids
        merged += clusters
    return sorted(merged, key=lambda f: (f.package, f.primary_ids))


# --- inputs --------------------------------------------------------------------------------------------------------
def read_pins(path: Path) -> tuple[dict[str, str], list[str]]:
    """Pins `name==version` of a requirements/constraints file: ({normalised name: version}, unpinned lines)."""
    return read_pins_from_lines(path.read_text(encoding="utf-8").splitlines())


def read_pins_from_lines(lines: Iterable[str]) -> tuple[dict[str, str], list[str]]:
    pins: dict[str, str] = {}
    unpinned: list[str] = []
    for raw in lines:
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-")):
            continue
        try:
            req = Requirement(line)
        except InvalidRequirement:
            unpinned.append(line)
            continue
        specs = list(req.specifier)
        if len(specs) == 1 and specs[0].operator in ("==", "===") and "*" not in specs[0].version:
            pins[normalise(req.name)] = specs[0].version
        else:
            unpinned.append(line)
    return pins, unpinned


def load_records(snapshot: Path) -> list[dict[str, Any]]:
    """Every OSV record (YAML or JSON) below the snapshot directory."""
    records: list[dict[str, Any]] = []
    for path in sorted(snapshot.rglob("*")):
        if path.suffix in (".yaml", ".yml"):
            import yaml  # PyYAML is pinned (a dependency of the dev tools); only needed for YAML records

            records.append(yaml.safe_load(path.read_text(encoding="utf-8")))
        elif path.suffix == ".json" and path.name != SNAPSHOT_META:
            records.append(json.loads(path.read_text(encoding="utf-8")))
    return records


def load_ignore(path: Path) -> dict[str, dict[str, str]]:
    """The documented ignore list: {id: {"reason": ..., "review_by": ...}}."""
    if not path.exists():
        return {}
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    entries: dict[str, dict[str, str]] = {}
    for item in data.get("ignore", []):
        missing = [k for k in ("id", "reason", "review_by") if not str(item.get(k, "")).strip()]
        if missing:
            raise ValueError(f"{path.name}: ignore entry {item!r} lacks {', '.join(missing)}")
        entries[str(item["id"])] = {"reason": str(item["reason"]), "review_by": str(item["review_by"])}
    return entries


def snapshot_age_days(meta: Mapping[str, Any], today: dt.date) -> int | None:
    """Age in days of the oldest source of the snapshot (its database commit date)."""
    dates = [dt.date.fromisoformat(str(s["commit_date"])[:10]) for s in meta.get("sources", []) if s.get("commit_date")]
    return (today - min(dates)).days if dates else None


# --- command line --------------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--constraints", type=Path, default=DEFAULT_CONSTRAINTS)
    parser.add_argument("--snapshot", type=Path, default=DEFAULT_SNAPSHOT)
    parser.add_argument("--ignore-file", type=Path, default=DEFAULT_IGNORE)
    parser.add_argument("--max-age-days", type=int, default=MAX_AGE_DAYS, help="warn when the snapshot is older")
    parser.add_argument("--print-ignore-ids", action="store_true", help="print the ignored ids and exit")
    args = parser.parse_args(argv)
    out = sys.stdout

    try:
        ignored = load_ignore(args.ignore_file)
    except (OSError, ValueError) as exc:
        print(f"[audit] cannot read the ignore list: {exc}", file=sys.stderr)
        return 2
    if args.print_ignore_ids:
        print("\n".join(sorted(ignored)), file=out)
        return 0

    try:
        meta = json.loads((args.snapshot / SNAPSHOT_META).read_text(encoding="utf-8"))
        records = load_records(args.snapshot)
        pins, unpinned = read_pins(args.constraints)
    except (OSError, ValueError) as exc:
        print(f"[audit] cannot read the advisory snapshot or the pins: {exc}", file=sys.stderr)
        return 2

    today = dt.datetime.now(dt.UTC).date()
    for source in meta.get("sources", []):
        print(
            f"[audit] source: {source.get('repository')} @ {str(source.get('commit', '?'))[:12]} "
            f"({source.get('commit_date', '?')[:10]}, {source.get('licence', '?')})",
            file=out,
        )
    age = snapshot_age_days(meta, today)
    if age is None:
        print("[audit] WARNING: the snapshot names no date", file=out)
    else:
        print(f"[audit] snapshot age: {age} days (advisories published since then are not known here)", file=out)
        if age > args.max_age_days:
            print(
                f"[audit] WARNING: the advisory snapshot is older than {args.max_age_days} days; "
                "refresh it (.ci/advisories/README.md)",
                file=out,
            )
    for name, review in sorted(ignored.items()):
        if dt.date.fromisoformat(review["review_by"]) < today:
            print(f"[audit] WARNING: ignore entry {name} was due for review on {review['review_by']}", file=out)

    covered_by = [{normalise(n) for n in s.get("packages", [])} for s in meta.get("sources", [])]
    covered = set().union(*covered_by)
    not_covered = sorted(n for n in pins if n not in covered)
    partly = sorted(n for n in pins if n in covered and not all(n in c for c in covered_by))
    bad_versions = sorted(n for n, v in pins.items() if not _is_version(v))
    for line in unpinned:
        print(f"[audit] WARNING: not an exact pin, not audited: {line}", file=out)
    if not_covered:
        print(
            f"[audit] WARNING: {len(not_covered)} pins are not covered by the snapshot (not audited; refresh it): "
            + ", ".join(not_covered),
            file=out,
        )
    if partly:
        print(
            "[audit] WARNING: covered by only some of the sources (refresh the others): " + ", ".join(partly), file=out
        )
    if bad_versions:
        print("[audit] WARNING: not a PEP 440 version, not audited: " + ", ".join(bad_versions), file=out)

    audited = {n: v for n, v in pins.items() if n in covered and n not in bad_versions}
    findings, warnings = audit(audited, records, ignored)
    for warning in warnings:
        print(f"[audit] WARNING: {warning}", file=out)
    vulnerable = [f for f in findings if not f.ignored_by]
    for f in findings:
        ids = ", ".join(f.primary_ids + sorted(f.aliases))
        fixed = ", ".join(_sort_versions(f.fixed)) or "no fixed version known"
        if f.ignored_by:
            reason = ignored[f.ignored_by]
            print(
                f"[audit] ignored {f.package} {f.version}: {ids} ({reason['reason']}; review by {reason['review_by']})",
                file=out,
            )
        else:
            print(f"[audit] VULNERABLE {f.package} {f.version}: {ids} (fixed in {fixed})", file=out)
    print(
        f"[audit] {len(audited)} pinned packages audited against {len(records)} advisory records: "
        f"{len({f.package for f in vulnerable})} vulnerable, {len(findings) - len(vulnerable)} findings ignored",
        file=out,
    )
    return 1 if vulnerable else 0


def _is_version(text: str) -> bool:
    try:
        Version(text)
    except InvalidVersion:
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())
