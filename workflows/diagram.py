"""What a BPMN diagram page shows (issue 20): the flow's steps in reading order, each with its state in one process
and, where the viewer may act on an open task of that step, the task to open.

Used by the portal pages (the viewer and the text list beside it) and by the API (the instance state as JSON).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext as _
from viewflow.workflow import STATUS
from viewflow.workflow.models import Process, Task

from workflows.bpmn import FLOWS, flow_class_named, flow_graph, process_id_of, process_state

# elements listed in the text list of steps (gateways are the arrows' decisions, not steps)
LISTED = {
    "startEvent",
    "endEvent",
    "userTask",
    "serviceTask",
    "receiveTask",
    "callActivity",
    "intermediateCatchEvent",
    "boundaryEvent",
}


@dataclass
class Step:
    id: str
    name: str
    kind: str
    state: str  # "completed", "current", "error" or "" (not reached)
    state_label: str
    task_id: int | None = None  # an open task of this step the viewer may act on

    def as_dict(self) -> dict:
        return asdict(self)


def state_labels() -> dict[str, str]:
    return {"completed": _("erledigt"), "current": _("aktuell"), "error": _("Fehler"), "": _("nicht erreicht")}


def process_of(obj) -> Process | None:
    """The flow process whose artefact is ``obj`` (a case, a procedure, a funding application)."""
    if obj is None:
        return None
    if isinstance(obj, Process):
        return obj
    return (
        Process.objects.filter(
            artifact_content_type=ContentType.objects.get_for_model(type(obj)), artifact_object_id=obj.pk
        )
        .order_by("pk")
        .first()
    )


def flow_name_of(process: Process) -> str | None:
    name = process_id_of(process.flow_class)
    return name if name in FLOWS else None


def steps_of(*, flow_name: str, process: Process | None = None, user=None) -> list[Step]:
    """The steps of a flow in reading order; with a process, each with its state and the viewer's open task."""
    from workflows.engine import task_actions_for

    graph = flow_graph(flow_class_named(flow_name))
    states = process_state(process) if process is not None else {}
    actionable: dict[str, int] = {}
    if process is not None and user is not None:
        open_tasks = Task.objects.filter(process=process, status__in=(STATUS.NEW, STATUS.ASSIGNED)).order_by("pk")
        for task in open_tasks:
            name = task.flow_task.name if task.flow_task is not None else None
            if name and name not in actionable and task_actions_for(task=task, user=user):
                actionable[name] = task.pk
    labels = state_labels()
    return [
        Step(
            id=element.id,
            name=element.name,
            kind=element.kind,
            state=states.get(element.id, ""),
            state_label=labels[states.get(element.id, "")],
            task_id=actionable.get(element.id),
        )
        for element in graph.elements.values()
        if element.kind in LISTED
    ]
