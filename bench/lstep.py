"""The physical limit L_step, and our own step's SQL, both replayed with pgbench.

**L_step** is a minimal hand-written transaction doing the durable work of one step: lock the case's process row,
update the task (done, owner, times), insert the next task (the row viewflow would write, with its capability and
municipality), insert the audit entry. One transaction, one commit: what any engine must at least do. viewflow's
``previous`` link (an M2M row) is not part of it: a minimal engine keeps the predecessor in the task row.

**Our SQL** (``captured``): one human step of :class:`workflows.bench_flows.BenchHumanFlow` (claim + complete through
``workflows.engine``) is run with ``connection.execute_wrapper`` recording every statement in the order sent, with the
transaction it belongs to (Django's atomic block; statements outside one are autocommit transactions). The statements
become a pgbench script (simple query protocol, like Django's client-side binding): ``BEGIN`` / ``COMMIT`` around each
transaction, the ids of the case and its open task replaced by per-client variables (each pgbench client works on a
case of its own, as each engine driver does), the id of the task created by the step taken from its ``INSERT ...
RETURNING`` with ``\\gset``. One script run = one step in either script, so pgbench's tps is steps/s."""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from bench.common import log, pg_bin, pg_env, summary

PROCESS_BASE = 800_000_000
TASK_BASE = 900_000_000
TASK_STRIDE = 10


def _prepare_cases(municipality_id: int, clients: int) -> list[tuple[int, int]]:
    """``clients`` human cases whose ids follow a pattern pgbench can compute from ``:client_id``."""
    from django.db import connection
    from viewflow.workflow import STATUS
    from viewflow.workflow.models import Task

    from workflows.bench_flows import BenchHumanFlow

    cases = []
    for k in range(clients):
        with connection.cursor() as cur:
            cur.execute("SELECT setval('viewflow_process_id_seq', %s, false)", [PROCESS_BASE + k])
            cur.execute("SELECT setval('viewflow_task_id_seq', %s, false)", [TASK_BASE + TASK_STRIDE * k])
        process = BenchHumanFlow.start.run(municipality_id=municipality_id)
        task = Task.objects.get(process=process, status=STATUS.NEW, flow_task_type="HUMAN")
        cases.append((process.pk, task.pk))
    offsets = {(p - PROCESS_BASE - k, t - TASK_BASE - TASK_STRIDE * k) for k, (p, t) in enumerate(cases)}
    if len(offsets) != 1:
        raise RuntimeError(f"case ids do not follow a pattern: {cases}")
    with connection.cursor() as cur:
        # new rows during the replay come far after the prepared ones
        cur.execute("SELECT setval('viewflow_task_id_seq', %s)", [TASK_BASE + TASK_STRIDE * (clients + 10)])
        cur.execute("SELECT setval('viewflow_process_id_seq', %s)", [PROCESS_BASE + clients + 10])
    return cases


def capture_step(municipality_id: int, username: str) -> dict[str, Any]:
    """Run one real step and record its statements: [(sql, in_transaction)] per service call."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from viewflow.workflow import STATUS
    from viewflow.workflow.models import Task

    from workflows import engine
    from workflows.bench_flows import BenchHumanFlow

    process = BenchHumanFlow.start.run(municipality_id=municipality_id)
    task = Task.objects.get(process=process, status=STATUS.NEW, flow_task_type="HUMAN")
    user_model = get_user_model()
    calls: list[list[tuple[str, bool]]] = []

    def recorder(execute, sql, params, many, context):
        cursor = context["cursor"]
        result = execute(sql, params, many, context)
        calls[-1].append((_rendered(cursor, sql, params), connection.in_atomic_block))
        return result

    new_tasks = []
    with connection.execute_wrapper(recorder):
        calls.append([])
        engine.task_assign(task=task, user=user_model.objects.get(username=username))
        calls.append([])
        new_tasks = engine.task_complete(task=task, user=user_model.objects.get(username=username), data={})
    new_task = [t for t in new_tasks if t.flow_task_type == "HUMAN"][0]
    return {"process": process.pk, "task": task.pk, "new_task": new_task.pk, "calls": calls}


def _rendered(cursor, sql, params) -> str:
    from django.db import connection

    rendered = connection.ops.last_executed_query(cursor, sql, params)
    return " ".join(str(rendered).split())


def minimal_script(case: tuple[int, int], user_id: int) -> str:
    """The hand-written step for pgbench: four statements in one transaction (see the module's docstring).

    The rows written carry the values a real step writes (the next node, its capability and municipality, the
    audit entry's fields), taken from the prepared case; each pgbench client works on its own case."""
    import json

    from viewflow.workflow.models import Task

    pid, tid = case
    task = Task.objects.get(pk=tid)
    node = task.flow_task
    next_node = node._next  # the node the real step creates
    flow_task = Task._meta.get_field("flow_task").get_prep_value(next_node)
    changes = {"node": node.name, "title": str(node.task_title), "data": {}}

    def lit(value) -> str:
        return "NULL" if value is None else "'" + str(value).replace("'", "''") + "'"

    return "\n".join(
        [
            f"\\set pid {PROCESS_BASE} + :client_id",
            f"\\set tid {TASK_BASE} + {TASK_STRIDE} * :client_id + {tid - TASK_BASE}",
            "BEGIN;",
            "SELECT id FROM viewflow_process WHERE id = :pid FOR UPDATE;",
            f"UPDATE viewflow_task SET status = 'DONE', owner_id = {user_id}, assigned = now(), started = now(),"
            " finished = now() WHERE id = :tid;",
            "INSERT INTO viewflow_task (process_id, flow_task, flow_task_type, status, created, token, data,"
            " owner_permission, owner_permission_content_type_id, owner_permission_obj_pk)"
            f" VALUES (:pid, {lit(flow_task)}, 'HUMAN', 'NEW', now(), 'start', {lit(json.dumps(task.data or {}))},"
            f" {lit(task.owner_permission)},"
            f" {task.owner_permission_content_type_id or 'NULL'}, {lit(task.owner_permission_obj_pk)});",
            "INSERT INTO projects_auditentry (created_at, action, subject_type, subject_id, changes, note, actor_id)"
            f" VALUES (now(), 'task.completed', 'viewflow.task', :tid, {lit(json.dumps(changes))}, '', {user_id});",
            "COMMIT;",
            "",
        ]
    )


def to_pgbench(capture: dict[str, Any]) -> tuple[str, dict[str, int]]:
    """The pgbench script and the count of statements and transactions per step."""
    pid, tid, new = str(capture["process"]), str(capture["task"]), str(capture["new_task"])
    lines = [
        f"\\set pid {PROCESS_BASE} + :client_id",
        f"\\set tid {TASK_BASE} + {TASK_STRIDE} * :client_id + {capture['task'] - TASK_BASE}",
    ]
    statements = transactions = writing = 0
    for call in capture["calls"]:
        in_tx = False
        tx_writes = False
        for sql, atomic in call:
            is_write = sql.upper().startswith(("INSERT", "UPDATE", "DELETE")) or (
                sql.upper().startswith("WITH") and "INSERT INTO" in sql.upper()  # a task and its link in one
            )
            if atomic and not in_tx:
                lines.append("BEGIN;")
                in_tx = True
                tx_writes = False
                transactions += 1
            elif not atomic and in_tx:
                lines.append("COMMIT;")
                in_tx = False
                writing += tx_writes
            if not atomic:
                transactions += 1
                writing += is_write
            else:
                tx_writes = tx_writes or is_write
            for literal, var in ((new, "new_id"), (tid, "tid"), (pid, "pid")):
                sql = _substitute(sql, literal, var)
            statements += 1
            new_task = sql.startswith(('INSERT INTO "viewflow_task"', 'WITH new AS (INSERT INTO "viewflow_task"'))
            if new_task and "RETURNING" in sql:  # the new task's id (the link's statement returns it as "id")
                lines.append(sql.rstrip(";") + " \\gset new_")
            else:
                lines.append(sql.rstrip(";") + ";")
        if in_tx:
            lines.append("COMMIT;")
            writing += tx_writes
    return "\n".join(lines) + "\n", {
        "statements": statements,
        "transactions": transactions,
        "commits_with_writes": writing,
    }


_STRING = re.compile(r"'(?:[^']|'')*'")


def _substitute(sql: str, literal: str, var: str) -> str:
    """Replace an id by a pgbench variable, also inside string literals ('new:123' -> ('new:' || :var || ''))."""

    def in_string(match: re.Match) -> str:
        text = match.group(0)
        if not re.search(rf"\b{literal}\b", text):
            return text
        parts = re.split(rf"\b{literal}\b", text[1:-1])
        return "(" + f" || :{var} || ".join(f"'{part}'" for part in parts) + ")"

    pieces = []
    last = 0
    for match in _STRING.finditer(sql):
        pieces.append(re.sub(rf"\b{literal}\b", f":{var}", sql[last : match.start()]))
        pieces.append(in_string(match))
        last = match.end()
    pieces.append(re.sub(rf"\b{literal}\b", f":{var}", sql[last:]))
    return "".join(pieces)


def run_pgbench(db_name: str, script: str, clients: int, seconds: int) -> dict[str, Any]:
    pgbench = pg_bin("pgbench")
    if pgbench is None:
        raise RuntimeError("pgbench not found (Debian: postgresql-contrib / postgresql-15)")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "step.sql"
        path.write_text(script)
        out = subprocess.run(
            [
                pgbench,
                "-n",
                "-M",
                "simple",
                "-c",
                str(clients),
                "-j",
                str(clients),
                "-T",
                str(seconds),
                "-f",
                str(path),
                db_name,
            ],
            capture_output=True,
            text=True,
            env=pg_env(db_name),
            timeout=seconds + 60,
        )
    if out.returncode != 0:
        raise RuntimeError(f"pgbench failed: {out.stderr[-2000:]}")
    tps = re.search(r"tps = ([0-9.]+)", out.stdout)
    lat = re.search(r"latency average = ([0-9.]+) ms", out.stdout)
    failed = re.search(r"number of failed transactions: (\d+)", out.stdout)
    return {
        "tps": float(tps.group(1)) if tps else None,
        "latency_ms": float(lat.group(1)) if lat else None,
        "failed": int(failed.group(1)) if failed else 0,
    }


def measure(env, db_name: str, municipality_id: int, username: str, *, seconds: int, runs: int) -> dict[str, Any]:
    """L_step (the minimal step) and our captured step, alternating, by 1 and 2 pgbench clients."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    cases = _prepare_cases(municipality_id, 2)
    user_id = get_user_model().objects.get(username=username).pk
    minimal = minimal_script(cases[0], user_id)
    capture = capture_step(municipality_id, username)
    # re-key the capture onto client 0's prepared case (same flow position: the first human task)
    script, counts = to_pgbench(_rekey(capture, cases[0]))
    log(f"our step: {counts['statements']} statements in {counts['transactions']} transactions per step")
    out: dict[str, Any] = {
        "per_step": counts,
        "script": script,
        "minimal_script": minimal,
        "minimal_per_step": {"statements": 4, "transactions": 1, "commits_with_writes": 1},
        "by_clients": {},
        "captured_by_clients": {},
    }
    connection.close()
    for clients in (1, 2):
        tps: dict[str, list[float]] = {"minimal": [], "captured": []}
        for _ in range(runs):
            for name, text in (("minimal", minimal), ("captured", script)):
                r = run_pgbench(db_name, text, clients, seconds)
                if r["failed"]:
                    raise RuntimeError(f"pgbench replay ({name}) had {r['failed']} failed transactions")
                tps[name].append(r["tps"])
                log(f"{'L_step' if name == 'minimal' else 'our SQL'} c={clients}: {r['tps']:.0f} steps/s")
        out["by_clients"][str(clients)] = {"steps_per_s": summary(tps["minimal"])}
        out["captured_by_clients"][str(clients)] = {"steps_per_s": summary(tps["captured"])}
    return out


def _rekey(capture: dict[str, Any], case: tuple[int, int]) -> dict[str, Any]:
    """Replace the captured case's ids by those of a prepared case (so that the pattern applies)."""
    pid, tid = case
    calls = []
    for call in capture["calls"]:
        calls.append(
            [
                (
                    re.sub(rf"\b{capture['task']}\b", str(tid), re.sub(rf"\b{capture['process']}\b", str(pid), sql)),
                    atomic,
                )
                for sql, atomic in call
            ]
        )
    return {"process": pid, "task": tid, "new_task": capture["new_task"], "calls": calls}


def ratios(engine_results: dict[str, Any], lstep_results: dict[str, Any]) -> dict[str, Any]:
    """Every engine figure (human steps/s) as a share of L_step at the same concurrency."""
    out = {}
    for key, block in engine_results.items():
        if key.startswith("_") or block.get("flow") != "human":
            continue
        limit = lstep_results["by_clients"].get(str(block["processes"]), {}).get("steps_per_s", {}).get("median")
        if not limit:
            continue
        out[key] = {
            engine: round(figures["steps_per_s"]["median"] / limit, 4) for engine, figures in block["engines"].items()
        }
    return out
