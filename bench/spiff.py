"""The peer: SpiffWorkflow executing the same flow, persisted to the same PostgreSQL.

The BPMN it runs is exported from the viewflow benchmark flow (``workflows.bench_flows``) by the product's exporter
(``workflows.bpmn.flow_bpmn``), so both engines run the same process by construction: each human step a user task,
each automatic step (``flow.Function``) a service task.

Durable artefacts per step, the same as the viewflow side: the workflow state (JSON), a queryable task row
(``bench_spiff_task``, indexed like viewflow's task table) and an audit entry (written by the product's own
``audit_record`` into the same audit table). Same connection handling, same transaction per user action, same row
lock on the case (``SELECT ... FOR UPDATE``), same permission check (guardian, on the municipality).

Two variants: ``spiff`` as shipped (the serializer embeds the parsed spec in every state JSON and restores it on every
step) and ``spiff_cached`` (the parsed spec is kept in memory; only the workflow state is (de)serialized).
"""

from __future__ import annotations

from types import SimpleNamespace
from uuid import UUID

from django.db import connection, transaction
from SpiffWorkflow.bpmn.parser import BpmnParser
from SpiffWorkflow.bpmn.parser.TaskParser import TaskParser
from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.config import DEFAULT_CONFIG
from SpiffWorkflow.bpmn.serializer.default.task_spec import BpmnTaskSpecConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.specs.defaults import ServiceTask
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

SCHEMA = """
CREATE TABLE IF NOT EXISTS bench_spiff_workflow (
    id bigserial PRIMARY KEY,
    spec varchar(100) NOT NULL,
    status varchar(20) NOT NULL,
    state jsonb NOT NULL,
    municipality_id bigint NOT NULL,
    created timestamptz NOT NULL DEFAULT now(),
    finished timestamptz
);
CREATE TABLE IF NOT EXISTS bench_spiff_task (
    id bigserial PRIMARY KEY,
    workflow_id bigint NOT NULL REFERENCES bench_spiff_workflow (id) DEFERRABLE INITIALLY DEFERRED,
    spiff_id uuid NOT NULL,
    name varchar(255) NOT NULL,
    task_type varchar(50) NOT NULL,
    status varchar(50) NOT NULL,
    owner_id integer,
    owner_permission varchar(255),
    municipality_id bigint,
    created timestamptz NOT NULL DEFAULT now(),
    assigned timestamptz,
    finished timestamptz
);
CREATE INDEX IF NOT EXISTS bench_spiff_task_wf ON bench_spiff_task (workflow_id);
CREATE INDEX IF NOT EXISTS bench_spiff_task_status ON bench_spiff_task (status);
CREATE INDEX IF NOT EXISTS bench_spiff_task_created ON bench_spiff_task (created);
CREATE INDEX IF NOT EXISTS bench_spiff_task_owner ON bench_spiff_task (owner_id);
CREATE INDEX IF NOT EXISTS bench_spiff_task_type ON bench_spiff_task (task_type);
CREATE INDEX IF NOT EXISTS bench_spiff_task_perm ON bench_spiff_task (owner_permission, municipality_id);
"""

SPECS = {"human": "bench_human", "auto": "bench_auto"}  # the flow names of workflows.bpmn.BENCH_FLOWS
CAPABILITY = "projects.approve_project_order"


class ServiceStep(ServiceTask):
    """A service task that is done once it runs. SpiffWorkflow's plain ``ServiceTask`` waits for an external
    completion and has no serializer; the step's work (its task row and audit entry) is done by this driver, as
    viewflow's ``flow.Function`` does it in the flow."""

    def _execute(self, task):
        return True


class BenchParser(BpmnParser):
    OVERRIDE_PARSER_CLASSES = {full_tag("serviceTask"): (TaskParser, ServiceStep)}


def _config() -> dict:
    config = dict(DEFAULT_CONFIG)
    config[ServiceStep] = BpmnTaskSpecConverter
    return config


def create_schema() -> None:
    with connection.cursor() as cur:
        cur.execute(SCHEMA)


def parse_spec(kind: str):
    from workflows.bpmn import flow_bpmn, flow_class_named

    process_id = SPECS[kind]
    parser = BenchParser()
    parser.add_bpmn_str(flow_bpmn(flow_class_named(process_id)).encode())
    return parser.get_spec(process_id)


class CachedSpecConverter(BpmnWorkflowConverter):
    """Stores only the spec's name; restores the parsed spec from memory."""

    specs: dict = {}

    def to_dict(self, workflow):
        dct = super().to_dict(workflow)
        dct["spec"] = workflow.spec.name
        dct["subprocess_specs"] = {}
        return dct

    def from_dict(self, dct):
        spec = self.specs[dct.pop("spec")]
        dct.pop("subprocess_specs", None)
        workflow = self.target_class(spec, {}, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _subject(pk: int):
    return SimpleNamespace(pk=pk, _meta=SimpleNamespace(label_lower="bench.spifftask"))


class SpiffEngine:
    def __init__(self, kind: str, cached: bool):
        self.kind = kind
        self.spec = parse_spec(kind)
        if cached:
            CachedSpecConverter.specs[self.spec.name] = self.spec
            config = _config()
            config[BpmnWorkflow] = CachedSpecConverter
            self.serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))
        else:
            self.serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(_config()))

    # --- persistence helpers -------------------------------------------------------------------------------------
    def _insert_task(self, cur, wf_id: int, task, status: str, municipality_id: int, done: bool) -> int:
        cur.execute(
            "INSERT INTO bench_spiff_task (workflow_id, spiff_id, name, task_type, status, owner_permission,"
            " municipality_id, created, finished) VALUES (%s, %s, %s, %s, %s, %s, %s, now(), "
            + ("now()" if done else "NULL")
            + ") RETURNING id",
            [
                wf_id,
                str(task.id),
                task.task_spec.name,
                "HUMAN" if task.task_spec.manual else "AUTO",
                status,
                CAPABILITY if task.task_spec.manual else None,
                municipality_id,
            ],
        )
        return cur.fetchone()[0]

    # --- human flow ----------------------------------------------------------------------------------------------
    def start(self, municipality_id: int) -> int:
        from projects.services.audit import audit_record

        with transaction.atomic(), connection.cursor() as cur:
            workflow = BpmnWorkflow(self.spec)
            workflow.data["municipality_id"] = municipality_id
            completed = []
            workflow.do_engine_steps(did_complete_task=completed.append)
            state = self.serializer.serialize_json(workflow)
            cur.execute(
                "INSERT INTO bench_spiff_workflow (spec, status, state, municipality_id) VALUES (%s, %s, %s::jsonb, %s)"
                " RETURNING id",
                [self.spec.name, "DONE" if workflow.completed else "NEW", state, municipality_id],
            )
            wf_id = cur.fetchone()[0]
            for task in completed:
                if self.kind == "auto" and isinstance(task.task_spec, ServiceStep):
                    pk = self._insert_task(cur, wf_id, task, "DONE", municipality_id, done=True)
                    audit_record(
                        actor=None,
                        action="task.completed",
                        subject=_subject(pk),
                        changes={"node": task.task_spec.name},
                    )
            ready = workflow.get_next_task(state=TaskState.READY, manual=True)
            task_pk = None
            if ready is not None:
                task_pk = self._insert_task(cur, wf_id, ready, "NEW", municipality_id, done=False)
        return wf_id if self.kind == "auto" else task_pk

    def assign(self, task_pk: int, user) -> None:
        """Claim: lock the case, re-read the task row, check the capability, set the owner, audit."""
        from projects.services.audit import audit_record
        from workflows.selectors import capability_pairs_of

        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("SELECT workflow_id FROM bench_spiff_task WHERE id = %s", [task_pk])
            wf_id = cur.fetchone()[0]
            cur.execute("SELECT id FROM bench_spiff_workflow WHERE id = %s FOR UPDATE", [wf_id])
            cur.execute(
                "SELECT status, owner_id, owner_permission, municipality_id FROM bench_spiff_task WHERE id = %s",
                [task_pk],
            )
            status, owner_id, permission, municipality_id = cur.fetchone()
            if status != "NEW" or owner_id is not None:
                raise RuntimeError("task is not open")
            # the capability check of the viewflow side (workflows.nodes.holds_task_capability)
            if str(municipality_id) not in capability_pairs_of(user=user).get(permission, ()):
                raise PermissionError(permission)
            cur.execute(
                "UPDATE bench_spiff_task SET status = 'ASSIGNED', owner_id = %s, assigned = now() WHERE id = %s",
                [user.pk, task_pk],
            )
            audit_record(actor=user, action="task.assigned", subject=_subject(task_pk), changes={"node": "step"})

    def complete(self, task_pk: int, user) -> int | None:
        """Advance: lock the case, restore the workflow, run the task, persist state, task rows and audit."""
        from projects.services.audit import audit_record

        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("SELECT workflow_id FROM bench_spiff_task WHERE id = %s", [task_pk])
            wf_id = cur.fetchone()[0]
            cur.execute(
                "SELECT state::text, municipality_id FROM bench_spiff_workflow WHERE id = %s FOR UPDATE", [wf_id]
            )
            state, municipality_id = cur.fetchone()
            cur.execute("SELECT spiff_id, status, owner_id FROM bench_spiff_task WHERE id = %s", [task_pk])
            spiff_id, status, owner_id = cur.fetchone()
            if status != "ASSIGNED" or owner_id != user.pk:
                raise RuntimeError("task is not assigned to the user")
            workflow = self.serializer.deserialize_json(state)
            task = workflow.get_task_from_id(UUID(str(spiff_id)))
            task.run()
            workflow.do_engine_steps()
            state = self.serializer.serialize_json(workflow)
            cur.execute(
                "UPDATE bench_spiff_workflow SET state = %s::jsonb, status = %s,"
                " finished = CASE WHEN %s THEN now() END WHERE id = %s",
                [state, "DONE" if workflow.completed else "NEW", workflow.completed, wf_id],
            )
            cur.execute("UPDATE bench_spiff_task SET status = 'DONE', finished = now() WHERE id = %s", [task_pk])
            next_pk = None
            ready = workflow.get_next_task(state=TaskState.READY, manual=True)
            if ready is not None:
                next_pk = self._insert_task(cur, wf_id, ready, "NEW", municipality_id, done=False)
            audit_record(
                actor=user, action="task.completed", subject=_subject(task_pk), changes={"node": task.task_spec.name}
            )
        return next_pk


def state_size(wf_id: int) -> int:
    with connection.cursor() as cur:
        cur.execute("SELECT length(state::text) FROM bench_spiff_workflow WHERE id = %s", [wf_id])
        return cur.fetchone()[0]
