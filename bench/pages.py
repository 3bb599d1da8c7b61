"""Where a page's server CPU goes (issue 21, item 3): the inbox, a case page and the start page in-process.

Each page is requested with Django's test client as the HTTP benchmark's user (production settings, the benchmark
world of the inbox component), ``reps`` times after a warm-up: CPU ms per request (this process: view, ORM,
templates, middleware; PostgreSQL's CPU is not included), queries per request, and a cProfile with a CPU clock
split into buckets by cumulative time: template rendering, context processors, the view's context (selectors and
ORM), SQL execution on the client side, middleware and the rest.
"""

from __future__ import annotations

import cProfile
import pstats
import re
import time
from typing import Any

from bench.common import BENCH_DIR, log, percentile

ROOT = str(BENCH_DIR.parent) + "/"

BUCKETS = {
    "view context (selectors, ORM)": ("get_context_data",),
    "template rendering": ("django/template/base.py", "render"),
    "context processors": ("django/template/context.py", "bind_template"),
    "SQL (client side)": ("django/db/backends/utils.py", "_execute"),
    "session and auth": ("django/contrib/auth/middleware.py", "get_user"),
}


def _bucket_times(stats: pstats.Stats, requests: int) -> dict[str, float]:
    out = {}
    for name, (needle, *func) in BUCKETS.items():
        total = 0.0
        for (filename, _line, funcname), (_cc, _nc, _tt, cumtime, _callers) in stats.stats.items():
            if func:
                hit = needle in filename and funcname == func[0]
            else:
                hit = funcname == needle and "/site-packages/" not in filename
            if hit:
                total = max(total, cumtime)  # the outermost call of a recursive function holds the total
        out[name] = 1000 * total / requests
    return out


def _top(stats: pstats.Stats, requests: int, n: int = 12) -> list[dict[str, Any]]:
    rows = []
    for (filename, line, funcname), (_cc, ncalls, tottime, cumtime, _callers) in stats.stats.items():
        short = re.sub(r".*(site-packages|lib/python3\.\d+)/", "", filename).replace(ROOT, "")
        rows.append(
            {
                "function": f"{short}:{line}({funcname})",
                "calls_per_request": ncalls / requests,
                "own_ms": 1000 * tottime / requests,
                "cum_ms": 1000 * cumtime / requests,
            }
        )
    return sorted(rows, key=lambda r: -r["own_ms"])[:n]


class _Recorder:
    def __init__(self, statements: list[str]):
        self.statements = statements

    def __call__(self, execute, sql, params, many, context):
        self.statements.append(sql)
        return execute(sql, params, many, context)


def measure(*, reps: int) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client

    from bench.http import _pages, _user_for_inbox

    user = _user_for_inbox()
    pages, _cookie, _token = _pages(user)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    out: dict[str, Any] = {"user": user.username, "reps": reps, "pages": {}}
    for name, page in pages.items():
        path = page["path"]
        for _ in range(3):
            client.get(path)
        cpu, wall = [], []
        for _ in range(reps):
            c0, t0 = time.process_time(), time.perf_counter()
            response = client.get(path)
            cpu.append(time.process_time() - c0)
            wall.append(time.perf_counter() - t0)
            if response.status_code != 200:
                raise RuntimeError(f"{path} answered {response.status_code}")
        # counted by an execute wrapper: the test client's request_started signal resets connection.queries
        statements: list[str] = []
        with connection.execute_wrapper(_Recorder(statements)):
            client.get(path)
        prof = cProfile.Profile(time.process_time)
        prof.enable()
        for _ in range(reps):
            client.get(path)
        prof.disable()
        stats = pstats.Stats(prof)
        figures = {
            "path": path,
            "cpu_ms_p50": 1000 * percentile(cpu, 50),
            "wall_ms_p50": 1000 * percentile(wall, 50),
            "queries": len(statements),
            "buckets_cpu_ms": _bucket_times(stats, reps),
            "top_own": _top(stats, reps),
        }
        out["pages"][name] = figures
        log(
            f"pages {name} {path}: {figures['cpu_ms_p50']:.1f} ms CPU, {figures['queries']} queries, "
            + ", ".join(f"{k} {v:.1f}" for k, v in figures["buckets_cpu_ms"].items())
        )
    return out
