"""The BPMN 2.0 export of every flow (issue 20): valid against the BPMN 2.0 XSD, parsed by SpiffWorkflow's BPMN
parser, and the same graph as the viewflow flow (walked on both sides).

The XSD is the OMG BPMN 2.0 schema shipped by SpiffWorkflow (``SpiffWorkflow/bpmn/parser/schema/BPMN20.xsd`` with
BPMNDI, DC, DI and Semantic), used through its ``BpmnValidator``.
"""

from __future__ import annotations

import pytest
from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser, BpmnValidator

from workflows.bpmn import BENCH_FLOWS, FLOWS, flow_bpmn, flow_class_named
from workflows.nodes import ForEachMunicipality

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
}
NOT_FLOW_NODES = {"sequenceFlow", "documentation", "dataObject", "laneSet", "textAnnotation", "association"}
ALL_FLOWS = [*FLOWS, *BENCH_FLOWS]


def _doc(name: str):
    return etree.fromstring(flow_bpmn(flow_class_named(name)).encode())


def _local(tag: str) -> str:
    return etree.QName(tag).localname


def viewflow_graph(flow_class) -> tuple[set[str], list[tuple[str, str]]]:
    """Nodes and edges of the viewflow flow, with each ForEach split merged into the task it creates."""
    nodes = list(flow_class.instance.nodes())
    head = {n.name: n._branches[0][0].name for n in nodes if isinstance(n, ForEachMunicipality)}
    names = {n.name for n in nodes if n.name not in head}
    edges = [
        (n.name, head.get(e.dst.name, e.dst.name))
        for n in nodes
        if n.name not in head
        for e in n._outgoing()
        if e.edge_class not in ("boundary", "compensation")
    ]
    return names, edges


def bpmn_graph(doc) -> tuple[set[str], list[tuple[str, str]]]:
    (process,) = doc.findall("bpmn:process", NS)
    nodes = {el.get("id") for el in process if _local(el.tag) not in NOT_FLOW_NODES}
    flows = [(f.get("sourceRef"), f.get("targetRef")) for f in process.findall("bpmn:sequenceFlow", NS)]
    return nodes, flows


@pytest.mark.parametrize("name", ALL_FLOWS)
def test_every_flow_exports_a_document_valid_against_the_bpmn_20_schema(name):
    BpmnValidator().validate(_doc(name))


@pytest.mark.parametrize("name", ALL_FLOWS)
def test_every_flow_is_the_same_graph_in_bpmn_as_in_viewflow(name):
    flow_class = flow_class_named(name)
    view_nodes, view_edges = viewflow_graph(flow_class)
    bpmn_nodes, bpmn_flows = bpmn_graph(_doc(name))
    assert bpmn_nodes == view_nodes
    assert len(bpmn_nodes) == len(view_nodes)
    assert sorted(bpmn_flows) == sorted(view_edges)
    assert len(bpmn_flows) == len(view_edges)


@pytest.mark.parametrize("name", ALL_FLOWS)
def test_every_flow_is_parsed_by_spiffworkflow_with_each_node_as_a_task_spec(name):
    parser = BpmnParser(validator=BpmnValidator())
    parser.add_bpmn_str(flow_bpmn(flow_class_named(name)).encode())
    if name == "case":  # the funding application runs as the case's call activity
        parser.add_bpmn_str(flow_bpmn(flow_class_named("funding")).encode())
    spec = parser.get_spec(name)
    spiff_nodes = {ts.bpmn_id for ts in spec.task_specs.values() if ts.bpmn_id}
    assert spiff_nodes == viewflow_graph(flow_class_named(name))[0]
    if name == "case":
        assert set(parser.get_subprocess_specs(name)) == {"funding"}


@pytest.mark.parametrize("name", ALL_FLOWS)
def test_every_node_and_sequence_flow_is_placed_on_the_diagram(name):
    doc = _doc(name)
    nodes, _flows = bpmn_graph(doc)
    shapes = {s.get("bpmnElement"): s for s in doc.iterfind(".//bpmndi:BPMNShape", NS)}
    assert set(shapes) == nodes
    boxes = {}
    for element, shape in shapes.items():
        b = shape.find("dc:Bounds", NS)
        boxes[element] = tuple(float(b.get(k)) for k in ("x", "y", "width", "height"))
        assert boxes[element][2] > 0 and boxes[element][3] > 0
    boundary = {e.get("id") for e in doc.iterfind(".//bpmn:boundaryEvent", NS)}
    placed = [(k, v) for k, v in boxes.items() if k not in boundary]
    for i, (a, (ax, ay, aw, ah)) in enumerate(placed):
        for b, (bx, by, bw, bh) in placed[i + 1 :]:
            overlap = ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah
            assert not overlap, f"{a} overlaps {b}"
    flow_ids = {f.get("id") for f in doc.iterfind(".//bpmn:sequenceFlow", NS)}
    edges = {e.get("bpmnElement"): e for e in doc.iterfind(".//bpmndi:BPMNEdge", NS)}
    assert set(edges) == flow_ids
    assert all(len(e.findall("di:waypoint", NS)) >= 2 for e in edges.values())


def _element(doc, element_id):
    (el,) = doc.xpath(f"//bpmn:*[@id='{element_id}']", namespaces=NS)
    return el


def test_case_flow_shows_each_node_kind_in_its_bpmn_form():
    doc = _doc("case")
    kind = lambda element_id: _local(_element(doc, element_id).tag)  # noqa: E731
    assert kind("start") == "startEvent"
    assert kind("transferred") == "endEvent"
    assert kind("screening") == "userTask"
    assert kind("conclude_approvals") == "serviceTask"
    assert kind("screening_outcome") == "exclusiveGateway"
    assert kind("approvals_join") == "parallelGateway"
    assert kind("parked") == "intermediateCatchEvent"
    assert _element(doc, "parked").find("bpmn:timerEventDefinition", NS) is not None

    approve = _element(doc, "approve_project_order")
    loop = approve.find("bpmn:multiInstanceLoopCharacteristics", NS)
    assert loop is not None and loop.get("isSequential") == "false"
    assert "Projektaufträge freigeben" in approve.findtext("bpmn:documentation", namespaces=NS)

    reminder = _element(doc, "record_resolution__timeout")
    assert kind("record_resolution__timeout") == "boundaryEvent"
    assert reminder.get("attachedToRef") == "record_resolution"
    assert reminder.get("cancelActivity") == "false"
    assert reminder.find("bpmn:timerEventDefinition", NS) is not None

    wait = _element(doc, "await_funding_decision")
    assert kind("await_funding_decision") == "callActivity"
    assert wait.get("calledElement") == "funding"


def test_titles_are_in_sentence_case_as_written_in_the_flow():
    doc = _doc("case")
    assert _element(doc, "development").get("name") == "Entwicklung zur Beschlussreife"
    assert _element(doc, "await_funding_decision").get("name") == "Warten auf den Förderbescheid"
    assert _element(doc, "screening_outcome").get("name") == "Ergebnis des Screenings"


def test_gateway_conditions_name_the_outgoing_flows():
    doc = _doc("case")
    names = {f.get("targetRef"): f.get("name") for f in doc.iterfind(".//bpmn:sequenceFlow[@sourceRef='route']", NS)}
    # county-wide: first the gateway "Verwaltungsrat zuerst?" (a setting of the DKZ's statute), then the consents
    assert names == {"board_first": "kreisweit", "sign_agreement": "sonst"}
    board_first = {f.get("targetRef") for f in doc.iterfind(".//bpmn:sequenceFlow[@sourceRef='board_first']", NS)}
    assert board_first == {"board_resolution", "consent_statute_amendment"}
    route = _element(doc, "route")
    assert route.get("default") == "flow_route__sign_agreement"
    funding = {
        f.get("targetRef"): f.get("name") for f in doc.iterfind(".//bpmn:sequenceFlow[@sourceRef='funding_route']", NS)
    }
    assert funding == {"funding_application": "ja", "transferred": "nein"}


def test_procurement_lots_run_as_parallel_multi_instance_tasks_and_the_eu_branch_merges_with_the_other():
    doc = _doc("procurement")
    for task in ("evaluate_lot", "decide_award", "award", "eu_decide_award", "inform_bidders", "eu_award"):
        assert _element(doc, task).find("bpmn:multiInstanceLoopCharacteristics", NS) is not None, task
    assert _local(_element(doc, "standstill").tag) == "intermediateCatchEvent"
    # only one of the two award branches runs: their join is a merge, not a parallel join that would wait forever
    assert _local(_element(doc, "awards_join").tag) == "exclusiveGateway"
    assert {f.get("name") for f in doc.iterfind(".//bpmn:sequenceFlow[@sourceRef='eu_check']", NS)} == {"ja", "nein"}


def test_a_background_job_step_is_a_service_task():
    doc = _doc("bench_job")
    assert _local(_element(doc, "job").tag) == "serviceTask"


def test_a_plain_handle_waits_for_a_message_as_a_receive_task():
    from viewflow.workflow import flow

    from workflows.bpmn import _element_of

    node = flow.Handle()
    node.name = "await_answer"
    assert _element_of(node).kind == "receiveTask"


def test_a_step_whose_capability_depends_on_the_procedure_names_both_capabilities():
    doc = _doc("procurement")
    documentation = _element(doc, "open_offers").findtext("bpmn:documentation", namespaces=NS)
    assert "Angebote fachlich bewerten" in documentation
    assert "Formales Vergabeverfahren durchführen (DKZ)" in documentation
