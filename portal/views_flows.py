"""The "Abläufe" pages (issue 20): every flow of the product as a BPMN 2.0 diagram, and its download."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpResponse
from django.views import View
from django.views.generic import TemplateView

from workflows.bpmn import FLOWS, flow_bpmn, flow_class_named


def _flow_class(name: str):
    if name not in FLOWS:
        raise Http404
    return flow_class_named(name)


def bpmn_response(name: str) -> HttpResponse:
    response = HttpResponse(flow_bpmn(_flow_class(name)), content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.bpmn"'
    return response


class FlowListView(LoginRequiredMixin, TemplateView):
    template_name = "portal/flow_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        flows = []
        for name in FLOWS:
            flow_class = flow_class_named(name)
            flows.append(
                {"name": name, "title": flow_class.process_title, "description": flow_class.process_description}
            )
        context["flows"] = flows
        return context


class FlowDetailView(LoginRequiredMixin, TemplateView):
    template_name = "portal/flow_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        flow_class = _flow_class(kwargs["name"])
        context.update(flow_name=kwargs["name"], title=flow_class.process_title, flow_class=flow_class)
        return context


class FlowBpmnView(LoginRequiredMixin, View):
    def get(self, request, name):
        return bpmn_response(name)
