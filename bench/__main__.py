"""``python -m bench --size quick|full|large``: every benchmark of issue 10 in one run (see docs/benchmarks.md)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
import traceback
from typing import Any

from bench.common import BENCH_DB, RESULTS_DIR, create_database, drop_database, log, machine_facts

SIZES: dict[str, dict[str, Any]] = {
    # quick: the smallest size, every figure once or twice (CI smoke run, < 3 minutes)
    "quick": {
        "engine_cases": 3,
        "engine_pairs": 2,
        "scaling_cases": 1,
        "pgbench_seconds": 3,
        "pgbench_runs": 2,
        "inbox_sizes": [100_000],
        "inbox_reps": 15,
        "pages_reps": 20,
        "http_duration": 2,
        "http_connections": [1, 4, 16],
        "settlement_entries": 100_000,
        "celery_idle": 20,
        "celery_burst": 500,
        "celery_probe": 10,
    },
    "full": {
        "engine_cases": 20,
        "engine_pairs": 3,
        "scaling_cases": 3,
        "pgbench_seconds": 20,
        "pgbench_runs": 3,
        "inbox_sizes": [100_000, 1_000_000],
        "inbox_reps": 100,
        "pages_reps": 100,
        "http_duration": 15,
        "http_connections": [1, 2, 4, 8, 16, 32, 64],
        "settlement_entries": 10_000_000,
        "celery_idle": 100,
        "celery_burst": 5_000,
        "celery_probe": 30,
    },
}
SIZES["large"] = dict(SIZES["full"], inbox_sizes=[100_000, 1_000_000, 10_000_000])

COMPONENTS = ("engine", "lstep", "scaling", "inbox", "pages", "http", "settlement", "celery")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--size", choices=sorted(SIZES), default="quick")
    parser.add_argument("--only", default="", help="comma-separated components: " + ",".join(COMPONENTS))
    parser.add_argument("--keep-db", action="store_true", help="keep the benchmark database afterwards")
    parser.add_argument("--db", default=BENCH_DB, help="name of the benchmark database (created and dropped)")
    parser.add_argument("--out", default=str(RESULTS_DIR), help="where to write <date>.json and <date>.md")
    parser.add_argument(
        "--inbox-sizes",
        default="",
        help="comma-separated task counts of the inbox component instead of the size's (e.g. 10000000 alone)",
    )
    parser.add_argument(
        "--inbox-product-indexes-only",
        action="store_true",
        help="measure the inbox only with the product's indexes (not viewflow's alone, not without the due date)",
    )
    args = parser.parse_args(argv)
    size = args.size
    if size == "full" and os.environ.get("BENCH_SCALE") == "large":
        size = "large"
    cfg = dict(SIZES[size])
    if args.inbox_sizes:
        cfg["inbox_sizes"] = [int(n) for n in args.inbox_sizes.split(",")]
    only = [c for c in args.only.split(",") if c] or list(COMPONENTS)

    started = time.time()
    load_start = _load()  # before the run's own work (database, migrations, world) raises it
    log(f"size={size} database={args.db} components={','.join(only)} load average {load_start}")
    create_database(args.db)
    from bench import djangoenv

    djangoenv.setup(args.db)
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    from bench import world

    world.create_geography()
    municipality_id, username = world.create_engine_user()
    env = djangoenv.bench_environment(args.db)

    results: dict[str, Any] = {
        "issue": 10,
        "size": size,
        "started": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": dict(machine_facts(), load_start=load_start, fdatasync=_fdatasync() if size != "quick" else None),
        "config": cfg,
        "components": {},
        "errors": {},
    }

    def component(name: str, fn) -> None:
        if name not in only:
            return
        log(f"--- {name}")
        t0 = time.time()
        try:
            results["components"][name] = fn()
            results["components"][name]["_seconds"] = round(time.time() - t0, 1)
        except Exception as exc:
            traceback.print_exc()
            results["errors"][name] = repr(exc)

    def engine_component():
        from bench import engine, spiff

        spiff.create_schema()
        return engine.measure(
            env,
            municipality_id,
            username,
            processes=(1, 2),
            flows=("human", "auto"),
            cases=cfg["engine_cases"],
            pairs=cfg["engine_pairs"],
            between_blocks=_vacuum if size != "quick" else None,
        )

    def lstep_component():
        from bench import lstep

        return lstep.measure(
            env, args.db, municipality_id, username, seconds=cfg["pgbench_seconds"], runs=cfg["pgbench_runs"]
        )

    def scaling_component():
        from bench import scaling

        return scaling.measure(cases=cfg["scaling_cases"])

    def inbox_component():
        from bench import inbox

        return inbox.measure(
            sizes=cfg["inbox_sizes"],
            reps=cfg["inbox_reps"],
            out_dir=args.out,
            size=size,
            product_only=args.inbox_product_indexes_only,
        )

    def pages_component():
        from bench import pages

        return pages.measure(reps=cfg["pages_reps"])

    def http_component():
        from bench import http

        return http.measure(env, duration=cfg["http_duration"], connections=cfg["http_connections"])

    def settlement_component():
        from bench import settlement

        return settlement.measure(entries=cfg["settlement_entries"])

    def celery_component():
        from bench import celery_step

        return celery_step.measure(
            env, municipality_id, idle=cfg["celery_idle"], burst=cfg["celery_burst"], probes=cfg["celery_probe"]
        )

    component("engine", engine_component)
    component("lstep", lstep_component)
    if "engine" in results["components"] and "lstep" in results["components"]:
        from bench.lstep import ratios

        results["components"]["lstep"]["engine_ratio"] = ratios(
            results["components"]["engine"], results["components"]["lstep"]
        )
    component("scaling", scaling_component)
    component("inbox", inbox_component)
    component("pages", pages_component)
    component("http", http_component)
    component("settlement", settlement_component)
    component("celery", celery_component)

    results["seconds"] = round(time.time() - started, 1)
    results["machine"]["load_end"] = _load()
    from django.db import connections

    connections.close_all()
    if not args.keep_db:
        drop_database(args.db)

    from bench import report

    os.makedirs(args.out, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y-%m-%d") + ("" if size != "quick" else "-quick")
    json_path = os.path.join(args.out, f"{stamp}.json")
    md_path = os.path.join(args.out, f"{stamp}.md")
    with open(json_path, "w") as fh:
        json.dump(results, fh, indent=1, default=str)
    markdown = report.markdown(results)
    with open(md_path, "w") as fh:
        fh.write(markdown)
    print(markdown)
    log(f"wrote {json_path} and {md_path} in {results['seconds']} s")
    return 1 if results["errors"] else 0


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _fdatasync() -> str | None:
    """fdatasync latency on the disk of the working directory (pg_test_fsync, 1 s per test)."""
    import re
    import subprocess
    import tempfile

    from bench.common import pg_bin

    tool = pg_bin("pg_test_fsync")
    if not tool:
        return None
    with tempfile.TemporaryDirectory(dir=RESULTS_DIR) as tmp:
        out = subprocess.run(
            [tool, "-s", "1", "-f", os.path.join(tmp, "fsync.tmp")], capture_output=True, text=True, timeout=120
        ).stdout
    m = re.search(r"fdatasync\s+([0-9.,]+) ops/sec\s+([0-9.,]+) usecs/op", out)
    return f"{m.group(2)} µs ({m.group(1)} ops/s)" if m else None


def _vacuum() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "VACUUM ANALYZE viewflow_task, viewflow_process, projects_auditentry, bench_spiff_task,"
            " bench_spiff_workflow"
        )


if __name__ == "__main__":
    sys.exit(main())
