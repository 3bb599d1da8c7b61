"""Fixtures of the fault tests: own PostgreSQL and Redis instances, workers, beat and web servers as subprocesses."""

from __future__ import annotations

import itertools
import os
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.conftest import services_required
from tests.reliability.services import ROOT, OwnPostgres, OwnRedis, Subprocess, postgres_bindir, python, redis_binary

TEMPLATE_DB = "ikz_rel_template"
_db_counter = itertools.count(1)


def _unavailable(reason: str):
    if services_required():
        pytest.fail(f"fault tests need {reason} (CI_REQUIRE_SERVICES=1)")
    pytest.skip(f"fault tests need {reason}")


class FaultEnv:
    """The own instances plus helpers to start the product's processes against a fresh database."""

    def __init__(self, pg: OwnPostgres, redis: OwnRedis, workdir: Path):
        self.pg = pg
        self.redis = redis
        self.workdir = workdir
        self.dbname = TEMPLATE_DB
        self.children: list[Subprocess] = []

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "CELERY_", "PYTEST_"))}
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings",
            DATABASE_URL=self.pg.url(self.dbname),
            CELERY_BROKER_URL=self.redis.url(0),
            # a dead worker's message is back in the queue after 4 s; the sweep looks every second
            CELERY_VISIBILITY_TIMEOUT="4",
            CELERY_UNACKED_RESTORE_INTERVAL="1",
            CELERY_UNACKED_RESTORE_THROTTLE="1",
            EXTRA_INSTALLED_APPS="tests.reliability",
            VAR_DIR=str(self.workdir / "var"),
            PYTHONUNBUFFERED="1",
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        )
        env.update(extra)
        return env

    def fresh_database(self) -> str:
        self.dbname = f"ikz_rel_{next(_db_counter)}"
        self.pg.createdb(self.dbname, template=TEMPLATE_DB)
        self.redis.client().flushall()
        return self.dbname

    def manage(self, *args: str, timeout: float = 300, **extra: str) -> str:
        out = subprocess.run(
            [python(), "manage.py", *args],
            env=self.env(**extra),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if out.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
        return out.stdout

    def faultctl(self, *args: str, timeout: float = 120, **extra: str) -> list[int]:
        out = subprocess.run(
            [python(), "-m", "tests.reliability.faultctl", *args],
            env=self.env(**extra),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if out.returncode != 0:
            raise RuntimeError(f"faultctl {args} failed:\n{out.stderr[-3000:]}")
        import json

        return [json.loads(line)["process"] for line in out.stdout.splitlines() if line.startswith("{")]

    def spawn(self, args: list[str], name: str, **extra: str) -> Subprocess:
        # Each child writes a log of its own: the work folder lives for the whole session, and a later test that
        # reads "its" producer's log must not count what an earlier test's producer of the same name wrote there.
        log_name, n = f"{name}.log", 1
        while (self.workdir / log_name).exists():
            n += 1
            log_name = f"{name}-{n}.log"
        child = Subprocess(args, self.env(**extra), log_name, self.workdir)
        self.children.append(child)
        return child

    def worker(self, name: str = "worker", **extra: str) -> Subprocess:
        return self.spawn(
            [
                python(),
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-l",
                "info",
                "-c",
                "1",
                "--pool",
                "prefork",
                "-I",
                "tests.reliability.jobs",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"{name}-{os.getpid()}@localhost",
            ],
            name,
            **extra,
        )

    def sql(self, query: str) -> str:
        return self.pg.psql(self.dbname, query)

    def stop_children(self) -> None:
        import signal

        for child in self.children:  # all at once: a warm shutdown each, then whatever is left is killed
            if child.alive():
                child.kill_group(signal.SIGTERM)
        while self.children:
            self.children.pop().stop()


@pytest.fixture(scope="session")
def fault_services():
    bindir = postgres_bindir()
    redis_bin = redis_binary()
    if bindir is None:
        _unavailable("the PostgreSQL server binaries (initdb, pg_ctl)")
    if redis_bin is None:
        _unavailable("redis-server")
    workdir = Path(tempfile.mkdtemp(prefix="ikz-rel-"))
    pg = OwnPostgres(bindir)
    redis = OwnRedis(redis_bin)
    env = FaultEnv(pg, redis, workdir)
    try:
        pg.init()
        pg.start()
        redis.start()
        pg.createdb(TEMPLATE_DB)
        env.manage("migrate", "--noinput")
        env.faultctl("seed", timeout=600, CELERY_TASK_ALWAYS_EAGER="1")
        yield env
    finally:
        env.stop_children()
        redis.close()
        pg.close()
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def fault_env(fault_services):
    """A fresh database (a copy of the migrated, seeded template) and an empty Redis; children stopped after."""
    fault_services.fresh_database()
    try:
        yield fault_services
    finally:
        fault_services.stop_children()
        fault_services.dbname = TEMPLATE_DB
