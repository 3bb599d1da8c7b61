"""Where a page's server CPU goes (issue 21, item 3): inbox, case page, case list and each role's start page.

Each page is requested in-process with Django's test client (production settings: DEBUG off, so the cached
template loader) on the benchmark world of the inbox component: the inbox, a case page (the detail of a case the
user may see) and the case list as the HTTP benchmark's user (the DKZ of a county), and the start page as a person
of each role (mayor, clerk, the five DKZ roles, the supervisory authority), whose roles are granted with the
product's own service. Per page, ``reps`` requests after a warm-up, the pages taken in turn (round robin, so that
a load change on the shared machine hits every page alike): CPU ms per request (this process: view, ORM,
templates, middleware; PostgreSQL's CPU is not included), queries per request (an execute wrapper), and a cProfile
with a CPU clock split into buckets by cumulative time: template rendering, context processors, the view's context
(selectors and ORM), SQL execution on the client side, session and auth.

``python -m bench.pages --db ikz_bench`` measures again on a kept benchmark database (``python -m bench --only
inbox,pages --keep-db``) after migrating it: a before/after of one change without building the world again.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import time
from typing import Any

from bench.common import BENCH_DB, BENCH_DIR, log, percentile

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


ROLE_USERS = {
    "mayor": "bench.role.mayor",
    "clerk": "bench.role.clerk",
    "project_manager": "bench.role.pm",
    "procurement": "bench.role.procurement",
    "funding": "bench.role.funding",
    "controlling": "bench.role.controlling",
    "board": "bench.role.board",
    "supervisor": "bench.role.supervisor",
}


def _role_users(user) -> dict[str, Any]:
    """A person per role, granted with the product's service on the benchmark user's county (its largest member for
    the municipal roles, the county's DKZ for the DKZ roles, a supervisory authority of the county)."""
    from django.contrib.auth import get_user_model

    from bench import world
    from projects.models import Institution, Municipality
    from projects.roles import DKZ_ROLES, MUNICIPAL_ROLES
    from projects.services.organisation import role_grant

    members = Municipality.objects.filter(pk__in=world.municipality_ids_of(user), kind__in=["gemeinde", "stadt"])
    # the member with the most open tasks, so that the municipal start pages list some
    candidates = list(members.select_related("county").order_by("pk"))
    if not candidates:
        raise RuntimeError("the benchmark user belongs to no municipality")
    member = max(candidates, key=lambda m: _open_tasks_of(m.pk))
    county = member.county
    dkz, _ = Institution.objects.get_or_create(
        slug=f"bench-dkz-{county.slug}", defaults={"kind": Institution.Kind.DKZ, "name": f"DKZ {county.name}"}
    )
    dkz.counties.add(county)
    supervisor, _ = Institution.objects.get_or_create(
        slug=f"bench-aufsicht-{county.slug}",
        defaults={"kind": Institution.Kind.SUPERVISORY, "name": f"Aufsicht {county.name}"},
    )
    supervisor.counties.add(county)
    user_model = get_user_model()
    out = {}
    for role, username in ROLE_USERS.items():
        person, _ = user_model.objects.get_or_create(
            username=username, defaults={"first_name": "Bench", "last_name": role, "is_active": True}
        )
        if role in MUNICIPAL_ROLES:
            role_grant(user=person, role=role, municipality=member)
        elif role in DKZ_ROLES:
            role_grant(user=person, role=role, institution=dkz)
        else:
            role_grant(user=person, role=role, institution=supervisor)
        out[role] = user_model.objects.get(pk=person.pk)
    return out


def _open_tasks_of(municipality_id: int) -> int:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM viewflow_task WHERE status = 'NEW' AND flow_task_type = 'HUMAN'"
            " AND owner_permission_obj_pk = %s",
            [str(municipality_id)],
        )
        return cur.fetchone()[0]


def _page_list() -> list[dict[str, Any]]:
    """[{name, path, user}]: the inbox, the case page, the case list, the start page of each role."""
    from django.urls import reverse

    from bench.http import _case_for, _user_for_inbox

    user = _user_for_inbox()
    pages = [{"name": "inbox", "path": "/portal/aufgaben/", "user": user}]
    case_pk = _case_for(user)
    if case_pk is None:
        raise RuntimeError("no case page for the benchmark user")
    pages.append({"name": "case page", "path": f"/portal/vorgaenge/{case_pk}/", "user": user})
    pages.append({"name": "case list", "path": "/portal/vorgaenge/", "user": user})
    start = reverse("portal:index")
    for role, person in _role_users(user).items():
        pages.append({"name": f"start ({role})", "path": start, "user": person})
    # the floor under every page: a page that renders only the layout with its menu for the logged-in user (the
    # portal's 404 page: session, user, memberships, the menu's task count, the layout template)
    pages.append(
        {"name": "floor: layout and menu (404 page)", "path": "/portal/keine-seite/", "user": user, "status": 404}
    )
    return pages


def measure(*, reps: int, profile: bool = True) -> dict[str, Any]:
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    pages = _page_list()
    clients = {}
    for page in pages:
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(page["user"])
        clients[page["name"]] = client
        for _ in range(3):
            response = client.get(page["path"])
            if response.status_code != page.get("status", 200):
                raise RuntimeError(f"{page['path']} answered {response.status_code} for {page['user'].username}")
    engine = settings.TEMPLATES[0]
    out: dict[str, Any] = {
        "user": pages[0]["user"].username,
        "reps": reps,
        "settings": {
            "DEBUG": settings.DEBUG,
            "template_loaders": engine.get("OPTIONS", {}).get("loaders") or "default (cached when DEBUG is off)",
            "SESSION_ENGINE": settings.SESSION_ENGINE,
        },
        "load_start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "pages": {},
    }
    cpu: dict[str, list[float]] = {p["name"]: [] for p in pages}
    wall: dict[str, list[float]] = {p["name"]: [] for p in pages}
    for _ in range(reps):
        for page in pages:
            client = clients[page["name"]]
            c0, t0 = time.process_time(), time.perf_counter()
            response = client.get(page["path"])
            cpu[page["name"]].append(time.process_time() - c0)
            wall[page["name"]].append(time.perf_counter() - t0)
            if response.status_code != page.get("status", 200):
                raise RuntimeError(f"{page['path']} answered {response.status_code}")
    for page in pages:
        name, path, client = page["name"], page["path"], clients[page["name"]]
        # counted by an execute wrapper: the test client's request_started signal resets connection.queries
        statements: list[str] = []
        with connection.execute_wrapper(_Recorder(statements)):
            client.get(path)
        stats = None
        if profile:
            prof = cProfile.Profile(time.process_time)
            prof.enable()
            for _ in range(reps):
                client.get(path)
            prof.disable()
            stats = pstats.Stats(prof)
        figures = {
            "path": path,
            "user": page["user"].username,
            "cpu_ms_p50": 1000 * percentile(cpu[name], 50),
            "wall_ms_p50": 1000 * percentile(wall[name], 50),
            "queries": len(statements),
            "statements": [s[:200] for s in statements],
            "buckets_cpu_ms": _bucket_times(stats, reps) if stats else {},
            "top_own": _top(stats, reps) if stats else [],
        }
        out["pages"][name] = figures
        log(
            f"pages {name} {path}: {figures['cpu_ms_p50']:.1f} ms CPU, {figures['queries']} queries, "
            + ", ".join(f"{k} {v:.1f}" for k, v in figures["buckets_cpu_ms"].items())
        )
    out["load_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return out


def main(argv: list[str] | None = None) -> int:
    """Measure the pages again on a kept benchmark database (migrated first), print the table, save the JSON."""
    parser = argparse.ArgumentParser(prog="python -m bench.pages", description=main.__doc__)
    parser.add_argument("--db", default=BENCH_DB)
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--out", default="", help="write the figures as JSON to this file")
    parser.add_argument("--no-profile", action="store_true", help="CPU time and queries only (no cProfile pass)")
    args = parser.parse_args(argv)
    from bench import report
    from bench.common import measure_on_kept_database

    return measure_on_kept_database(
        db=args.db,
        measure=lambda: measure(reps=args.reps, profile=not args.no_profile),
        table=report._pages,
        out=args.out,
    )


if __name__ == "__main__":
    raise SystemExit(main())
