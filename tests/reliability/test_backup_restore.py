"""Backup and restore as documented in docs/operations.md: pg_dump (custom format) of the product's database,
pg_restore into a fresh, empty database; every case, task and audit entry is found again, unchanged."""

from __future__ import annotations

import subprocess

import pytest

pytestmark = [pytest.mark.postgres]

TABLES = {
    "projects_case": "id",
    "viewflow_process": "id",
    "viewflow_task": "id",
    "projects_auditentry": "id",
}


def _fingerprint(env, db: str, table: str, key: str) -> tuple[int, str]:
    row = env.pg.psql(db, f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY {key}), '')) FROM {table} t")
    count, digest = row.split("|")
    return int(count), digest


def test_a_dump_restored_into_a_fresh_database_has_every_case_task_and_audit_entry(fault_env):
    source = fault_env.dbname
    before = {table: _fingerprint(fault_env, source, table, key) for table, key in TABLES.items()}
    assert before["projects_case"][0] > 0 and before["viewflow_task"][0] > 0 and before["projects_auditentry"][0] > 0

    dump = fault_env.workdir / "ikz.dump"
    conn = ["-h", "127.0.0.1", "-p", str(fault_env.pg.port), "-U", "postgres"]
    bindir = fault_env.pg.bindir
    subprocess.run(
        [str(bindir / "pg_dump"), *conn, "--format=custom", "--no-owner", "--file", str(dump), source],
        check=True,
        capture_output=True,
        timeout=300,
    )
    fault_env.pg.createdb("ikz_restored")
    try:
        subprocess.run(
            [str(bindir / "pg_restore"), *conn, "--no-owner", "--exit-on-error", "--dbname", "ikz_restored", str(dump)],
            check=True,
            capture_output=True,
            timeout=300,
        )
        after = {table: _fingerprint(fault_env, "ikz_restored", table, key) for table, key in TABLES.items()}
        assert after == before
        # the restored database is usable by the product: no migration is missing, the checks pass
        fault_env.dbname = "ikz_restored"
        out = fault_env.manage("migrate", "--check")
        assert "unapplied" not in out.lower()
    finally:
        fault_env.dbname = source
        fault_env.pg.psql("postgres", 'DROP DATABASE IF EXISTS "ikz_restored"')
