"""The readable table (markdown) of one run: machine facts and every figure with median and spread."""

from __future__ import annotations

from typing import Any

from bench.common import fmt


def _machine(m: dict[str, Any]) -> list[str]:
    pg = m.get("postgresql", {})
    lines = [
        "## Machine",
        "",
        "| fact | value |",
        "|---|---|",
        f"| CPUs | {m.get('cpu_count')} ({m.get('cpu_model', '?')}) |",
        f"| memory | {m.get('memory_gib', '?')} GiB |",
        f"| Python reference workload (CPU ms, best of 5; lower is a faster machine) | "
        f"{m.get('python_reference_ms', 'not measured')} |",
        f"| load average at start / end | {m.get('load_start', '?')} / {m.get('load_end', '?')} |",
        f"| fdatasync (pg_test_fsync) | {m.get('fdatasync', 'not measured')} |",
        f"| Python | {m.get('python')} |",
        f"| Redis | {m.get('redis')} |",
    ]
    for name, value in pg.items():
        lines.append(f"| PostgreSQL {name} | {value} |")
    for name, value in (m.get("versions") or {}).items():
        lines.append(f"| {name} | {value} |")
    return lines + [""]


def _engine(block: dict[str, Any], ratios: dict[str, Any]) -> list[str]:
    lines = [
        "## Engine throughput (viewflow through workflows.engine vs SpiffWorkflow, A B A B blocks)",
        "",
        "Median (min–max, n runs). A human step = claim + complete (two service calls, two transactions);"
        " an automatic case = ten steps in one transaction (latency per step = case time / 10).",
        "",
        "| flow | P | engine | cases/s | steps/s | step p50 ms | step p95 ms | client CPU ms per step "
        "| viewflow ÷ engine (per pair) | ÷ L_step |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for key, b in block.items():
        if key.startswith("_"):
            continue
        for engine, f in b["engines"].items():
            ratio = b["ratio_viewflow_to"].get(engine)
            share = (ratios or {}).get(key, {}).get(engine)
            lines.append(
                f"| {b['flow']} | {b['processes']} | {engine} | {fmt(f['cases_per_s'], digits=2)} "
                f"| {fmt(f['steps_per_s'])} | {fmt(f['step_p50_ms'])} | {fmt(f['step_p95_ms'])} "
                f"| {fmt(f.get('cpu_ms_per_step'))} | {fmt(ratio, digits=2) if ratio else '–'} "
                f"| {f'{100 * share:.0f} %' if share else '–'} |"
            )
    return lines + [""]


def _lstep(block: dict[str, Any]) -> list[str]:
    per = block.get("per_step", {})
    lines = [
        "## Physical limit L_step (pgbench: a minimal hand-written step, and our own step's captured SQL)",
        "",
        "L_step = lock the process row, update the task, insert the next task, insert the audit entry: 4 statements"
        f" in 1 transaction. Our step (claim + complete as captured): {per.get('statements')} statements in"
        f" {per.get('transactions')} transactions (of which {per.get('commits_with_writes', '?')} write).",
        "",
        "| clients | L_step steps/s | our SQL replayed, steps/s | our SQL ÷ L_step |",
        "|---|---|---|---|",
    ]
    for clients, f in block.get("by_clients", {}).items():
        ours = block.get("captured_by_clients", {}).get(clients, {}).get("steps_per_s")
        limit = f["steps_per_s"].get("median")
        share = f"{100 * ours['median'] / limit:.0f} %" if ours and limit else "–"
        lines.append(f"| {clients} | {fmt(f['steps_per_s'])} | {fmt(ours)} | {share} |")
    return lines + [""]


def _scaling(block: dict[str, Any]) -> list[str]:
    lines = [
        "## Scaling with participants (split into N municipality tasks, join, continue; claim + complete per step)",
        "",
        "| engine | N | steps/s | mean step ms | SQL per step | split step ms (SQL) | parallel step ms (SQL)"
        " | last join arrival ms (SQL) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for engine, by_n in block.get("engines", {}).items():
        for n, f in by_n.items():
            lines.append(
                f"| {engine} | {n} | {f['steps_per_s']:.1f} | {f['mean_step_ms']:.1f} | {f['sql_per_step']:.1f} "
                f"| {f['split_ms']:.1f} ({f['split_sql']:.0f}) | {f['parallel_ms']:.1f} ({f['parallel_sql']:.0f}) "
                f"| {f['join_ms']:.1f} ({f['join_sql']:.0f}) |"
            )
    lines += ["", "Slope per added participant (least squares over N):", ""]
    for engine, slope in block.get("slope_ms_per_participant", {}).items():
        sql = block.get("slope_sql_per_participant", {}).get(engine, {})
        lines.append(
            f"- {engine}: mean step {slope['mean_step_ms']:+.3f} ms, parallel step {slope['parallel_ms']:+.3f} ms, "
            f"join arrival {slope['join_ms']:+.3f} ms, split {slope['split_ms']:+.3f} ms; SQL per step "
            f"{sql.get('sql_per_step', 0):+.3f}, join arrival {sql.get('join_sql', 0):+.3f}"
        )
    return lines + [""]


def _inbox(block: dict[str, Any]) -> list[str]:
    lines = [
        "## Inbox (the portal page: inbox_for_user, default sort by due date, InboxPaginator, task_rows;"
        " the API: GET /api/tasks/ rendered)",
        "",
        "| tasks | indexes | user | municipalities | visible open | page p50/p95 ms warm | page CPU ms (Django)"
        " | page ms cold | page ms in PostgreSQL (EXPLAIN ANALYZE) | page queries | API p50/p95 ms warm | API CPU ms"
        " | API ms cold | API queries |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for run in block.get("runs", []):
        for user, f in run["users"].items():
            lines.append(
                f"| {run['tasks']:,} | {run['indexes']} | {user} | {f['municipalities']} | {f['visible']:,} "
                f"| {f['page_p50_ms']:.1f} / {f['page_p95_ms']:.1f} | {f.get('page_cpu_ms', 0):.1f} "
                f"| {f['page_cold_ms']:.1f} | {f.get('page_db_ms') or 0:.2f} | {f['page_queries']} "
                f"| {f['api_p50_ms']:.1f} / {f['api_p95_ms']:.1f} | {f.get('api_cpu_ms', 0):.1f} "
                f"| {f['api_cold_ms']:.1f} | {f['api_queries']} |"
            )
    return lines + [""]


def _pages(block: dict[str, Any]) -> list[str]:
    pages = block.get("pages", {})
    buckets = list(next(iter(pages.values()), {}).get("buckets_cpu_ms", {}))
    lines = [
        "## Pages in-process (Django test client, production settings): CPU ms per request and where it goes",
        "",
        "| page | path | CPU ms p50 | queries | " + " | ".join(buckets) + " |",
        "|---|---|---|---|" + "---|" * len(buckets),
    ]
    for name, f in pages.items():
        lines.append(
            f"| {name} | {f['path']} | {f['cpu_ms_p50']:.1f} | {f['queries']} | "
            + " | ".join(f"{f['buckets_cpu_ms'][b]:.1f}" for b in buckets)
            + " |"
        )
    return lines + [""]


def _http(block: dict[str, Any]) -> list[str]:
    lines = [
        "## HTTP (gunicorn, production settings, loopback, wrk)",
        "",
        f"Server: {block.get('server')}. Load generator: {block.get('generator')}.",
        "",
        "| page | path | best req/s with p95 < 200 ms | at connections | p95 ms there | wrk CPU s per s "
        "| CPU ms per request (server / database) | errors |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, f in block.get("pages", {}).items():
        best = f.get("best") or {}
        cpu = " / ".join(
            "n/a" if best.get(key) is None else f"{best[key]:.1f}"
            for key in ("server_cpu_ms_per_request", "db_cpu_ms_per_request")
        )
        lines.append(
            f"| {name} | {f.get('path')} | {best.get('rps', 0):.0f} | {best.get('connections', '–')} "
            f"| {best.get('p95_ms', 0):.1f} | {best.get('generator_cpu', 0):.2f} | {cpu} | {f.get('errors', 0)} |"
        )
    return lines + [""]


def _settlement(block: dict[str, Any]) -> list[str]:
    return [
        "## Settlement",
        "",
        f"{block.get('what')}",
        "",
        "| time entries | members × centres | seconds |",
        "|---|---|---|",
        f"| {block.get('entries', 0):,} | {block.get('members')} × {block.get('centres')} "
        f"| {fmt(block.get('seconds'), digits=2)} |",
        "",
    ]


def _celery(block: dict[str, Any]) -> list[str]:
    lines = [
        "## Celery step (commit of the step → start of the following job, real worker on Redis)",
        "",
        "| condition | jobs | p50 ms | p95 ms | max ms |",
        "|---|---|---|---|---|",
    ]
    for name in ("idle", "burst"):
        f = block.get(name) or {}
        lines.append(
            f"| {name} | {f.get('jobs')} | {f.get('p50_ms', 0):.1f} | {f.get('p95_ms', 0):.1f} "
            f"| {f.get('max_ms', 0):.1f} |"
        )
    if block.get("burst_drain_jobs_per_s"):
        lines += [
            "",
            f"Burst of {block['burst_size']:,} no-op jobs drained at {block['burst_drain_jobs_per_s']:.0f}"
            " jobs/s by the worker.",
        ]
    return lines + [""]


def _row(target: str, measured: str, ratio: float | None, ok: bool | None) -> str:
    verdict = "–" if ok is None else ("**pass**" if ok else "**miss**")
    return f"| {target} | {measured} | {'–' if ratio is None else f'{ratio:.2f}'} | {verdict} |"


def targets(results: dict[str, Any]) -> list[str]:
    """Every target of issues 10 and 21 with the measured figure, its ratio to the target (≥ 1 meets it), pass/miss.

    Figures of components that did not run are listed as not measured."""
    c = results.get("components", {})
    rows: list[str] = []

    def median(s: dict[str, Any] | None) -> float | None:
        return (s or {}).get("median")

    engine = c.get("engine", {})
    for key, b in engine.items():
        if key.startswith("_"):
            continue
        goal = 2.0 if b["flow"] == "human" else 1.0
        ratio = median(b["ratio_viewflow_to"].get("spiff"))
        rows.append(
            _row(
                f"engine {b['flow']}, P={b['processes']}: viewflow ≥ {goal:g}× Spiff (per pair)",
                f"{ratio:.2f}×" if ratio else "–",
                ratio / goal if ratio else None,
                None if ratio is None else ratio >= goal,
            )
        )
        if b["flow"] == "human" and b["processes"] == 1:
            cpu = median(b["engines"]["viewflow"].get("cpu_ms_per_step"))
            rows.append(
                _row(
                    "human step ≤ 8 ms CPU (client side: Django and engine)",
                    f"{cpu:.1f} ms" if cpu else "–",
                    8 / cpu if cpu else None,
                    None if cpu is None else cpu <= 8,
                )
            )
    shares = c.get("lstep", {}).get("engine_ratio", {})
    for key, by_engine in shares.items():
        share = by_engine.get("viewflow")
        rows.append(
            _row(f"engine {key}: viewflow ≥ 25 % of L_step", f"{100 * share:.0f} %", share / 0.25, share >= 0.25)
        )
    scaling = c.get("scaling", {}).get("engines", {}).get("viewflow", {})
    if scaling:
        sizes = sorted(scaling, key=int)
        small, large = scaling[sizes[0]], scaling[sizes[-1]]
        grow = large["mean_step_ms"] / small["mean_step_ms"]
        rows.append(
            _row(
                f"flat step cost in N: mean step at N={sizes[-1]} ≤ 1.25 × at N={sizes[0]}",
                f"{grow:.2f}×",
                1.25 / grow,
                grow <= 1.25,
            )
        )
        grow_join = large["join_ms"] / small["join_ms"]
        rows.append(
            _row(
                f"no O(N²) join: last arrival at N={sizes[-1]} ≤ 2 × at N={sizes[0]}",
                f"{grow_join:.2f}×",
                2 / grow_join,
                grow_join <= 2,
            )
        )
    inbox = c.get("inbox", {}).get("runs", [])
    indexed = [r for r in inbox if "inbox indexes" in r["indexes"]]
    if indexed:
        # the largest size, with every index of the product (the last state measured of that size)
        run = max(indexed, key=lambda r: (r["tasks"], inbox.index(r)))
        for user, f in run["users"].items():
            goal = 50.0 if f["municipalities"] > 100 else 20.0
            p95 = f["page_p95_ms"]
            rows.append(
                _row(
                    f"inbox page p95 ≤ {goal:g} ms at 10^7 (measured at {run['tasks']:,}): {user}",
                    f"{p95:.1f} ms",
                    goal / p95,
                    p95 <= goal if run["tasks"] >= 10_000_000 else None,
                )
            )
    for name, f in c.get("http", {}).get("pages", {}).items():
        best = f.get("best") or {}
        rps = best.get("rps")
        rows.append(
            _row(
                f"HTTP {name}: ≥ 300 req/s at p95 < 200 ms (2 cores)",
                f"{rps:.0f} req/s" if rps else "–",
                rps / 300 if rps else None,
                None if rps is None else rps >= 300,
            )
        )
        cpu = best.get("server_cpu_ms_per_request")
        if cpu:
            rows.append(_row(f"HTTP {name}: ≤ 6 ms server CPU per request", f"{cpu:.1f} ms", 6 / cpu, cpu <= 6))
    settlement = c.get("settlement", {})
    if settlement.get("seconds"):
        seconds = median(settlement["seconds"]) if isinstance(settlement["seconds"], dict) else settlement["seconds"]
        full = settlement.get("entries", 0) >= 10_000_000
        rows.append(
            _row(
                f"settlement ≤ 10 s for 10^7 time entries (measured at {settlement.get('entries', 0):,})",
                f"{seconds:.1f} s",
                10 / seconds if seconds else None,
                (seconds <= 10) if full else None,
            )
        )
    return [
        "## Targets",
        "",
        "Ratio = target ÷ measured for limits, measured ÷ target for rates: ≥ 1 meets the target. A target measured"
        " below its size (quick runs) shows its ratio without a verdict.",
        "",
        "| target | measured | ratio | pass/miss |",
        "|---|---|---|---|",
        *rows,
        "",
    ]


def markdown(results: dict[str, Any]) -> str:
    c = results.get("components", {})
    lines = [
        f"# Benchmark run {results.get('started')} (size {results.get('size')}, {results.get('seconds')} s)",
        "",
    ]
    lines += _machine(results.get("machine", {}))
    lines += targets(results)
    if "engine" in c:
        lines += _engine(c["engine"], c.get("lstep", {}).get("engine_ratio", {}))
    if "lstep" in c:
        lines += _lstep(c["lstep"])
    if "scaling" in c:
        lines += _scaling(c["scaling"])
    if "inbox" in c:
        lines += _inbox(c["inbox"])
    if "pages" in c:
        lines += _pages(c["pages"])
    if "http" in c:
        lines += _http(c["http"])
    if "settlement" in c:
        lines += _settlement(c["settlement"])
    if "celery" in c:
        lines += _celery(c["celery"])
    if results.get("errors"):
        lines += ["## Errors", ""] + [f"- {name}: {err}" for name, err in results["errors"].items()] + [""]
    return "\n".join(lines)
