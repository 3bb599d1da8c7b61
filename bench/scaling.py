"""Scaling with participants (issue 21, item 2): the case flow's shape for N = 3, 29 and 100 municipalities.

viewflow: :class:`workflows.bench_flows.BenchSplitFlow`: a human task, a split into one ``MunicipalityTask`` per
participant (``ForEachMunicipality``), the join, a last human task. Every human step is claim + complete through
``workflows.engine`` by a user who holds the capability on all participants (a fresh user object per call).

SpiffWorkflow: ``bench/bpmn/split.bpmn``: the same shape with a parallel multi-instance user task, persisted as in
bench/spiff.py (state JSON, one task row per ready user task, audit entry, row lock, capability check). The state
is stored as one JSON string (``to_jsonb(text)``): PostgreSQL's ``jsonb`` reorders object keys, after which
SpiffWorkflow 3.2 no longer passes the multi-instance input to the children. This is cheaper for PostgreSQL than
parsing the object, so it favours Spiff.

Per N and engine: steps/s over whole cases (N + 2 steps), SQL statements per step, and the cost of the three
kinds of step: the one before the split (it creates the N tasks), a parallel step (median), the last join arrival.
The slope is the growth of the mean step time per added participant (ms per participant, least squares over N).
"""

from __future__ import annotations

import time
from typing import Any

from bench.common import log, percentile

SIZES = (3, 29, 100)
USERNAME = "bench.scaling"


class _Counter:
    def __init__(self):
        self.n = 0

    def __call__(self, execute, sql, params, many, context):
        self.n += 1
        return execute(sql, params, many, context)


def _participants(n: int) -> list[int]:
    from bench import world

    return world.hessen_municipality_ids()[:n]


def _viewflow_case(n: int, user_of, counter: _Counter) -> list[dict[str, Any]]:
    from viewflow.workflow import STATUS
    from viewflow.workflow.models import Task

    from workflows import engine
    from workflows.bench_flows import BenchSplitFlow

    participants = _participants(n)
    process = BenchSplitFlow.start.run(municipality_id=participants[0], participants=participants)
    open_tasks = [Task.objects.get(process=process, status=STATUS.NEW, flow_task_type="HUMAN")]
    steps = []
    while open_tasks:
        task = open_tasks.pop(0)
        kind = {"prepare": "split", "conclude": "last"}.get(task.flow_task.name, "parallel")
        before = counter.n
        t0 = time.perf_counter()
        engine.task_assign(task=task, user=user_of())
        new = engine.task_complete(task=task, user=user_of(), data={})
        elapsed = time.perf_counter() - t0
        if kind == "parallel" and any(t.flow_task.name == "conclude" for t in new):
            kind = "join"
        steps.append({"kind": kind, "s": elapsed, "sql": counter.n - before})
        open_tasks += [t for t in new if t.flow_task_type == "HUMAN"]
    assert len(steps) == n + 2, f"expected {n + 2} steps, got {len(steps)}"
    return steps


def _spiff_case(n: int, user_of, counter: _Counter, engine) -> list[dict[str, Any]]:
    participants = _participants(n)
    ready = engine.start_split(participants[0], participants)
    steps = []
    while ready:
        task_pk, name = ready.pop(0)
        before = counter.n
        t0 = time.perf_counter()
        engine.assign(task_pk, user_of())
        new = engine.complete_many(task_pk, user_of())
        elapsed = time.perf_counter() - t0
        kind = {"prepare": "split", "conclude": "last"}.get(name, "parallel")
        if kind == "parallel" and any(nm == "conclude" for _pk, nm in new):
            kind = "join"
        steps.append({"kind": kind, "s": elapsed, "sql": counter.n - before})
        ready += new
    assert len(steps) == n + 2, f"expected {n + 2} steps, got {len(steps)}"
    return steps


def _figures(cases: list[list[dict[str, Any]]], wall: float) -> dict[str, Any]:
    steps = [s for case in cases for s in case]

    def of(kind: str, key: str) -> float | None:
        values = [s[key] for s in steps if s["kind"] == kind]
        return percentile(values, 50) if values else None

    return {
        "cases": len(cases),
        "steps": len(steps),
        "steps_per_s": len(steps) / wall,
        "mean_step_ms": 1000 * wall / len(steps),
        "sql_per_step": sum(s["sql"] for s in steps) / len(steps),
        "split_ms": 1000 * of("split", "s"),
        "split_sql": of("split", "sql"),
        "parallel_ms": 1000 * of("parallel", "s"),
        "parallel_sql": of("parallel", "sql"),
        "join_ms": 1000 * of("join", "s"),
        "join_sql": of("join", "sql"),
    }


def _slope(by_n: dict[int, dict[str, Any]], key: str) -> float:
    xs = list(by_n)
    ys = [by_n[x][key] for x in xs]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)


def measure(*, cases: int, sizes: tuple[int, ...] = SIZES) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from bench import spiff, world

    world.make_user(USERNAME, _participants(max(sizes)), ["approve_project_order"])
    user_model = get_user_model()

    def user_of():
        return user_model.objects.get(username=USERNAME)

    spiff.create_schema()
    spiff_engine = _spiff_engine_class()()
    counter = _Counter()
    out: dict[str, Any] = {"engines": {"viewflow": {}, "spiff": {}}}
    with connection.execute_wrapper(counter):
        _viewflow_case(3, user_of, counter)  # warm-up
        _spiff_case(3, user_of, counter, spiff_engine)
        for n in sizes:
            for engine_name in ("viewflow", "spiff"):
                t0 = time.monotonic()
                runs = [
                    _viewflow_case(n, user_of, counter)
                    if engine_name == "viewflow"
                    else _spiff_case(n, user_of, counter, spiff_engine)
                    for _ in range(cases)
                ]
                figures = _figures(runs, time.monotonic() - t0)
                out["engines"][engine_name][n] = figures
                log(
                    f"scaling N={n} {engine_name}: {figures['steps_per_s']:.0f} steps/s, "
                    f"{figures['sql_per_step']:.1f} SQL/step, split {figures['split_ms']:.1f} ms "
                    f"({figures['split_sql']:.0f} SQL), parallel {figures['parallel_ms']:.1f} ms, "
                    f"join {figures['join_ms']:.1f} ms ({figures['join_sql']:.0f} SQL)"
                )
    for engine_name, by_n in out["engines"].items():
        out["engines"][engine_name] = {str(n): f for n, f in by_n.items()}
        out.setdefault("slope_ms_per_participant", {})[engine_name] = {
            key: round(_slope(by_n, key), 4) for key in ("mean_step_ms", "parallel_ms", "join_ms", "split_ms")
        }
        out.setdefault("slope_sql_per_participant", {})[engine_name] = {
            key: round(_slope(by_n, key), 4) for key in ("sql_per_step", "parallel_sql", "join_sql", "split_sql")
        }
    return out


def _spiff_engine_class():
    """SpiffWorkflow on bench/bpmn/split.bpmn, persisted as bench/spiff.py does (serializer as shipped)."""
    from uuid import UUID

    from django.db import connection, transaction
    from SpiffWorkflow.bpmn.parser import BpmnParser
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
    from SpiffWorkflow.util.task import TaskState

    from bench.common import BENCH_DIR
    from bench.spiff import CAPABILITY, SpiffEngine, _subject

    class SpiffSplitEngine(SpiffEngine):
        def __init__(self):
            parser = BpmnParser()
            parser.add_bpmn_file(str(BENCH_DIR / "bpmn" / "split.bpmn"))
            self.kind = "split"
            self.spec = parser.get_spec("bench_split")
            self.serializer = BpmnWorkflowSerializer()

        @staticmethod
        def _name(task) -> str:
            return task.task_spec.name.replace(" [child]", "")

        def _insert_ready(self, cur, wf_id: int, tasks, default_municipality: int) -> list[tuple[int, str]]:
            """One INSERT for every new ready user task (the split's N tasks at once)."""
            if not tasks:
                return []
            rows, params = [], []
            for task in tasks:
                rows.append("(%s, %s, %s, 'HUMAN', 'NEW', %s, %s, now())")
                params += [
                    wf_id,
                    str(task.id),
                    self._name(task),
                    CAPABILITY,
                    task.data.get("municipality_id", default_municipality),
                ]
            cur.execute(
                "INSERT INTO bench_spiff_task (workflow_id, spiff_id, name, task_type, status, owner_permission,"
                " municipality_id, created) VALUES " + ", ".join(rows) + " RETURNING id",
                params,
            )
            return [(row[0], self._name(task)) for row, task in zip(cur.fetchall(), tasks, strict=True)]

        def start_split(self, municipality_id: int, participants: list[int]) -> list[tuple[int, str]]:
            with transaction.atomic(), connection.cursor() as cur:
                workflow = BpmnWorkflow(self.spec)
                workflow.do_engine_steps()
                # the input of the multi-instance task, on the task before it (kept by the serializer)
                for task in workflow.get_tasks(state=TaskState.READY, manual=True):
                    task.data["participants"] = participants
                cur.execute(
                    "INSERT INTO bench_spiff_workflow (spec, status, state, municipality_id)"
                    " VALUES (%s, 'NEW', to_jsonb(%s::text), %s) RETURNING id",
                    [self.spec.name, self.serializer.serialize_json(workflow), municipality_id],
                )
                wf_id = cur.fetchone()[0]
                ready = workflow.get_tasks(state=TaskState.READY, manual=True)
                return self._insert_ready(cur, wf_id, ready, municipality_id)

        def complete_many(self, task_pk: int, user) -> list[tuple[int, str]]:
            """Complete; a row for each user task that became ready (none, N after the split, one after the join)."""
            from projects.services.audit import audit_record

            with transaction.atomic(), connection.cursor() as cur:
                cur.execute("SELECT workflow_id FROM bench_spiff_task WHERE id = %s", [task_pk])
                wf_id = cur.fetchone()[0]
                cur.execute(
                    "SELECT state #>> '{}', municipality_id FROM bench_spiff_workflow WHERE id = %s FOR UPDATE", [wf_id]
                )
                state, municipality_id = cur.fetchone()
                cur.execute("SELECT spiff_id, status, owner_id FROM bench_spiff_task WHERE id = %s", [task_pk])
                spiff_id, status, owner_id = cur.fetchone()
                if status != "ASSIGNED" or owner_id != user.pk:
                    raise RuntimeError("task is not assigned to the user")
                workflow = self.serializer.deserialize_json(state)
                known = {t.id for t in workflow.get_tasks(state=TaskState.READY, manual=True)}
                task = workflow.get_task_from_id(UUID(str(spiff_id)))
                task.run()
                workflow.do_engine_steps()
                cur.execute(
                    "UPDATE bench_spiff_workflow SET state = to_jsonb(%s::text), status = %s,"
                    " finished = CASE WHEN %s THEN now() END WHERE id = %s",
                    [
                        self.serializer.serialize_json(workflow),
                        "DONE" if workflow.completed else "NEW",
                        workflow.completed,
                        wf_id,
                    ],
                )
                cur.execute("UPDATE bench_spiff_task SET status = 'DONE', finished = now() WHERE id = %s", [task_pk])
                ready = [t for t in workflow.get_tasks(state=TaskState.READY, manual=True) if t.id not in known]
                new = self._insert_ready(cur, wf_id, ready, municipality_id)
                audit_record(
                    actor=user, action="task.completed", subject=_subject(task_pk), changes={"node": self._name(task)}
                )
            return new

    return SpiffSplitEngine
