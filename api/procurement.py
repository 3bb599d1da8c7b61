"""REST endpoints of the procurement domain, mounted under /api/v1/procedures/ (see api/urls.py).

- ``GET /`` the procedures the user may see; ``POST /`` a municipality hands over a procedure (returns the admissible
  procedure types with their legal basis and whether the EU threshold applies) and the flow starts.
- ``GET /admissible-types/?kind=&estimated_value=&on=&housing=`` the pure rule.
- ``GET /<id>/`` detail (offers only after the opening).
- ``POST /<id>/steps/<step>/`` completes the open flow task of that step with the same form and service as the
  portal; lot steps take ``lot`` in the body. ``POST /<id>/questions/``, ``/<id>/questions/<qid>/answer/``,
  ``/<id>/offers/`` record what happens during the offer period; ``POST /<id>/cancel/`` is the Aufhebung.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.exceptions import ValidationError as DrfValidationError
from rest_framework.response import Response
from rest_framework.views import APIView
from viewflow.workflow import STATUS

from api.openapi import errors
from procurement.models import BidderQuestion, Kind, Procedure
from procurement.selectors import procedure_award_notice_due, procedure_for_user, procedure_list_for_user
from procurement.services import procedure as svc
from procurement.services.rules import procedure_types_admissible
from projects.money import MONEY
from projects.selectors import municipality_list_for_user
from workflows import engine
from workflows.procurement import (
    ProcurementFlow,
    procurement_flow_cancel,
    procurement_flow_start,
    procurement_process_of,
)


class StepNotOpen(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class ProcurementView(APIView):
    """Domain errors as HTTP: German validation messages 400, task conflicts 409 (PermissionDenied/Http404 by DRF)."""

    def handle_exception(self, exc):
        if isinstance(exc, ValidationError):
            exc = DrfValidationError(
                exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
            )
        elif isinstance(exc, engine.TaskConflict):
            exc = StepNotOpen(exc.message)
        return super().handle_exception(exc)


STEP_NODES = {
    "participation": ("confirm_participation",),
    "type": ("choose_type",),
    "specification": ("write_specification",),
    "specification-approval": ("approve_specification",),
    "documents": ("prepare_documents",),
    "publication": ("publish",),
    "opening": ("open_offers",),
    "opening-confirmation": ("cosign_opening",),
    "direct-award": ("direct_award",),
    "formal-check": ("formal_check",),
    "evaluation": ("evaluate_lot",),
    "award-proposal": ("award_proposal",),
    "decision": ("decide_award", "eu_decide_award"),
    "information": ("inform_bidders",),
    "award": ("award", "eu_award"),
    "record": ("record",),
}


class LotSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    number = serializers.IntegerField()
    municipality = serializers.CharField(source="municipality.name")
    title = serializers.CharField()
    estimated_value = serializers.DecimalField(**MONEY)
    proposed_offer = serializers.IntegerField(source="proposed_offer_id", allow_null=True)
    decided_offer = serializers.IntegerField(source="decided_offer_id", allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    standstill_ends_on = serializers.DateField(allow_null=True)
    awarded_at = serializers.DateTimeField(allow_null=True)


class ProcedureSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    reference = serializers.CharField()
    subject = serializers.CharField()
    municipality = serializers.CharField(source="municipality.name")
    is_joint = serializers.BooleanField()
    kind = serializers.CharField()
    estimated_value = serializers.DecimalField(**MONEY)
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    eu = serializers.BooleanField()
    proposed_type = serializers.CharField()
    procedure_type = serializers.CharField()
    offer_deadline = serializers.DateTimeField(allow_null=True)


class ProcedureDetailSerializer(ProcedureSerializer):
    admissible_types = serializers.JSONField()
    type_reason = serializers.CharField()
    specification = serializers.CharField()
    lots = LotSerializer(many=True, source="lots.all")
    criteria = serializers.SerializerMethodField()
    answers = serializers.SerializerMethodField()
    offers = serializers.SerializerMethodField()
    open_steps = serializers.SerializerMethodField()
    cancel_reason = serializers.CharField()
    has_record = serializers.SerializerMethodField()
    award_notice_due_on = serializers.SerializerMethodField(help_text="EU: Vergabebekanntmachung fällig bis (§ 39 VgV)")
    urgency_reason = serializers.CharField()

    def get_award_notice_due_on(self, obj) -> str | None:
        due = procedure_award_notice_due(procedure=obj)
        return due.end.isoformat() if due else None

    def get_criteria(self, obj) -> list[dict]:
        return [
            {"id": c.pk, "name": c.name, "weight": str(c.weight), "is_price": c.is_price} for c in obj.criteria.all()
        ]

    def get_answers(self, obj) -> list[dict]:
        return [{"question": a["question"], "answer": a["answer"]} for a in svc.procedure_answers_public(procedure=obj)]

    def get_offers(self, obj) -> list[dict]:
        if obj.opened_at is None:
            return []  # nobody sees offers before the opening
        return [
            {
                "id": o.pk,
                "lot": o.lot.number,
                "bidder": o.bidder,
                "price": str(o.price),
                "received_at": o.received_at,
                "late": o.is_late,
                "formally_admitted": o.formally_admitted,
                "formal_note": o.formal_note,
                "total_points": o.total_points and str(o.total_points),
            }
            for o in obj.offers.select_related("lot")
        ]

    def get_open_steps(self, obj) -> list[dict]:
        process = procurement_process_of(procedure=obj)
        if process is None:
            return []
        steps = {node: step for step, nodes in STEP_NODES.items() for node in nodes}
        return [
            {"step": steps[t.flow_task.name], "title": str(t.flow_task.task_title), "lot": t.data.get("lot_id")}
            for t in process.task_set.filter(status__in=[STATUS.NEW, STATUS.ASSIGNED])
            if t.flow_task is not None and t.flow_task.name in steps
        ]

    def get_has_record(self, obj) -> bool:
        return bool(obj.record_pdf)


class ProcedureCreateSerializer(serializers.Serializer):
    municipality = serializers.IntegerField()
    subject = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=Kind.choices)
    estimated_value = serializers.DecimalField(**MONEY)
    need = serializers.CharField(required=False, allow_blank=True, default="")
    housing = serializers.BooleanField(required=False, default=False)
    openers_from = serializers.ChoiceField(
        choices=Procedure.Openers.choices, required=False, default=Procedure.Openers.CENTRE
    )


ADMISSIBILITY = inline_serializer(
    "Admissibility",
    {
        "eu": serializers.BooleanField(),
        "eu_threshold": serializers.CharField(),
        "eu_threshold_basis": serializers.CharField(),
        "proposed_type": serializers.CharField(),
        "lot_basis": serializers.CharField(help_text="Bezugswert der Wertgrenzen: Gesamtauftrag oder je Fachlos"),
        "lots": serializers.ListField(child=serializers.DictField()),
        "types": serializers.ListField(child=serializers.DictField()),
    },
)
STEP_BODY = inline_serializer(
    "ProcedureStepIn",
    {"lot": serializers.IntegerField(required=False, help_text="Los-ID bei Schritten je Los")},
)


def _detail(procedure: Procedure, **extra) -> dict:
    data = ProcedureDetailSerializer(Procedure.objects.get(pk=procedure.pk)).data
    data.update(extra)
    return data


class ProcedureListView(ProcurementView):
    @extend_schema(
        summary="Sichtbare Vergabeverfahren",
        tags=["Vergabe"],
        responses={200: ProcedureSerializer(many=True), **errors(401)},
    )
    def get(self, request):
        procedures = procedure_list_for_user(user=request.user).order_by("-created_at", "-pk")[:200]
        return Response(ProcedureSerializer(procedures, many=True).data)

    @extend_schema(
        summary="Vergabeverfahren beauftragen (Kommune)",
        tags=["Vergabe"],
        request=ProcedureCreateSerializer,
        responses={201: ProcedureDetailSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request):
        payload = ProcedureCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        municipality = get_object_or_404(municipality_list_for_user(user=request.user), pk=data.pop("municipality"))
        with transaction.atomic():
            procedure = svc.procedure_request(municipality=municipality, by=request.user, **data)
            procurement_flow_start(procedure=procedure)
        admissibility = procedure_types_admissible(
            kind=procedure.kind,
            estimated_value=procedure.estimated_value,
            on=timezone.localdate(),
            housing=procedure.housing,
        )
        return Response(_detail(procedure, admissibility=admissibility.as_dict()), status=status.HTTP_201_CREATED)


class AdmissibleTypesView(ProcurementView):
    @extend_schema(
        summary="Zulässige Verfahrensarten nach den datierten Wertgrenzen",
        tags=["Vergabe"],
        parameters=[
            OpenApiParameter("kind", str),
            OpenApiParameter("estimated_value", str),
            OpenApiParameter("on", str, required=False),
            OpenApiParameter("housing", bool, required=False),
        ],
        responses={200: ADMISSIBILITY, **errors(400, 401)},
    )
    def get(self, request):
        params = request.query_params
        try:
            on = date.fromisoformat(params["on"]) if params.get("on") else timezone.localdate()
            result = procedure_types_admissible(
                kind=params.get("kind", ""),
                estimated_value=params.get("estimated_value", ""),
                on=on,
                housing=params.get("housing") in ("1", "true", "True"),
            )
        except (ValueError, ArithmeticError) as exc:
            raise ValidationError(_("Bitte Leistungsart, Auftragswert und ggf. Datum (JJJJ-MM-TT) angeben.")) from exc
        return Response(result.as_dict())


class ProcedureDetailView(ProcurementView):
    @extend_schema(
        summary="Vergabeverfahren", tags=["Vergabe"], responses={200: ProcedureDetailSerializer, **errors(401, 404)}
    )
    def get(self, request, pk):
        return Response(_detail(procedure_for_user(user=request.user, pk=pk)))


class ProcedureStepView(ProcurementView):
    """Complete the open task of a step (the same form, service and flow advance as in the portal)."""

    @extend_schema(
        summary="Schritt des Verfahrens erledigen (Formularfelder des Schritts)",
        tags=["Vergabe"],
        request=STEP_BODY,
        responses={200: ProcedureDetailSerializer, **errors(400, 401, 403, 404, 409)},
    )
    def post(self, request, pk, step):
        procedure = procedure_for_user(user=request.user, pk=pk)
        if step not in STEP_NODES:
            raise ValidationError(_("Unbekannter Schritt: %(step)s") % {"step": step})
        process = procurement_process_of(procedure=procedure)
        tasks = []
        if process is not None:
            nodes = [getattr(ProcurementFlow, name) for name in STEP_NODES[step]]
            tasks = list(process.task_set.filter(flow_task__in=nodes, status__in=[STATUS.NEW, STATUS.ASSIGNED]))
        lot = request.data.get("lot")
        if lot is not None:
            tasks = [t for t in tasks if str(t.data.get("lot_id")) == str(lot)]
        if not tasks:
            raise StepNotOpen(_("Dieser Schritt steht im Verfahren derzeit nicht an."))
        if len(tasks) > 1:
            raise ValidationError({"lot": _("Bitte das Los angeben.")})
        engine.task_complete(task=tasks[0], user=request.user, data=request.data)
        return Response(_detail(procedure))


class QuestionListView(ProcurementView):
    @extend_schema(
        summary="Bieterfrage erfassen (Vergabezentrum)",
        tags=["Vergabe"],
        request=inline_serializer("BidderQuestionIn", {"question": serializers.CharField()}),
        responses={201: ProcedureDetailSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request, pk):
        procedure = procedure_for_user(user=request.user, pk=pk)
        svc.question_record(procedure=procedure, by=request.user, question=str(request.data.get("question", "")))
        return Response(_detail(procedure), status=status.HTTP_201_CREATED)


class QuestionAnswerView(ProcurementView):
    @extend_schema(
        summary="Bieterfrage für alle Bieter beantworten",
        tags=["Vergabe"],
        request=inline_serializer("BidderAnswerIn", {"answer": serializers.CharField()}),
        responses={200: ProcedureDetailSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request, pk, question_pk):
        procedure = procedure_for_user(user=request.user, pk=pk)
        question = get_object_or_404(BidderQuestion, pk=question_pk, procedure=procedure)
        svc.question_answer(question=question, by=request.user, answer=str(request.data.get("answer", "")))
        return Response(_detail(procedure))


class OfferListView(ProcurementView):
    @extend_schema(
        summary="Eingegangenes Angebot registrieren (Vergabezentrum)",
        description=(
            "Der Eingang wird vom Server beim Erfassen gestempelt; ein Eingangszeitpunkt im Aufruf wird nicht "
            "übernommen. Nach Ablauf der Angebotsfrist wird das Angebot als verspätet erfasst und ausgeschlossen."
        ),
        tags=["Vergabe"],
        request=inline_serializer(
            "OfferIn",
            {
                "bidder": serializers.CharField(),
                "price": serializers.DecimalField(**MONEY),
                "lot": serializers.IntegerField(required=False),
            },
        ),
        responses={201: ProcedureDetailSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request, pk):
        procedure = procedure_for_user(user=request.user, pk=pk)
        lot = procedure.lots.filter(pk=request.data.get("lot")).first() if request.data.get("lot") else None
        price = serializers.DecimalField(**MONEY).run_validation(request.data.get("price"))
        svc.offer_receive(
            procedure=procedure,
            by=request.user,
            bidder=str(request.data.get("bidder", "")),
            price=price,
            lot=lot,
        )
        return Response(_detail(procedure), status=status.HTTP_201_CREATED)


class CancelView(ProcurementView):
    @extend_schema(
        summary="Verfahren aufheben (Bürgermeister/in, mit Grund)",
        tags=["Vergabe"],
        request=inline_serializer("CancelIn", {"reason": serializers.CharField()}),
        responses={200: ProcedureDetailSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request, pk):
        procedure = procedure_for_user(user=request.user, pk=pk)
        procurement_flow_cancel(procedure=procedure, by=request.user, reason=str(request.data.get("reason", "")))
        return Response(_detail(procedure))


urlpatterns = [
    path("", ProcedureListView.as_view(), name="api-procedures"),
    path("admissible-types/", AdmissibleTypesView.as_view(), name="api-procedure-admissible-types"),
    path("<int:pk>/", ProcedureDetailView.as_view(), name="api-procedure"),
    path("<int:pk>/steps/<slug:step>/", ProcedureStepView.as_view(), name="api-procedure-step"),
    path("<int:pk>/questions/", QuestionListView.as_view(), name="api-procedure-questions"),
    path("<int:pk>/questions/<int:question_pk>/answer/", QuestionAnswerView.as_view(), name="api-procedure-answer"),
    path("<int:pk>/offers/", OfferListView.as_view(), name="api-procedure-offers"),
    path("<int:pk>/cancel/", CancelView.as_view(), name="api-procedure-cancel"),
]
