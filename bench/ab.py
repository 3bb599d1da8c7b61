"""``python -m bench.ab BEFORE AFTER``: interleaved A/B of the engine step between two checkouts (issue 21).

On a shared machine one profile run does not resolve a change of a few milliseconds: the load changes more between
two runs than the change itself. This driver runs the same measurement in two source trees (e.g. the commit before
and after a change, both with this file), alternately, ``--rounds`` times, on one benchmark database:

- ``human``: claim + complete of ``BenchHumanFlow`` through ``workflows.engine`` (a fresh user per call), CPU of the
  driver process per step (p50) and statements per step;
- ``auto``: ``BenchAutoFlow`` cases, CPU and statements per automatic step;
- ``split``: ``BenchSplitFlow`` once for N = 3, 29 and 100: statements of the split step (claim + complete of the
  task that creates the N tasks, after-commit hooks included), of a parallel step, of the last join arrival.

Each measurement runs in a fresh process of its tree (``python -m bench.ab --worker MODE``). With ``--callgrind``
the human and automatic steps are also counted in instructions (``valgrind --tool=callgrind``: one run with the
cases and one without, the difference per step), which the machine's load does not change.
Writes ``bench/results/<date>-engine-ab.json`` (or ``--out``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from typing import Any

from bench.common import RESULTS_DIR, create_database, drop_database, log, percentile

DB = "ikz_bench_ab"
SPLIT_SIZES = (3, 29, 100)


# --- the worker: runs inside one tree ---------------------------------------------------------------------------
def _worker(mode: str, db: str, cases: int) -> dict[str, Any]:
    from bench import djangoenv

    djangoenv.setup(db)
    from django.db import connection

    from bench import world

    if mode == "setup":
        from django.core.management import call_command

        from bench.scaling import USERNAME, _participants

        call_command("migrate", verbosity=0, interactive=False)
        world.create_geography()
        world.create_engine_user()
        world.make_user(USERNAME, _participants(max(SPLIT_SIZES)), ["approve_project_order"])
        return {"setup": True}

    from viewflow.workflow import STATUS
    from viewflow.workflow.models import Task

    from bench.engine import _Context
    from workflows import engine
    from workflows.bench_flows import STEPS, BenchAutoFlow, BenchHumanFlow

    ctx = _Context(world.hessen_municipality_ids()[0], world.ENGINE_USER)
    count = [0]

    def counter(execute, sql, params, many, context):
        count[0] += 1
        return execute(sql, params, many, context)

    def human(n: int) -> list[tuple[float, int]]:
        rows = []
        for _ in range(n):
            process = BenchHumanFlow.start.run(municipality_id=ctx.municipality_id)
            task = Task.objects.get(process=process, status=STATUS.NEW, flow_task_type="HUMAN")
            while task is not None:
                count[0] = 0
                c0 = time.process_time()
                engine.task_assign(task=task, user=ctx.user())
                new = engine.task_complete(task=task, user=ctx.user(), data={})
                rows.append((time.process_time() - c0, count[0]))
                task = next((t for t in new if t.flow_task_type == "HUMAN"), None)
        return rows

    def auto(n: int) -> list[tuple[float, float]]:
        rows = []
        for _ in range(n):
            count[0] = 0
            c0 = time.process_time()
            BenchAutoFlow.start.run(municipality_id=ctx.municipality_id)
            rows.append(((time.process_time() - c0) / STEPS, count[0] / STEPS))
        return rows

    with connection.execute_wrapper(counter):
        if mode in ("human", "auto"):
            fn = human if mode == "human" else auto
            fn(1)  # warm-up: imports, content types, compiled statements
            rows = fn(cases)
            return {
                "cpu_ms_p50": 1000 * (percentile([r[0] for r in rows], 50) or 0.0),
                "statements_p50": percentile([r[1] for r in rows], 50) or 0,
                "steps": len(rows),
            }
        if mode == "split":
            from django.contrib.auth import get_user_model

            from bench.scaling import USERNAME, _Counter, _viewflow_case

            user_model = get_user_model()

            def user_of():
                return user_model.objects.get(username=USERNAME)

            split_counter = _Counter()
            out: dict[str, Any] = {}
            with connection.execute_wrapper(split_counter):
                _viewflow_case(3, user_of, split_counter)  # warm-up
                for size in SPLIT_SIZES:
                    steps = _viewflow_case(size, user_of, split_counter)
                    parallel = [s["sql"] for s in steps if s["kind"] == "parallel"]
                    out[str(size)] = {
                        "split_sql": next(s["sql"] for s in steps if s["kind"] == "split"),
                        "split_ms": 1000 * next(s["s"] for s in steps if s["kind"] == "split"),
                        "parallel_sql": percentile(parallel, 50) if parallel else None,
                        "join_sql": next((s["sql"] for s in steps if s["kind"] == "join"), None),
                        "sql_per_step": sum(s["sql"] for s in steps) / len(steps),
                    }
            return out
    raise SystemExit(f"unknown mode {mode}")


# --- the driver ------------------------------------------------------------------------------------------------
def _run(tree: str, mode: str, db: str, cases: int, callgrind: bool = False) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "bench.ab", "--worker", mode, "--db", db, "--cases", str(cases)]
    env = dict(os.environ, PYTHONPATH=tree)
    if not callgrind:
        done = subprocess.run(cmd, cwd=tree, env=env, check=True, capture_output=True, text=True)
        return json.loads(done.stdout.strip().splitlines()[-1])
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "callgrind.out")
        vg = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]
        subprocess.run(vg + cmd, cwd=tree, env=env, check=True, capture_output=True, text=True)
        with open(out) as fh:
            totals = re.search(r"^(?:summary|totals):\s+(\d+)", fh.read(), re.M)
        return {"instructions": int(totals.group(1)) if totals else None}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ab", description=__doc__)
    parser.add_argument("trees", nargs="*", help="source trees: before, after")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--db", default=DB)
    parser.add_argument("--cases", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--callgrind", action="store_true")
    parser.add_argument("--out", default=str(RESULTS_DIR))
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(_worker(args.worker, args.db, args.cases)))
        return 0
    if len(args.trees) != 2:
        parser.error("two source trees: before and after")
    trees = {"before": os.path.abspath(args.trees[0]), "after": os.path.abspath(args.trees[1])}
    create_database(args.db)
    _run(trees["before"], "setup", args.db, 0)
    results: dict[str, Any] = {"load_start": os.getloadavg(), "cases": args.cases, "rounds": [], "split": {}}
    try:
        for round_no in range(args.rounds):
            row: dict[str, Any] = {"load": os.getloadavg()}
            for mode in ("human", "auto"):
                for name, tree in trees.items():
                    row[f"{mode} {name}"] = _run(tree, mode, args.db, args.cases)
            log(f"A/B round {round_no + 1}: {row}")
            results["rounds"].append(row)
        for name, tree in trees.items():
            results["split"][name] = _run(tree, "split", args.db, 1)
            log(f"split {name}: {results['split'][name]}")
        if args.callgrind:
            results["callgrind"] = {}
            for mode in ("human", "auto"):
                for name, tree in trees.items():
                    with_cases = _run(tree, mode, args.db, 1, callgrind=True)["instructions"]
                    without = _run(tree, mode, args.db, 0, callgrind=True)["instructions"]
                    steps = 10  # one case of ten steps (human: claim + complete each)
                    per_step = (with_cases - without) / steps if with_cases and without else None
                    results["callgrind"][f"{mode} {name}"] = {"instructions_per_step": per_step}
                    log(f"callgrind {mode} {name}: {per_step} instructions per step")
    finally:
        drop_database(args.db)
    results["load_end"] = os.getloadavg()
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, dt.datetime.now().strftime("%Y-%m-%d") + "-engine-ab.json")
    with open(path, "w") as fh:
        json.dump(results, fh, indent=1)
    log(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
