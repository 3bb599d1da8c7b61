"""``{% flow_diagram obj %}``: the BPMN diagram of the flow an object runs in (a case, a procedure, a funding
application), with its current position, the list of steps and the download (issue 20). One line on any page."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.translation import gettext as _

from workflows.bpmn import flow_class_named
from workflows.diagram import flow_name_of, process_of, steps_of

register = template.Library()


def diagram_context(*, flow_name: str, process=None, user=None) -> dict:
    steps = steps_of(flow_name=flow_name, process=process, user=user)
    rows = []
    for step in steps:
        row = step.as_dict()
        row["url"] = reverse("portal:task", args=[step.task_id]) if step.task_id else ""
        rows.append(row)
    flow_class = flow_class_named(flow_name)
    return {
        "flow_name": flow_name,
        "title": str(flow_class.process_title),
        "with_state": process is not None,
        "steps": rows,
        "current": [r["name"] for r in rows if r["state"] == "current"],
        "bpmn_url": reverse("portal:flow_bpmn", args=[flow_name]),
        "download_name": f"{flow_name}.bpmn",
        "heading": _("Ablauf und aktueller Stand") if process is not None else _("Ablauf"),
    }


@register.inclusion_tag("portal/_flow_diagram.html", takes_context=True)
def flow_diagram(context, obj=None, flow: str = ""):
    """The diagram of ``obj``'s process (or of the flow named ``flow`` when the object has no process yet)."""
    request = context.get("request")
    process = process_of(obj)
    flow_name = (flow_name_of(process) if process is not None else None) or flow
    if not flow_name:
        return {"diagram": None}
    user = getattr(request, "user", None)
    return {"diagram": diagram_context(flow_name=flow_name, process=process, user=user)}
