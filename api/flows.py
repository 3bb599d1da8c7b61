"""The flows as BPMN 2.0 (issue 20): the document of a flow, and the live position of a case in it.

``GET flows/{name}/bpmn`` answers the XML (``application/xml``), ``GET cases/{id}/flow/`` the state of every step
of the case's process (``completed``, ``current``, ``error``, or empty when not reached) with the element ids of
the document, so that a BPMN tool can mark them.
"""

from __future__ import annotations

import json

from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from api.openapi import errors, id_parameter
from projects.selectors import case_for_user
from workflows.bpmn import FLOWS, flow_bpmn, flow_class_named
from workflows.diagram import steps_of
from workflows.selectors import process_of_case


class FlowStepSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="ID des Elements im BPMN-Dokument")
    name = serializers.CharField()
    kind = serializers.CharField(help_text="BPMN-Elementtyp (userTask, serviceTask, …)")
    state = serializers.CharField(allow_blank=True, help_text="completed, current, error oder leer (nicht erreicht)")
    state_label = serializers.CharField()
    task_id = serializers.IntegerField(allow_null=True, help_text="Ihre offene Aufgabe in diesem Schritt")


class CaseFlowStateSerializer(serializers.Serializer):
    flow = serializers.CharField()
    bpmn = serializers.CharField(help_text="Pfad des BPMN-2.0-Dokuments")
    steps = FlowStepSerializer(many=True)


class BpmnRenderer(BaseRenderer):
    """Lets a client ask for ``Accept: application/xml``; errors are still the JSON error shape."""

    media_type = "application/xml"
    format = "bpmn"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data.encode() if isinstance(data, str) else json.dumps(data).encode()


class FlowBpmnView(APIView):
    renderer_classes = [JSONRenderer, BpmnRenderer]

    @extend_schema(
        summary="Ablauf als BPMN 2.0",
        description="Das BPMN-2.0-Dokument (XML mit Diagramm) eines Ablaufs: case, procurement oder funding.",
        tags=["Abläufe"],
        parameters=[OpenApiParameter("name", str, OpenApiParameter.PATH, enum=list(FLOWS))],
        responses={
            (200, "application/xml"): OpenApiResponse(OpenApiTypes.STR, description="BPMN 2.0 XML"),
            **errors(401, 404),
        },
    )
    def get(self, request, name):
        if request.query_params.get("format") == "":  # an empty choice is refused, not ignored
            raise ValidationError({"format": [_("Bitte json oder bpmn angeben.")]})
        if name not in FLOWS:
            raise Http404
        response = HttpResponse(flow_bpmn(flow_class_named(name)), content_type="application/xml; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.bpmn"'
        return response


class CaseFlowStateView(APIView):
    @extend_schema(
        summary="Stand eines Vorgangs im Ablauf",
        description="Jeder Schritt des Ablaufs mit seinem Stand in diesem Vorgang (IDs wie im BPMN-Dokument).",
        tags=["Vorgänge"],
        parameters=[id_parameter("ID des Vorgangs")],
        responses={200: CaseFlowStateSerializer, **errors(401, 404)},
    )
    def get(self, request, id):
        case = case_for_user(user=request.user, pk=id)
        process = process_of_case(case=case)
        steps = [s.as_dict() for s in steps_of(flow_name="case", process=process, user=request.user)]
        data = {"flow": "case", "bpmn": "/api/v1/flows/case/bpmn", "steps": steps}
        return Response(CaseFlowStateSerializer(data).data)
