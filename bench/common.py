"""Shared pieces: the benchmark database, statistics, machine facts, small process helpers."""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
BENCH_DB = os.environ.get("BENCH_DB_NAME", "ikz_bench")
# A Redis database of its own, so that the benchmark never touches the queues of tests or a running product.
BENCH_REDIS_DB = int(os.environ.get("BENCH_REDIS_DB", "15"))


# --- where things are --------------------------------------------------------------------------------------------
def server_url() -> str:
    """The PostgreSQL server: from DATABASE_URL (if it is PostgreSQL), else the local default on loopback."""
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL") or ""
    if not url.startswith(("postgres://", "postgresql://")):
        url = "postgres://postgres@127.0.0.1:5432/postgres"
    return url


def db_url(name: str) -> str:
    parts = urlsplit(server_url())
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def redis_url() -> str:
    url = os.environ.get("BENCH_REDIS_URL") or os.environ.get("CELERY_BROKER_URL") or "redis://127.0.0.1:6379/0"
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{BENCH_REDIS_DB}", parts.query, parts.fragment))


def pg_conninfo(name: str) -> dict[str, str]:
    parts = urlsplit(db_url(name))
    return {
        "host": parts.hostname or "127.0.0.1",
        "port": str(parts.port or 5432),
        "user": parts.username or "postgres",
        "password": parts.password or "",
        "dbname": name,
    }


def pg_env(name: str) -> dict[str, str]:
    info = pg_conninfo(name)
    env = dict(os.environ)
    env.update(PGHOST=info["host"], PGPORT=info["port"], PGUSER=info["user"], PGDATABASE=name)
    if info["password"]:
        env["PGPASSWORD"] = info["password"]
    return env


def admin_connect():
    import psycopg

    info = pg_conninfo("postgres")
    return psycopg.connect(autocommit=True, **{k: v for k, v in info.items() if v})


def create_database(name: str) -> None:
    """(Re)create a database that belongs to the benchmark."""
    with admin_connect() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    with admin_connect() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_bin(tool: str) -> str | None:
    """A PostgreSQL client tool, preferring the one that matches the server's major version."""
    try:
        with admin_connect() as conn:
            major = conn.execute("SHOW server_version_num").fetchone()[0][:2]
    except Exception:
        major = ""
    candidate = Path(f"/usr/lib/postgresql/{major}/bin/{tool}")
    if major and candidate.exists():
        return str(candidate)
    found = shutil.which(tool)
    if found:
        return found
    matches = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{tool}"))
    return str(matches[-1]) if matches else None


# --- statistics --------------------------------------------------------------------------------------------------
def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    data = sorted(values)
    k = (len(data) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (k - lo)


def summary(values: list[float]) -> dict[str, Any]:
    """Median and spread (min, max, relative spread) of a figure over repeated runs."""
    vals = [v for v in values if v is not None]
    if not vals:
        return {"median": None, "min": None, "max": None, "n": 0, "runs": []}
    med = statistics.median(vals)
    return {
        "median": round(med, 4),
        "min": round(min(vals), 4),
        "max": round(max(vals), 4),
        "spread_pct": round(100.0 * (max(vals) - min(vals)) / med, 1) if med else None,
        "n": len(vals),
        "runs": [round(v, 4) for v in vals],
    }


def fmt(s: dict[str, Any] | None, unit: str = "", digits: int = 1) -> str:
    """'123.4 (110.2–130.0, n=3)' from a summary."""
    if not s or s.get("median") is None:
        return "n/a"
    if s.get("n", 1) <= 1:
        return f"{s['median']:.{digits}f}{unit}"
    return f"{s['median']:.{digits}f}{unit} ({s['min']:.{digits}f}–{s['max']:.{digits}f}, n={s['n']})"


# --- machine facts -----------------------------------------------------------------------------------------------
PG_SETTINGS = [
    "server_version",
    "shared_buffers",
    "effective_cache_size",
    "work_mem",
    "maintenance_work_mem",
    "synchronous_commit",
    "fsync",
    "wal_level",
    "commit_delay",
    "max_connections",
    "random_page_cost",
    "jit",
    "max_parallel_workers_per_gather",
]


def python_reference_ms() -> float:
    """CPU ms of a fixed pure-Python workload (dict, str and list work, as a request does), best of five.

    Two machines of the same kind differ in speed (seen here: 1.8× between two sessions' machines at a load
    below 1); this figure, printed with every run, tells how far the absolute CPU figures of two runs compare.
    """
    import time

    def work() -> int:
        total = 0
        for i in range(200_000):
            d = {"id": i, "name": f"task-{i}", "status": "NEW"}
            if d["status"] == "NEW" and d["name"].startswith("task"):
                total += len(d["name"]) + d["id"] % 7
        return total

    best = float("inf")
    for _ in range(5):
        c0 = time.process_time()
        work()
        best = min(best, time.process_time() - c0)
    return round(1000 * best, 1)


def machine_facts() -> dict[str, Any]:
    facts: dict[str, Any] = {
        "cpu_count": os.cpu_count(),
        "python_reference_ms": python_reference_ms(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                facts["cpu_model"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                facts["memory_gib"] = round(int(line.split()[1]) / 1024 / 1024, 1)
                break
    except OSError:
        pass
    try:
        with admin_connect() as conn:
            facts["postgresql"] = {name: conn.execute(f"SHOW {name}").fetchone()[0] for name in PG_SETTINGS}
    except Exception as exc:  # the report still gets written
        facts["postgresql"] = {"error": str(exc)}
    versions = {}
    for dist in ("Django", "django-viewflow", "django-guardian", "celery", "psycopg", "SpiffWorkflow", "gunicorn"):
        try:
            from importlib.metadata import version

            versions[dist] = version(dist)
        except Exception:
            versions[dist] = None
    facts["versions"] = versions
    try:
        out = subprocess.run(["redis-server", "--version"], capture_output=True, text=True, timeout=5).stdout
        facts["redis"] = out.split("v=")[1].split()[0] if "v=" in out else out.strip()
    except Exception:
        facts["redis"] = None
    return facts


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start
        return False


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def measure_on_kept_database(
    *, db: str, measure: Callable[[], dict[str, Any]], table: Callable[[dict[str, Any]], list[str]], out: str
) -> int:
    """Migrate a benchmark database kept by ``python -m bench --keep-db``, measure on it, print the report's table
    and save the figures as JSON (``python -m bench.pages`` and ``python -m bench.inbox``)."""
    import json

    from bench import djangoenv

    djangoenv.setup(db)
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    load_start = " ".join(f"{x:.2f}" for x in os.getloadavg())
    figures = measure()
    figures.setdefault("load_start", load_start)
    print("\n".join(table(figures)))
    if out:
        with open(out, "w") as fh:
            json.dump(figures, fh, indent=1, default=str)
    return 0
