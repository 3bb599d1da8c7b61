"""``python -m bench.profile``: where one engine step's time goes (issue 21, item 1).

Runs the benchmark's human step (claim + complete) and automatic case on both engines in one process, after a
warm-up, and reports per step:

- wall and CPU time of this process (the client side: Django, the engine, the driver),
- the SQL statements and their time on the wire,
- the **shared part**, the work both engines do the same way in the benchmark: loading the user (twice: a fresh
  user object per service call), the case lock (``SELECT ... FOR UPDATE``), reading the process/workflow row, the
  capability check (``workflows.selectors.capability_pairs_of``) and the audit entry (``audit_record``), each timed
  end to end (Python and SQL);
- the **engine's own part** = the rest.

Then a cProfile of the viewflow steps: the functions with the most own time, and the cumulative time of viewflow's
activation calls. Writes ``bench/results/<date>-profile.json`` and prints a markdown table.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import json
import os
import pstats
import re
import time
from collections import defaultdict
from contextlib import contextmanager
from typing import Any

from bench.common import BENCH_DB, RESULTS_DIR, create_database, drop_database, log, percentile

STEPS = 10


class Meter:
    """Accumulates time per shared category while a step runs (nested categories count once, outermost wins)."""

    def __init__(self):
        self.totals: dict[str, float] = defaultdict(float)
        self.depth = 0
        self.sql = 0
        self.sql_s = 0.0

    @contextmanager
    def part(self, name: str):
        if self.depth:
            yield
            return
        self.depth += 1
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.totals[name] += time.perf_counter() - t0
            self.totals["cpu " + name] += time.process_time() - c0
            self.depth -= 1

    def wrap(self, name: str, fn):
        def wrapper(*args, **kwargs):
            with self.part(name):
                return fn(*args, **kwargs)

        return wrapper

    def sql_wrapper(self, execute, sql, params, many, context):
        self.sql += 1
        text = sql.lstrip().upper()
        name = None
        if "FOR UPDATE" in text:
            name = "lock"
        elif text.startswith("SELECT") and ('FROM "VIEWFLOW_PROCESS"' in text or "FROM BENCH_SPIFF_WORKFLOW" in text):
            name = "process read"
        t0 = time.perf_counter()
        try:
            if name:
                with self.part(name):
                    return execute(sql, params, many, context)
            return execute(sql, params, many, context)
        finally:
            self.sql_s += time.perf_counter() - t0


def _install(meter: Meter) -> list[tuple[Any, str, Any]]:
    """Time the shared services wherever the engines call them (module attributes, looked up at call time)."""
    import projects.services.audit as audit
    import workflows.bench_flows as bench_flows
    import workflows.selectors as selectors

    patches = [
        (audit, "audit_record", meter.wrap("audit entry", audit.audit_record)),
        (bench_flows, "audit_record", meter.wrap("audit entry", audit.audit_record)),
        (selectors, "capability_pairs_of", meter.wrap("capability check", selectors.capability_pairs_of)),
    ]
    saved = []
    for module, name, new in patches:
        saved.append((module, name, getattr(module, name)))
        setattr(module, name, new)
    return saved


def _restore(saved) -> None:
    for module, name, old in saved:
        setattr(module, name, old)


def _human_steps(engine_name: str, ctx, meter: Meter, cases: int) -> list[dict[str, float]]:
    from viewflow.workflow import STATUS
    from viewflow.workflow.models import Task

    from workflows import engine
    from workflows.bench_flows import BenchHumanFlow

    def user():
        with meter.part("user load"):
            return ctx.user()

    steps = []
    for _ in range(cases):
        if engine_name == "viewflow":
            process = BenchHumanFlow.start.run(municipality_id=ctx.municipality_id)
            task = Task.objects.get(process=process, status=STATUS.NEW, flow_task_type="HUMAN")
        else:
            spiff = ctx.spiff_engine("human", engine_name == "spiff_cached")
            task_pk = spiff.start(ctx.municipality_id)
        for _ in range(STEPS):
            meter.totals.clear()
            meter.sql = 0
            meter.sql_s = 0.0
            c0, t0 = time.process_time(), time.perf_counter()
            if engine_name == "viewflow":
                engine.task_assign(task=task, user=user())
                new_tasks = engine.task_complete(task=task, user=user(), data={})
                human = [t for t in new_tasks if t.flow_task_type == "HUMAN"]
                task = human[0] if human else None
            else:
                spiff.assign(task_pk, user())
                task_pk = spiff.complete(task_pk, user())
            wall = time.perf_counter() - t0
            steps.append(
                {
                    "wall": wall,
                    "cpu": time.process_time() - c0,
                    "sql": meter.sql,
                    "sql_s": meter.sql_s,
                    **dict(meter.totals),
                }
            )
    return steps


def _auto_cases(engine_name: str, ctx, meter: Meter, cases: int) -> list[dict[str, float]]:
    from workflows.bench_flows import BenchAutoFlow

    out = []
    for _ in range(cases):
        meter.totals.clear()
        meter.sql = 0
        meter.sql_s = 0.0
        c0, t0 = time.process_time(), time.perf_counter()
        if engine_name == "viewflow":
            BenchAutoFlow.start.run(municipality_id=ctx.municipality_id)
        else:
            ctx.spiff_engine("auto", engine_name == "spiff_cached").start(ctx.municipality_id)
        wall = time.perf_counter() - t0
        # per step: a case is ten steps in one transaction
        row = {"wall": wall, "cpu": time.process_time() - c0, "sql": meter.sql, "sql_s": meter.sql_s}
        row.update(meter.totals)
        out.append({k: v / STEPS for k, v in row.items()})
    return out


SHARED = ("user load", "lock", "process read", "capability check", "audit entry")


def _summarise(rows: list[dict[str, float]]) -> dict[str, float]:
    def p50(key):
        return 1000 * percentile([r.get(key, 0.0) for r in rows], 50)

    out = {"n": len(rows), "wall_ms": p50("wall"), "cpu_ms": p50("cpu"), "sql_ms": p50("sql_s")}
    out["statements"] = percentile([r["sql"] for r in rows], 50)
    shared = {name: p50(name) for name in SHARED}
    out["shared"] = shared
    out["shared_ms"] = 1000 * percentile([sum(r.get(n, 0.0) for n in SHARED) for r in rows], 50)
    out["own_ms"] = 1000 * percentile([r["wall"] - sum(r.get(n, 0.0) for n in SHARED) for r in rows], 50)
    # the same split in CPU time of this process (robust on a loaded machine: waiting for PostgreSQL is not counted)
    out["shared_cpu"] = {name: p50("cpu " + name) for name in SHARED}
    out["shared_cpu_ms"] = 1000 * percentile([sum(r.get("cpu " + n, 0.0) for n in SHARED) for r in rows], 50)
    out["own_cpu_ms"] = 1000 * percentile([r["cpu"] - sum(r.get("cpu " + n, 0.0) for n in SHARED) for r in rows], 50)
    return out


def _cprofile(ctx, cases: int) -> dict[str, Any]:
    """cProfile of viewflow human steps and automatic cases: top own time, and viewflow's activation calls."""
    meter = Meter()
    out = {}
    for flow, fn in (("human", _human_steps), ("auto", _auto_cases)):
        prof = cProfile.Profile()
        prof.enable()
        fn("viewflow", ctx, meter, cases)
        prof.disable()
        stats = pstats.Stats(prof)
        steps = cases * STEPS
        rows = []
        for (filename, line, func), (_cc, ncalls, tottime, cumtime, _callers) in stats.stats.items():
            short = re.sub(r".*(site-packages|lib/python3\.\d+)/", "", filename)
            short = re.sub(r".*/(bench|workflows|projects|portal|api)/", r"\1/", short)
            rows.append(
                {
                    "function": f"{short}:{line}({func})",
                    "calls_per_step": ncalls / steps,
                    "own_ms_per_step": 1000 * tottime / steps,
                    "cum_ms_per_step": 1000 * cumtime / steps,
                }
            )
        by_own = sorted(rows, key=lambda r: -r["own_ms_per_step"])[:20]
        ours = [
            r
            for r in rows
            if re.search(r"viewflow/workflow/(activation|nodes|flow|lock|models|base)", r["function"])
            or r["function"].startswith(("workflows/", "projects/services/audit"))
        ]
        by_cum = sorted(ours, key=lambda r: -r["cum_ms_per_step"])[:25]
        out[flow] = {"top_own": by_own, "engine_cumulative": by_cum}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--db", default=BENCH_DB)
    parser.add_argument("--cases", type=int, default=3, help="cases per engine and flow (ten steps each)")
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--out", default=str(RESULTS_DIR))
    args = parser.parse_args(argv)

    create_database(args.db)
    from bench import djangoenv

    djangoenv.setup(args.db)
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    from bench import spiff, world
    from bench.engine import _Context

    world.create_geography()
    municipality_id, username = world.create_engine_user()
    spiff.create_schema()
    ctx = _Context(municipality_id, username)
    from django.db import connection

    load_start = " ".join(f"{x:.2f}" for x in os.getloadavg())
    results: dict[str, Any] = {"load_start": load_start, "cases": args.cases, "split": {}}
    engines = ("viewflow", "spiff", "spiff_cached")
    meter = Meter()
    for flow, fn in (("human", _human_steps), ("auto", _auto_cases)):
        for engine_name in engines:  # warm-up
            fn(engine_name, ctx, meter, 1)
        saved = _install(meter)
        try:
            with connection.execute_wrapper(meter.sql_wrapper):
                for engine_name in engines:
                    rows = fn(engine_name, ctx, meter, args.cases)
                    results["split"][f"{flow} {engine_name}"] = _summarise(rows)
                    log(f"profile {flow} {engine_name}: {results['split'][f'{flow} {engine_name}']}")
        finally:
            _restore(saved)
    results["cprofile"] = _cprofile(ctx, args.cases)
    results["load_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    connection.close()
    if not args.keep_db:
        drop_database(args.db)
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, dt.datetime.now().strftime("%Y-%m-%d") + "-profile.json")
    with open(path, "w") as fh:
        json.dump(results, fh, indent=1)
    print(markdown(results))
    log(f"wrote {path}")
    return 0


def markdown(results: dict[str, Any]) -> str:
    lines = [
        f"Load average at start / end: {results['load_start']} / {results['load_end']}; p50 per step, ms.",
        "",
        "| flow, engine | SQL statements | wall | SQL time | client CPU | CPU shared: user / lock / process /"
        " capability / audit | CPU shared | CPU engine's own | wall shared | wall engine's own |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for key, s in results["split"].items():
        shared = " / ".join(f"{s.get('shared_cpu', s['shared'])[n]:.2f}" for n in SHARED)
        lines.append(
            f"| {key} | {s['statements']:.0f} | {s['wall_ms']:.2f} | {s['sql_ms']:.2f} | {s['cpu_ms']:.2f} | {shared}"
            f" | {s.get('shared_cpu_ms', 0):.2f} | {s.get('own_cpu_ms', 0):.2f} | {s['shared_ms']:.2f}"
            f" | {s['own_ms']:.2f} |"
        )
    for flow, prof in results.get("cprofile", {}).items():
        lines += [
            "",
            f"cProfile, viewflow {flow}: engine and product functions by cumulative time per step (ms)",
            "",
            "| function | calls/step | cumulative ms/step | own ms/step |",
            "|---|---|---|---|",
        ]
        for r in prof["engine_cumulative"][:15]:
            lines.append(
                f"| `{r['function']}` | {r['calls_per_step']:.1f} | {r['cum_ms_per_step']:.2f}"
                f" | {r['own_ms_per_step']:.2f} |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
