"""The offline dependency audit (.ci/audit_offline.py) and its snapshot refresh (.ci/advisories/refresh.py).

Synthetic OSV records check the matching rules (ranges, last_affected, explicit versions, withdrawn records, aliases,
PEP 503 names); the committed snapshot is checked for being readable and attributed, not for its age (CI prints the
age and warns after 90 days).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


audit_offline = _load("audit_offline", ROOT / ".ci" / "audit_offline.py")
refresh = _load("advisories_refresh", ROOT / ".ci" / "advisories" / "refresh.py")


def record(rid, name="Example-Pkg", events=None, versions=None, aliases=(), withdrawn=None, ecosystem="PyPI"):
    affected = {"package": {"name": name, "ecosystem": ecosystem}}
    if events is not None:
        affected["ranges"] = [{"type": "ECOSYSTEM", "events": events}]
    if versions is not None:
        affected["versions"] = versions
    rec = {"id": rid, "aliases": list(aliases), "summary": f"issue {rid}", "affected": [affected]}
    if withdrawn:
        rec["withdrawn"] = withdrawn
    return rec


def findings_for(pins, records, ignored=None):
    findings, warnings = audit_offline.audit(pins, records, ignored)
    assert warnings == []
    return findings


def affected(version, rec, name="example-pkg"):
    return bool(findings_for({name: version}, [rec]))


# --- ranges --------------------------------------------------------------------------------------------------------
def test_introduced_fixed_ranges_of_several_series():
    rec = record(
        "PYSEC-1",
        events=[{"introduced": "4.2"}, {"fixed": "4.2.10"}, {"introduced": "5.0"}, {"fixed": "5.0.3"}],
    )
    assert not affected("4.1.9", rec)
    assert affected("4.2", rec) and affected("4.2.9", rec)
    assert not affected("4.2.10", rec) and not affected("4.2.11", rec)
    assert affected("5.0.0", rec) and affected("5.0.3rc1", rec)  # a pre-release of the fix is still affected
    assert not affected("5.0.3", rec) and not affected("6.0", rec)


def test_introduced_zero_and_fixed_versions_reported_are_the_newer_ones():
    rec = record("PYSEC-2", events=[{"introduced": "0"}, {"fixed": "1.5"}, {"introduced": "2.0"}, {"fixed": "2.4"}])
    assert affected("0.0.1", rec)
    [finding] = findings_for({"example-pkg": "2.1"}, [rec])
    assert finding.fixed == {"2.4"}
    assert not affected("1.5", rec) and not affected("2.4", rec)


def test_last_affected_is_inclusive():
    rec = record("PYSEC-3", events=[{"introduced": "1.0"}, {"last_affected": "1.4.2"}])
    assert affected("1.4.2", rec)
    assert affected("1.0", rec)
    assert not affected("1.4.3", rec) and not affected("0.9", rec)
    [finding] = findings_for({"example-pkg": "1.2"}, [rec])
    assert finding.fixed == set()  # nothing known to be fixed


def test_open_range_without_fix_affects_every_later_version():
    rec = record("PYSEC-4", events=[{"introduced": "3.0"}])
    assert affected("3.0", rec) and affected("99.0", rec) and not affected("2.9", rec)


def test_explicit_versions_list():
    rec = record("PYSEC-5", versions=["1.0", "1.1", "2.0.0"])
    assert affected("1.1", rec)
    assert affected("2.0", rec)  # equal as PEP 440 versions
    assert not affected("1.2", rec)


def test_git_ranges_are_not_read_as_versions():
    rec = record("PYSEC-6")
    rec["affected"][0]["ranges"] = [{"type": "GIT", "repo": "https://example.org/x", "events": [{"introduced": "0"}]}]
    assert not affected("1.0", rec)


def test_a_version_that_is_not_pep440_in_a_range_is_a_warning_not_a_crash():
    rec = record("PYSEC-7", events=[{"introduced": "0"}, {"fixed": "not a version"}])
    findings, warnings = audit_offline.audit({"example-pkg": "1.0"}, [rec])
    assert findings == [] and "PYSEC-7" in warnings[0]


# --- records, names, aliases ---------------------------------------------------------------------------------------
def test_withdrawn_records_are_ignored():
    rec = record("PYSEC-8", events=[{"introduced": "0"}], withdrawn="2026-01-01T00:00:00Z")
    assert not affected("1.0", rec)


def test_package_names_are_compared_after_pep503_normalisation():
    rec = record("PYSEC-9", name="Zope_Interface", events=[{"introduced": "0"}, {"fixed": "2.0"}])
    pins, unpinned = audit_offline.read_pins_from_lines(["zope.interface==1.0"])
    assert pins == {"zope-interface": "1.0"} and unpinned == []
    assert findings_for(pins, [rec])
    assert not findings_for({"zope-interfaces": "1.0"}, [rec])


def test_other_ecosystems_do_not_match():
    rec = record("GHSA-npm1-0000-0000", ecosystem="npm", events=[{"introduced": "0"}])
    assert not affected("1.0", rec)


def test_aliases_of_one_issue_are_reported_once_with_every_id_and_fix():
    pysec = record("PYSEC-2026-1", events=[{"introduced": "0"}, {"fixed": "1.5"}], aliases=["CVE-2026-1", "GHSA-a"])
    ghsa = record("GHSA-a", events=[{"introduced": "1.0"}, {"fixed": "1.5.1"}], aliases=["CVE-2026-1"])
    other = record("GHSA-b", events=[{"introduced": "0"}, {"fixed": "2.0"}], aliases=["CVE-2026-2"])
    findings = findings_for({"example-pkg": "1.2"}, [pysec, ghsa, other])
    assert len(findings) == 2
    merged = next(f for f in findings if "PYSEC-2026-1" in f.ids)
    assert merged.ids == {"PYSEC-2026-1", "GHSA-a"}
    assert merged.aliases == {"CVE-2026-1"}
    assert merged.fixed == {"1.5", "1.5.1"}
    assert merged.primary_ids[0] == "PYSEC-2026-1"


def test_records_linked_only_through_a_third_are_merged():
    a = record("PYSEC-A", events=[{"introduced": "0"}], aliases=["CVE-1"])
    b = record("GHSA-B", events=[{"introduced": "0"}], aliases=["CVE-2"])
    c = record("OSV-C", events=[{"introduced": "0"}], aliases=["CVE-1", "CVE-2"])
    [finding] = findings_for({"example-pkg": "1.0"}, [a, b, c])
    assert finding.ids == {"PYSEC-A", "GHSA-B", "OSV-C"}


def test_ignore_list_matches_ids_and_aliases():
    rec = record("PYSEC-10", events=[{"introduced": "0"}], aliases=["CVE-2026-10"])
    [finding] = findings_for({"example-pkg": "1.0"}, [rec], {"CVE-2026-10": {"reason": "r", "review_by": "2027-01-01"}})
    assert finding.ignored_by == "CVE-2026-10"


def test_read_pins_skips_comments_and_options_and_reports_unpinned_lines():
    lines = ["# a comment", "", "-r other.txt", "Django==5.2.19  # web", "celery[redis]==5.7.0", "requests>=2", "x y"]
    pins, unpinned = audit_offline.read_pins_from_lines(lines)
    assert pins == {"django": "5.2.19", "celery": "5.7.0"}
    assert unpinned == ["requests>=2", "x y"]


# --- the command line ----------------------------------------------------------------------------------------------
def _snapshot(tmp_path, records, packages, commit_date="2026-07-23T14:42:31+00:00"):
    snap = tmp_path / "advisories"
    for rec in records:
        name = audit_offline.normalise(rec["affected"][0]["package"]["name"])
        path = snap / "pypa" / name / f"{rec['id']}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(rec), encoding="utf-8")
    snap.mkdir(exist_ok=True)
    source = {"layout": "pypa", "repository": "https://example.org/db", "commit": "a" * 40}
    source |= {"commit_date": commit_date, "licence": "CC-BY-4.0", "packages": packages}
    meta = {"sources": [source]}
    (snap / "SNAPSHOT.json").write_text(json.dumps(meta), encoding="utf-8")
    return snap


def _run(tmp_path, snap, pins_text, ignore_text="", capsys=None):
    constraints = tmp_path / "constraints.txt"
    constraints.write_text(pins_text, encoding="utf-8")
    ignore = tmp_path / "ignore.toml"
    ignore.write_text(ignore_text, encoding="utf-8")
    rc = audit_offline.main(["--constraints", str(constraints), "--snapshot", str(snap), "--ignore-file", str(ignore)])
    return rc, capsys.readouterr().out


def test_main_fails_on_a_vulnerable_pin_and_names_ids_and_fixes(tmp_path, capsys):
    rec = record("PYSEC-11", name="Django", events=[{"introduced": "5.2"}, {"fixed": "5.2.12"}], aliases=["CVE-11"])
    snap = _snapshot(tmp_path, [rec], ["django", "six"])
    rc, out = _run(tmp_path, snap, "Django==5.2.3\nsix==1.17.0\n", capsys=capsys)
    assert rc == 1
    assert "VULNERABLE django 5.2.3: PYSEC-11, CVE-11 (fixed in 5.2.12)" in out
    assert "2 pinned packages audited against 1 advisory records: 1 vulnerable" in out
    assert "https://example.org/db @ aaaaaaaaaaaa (2026-07-23, CC-BY-4.0)" in out

    rc, out = _run(tmp_path, snap, "Django==5.2.12\nsix==1.17.0\n", capsys=capsys)
    assert rc == 0 and "VULNERABLE" not in out


def test_main_reports_ignored_issues_without_failing(tmp_path, capsys):
    rec = record("PYSEC-12", name="six", events=[{"introduced": "0"}], aliases=["GHSA-x"])
    snap = _snapshot(tmp_path, [rec], ["six"])
    ignore = '[[ignore]]\nid = "GHSA-x"\nreason = "not used here"\nreview_by = "2000-01-01"\n'
    rc, out = _run(tmp_path, snap, "six==1.17.0\n", ignore, capsys=capsys)
    assert rc == 0
    assert "ignored six 1.17.0: PYSEC-12, GHSA-x (not used here; review by 2000-01-01)" in out
    assert "ignore entry GHSA-x was due for review on 2000-01-01" in out


def test_an_ignore_entry_without_reason_is_an_error(tmp_path, capsys):
    snap = _snapshot(tmp_path, [], ["six"])
    rc, _ = _run(tmp_path, snap, "six==1.17.0\n", '[[ignore]]\nid = "GHSA-x"\nreview_by = "2027-01-01"\n', capsys)
    assert rc == 2


def test_main_warns_about_an_old_snapshot_and_uncovered_pins(tmp_path, capsys):
    old = (dt.datetime.now(dt.UTC) - dt.timedelta(days=91)).isoformat()
    snap = _snapshot(tmp_path, [], ["six"], commit_date=old)
    rc, out = _run(tmp_path, snap, "six==1.17.0\nnewpkg==1.0\n", capsys=capsys)
    assert rc == 0
    assert "snapshot age: 91 days" in out and "older than 90 days" in out
    assert "1 pins are not covered by the snapshot (not audited; refresh it): newpkg" in out
    assert "1 pinned packages audited" in out

    fresh = _snapshot(tmp_path, [], ["six"], commit_date=dt.datetime.now(dt.UTC).isoformat())
    _, out = _run(tmp_path, fresh, "six==1.17.0\n", capsys=capsys)
    assert "snapshot age: 0 days" in out and "older than" not in out


def test_a_missing_snapshot_is_an_error(tmp_path, capsys):
    rc, _ = _run(tmp_path, tmp_path / "nowhere", "six==1.17.0\n", capsys=capsys)
    assert rc == 2


# --- refresh -------------------------------------------------------------------------------------------------------
def _git_checkout(path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text, encoding="utf-8")
    git = ["git", "-C", str(path), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "data"], check=True)
    return path


def test_refresh_copies_the_records_of_pinned_packages_from_both_layouts(tmp_path):
    pypa = _git_checkout(
        tmp_path / "pypa-db",
        {
            "vulns/django/PYSEC-1.yaml": yaml.safe_dump(record("PYSEC-1", name="Django", events=[{"introduced": "0"}])),
            "vulns/other/PYSEC-2.yaml": yaml.safe_dump(record("PYSEC-2", name="other", events=[{"introduced": "0"}])),
        },
    )
    github = _git_checkout(
        tmp_path / "gh-db",
        {
            "advisories/github-reviewed/2026/01/GHSA-1/GHSA-1.json": json.dumps(record("GHSA-1", name="six")),
            "advisories/github-reviewed/2026/01/GHSA-2/GHSA-2.json": json.dumps(record("GHSA-2", ecosystem="npm")),
        },
    )
    snap = tmp_path / "snap"
    snap.mkdir()
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("Django==5.2.19\nsix==1.17.0\n", encoding="utf-8")
    refresh.refresh(pypa, "https://github.com/pypa/advisory-database", snap, constraints)
    meta = refresh.refresh(github, "https://github.com/github/advisory-database", snap, constraints)

    files = sorted(p.relative_to(snap).as_posix() for p in snap.rglob("*") if p.is_file())
    assert files == ["SNAPSHOT.json", "github/six/GHSA-1.json", "pypa/django/PYSEC-1.yaml"]
    assert (snap / "pypa/django/PYSEC-1.yaml").read_bytes() == (pypa / "vulns/django/PYSEC-1.yaml").read_bytes()
    assert [(s["layout"], s["records"], s["packages"]) for s in meta["sources"]] == [
        ("github", 1, ["django", "six"]),
        ("pypa", 1, ["django", "six"]),
    ]
    head = subprocess.run(["git", "-C", str(pypa), "rev-parse", "HEAD"], capture_output=True, text=True).stdout
    assert meta["sources"][1]["commit"] == head.strip()
    assert json.loads((snap / "SNAPSHOT.json").read_text()) == meta
    assert len(audit_offline.load_records(snap)) == 2


def test_refresh_needs_a_public_address_for_a_local_clone(tmp_path):
    db = _git_checkout(tmp_path / "db", {"vulns/x/PYSEC-1.yaml": yaml.safe_dump(record("PYSEC-1"))})
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("six==1.17.0\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="--source-url"):
        refresh.refresh(db, None, tmp_path / "snap", constraints)


# --- the committed snapshot ----------------------------------------------------------------------------------------
def test_the_committed_snapshot_is_readable_and_attributed():
    snap = ROOT / ".ci" / "advisories"
    meta = json.loads((snap / "SNAPSHOT.json").read_text(encoding="utf-8"))
    readme = (snap / "README.md").read_text(encoding="utf-8")
    assert meta["sources"]
    for source in meta["sources"]:
        assert source["repository"].startswith("https://github.com/")
        assert len(source["commit"]) == 40 and source["commit"] in readme
        assert source["licence"] == "CC-BY-4.0"
        dt.datetime.fromisoformat(source["commit_date"])
        on_disk = list((snap / source["layout"]).rglob("*.*"))
        assert len(on_disk) == source["records"]
    assert "CC BY 4.0" in readme
    records = audit_offline.load_records(snap)
    assert records and all(r.get("id") and r.get("affected") for r in records)
    pins, unpinned = audit_offline.read_pins(ROOT / "constraints.txt")
    assert unpinned == []
    _, warnings = audit_offline.audit(pins, records)
    assert warnings == []
