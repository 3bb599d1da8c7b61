"""BPMN 2.0 export of the flows (issue 20): one XML document per flow class, with diagram interchange.

The process graph is the viewflow flow's own graph (its nodes and edges), with one contraction: a
:class:`~workflows.nodes.ForEachMunicipality` split and the task after it become one **parallel multi-instance
user task** (one instance per municipality); the other tasks on that branch up to its join are multi-instance as
well. Everything else maps one to one, each node kind by one function below (``_start``, ``_user_task``, ...).
Shapes and edges are placed by viewflow's own grid layout (``viewflow.workflow.chart.calc_layout_data``); boundary
timers sit on the border of their task.

``flow_graph(flow_class)`` is the mapped graph (the viewer and the tests use it), ``flow_bpmn(flow_class)`` the
document, ``process_state(process)`` the live position of a process as ``{element id: state}``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.utils.encoding import force_str
from django.utils.translation import override
from viewflow.workflow import STATUS
from viewflow.workflow.chart import calc_layout_data, topsort
from viewflow.workflow.nodes import AbstractJob, Function, Handle, Join, Split, StartHandle, Switch, Timer, View
from viewflow.workflow.nodes.boundary import TimerBoundary
from viewflow.workflow.nodes.end import End
from viewflow.workflow.nodes.if_gate import If
from viewflow.workflow.nodes.start import Start

from workflows.nodes import ForEachMunicipality, WaitForChildFlow

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
TARGET_NAMESPACE = "urn:ikz-engine:flows"

for _prefix, _uri in (("bpmn", BPMN), ("bpmndi", BPMNDI), ("dc", DC), ("di", DI), ("xsi", XSI)):
    ET.register_namespace(_prefix, _uri)

# The flows of the product, by the name used in URLs and as BPMN process id.
FLOWS: dict[str, str] = {
    "case": "workflows.case.CaseFlow",
    "procurement": "workflows.procurement.ProcurementFlow",
    "funding": "workflows.funding.FundingFlow",
}
# The benchmark flows (bench/): exported the same way, not shown in the portal.
BENCH_FLOWS: dict[str, str] = {
    "bench_human": "workflows.bench_flows.BenchHumanFlow",
    "bench_auto": "workflows.bench_flows.BenchAutoFlow",
    "bench_job": "workflows.bench_flows.BenchJobFlow",
}

OPEN = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED, STATUS.SCHEDULED)


def _b(tag: str) -> str:
    return f"{{{BPMN}}}{tag}"


def flow_class_named(name: str):
    """The flow class of a name in :data:`FLOWS` or :data:`BENCH_FLOWS` (KeyError if unknown)."""
    from django.utils.module_loading import import_string

    path = FLOWS.get(name) or BENCH_FLOWS[name]
    return import_string(path)


def process_id_of(flow_class) -> str:
    """``CaseFlow`` → ``case``, ``BenchHumanFlow`` → ``bench_human``."""
    base = flow_class.__name__.removesuffix("Flow")
    return re.sub(r"(?<!^)(?=[A-Z])", "_", base).lower()


# --- the mapped graph -------------------------------------------------------------------------------------------
@dataclass
class Element:
    """A BPMN flow node: its id is the viewflow node's name."""

    id: str
    kind: str  # BPMN element tag (userTask, exclusiveGateway, ...)
    name: str
    node: Any
    documentation: list[str] = field(default_factory=list)
    multi_instance: str = ""  # the items the instances are created for (the ForEach's items method)
    attached_to: str | None = None
    bounds: tuple[int, int, int, int] = (0, 0, 0, 0)
    contracted: list[str] = field(default_factory=list)  # ForEach nodes merged into this task


@dataclass
class SequenceFlow:
    id: str
    source: str
    target: str
    name: str = ""
    condition: str = ""
    is_default: bool = False
    waypoints: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class Graph:
    process_id: str
    name: str
    elements: dict[str, Element]
    flows: list[SequenceFlow]

    def incoming(self, element_id: str) -> list[SequenceFlow]:
        return [f for f in self.flows if f.target == element_id]

    def outgoing(self, element_id: str) -> list[SequenceFlow]:
        return [f for f in self.flows if f.source == element_id]


def _title(node) -> str:
    if node.task_title:
        return force_str(node.task_title)
    return node.name.replace("_", " ").capitalize()


def _capability_label(permission: Any) -> str:
    from projects.roles import CAPABILITIES

    labels = dict(CAPABILITIES)
    if isinstance(permission, str):
        codename = permission.split(".", 1)[-1]
        return labels.get(codename, permission)
    if callable(permission):
        return "je nach Verfahren: " + " oder ".join(sorted(set(labels.values()) & _callable_labels(permission)))
    return ""


def _callable_labels(permission: Callable) -> set[str]:
    """The labels of the capabilities a permission function may return (read from its code's constants)."""
    from projects.roles import CAPABILITIES

    labels = dict(CAPABILITIES)
    constants = getattr(getattr(permission, "__code__", None), "co_consts", ()) or ()
    return {labels[c.split(".", 1)[-1]] for c in constants if isinstance(c, str) and c.split(".", 1)[-1] in labels}


# one function per node kind: (viewflow node) -> Element ---------------------------------------------------------
def _start(node) -> Element:
    return Element(node.name, "startEvent", _title(node), node)


def _end(node) -> Element:
    return Element(node.name, "endEvent", _title(node), node)


def _user_task(node) -> Element:
    element = Element(node.name, "userTask", _title(node), node)
    permission = getattr(node, "_owner_permission", None)
    if permission:
        element.documentation.append(f"Berechtigung: {_capability_label(permission)}")
    return element


def _service_task(node) -> Element:
    element = Element(node.name, "serviceTask", _title(node), node)
    if isinstance(node, AbstractJob):
        element.documentation.append("Hintergrundschritt (Celery)")
    return element


def _exclusive_gateway(node) -> Element:
    return Element(node.name, "exclusiveGateway", _title(node), node)


def _parallel_gateway(node) -> Element:
    return Element(node.name, "parallelGateway", _title(node), node)


def _join(node) -> Element:
    """A join closes the per-municipality instances (parallel); where only one of its branches runs, it merges."""
    alternatives = len(list(node._incoming())) > 1 and not _has_plain_split(node.flow_class)
    return Element(node.name, "exclusiveGateway" if alternatives else "parallelGateway", _title(node), node)


def _timer_event(node) -> Element:
    return Element(node.name, "intermediateCatchEvent", _title(node), node)


def _boundary_timer(node) -> Element:
    element = Element(node.name, "boundaryEvent", _title(node), node)
    element.attached_to = node._attached_to.name
    return element


def _receive_task(node) -> Element:
    return Element(node.name, "receiveTask", _title(node), node)


def _call_activity(node) -> Element:
    element = Element(node.name, "callActivity", _title(node), node)
    element.documentation.append(f"Kindprozess: {node.child_flow}")
    return element


# Checked in this order (subclasses before their bases).
NODE_KINDS: list[tuple[type, Callable[[Any], Element]]] = [
    (StartHandle, _start),
    (Start, _start),
    (End, _end),
    (View, _user_task),
    (Function, _service_task),
    (AbstractJob, _service_task),
    (Switch, _exclusive_gateway),
    (If, _exclusive_gateway),
    (Join, _join),
    (Split, _parallel_gateway),
    (TimerBoundary, _boundary_timer),
    (Timer, _timer_event),
    (WaitForChildFlow, _call_activity),
    (Handle, _receive_task),
]


def _has_plain_split(flow_class) -> bool:
    return any(isinstance(n, Split) and not isinstance(n, ForEachMunicipality) for n in flow_class.instance.nodes())


def _element_of(node) -> Element:
    for kind, build in NODE_KINDS:
        if isinstance(node, kind):
            return build(node)
    raise ValueError(f"Kein BPMN-Element für den Knoten {node.name} ({type(node).__name__}).")


def _edge_label(edge, source) -> tuple[str, str, bool]:
    """(name, condition expression, is default) of a viewflow edge."""
    if isinstance(source, Switch):
        if edge.edge_class == "default":
            labels = {force_str(getattr(c, "label", "")) for _t, c in source._branches if c is not None}
            return ("nein" if labels == {"ja"} else "sonst"), "", True
        for target, condition in source._branches:
            if target is edge.dst and condition is not None:
                label = force_str(getattr(condition, "label", "")) or f"zu „{_title(target)}“"
                return label, label, False
    if isinstance(source, If):
        if edge.edge_class == "cond_true":
            return "ja", "ja", False
        return "nein", "", True
    return "", "", False


def _multi_instance_branch(split: ForEachMunicipality) -> list:
    """The nodes of a ForEach branch, from the task after the split up to (not including) its join."""
    ((first, _cond, _source),) = split._branches
    seen, todo = [], [first]
    while todo:
        node = todo.pop()
        if node in seen or isinstance(node, Join):
            continue
        seen.append(node)
        todo.extend(edge.dst for edge in node._outgoing())
    return seen


@cache
def flow_graph(flow_class) -> Graph:
    """The BPMN graph of a flow class, laid out (cached per class: a flow's graph does not change at run time)."""
    with override("de"):
        return _flow_graph(flow_class)


def _flow_graph(flow_class) -> Graph:
    grid = calc_layout_data(flow_class, 0, 0)
    nodes, _reversed = topsort(flow_class)  # the reading order of the flow
    for_each = [n for n in nodes if isinstance(n, ForEachMunicipality)]
    elements: dict[str, Element] = {}
    for node in nodes:
        if isinstance(node, ForEachMunicipality):
            continue
        element = _element_of(node)
        shape = grid[node].shape
        element.bounds = (shape.x, shape.y, shape.width, shape.height)
        elements[element.id] = element
    for split in for_each:
        ((first, _cond, _source),) = split._branches
        elements[first.name].contracted.append(split.name)
        elements[first.name].documentation.insert(0, f"Je Kommune: {_title(split)}")
        items = getattr(split._items, "__name__", "items")
        for node in _multi_instance_branch(split):
            if elements[node.name].kind.endswith("Task"):
                elements[node.name].multi_instance = items

    _place_boundary_events(elements)
    segments = {(e.src.name, e.dst.name): [tuple(p) for p in e.segments] for e in grid.edges}
    flows: list[SequenceFlow] = []
    ids: set[str] = set()
    for node in nodes:
        if isinstance(node, ForEachMunicipality):
            continue
        for edge in node._outgoing():
            if edge.edge_class in ("boundary", "compensation"):
                continue
            target = edge.dst
            points = list(segments.get((node.name, target.name), []))
            if isinstance(target, ForEachMunicipality):
                ((first, _cond, _source),) = target._branches
                points += segments.get((target.name, first.name), [])
                target = first
            if elements[node.name].kind == "boundaryEvent":
                points = _drop_to(elements[node.name].bounds, elements[target.name].bounds)
            name, condition, is_default = _edge_label(edge, node)
            flow_id = f"flow_{node.name}__{target.name}"
            while flow_id in ids:
                flow_id += "_"
            ids.add(flow_id)
            flows.append(SequenceFlow(flow_id, node.name, target.name, name, condition, is_default, points))
    return Graph(
        process_id_of(flow_class), force_str(flow_class.process_title or flow_class.__doc__ or ""), elements, flows
    )


def _place_boundary_events(elements: dict[str, Element]) -> None:
    """Boundary timers on the bottom border of their task, the first at the right corner, the second at the left
    (the middle stays free for the multi-instance marker and the labels do not run into each other)."""
    count: dict[str, int] = {}
    for element in elements.values():
        if element.attached_to is None:
            continue
        hx, hy, hw, hh = elements[element.attached_to].bounds
        _x, _y, w, h = element.bounds
        position = count.get(element.attached_to, 0)
        count[element.attached_to] = position + 1
        offset = 6 + (position // 2) * (w + 6)
        x = hx + hw - w - offset if position % 2 == 0 else hx + offset
        element.bounds = (x, hy + hh - h // 2, w, h)


def _drop_to(source: tuple[int, int, int, int], target: tuple[int, int, int, int]) -> list[tuple[int, int]]:
    """From the bottom of a boundary event straight down, then across to the side of the target."""
    sx, sy, sw, sh = source
    tx, ty, tw, th = target
    cx, cy = sx + sw // 2, ty + th // 2
    side = tx if tx >= cx else tx + tw
    return [(cx, sy + sh), (cx, cy), (side, cy)]


# --- the document -----------------------------------------------------------------------------------------------
def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str | None) -> ET.Element:
    child = ET.SubElement(parent, tag, {k: v for k, v in attrs.items() if v is not None})
    if text is not None:
        child.text = text
    return child


def _write_element(process: ET.Element, graph: Graph, element: Element) -> None:
    attrs = {"id": element.id, "name": element.name}
    if element.kind == "boundaryEvent":
        attrs.update(attachedToRef=element.attached_to or "", cancelActivity="false")
    if element.kind == "callActivity":
        attrs["calledElement"] = element.node.child_flow
    if element.kind == "exclusiveGateway":
        default = next((f for f in graph.outgoing(element.id) if f.is_default), None)
        if default is not None:
            attrs["default"] = default.id
    if element.kind == "receiveTask":
        attrs["messageRef"] = f"message_{element.id}"
    el = _sub(process, _b(element.kind), **attrs)
    if element.documentation:
        _sub(el, _b("documentation"), "\n".join(element.documentation))
    for f in graph.incoming(element.id):
        _sub(el, _b("incoming"), f.id)
    for f in graph.outgoing(element.id):
        _sub(el, _b("outgoing"), f.id)
    if element.kind in ("intermediateCatchEvent", "boundaryEvent"):
        timer = _sub(el, _b("timerEventDefinition"))
        delay = getattr(element.node, "_delay", None)
        expression = getattr(delay, "__name__", None) or (str(delay) if delay is not None else "")
        _sub(timer, _b("timeDate"), expression, **{f"{{{XSI}}}type": "bpmn:tFormalExpression"})
    if element.multi_instance:
        loop = _sub(el, _b("multiInstanceLoopCharacteristics"), isSequential="false")
        _sub(loop, _b("loopDataInputRef"), element.multi_instance)
        _sub(loop, _b("inputDataItem"), id=f"{element.id}_item", name="item")


def _write_diagram(root: ET.Element, graph: Graph) -> None:
    diagram = _sub(root, f"{{{BPMNDI}}}BPMNDiagram", id=f"diagram_{graph.process_id}")
    plane = _sub(diagram, f"{{{BPMNDI}}}BPMNPlane", id=f"plane_{graph.process_id}", bpmnElement=graph.process_id)
    for element in graph.elements.values():
        shape = _sub(plane, f"{{{BPMNDI}}}BPMNShape", id=f"shape_{element.id}", bpmnElement=element.id)
        if element.kind.endswith("Gateway"):
            shape.set("isMarkerVisible", "true")
        x, y, w, h = element.bounds
        _sub(shape, f"{{{DC}}}Bounds", x=str(x), y=str(y), width=str(w), height=str(h))
    for f in graph.flows:
        edge = _sub(plane, f"{{{BPMNDI}}}BPMNEdge", id=f"edge_{f.id}", bpmnElement=f.id)
        points = f.waypoints or _straight(graph.elements[f.source].bounds, graph.elements[f.target].bounds)
        for px, py in _dedupe(points):
            _sub(edge, f"{{{DI}}}waypoint", x=str(px), y=str(py))


def _straight(a, b) -> list[tuple[int, int]]:
    return [(a[0] + a[2], a[1] + a[3] // 2), (b[0], b[1] + b[3] // 2)]


def _dedupe(points: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for p in points:
        if not out or out[-1] != p:
            out.append(p)
    return out if len(out) >= 2 else out + out


def flow_bpmn(flow_class) -> str:
    """The BPMN 2.0 XML (with diagram) of a flow class."""
    graph = flow_graph(flow_class)
    root = ET.Element(
        _b("definitions"),
        {
            "id": f"definitions_{graph.process_id}",
            "targetNamespace": TARGET_NAMESPACE,
            "exporter": "IKZ-Engine",
            "exporterVersion": "1",
        },
    )
    for element in graph.elements.values():
        if element.kind == "receiveTask":
            _sub(root, _b("message"), id=f"message_{element.id}", name=element.name)
    process = _sub(root, _b("process"), id=graph.process_id, name=graph.name, isExecutable="true")
    doc = force_str(flow_class.process_description or "") if hasattr(flow_class, "process_description") else ""
    if doc:
        _sub(process, _b("documentation"), doc)
    for element in graph.elements.values():
        _write_element(process, graph, element)
    for f in graph.flows:
        seq = _sub(process, _b("sequenceFlow"), id=f.id, sourceRef=f.source, targetRef=f.target, name=f.name or None)
        if f.condition:
            _sub(seq, _b("conditionExpression"), f.condition, **{f"{{{XSI}}}type": "bpmn:tFormalExpression"})
    _write_diagram(root, graph)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# --- the live position of a process -----------------------------------------------------------------------------
def process_state(process) -> dict[str, str]:
    """``{element id: "completed" | "current" | "error"}`` from the process's tasks (viewflow's task table)."""
    graph = flow_graph(process.flow_class)
    owner_of = {name: element.id for element in graph.elements.values() for name in [element.id, *element.contracted]}
    states: dict[str, str] = {}
    rank = {"completed": 1, "error": 2, "current": 3}
    for flow_task, status in process.task_set.values_list("flow_task", "status"):
        element_id = owner_of.get(flow_task.name) if flow_task is not None else None
        if element_id is None:
            continue
        if status in OPEN:
            if graph.elements[element_id].kind == "boundaryEvent":
                continue  # armed with its task; it becomes a step of its own only when it fires
            state = "current"
        elif status == STATUS.DONE:
            state = "completed"
        elif status == STATUS.ERROR:
            state = "error"
        else:
            continue
        if rank[state] > rank.get(states.get(element_id, ""), 0):
            states[element_id] = state
    return states


__all__ = ["FLOWS", "BENCH_FLOWS", "flow_bpmn", "flow_graph", "process_state", "flow_class_named"]
