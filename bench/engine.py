"""Engine throughput: viewflow (through workflows.engine) against SpiffWorkflow, by 1 and by 2 driver processes.

Each driver process sets Django up once, then runs commands sent to it; all drivers of a run start together at a
barrier. A human step is what a clerk does through the API: claim the task (``engine.task_assign``), then complete it
(``engine.task_complete``): two transactions. An automatic case is ten ``flow.Function`` steps in the start's one
transaction. The Spiff side does the same work with the same artefacts (bench/spiff.py).
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import time
from typing import Any

from bench.common import log, percentile, summary

ENGINES = ("viewflow", "spiff", "spiff_cached")
STEPS = 10


# --- inside a driver process -------------------------------------------------------------------------------------
class _Context:
    def __init__(self, municipality_id: int, username: str):
        from django.contrib.auth import get_user_model

        self.municipality_id = municipality_id
        self.username = username
        self.user_model = get_user_model()
        self.spiff: dict[tuple[str, bool], Any] = {}

    def user(self):
        # a fresh user object per action, as a request would have (no permission cache carried over)
        return self.user_model.objects.get(username=self.username)

    def spiff_engine(self, kind: str, cached: bool):
        from bench.spiff import SpiffEngine

        key = (kind, cached)
        if key not in self.spiff:
            self.spiff[key] = SpiffEngine(kind, cached)
        return self.spiff[key]


def _viewflow_human_case(ctx: _Context, step_lat: list[float]) -> None:
    from viewflow.workflow import STATUS
    from viewflow.workflow.models import Task

    from workflows import engine
    from workflows.bench_flows import BenchHumanFlow

    process = BenchHumanFlow.start.run(municipality_id=ctx.municipality_id)
    task = Task.objects.get(process=process, status=STATUS.NEW, flow_task_type="HUMAN")
    for _ in range(STEPS):
        t0 = time.perf_counter()
        engine.task_assign(task=task, user=ctx.user())
        new_tasks = engine.task_complete(task=task, user=ctx.user(), data={})
        step_lat.append(time.perf_counter() - t0)
        human = [t for t in new_tasks if t.flow_task_type == "HUMAN"]
        task = human[0] if human else None
    assert task is None, "the flow should have ended after ten steps"


def _viewflow_auto_case(ctx: _Context, step_lat: list[float]) -> None:
    from workflows.bench_flows import BenchAutoFlow

    t0 = time.perf_counter()
    BenchAutoFlow.start.run(municipality_id=ctx.municipality_id)
    step_lat.append((time.perf_counter() - t0) / STEPS)


def _spiff_human_case(ctx: _Context, cached: bool, step_lat: list[float]) -> None:
    eng = ctx.spiff_engine("human", cached)
    task_pk = eng.start(ctx.municipality_id)
    for _ in range(STEPS):
        t0 = time.perf_counter()
        eng.assign(task_pk, ctx.user())
        task_pk = eng.complete(task_pk, ctx.user())
        step_lat.append(time.perf_counter() - t0)
    assert task_pk is None


def _spiff_auto_case(ctx: _Context, cached: bool, step_lat: list[float]) -> None:
    eng = ctx.spiff_engine("auto", cached)
    t0 = time.perf_counter()
    eng.start(ctx.municipality_id)
    step_lat.append((time.perf_counter() - t0) / STEPS)


def run_cases(ctx: _Context, engine_name: str, flow: str, cases: int) -> dict[str, Any]:
    step_lat: list[float] = []
    case_lat: list[float] = []
    cpu0 = time.process_time()
    start = time.monotonic()
    for _ in range(cases):
        c0 = time.perf_counter()
        if engine_name == "viewflow":
            (_viewflow_human_case if flow == "human" else _viewflow_auto_case)(ctx, step_lat)
        else:
            cached = engine_name == "spiff_cached"
            (_spiff_human_case if flow == "human" else _spiff_auto_case)(ctx, cached, step_lat)
        case_lat.append(time.perf_counter() - c0)
    end = time.monotonic()
    cpu = time.process_time() - cpu0  # the driver's CPU: Django, the engine and the database client
    return {"start": start, "end": end, "step_lat": step_lat, "case_lat": case_lat, "cases": cases, "cpu_s": cpu}


def combine(results: list[dict[str, Any]]) -> dict[str, Any]:
    """One run's figures from the results of its driver processes (wall time from first start to last end)."""
    wall = max(r["end"] for r in results) - min(r["start"] for r in results)
    cases = sum(r["cases"] for r in results)
    steps = [x for r in results for x in r["step_lat"]]
    return {
        "wall_s": wall,
        "cases": cases,
        "cases_per_s": cases / wall,
        "steps_per_s": cases * STEPS / wall,
        "step_p50_ms": 1000 * percentile(steps, 50),
        "step_p95_ms": 1000 * percentile(steps, 95),
        "cpu_ms_per_step": 1000 * sum(r.get("cpu_s", 0.0) for r in results) / (cases * STEPS),
    }


def block(flow: str, processes: int, cases: int, runs: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Figures per engine (median and spread over the runs) and the viewflow ratio per A/B pair."""
    pairs = len(runs["viewflow"])
    return {
        "flow": flow,
        "processes": processes,
        "cases_per_process_per_run": cases,
        "engines": {
            e: {
                metric: summary([r[metric] for r in rs])
                for metric in ("cases_per_s", "steps_per_s", "step_p50_ms", "step_p95_ms", "cpu_ms_per_step")
            }
            for e, rs in runs.items()
        },
        "ratio_viewflow_to": {
            e: summary([runs["viewflow"][i]["steps_per_s"] / runs[e][i]["steps_per_s"] for i in range(pairs)])
            for e in runs
            if e != "viewflow"
        },
    }


def _driver_main(env: dict[str, str], conn, barrier, municipality_id: int, username: str) -> None:
    import os

    os.environ.update(env)
    import django

    django.setup()
    from django.db import connection

    ctx = _Context(municipality_id, username)
    while True:
        cmd = conn.recv()
        if cmd is None:
            break
        engine_name, flow, cases = cmd
        barrier.wait(timeout=120)
        try:
            result = run_cases(ctx, engine_name, flow, cases)
        except Exception as exc:  # reported to the parent, which fails the run
            import traceback

            result = {"error": f"{exc!r}\n{traceback.format_exc()}"}
        conn.send(result)
    connection.close()


class DriverPool:
    """P long-lived driver processes (spawned, each with its own Django and database connection)."""

    def __init__(self, processes: int, env: dict[str, str], municipality_id: int, username: str):
        ctx = mp.get_context("spawn")
        self.barrier = ctx.Barrier(processes)
        self.conns = []
        self.procs = []
        for _ in range(processes):
            parent, child = ctx.Pipe()
            proc = ctx.Process(
                target=_driver_main, args=(env, child, self.barrier, municipality_id, username), daemon=True
            )
            proc.start()
            self.conns.append(parent)
            self.procs.append(proc)

    def run(self, engine_name: str, flow: str, cases_per_process: int) -> dict[str, Any]:
        for conn in self.conns:
            conn.send((engine_name, flow, cases_per_process))
        results = []
        for conn in self.conns:
            if not conn.poll(900):
                raise RuntimeError("driver process did not answer within 15 minutes")
            results.append(conn.recv())
        errors = [r["error"] for r in results if "error" in r]
        if errors:
            raise RuntimeError(errors[0])
        return combine(results)

    def close(self) -> None:
        for conn in self.conns:
            with contextlib.suppress(BrokenPipeError, OSError):
                conn.send(None)
        for proc in self.procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.terminate()


def measure(
    env: dict[str, str],
    municipality_id: int,
    username: str,
    *,
    processes: tuple[int, ...],
    flows: tuple[str, ...],
    cases: int,
    pairs: int,
    engines: tuple[str, ...] = ENGINES,
    between_blocks=None,
) -> dict[str, Any]:
    """A B A B blocks per (flow, P): each pair runs every engine once; figures per engine and ratios per pair."""
    out: dict[str, Any] = {}
    for p in processes:
        pool = DriverPool(p, env, municipality_id, username)
        try:
            for flow in flows:
                # warm-up: every engine once with a few cases (imports, parsed specs, connections, plans)
                for engine_name in engines:
                    pool.run(engine_name, flow, max(1, cases // 5))
                runs: dict[str, list[dict[str, Any]]] = {e: [] for e in engines}
                for pair in range(pairs):
                    for engine_name in engines:
                        if between_blocks:
                            between_blocks()
                        r = pool.run(engine_name, flow, cases)
                        runs[engine_name].append(r)
                        log(
                            f"engine {flow} P={p} pair {pair + 1}/{pairs} {engine_name}: "
                            f"{r['steps_per_s']:.0f} steps/s, p50 {r['step_p50_ms']:.1f} ms"
                        )
                out[f"{flow}_p{p}"] = block(flow, p, cases, runs)
        finally:
            pool.close()
    return out
