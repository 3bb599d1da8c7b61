"""Inbox latency: what the inbox page and the API task list compute, at 10^5 .. 10^7 tasks.

Users: a clerk of the largest Hessian municipality, a clerk of a median one, the DKZ of the first one's county (its
capabilities on every municipality of the county) and a user with all 421 Hessian municipalities. Each holds the
eight task capabilities on its municipalities (guardian group rows, as the product grants them).

Per user, two timed units, p50/p95 warm over ``reps`` requests (a fresh user object each time, so the capability
lookup is paid as in a request), and cold: the first execution on a new database connection, after asking the OS to
drop its page cache (PostgreSQL's shared buffers stay as they are: the shared server is not restarted):

- ``page``: the portal inbox without its template: ``portal.selectors.inbox_for_user`` with the page's default
  filters and sort (due date), first page of ``InboxPaginator`` (its count included) and ``task_rows``;
- ``api``: ``GET /api/tasks/`` through the DRF view (filters, paginator, serializer, JSON rendering).

The SQL query count of each and ``EXPLAIN (ANALYZE, BUFFERS)`` of the page's queries on the task table are saved.
Measured per size with viewflow's own indexes only, with the inbox indexes of
workflows/migrations/0002_inbox_indexes.py, and with those and the due-date index of
workflows/migrations/0003_inbox_due_index.py (the page's default sort).
"""

from __future__ import annotations

import re
import time
from importlib import import_module
from pathlib import Path
from typing import Any

from bench import world
from bench.common import log, percentile

PAGE = 25


def _index_states() -> list[tuple[str, dict[str, str]]]:
    """(label, the indexes of that state): viewflow's own, + the inbox indexes, + the due-date index."""
    inbox = import_module("workflows.migrations.0002_inbox_indexes").INDEXES
    states = [("viewflow only", {}), ("viewflow + inbox indexes", dict(inbox))]
    try:
        due = import_module("workflows.migrations.0003_inbox_due_index").INDEXES
    except ImportError:  # a branch before the due-date index
        return states
    return states + [("viewflow + inbox indexes + due date", {**inbox, **due})]


def _set_indexes(enabled: dict[str, str]) -> None:
    from django.db import connection

    every = {name for _label, indexes in _index_states() for name in indexes}
    with connection.cursor() as cur:
        for name in sorted(every - set(enabled)):
            cur.execute(f"DROP INDEX IF EXISTS {name}")
        for sql in enabled.values():
            cur.execute(sql)
        cur.execute("ANALYZE viewflow_task")


def _users() -> dict[str, tuple[str, list[int]]]:
    from django.db import connection

    hessen = world.hessen_municipality_ids()
    with connection.cursor() as cur:
        cur.execute("SELECT w.id FROM bench_muni_weight w WHERE w.id = ANY(%s) ORDER BY w.w DESC, w.id", [hessen])
        ranked = [r[0] for r in cur.fetchall()]
        largest, median = ranked[0], ranked[len(ranked) // 2]
        cur.execute(
            "SELECT m.id FROM projects_municipality m WHERE m.county_id ="
            " (SELECT county_id FROM projects_municipality WHERE id = %s) AND m.slug LIKE 'bk-m-%%' ORDER BY m.id",
            [largest],
        )
        county = [r[0] for r in cur.fetchall()]
    users = {
        "clerk (largest Hessian municipality)": ("bench.clerk.large", [largest]),
        "clerk (median Hessian municipality)": ("bench.clerk.median", [median]),
        "DKZ of a county": ("bench.dkz", county),
        "all 421 Hessian municipalities": ("bench.hessen", hessen),
    }
    for username, munis in users.values():
        world.make_user(username, munis, world.TASK_CAPABILITIES)
    return users


def _drop_os_cache() -> bool:
    try:
        import os

        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("1\n")
        return True
    except OSError:
        return False


def _portal_page(user) -> list:
    """What the inbox page computes before rendering: the default filters and sort (due date), its paginator, rows."""
    from portal.selectors import InboxFilter, InboxPaginator, inbox_for_user, task_rows

    page = InboxPaginator(inbox_for_user(user=user, filters=InboxFilter()), PAGE).get_page(1)
    return task_rows(tasks=list(page.object_list), user=user)


def _api_list(user):
    """The REST API's task list (``GET /api/tasks/``), first page, rendered to JSON (no HTTP, no authentication)."""
    from rest_framework.test import APIRequestFactory, force_authenticate

    from api.tasks import TaskListView

    request = APIRequestFactory().get("/api/tasks/", HTTP_HOST="127.0.0.1")
    force_authenticate(request, user=user)
    response = TaskListView.as_view()(request)
    response.render()
    if response.status_code != 200:
        raise RuntimeError(f"API task list answered {response.status_code}")
    return response


TIMED = {"page": _portal_page, "api": _api_list}


def _one_user(username: str, reps: int) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user_model = get_user_model()
    figures: dict[str, Any] = {"reps": reps}
    for name, fn in TIMED.items():
        # cold: a new backend (empty catalog and plan caches), OS page cache dropped if allowed
        connection.close()
        dropped = _drop_os_cache()
        connection.ensure_connection()
        user = user_model.objects.get(username=username)
        t0 = time.perf_counter()
        fn(user)
        cold = time.perf_counter() - t0
        warm, cpu = [], []
        for _ in range(reps):
            user = user_model.objects.get(username=username)  # as in a request: no cached capabilities
            c0, t0 = time.process_time(), time.perf_counter()
            fn(user)
            warm.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        user = user_model.objects.get(username=username)
        with CaptureQueriesContext(connection) as ctx:
            fn(user)
        queries = [q["sql"] for q in ctx.captured_queries]
        figures.update(
            {
                f"{name}_p50_ms": 1000 * percentile(warm, 50),
                f"{name}_p95_ms": 1000 * percentile(warm, 95),
                f"{name}_cpu_ms": 1000 * percentile(cpu, 50),
                f"{name}_cold_ms": 1000 * cold,
                f"{name}_queries": len(queries),
                "os_cache_dropped": dropped,
            }
        )
        if name == "page":
            figures["plans"] = _plans([q for q in queries if 'FROM "viewflow_task"' in q])
            figures["page_db_ms"] = sum(p["ms"] or 0 for p in figures["plans"])
    user = user_model.objects.get(username=username)
    from workflows.selectors import task_list_for_user

    figures["visible"] = task_list_for_user(user=user).count()
    return figures


def _plans(queries: list[str]) -> list[dict[str, Any]]:
    """``EXPLAIN (ANALYZE, BUFFERS)`` of each query on the task table (the paginator's count and the page)."""
    from django.db import connection

    plans = []
    with connection.cursor() as cur:
        for sql in queries:
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plan = "\n".join(r[0] for r in cur.fetchall())
            m = re.search(r"Execution Time: ([0-9.]+) ms", plan)
            plans.append({"sql": sql[:300], "ms": float(m.group(1)) if m else None, "plan": plan})
    return plans


def measure(*, sizes: list[int], reps: int, out_dir: str, size: str, product_only: bool = False) -> dict[str, Any]:
    """Each size with each index state; ``product_only``: only the product's own indexes (every migration applied),
    for sizes where viewflow's indexes alone would take an hour to measure (10^7)."""
    from django.db import connection

    runs = []
    have = 0
    users = None
    for total in sizes:
        t0 = time.time()
        gen = world.generate_tasks(total - have)
        have = total
        log(f"inbox: {gen['tasks']:,} tasks ({gen['open_human']:,} open human) generated in {time.time() - t0:.0f} s")
        if users is None:
            users = _users()
        states = _index_states()
        for label, enabled in states[-1:] if product_only else states:
            t0 = time.time()
            _set_indexes(enabled)
            run: dict[str, Any] = {"tasks": total, "indexes": label, "users": {}}
            run["users"] = _measure_users(users, reps, f"{total:,} [{label}]")
            run["index_build_s"] = round(time.time() - t0, 1) if enabled else None
            runs.append(run)
    with connection.cursor() as cur:
        cur.execute("SELECT pg_size_pretty(pg_total_relation_size('viewflow_task'))")
        table_size = cur.fetchone()[0]
    return {"runs": runs, "page_size": PAGE, "task_table_size": table_size}


def measure_again(*, reps: int) -> dict[str, Any]:
    """The users of the inbox benchmark on a kept benchmark database, as it is (no tasks generated, the product's
    indexes as migrated): a before/after of one change at 10^7 without generating the tasks again."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM viewflow_task")
        total = cur.fetchone()[0]
    run = {
        "tasks": total,
        "indexes": "as migrated (measured again)",
        "users": _measure_users(_users(), reps, f"{total:,}"),
    }
    return {"runs": [run], "page_size": PAGE}


def _measure_users(users: dict[str, tuple[str, list[int]]], reps: int, label: str) -> dict[str, Any]:
    out = {}
    for name, (username, munis) in users.items():
        figures = _one_user(username, reps)
        figures["municipalities"] = len(munis)
        out[name] = figures
        log(
            f"inbox {label} {name}: page p50 {figures['page_p50_ms']:.1f} / p95 {figures['page_p95_ms']:.1f} ms"
            f" (in PostgreSQL {figures['page_db_ms']:.1f} ms, {figures['page_queries']} queries), API p50"
            f" {figures['api_p50_ms']:.1f} / p95 {figures['api_p95_ms']:.1f} ms ({figures['api_queries']} queries)"
        )
    return out


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.inbox --db <kept database>``: measure the inbox again (``python -m bench --only inbox
    --keep-db`` kept the database), print the table, save the JSON."""
    import argparse

    from bench import report
    from bench.common import BENCH_DB, measure_on_kept_database

    parser = argparse.ArgumentParser(prog="python -m bench.inbox", description=main.__doc__)
    parser.add_argument("--db", default=BENCH_DB)
    parser.add_argument("--reps", type=int, default=100)
    parser.add_argument("--out", default="", help="write the figures as JSON to this file")
    args = parser.parse_args(argv)
    return measure_on_kept_database(
        db=args.db, measure=lambda: measure_again(reps=args.reps), table=report._inbox, out=args.out
    )


if __name__ == "__main__":
    raise SystemExit(main())
