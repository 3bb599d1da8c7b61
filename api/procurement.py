"""REST endpoints of the procurement domain, mounted under /api/v1/procedures/ (see api/urls.py).

- ``GET /`` the procedures the user may see (paginated); ``POST /`` a municipality hands over a procedure (returns
  the admissible procedure types with their legal basis and whether the EU threshold applies) and the flow starts.
- ``GET /admissible-types/?kind=&estimated_value=&on=&housing=`` the pure rule.
- ``GET /<id>/`` detail (offers only after the opening) with its open steps.
- ``POST /<id>/steps/<step>/``: one operation per task node of the procurement flow, named like the node, each with
  its own typed body. It completes the open task of that node with the same form, service and flow advance as the
  portal's task page; lot steps take ``lot`` (the lot's id) in the body.
- ``GET/POST /<id>/openers/`` and ``GET /<id>/opener-candidates/``: the persons who open the offers (four eyes).
- ``GET/POST /<id>/questions/``, ``POST /<id>/questions/<qid>/answer/``, ``GET/POST /<id>/offers/``: what
  happens during the offer period, each created record with its id.
- ``GET /<id>/record.pdf`` the Vergabevermerk, ``GET /<id>/lots/<lot>/information.pdf`` the § 134 GWB letters.
- ``POST /<id>/cancel/`` is the Aufhebung.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.exceptions import APIException
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView
from viewflow.workflow import STATUS

from api.openapi import errors
from api.pagination import Pagination
from procurement.models import BidderQuestion, Kind, Lot, Procedure
from procurement.models.choices import ProcedureType
from procurement.selectors import procedure_award_notice_due, procedure_for_user, procedure_list_for_user
from procurement.services import procedure as svc
from procurement.services.rules import procedure_types_admissible
from projects.money import MONEY
from projects.selectors import has_capability, municipality_list_for_user
from workflows import engine
from workflows.procurement import (
    ProcurementFlow,
    procurement_flow_cancel,
    procurement_flow_start,
    procurement_process_of,
)

TAG = "Vergabe"


class StepNotOpen(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class ProcurementView(APIView):
    """Vergabeverfahren. Anfragen als JSON; Fehler immer als JSON `{"detail", "errors"}`: 400 ungültige Eingaben
    (je Feld), 403 nicht Ihr Schritt, 404 nicht vorhanden oder nicht sichtbar, 409 der Schritt steht nicht an."""

    parser_classes = [JSONParser]


# --- output shapes (also the OpenAPI documentation) ---------------------------------------------------------------
class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(help_text="Anzeigename")


class OpenerCandidateSerializer(PersonSerializer):
    side = serializers.ChoiceField(
        choices=Procedure.Openers.choices, help_text="Seite, für die die Person bestimmt werden kann"
    )


class LotSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    number = serializers.IntegerField()
    municipality = serializers.CharField(source="municipality.name")
    municipality_id = serializers.IntegerField()
    title = serializers.CharField()
    estimated_value = serializers.DecimalField(**MONEY)
    proposed_offer = serializers.IntegerField(source="proposed_offer_id", allow_null=True)
    decided_offer = serializers.IntegerField(source="decided_offer_id", allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_note = serializers.CharField(allow_blank=True)
    information_sent_at = serializers.DateTimeField(allow_null=True, help_text="§ 134 GWB: Bieter informiert am")
    has_information = serializers.SerializerMethodField(help_text="Die Bieterinformation (PDF) liegt vor")
    standstill_ends_on = serializers.DateField(allow_null=True)
    awarded_at = serializers.DateTimeField(allow_null=True)

    def get_has_information(self, obj) -> bool:
        return bool(obj.information_pdf)


class CriterionSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    weight = serializers.DecimalField(max_digits=5, decimal_places=2, help_text="Gewichtung in %")
    is_price = serializers.BooleanField()


class AnswerSerializer(serializers.Serializer):
    question = serializers.CharField()
    answer = serializers.CharField()
    answered_at = serializers.DateTimeField()


class QuestionSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    question = serializers.CharField()
    asked_at = serializers.DateTimeField()
    answer = serializers.CharField(allow_blank=True, help_text="Antwort an alle Bieter (leer: noch offen)")
    answered_at = serializers.DateTimeField(allow_null=True)


class OfferSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    lot = serializers.IntegerField(source="lot_id", help_text="ID des Loses")
    lot_number = serializers.IntegerField(source="lot.number")
    bidder = serializers.CharField()
    price = serializers.DecimalField(**MONEY)
    received_at = serializers.DateTimeField(help_text="Vom Server beim Erfassen gestempelt")
    late = serializers.BooleanField(source="is_late")
    formally_admitted = serializers.BooleanField(allow_null=True, help_text="leer: noch nicht formal geprüft")
    formal_note = serializers.CharField(allow_blank=True)
    total_points = serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True)


# --- request shapes ---------------------------------------------------------------------------------------------------
def IdField(**kwargs) -> serializers.IntegerField:  # noqa: N802 (a field, named like one)
    """The id of a record: a positive integer in the database's range (anything else is a 400, not a crash)."""
    return serializers.IntegerField(min_value=1, max_value=2**31 - 1, **kwargs)


class ProcedureCreateSerializer(serializers.Serializer):
    municipality = IdField(help_text="ID der beauftragenden Kommune")
    subject = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=Kind.choices)
    estimated_value = serializers.DecimalField(**MONEY, help_text="Geschätzter Auftragswert netto, alle Lose")
    need = serializers.CharField(required=False, allow_blank=True, default="")
    housing = serializers.BooleanField(required=False, default=False)
    openers_from = serializers.ChoiceField(
        choices=Procedure.Openers.choices, required=False, default=Procedure.Openers.CENTRE
    )


class OpenersDesignationSerializer(serializers.Serializer):
    openers_from = serializers.ChoiceField(choices=Procedure.Openers.choices)
    openers = serializers.ListField(child=IdField(), help_text="IDs von mindestens zwei Personen der gewählten Seite")


class QuestionCreateSerializer(serializers.Serializer):
    question = serializers.CharField()


class QuestionAnswerSerializer(serializers.Serializer):
    answer = serializers.CharField()


class OfferCreateSerializer(serializers.Serializer):
    bidder = serializers.CharField(max_length=200)
    price = serializers.DecimalField(**MONEY, help_text="Angebotspreis netto (EUR)")
    lot = IdField(required=False, help_text="ID des Loses (ohne Angabe: Los 1)")


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField()


# --- step bodies: one per task node of the flow ------------------------------------------------------------------
def _confirm_field():
    return serializers.BooleanField(help_text="Muss true sein: der Schritt wird bestätigt")


def _lot_field():
    return IdField(required=False, help_text="ID des Loses (nötig, wenn mehrere Lose offen sind)")


class ConfirmStep(serializers.Serializer):
    confirm = _confirm_field()


class LotConfirmStep(serializers.Serializer):
    lot = _lot_field()
    confirm = _confirm_field()


class ChooseTypeStep(serializers.Serializer):
    procedure_type = serializers.ChoiceField(choices=ProcedureType.choices, help_text="eine der admissible_types")
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    openers_from = serializers.ChoiceField(choices=Procedure.Openers.choices, required=False)
    openers = serializers.ListField(
        child=IdField(),
        required=False,
        help_text="IDs der Personen für die Öffnung (ohne Angabe: die bereits bestimmten, …/openers/)",
    )


class WriteSpecificationStep(serializers.Serializer):
    text = serializers.CharField()


class AwardCriterionSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    weight = serializers.DecimalField(max_digits=5, decimal_places=2, help_text="Gewichtung in %")


class PrepareDocumentsStep(serializers.Serializer):
    tender_documents = serializers.CharField()
    suitability_criteria = serializers.CharField(required=False, allow_blank=True, default="")
    price_weight = serializers.DecimalField(max_digits=5, decimal_places=2, help_text="Gewichtung des Preises in %")
    criteria = AwardCriterionSerializer(
        many=True, required=False, help_text="Weitere Zuschlagskriterien (höchstens drei); alle Gewichte zusammen 100"
    )
    hours = serializers.DecimalField(max_digits=6, decimal_places=2, required=False, allow_null=True)


class PublishStep(serializers.Serializer):
    offer_deadline = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text="Angebotsfrist; Pflicht außer bei EU-Verfahren mit Teilnahmewettbewerb",
    )
    participation_deadline = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text="Teilnahmefrist; nur und dann Pflicht bei EU-Verfahren mit Teilnahmewettbewerb (nicht offen)",
    )
    urgency_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=2000,
        help_text="Begründung, wenn die verkürzte Frist wegen Dringlichkeit gelten soll (§§ 15–17 VgV)",
    )
    electronic = serializers.BooleanField(required=False, default=True)
    medium = serializers.CharField(required=False, allow_blank=True, default="")


class InviteCandidatesStep(serializers.Serializer):
    candidates = serializers.ListField(
        child=serializers.CharField(max_length=200),
        min_length=1,
        help_text="Die ausgewählten Bewerber; sie werden zur Abgabe eines Angebots aufgefordert",
    )
    offer_deadline = serializers.DateTimeField(help_text="Angebotsfrist")


class DirectAwardStep(serializers.Serializer):
    bidder = serializers.CharField(max_length=200)
    price = serializers.DecimalField(**MONEY)
    price_comparison = serializers.CharField(required=False, allow_blank=True, default="")
    justification = serializers.CharField(required=False, allow_blank=True, default="")


class FormalResultSerializer(serializers.Serializer):
    offer = IdField(help_text="ID des Angebots")
    admitted = serializers.BooleanField()
    reason = serializers.CharField(required=False, allow_blank=True, default="", help_text="Pflicht bei Ausschluss")


class FormalCheckStep(serializers.Serializer):
    results = FormalResultSerializer(
        many=True, help_text="Ein Ergebnis je rechtzeitig eingegangenem Angebot (verspätete sind ausgeschlossen)"
    )


class ScoreSerializer(serializers.Serializer):
    offer = IdField(help_text="ID des Angebots")
    criterion = IdField(help_text="ID des fachlichen Kriteriums")
    points = serializers.DecimalField(max_digits=5, decimal_places=2, help_text="0–100")


class EvaluateLotStep(serializers.Serializer):
    lot = _lot_field()
    scores = ScoreSerializer(many=True, help_text="Je zugelassenes Angebot und fachliches Kriterium ein Wert")


class DecideAwardStep(serializers.Serializer):
    lot = _lot_field()
    offer = IdField(required=False, allow_null=True, help_text="ohne Angabe: der Vergabevorschlag")
    note = serializers.CharField(required=False, allow_blank=True, default="", help_text="Pflicht bei Abweichung")


class InformBiddersStep(serializers.Serializer):
    lot = _lot_field()
    electronic = serializers.BooleanField(required=False, default=True)


def _form_confirm(data, procedure) -> dict:
    return {"confirm": data["confirm"]}


def _form_same(data, procedure) -> dict:
    return {k: v for k, v in data.items() if k != "lot"}


def _form_type(data, procedure) -> dict:
    form = {"procedure_type": data["procedure_type"], "reason": data.get("reason", "")}
    form["openers_from"] = data.get("openers_from") or procedure.openers_from
    if "openers" in data:
        form["openers"] = data["openers"]
    else:
        form["openers"] = list(procedure.openers.values_list("pk", flat=True))
    return form


def _form_documents(data, procedure) -> dict:
    criteria = data.get("criteria") or []
    if len(criteria) > 3:
        raise DjangoValidationError({"criteria": _("Höchstens drei weitere Zuschlagskriterien neben dem Preis.")})
    form = {
        "tender_documents": data["tender_documents"],
        "suitability_criteria": data.get("suitability_criteria", ""),
        "price_weight": data["price_weight"],
    }
    if data.get("hours") is not None:
        form["hours"] = data["hours"]
    for number, item in enumerate(criteria, start=1):
        form[f"criterion_{number}_name"] = item["name"]
        form[f"criterion_{number}_weight"] = item["weight"]
    return form


def _form_formal(data, procedure) -> dict:
    offers = set(procedure.offers.values_list("pk", flat=True))
    form, seen = {}, set()
    for item in data["results"]:
        if item["offer"] not in offers:
            raise DjangoValidationError(
                {"results": _("Angebot %(id)s gehört nicht zu diesem Verfahren.") % {"id": item["offer"]}}
            )
        if item["offer"] in seen:
            raise DjangoValidationError({"results": _("Angebot %(id)s ist doppelt angegeben.") % {"id": item["offer"]}})
        seen.add(item["offer"])
        form[f"result_{item['offer']}"] = "admit" if item["admitted"] else "exclude"
        form[f"reason_{item['offer']}"] = item.get("reason", "")
    return form


def _form_scores(data, procedure) -> dict:
    form = {}
    for item in data["scores"]:
        key = f"score_{item['offer']}_{item['criterion']}"
        if key in form:
            raise DjangoValidationError(
                {
                    "scores": _("Angebot %(o)s, Kriterium %(c)s ist doppelt angegeben.")
                    % {"o": item["offer"], "c": item["criterion"]}
                }
            )
        form[key] = item["points"]
    return form


def _form_publish(data, procedure) -> dict:
    return {k: v for k, v in data.items() if v is not None}


def _form_invite(data, procedure) -> dict:
    return {"candidates": "\n".join(c.strip() for c in data["candidates"]), "offer_deadline": data["offer_deadline"]}


def _form_decision(data, procedure) -> dict:
    return {"offer": data.get("offer"), "note": data.get("note", "")}


@dataclass(frozen=True)
class Step:
    node: str  # the task node of ProcurementFlow = the step's name in the API
    request: type[serializers.Serializer]
    to_form: Callable[[dict, Procedure], dict]
    who: str  # who does it (documentation)
    per_lot: bool = False


STEPS: list[Step] = [
    Step("confirm_participation", LotConfirmStep, _form_confirm, "Kommune des Loses", per_lot=True),
    Step("choose_type", ChooseTypeStep, _form_type, "Kommune (Sachbearbeitung)"),
    Step("direct_award", DirectAwardStep, _form_same, "Kommune (Direktauftrag)"),
    Step("write_specification", WriteSpecificationStep, _form_same, "Kommune (Sachbearbeitung)"),
    Step(
        "approve_specification",
        ConfirmStep,
        _form_confirm,
        "Bürgermeister/in oder eine andere Sachbearbeitung als die Verfasserin (vier Augen)",
    ),
    Step("prepare_documents", PrepareDocumentsStep, _form_documents, "Vergabezentrum"),
    Step("publish", PublishStep, _form_publish, "Vergabezentrum"),
    Step("invite_candidates", InviteCandidatesStep, _form_invite, "Vergabezentrum (nach der Teilnahmefrist)"),
    Step("open_offers", ConfirmStep, _form_confirm, "erste bestimmte Person für die Öffnung"),
    Step(
        "cosign_opening",
        ConfirmStep,
        _form_confirm,
        "zweite bestimmte Person, in ihrer eigenen Anmeldung (nicht die erste)",
    ),
    Step("formal_check", FormalCheckStep, _form_formal, "Vergabezentrum"),
    Step("evaluate_lot", EvaluateLotStep, _form_scores, "Kommune des Loses", per_lot=True),
    Step("award_proposal", ConfirmStep, _form_confirm, "Vergabezentrum"),
    Step("decide_award", DecideAwardStep, _form_decision, "Bürgermeister/in der Kommune des Loses", True),
    Step("award", LotConfirmStep, _form_confirm, "Vergabezentrum", per_lot=True),
    Step("eu_decide_award", DecideAwardStep, _form_decision, "Bürgermeister/in der Kommune des Loses", True),
    Step("inform_bidders", InformBiddersStep, _form_same, "Vergabezentrum (§ 134 GWB)", per_lot=True),
    Step("eu_award", LotConfirmStep, _form_confirm, "Vergabezentrum, nach der Wartefrist", per_lot=True),
    Step("record", ConfirmStep, _form_confirm, "Vergabezentrum (Vergabevermerk)"),
]
STEP_NAMES = [s.node for s in STEPS]
STEP_CHOICES = [(s.node, s.node) for s in STEPS]


class OpenStepSerializer(serializers.Serializer):
    step = serializers.ChoiceField(
        choices=STEP_CHOICES, help_text="Name des Schritts = Name der Aufgabe im Ablauf; POST …/steps/{step}/"
    )
    title = serializers.CharField()
    lot = serializers.IntegerField(allow_null=True, help_text="ID des Loses bei Schritten je Los")
    task = serializers.IntegerField(help_text="ID der Aufgabe (auch unter /tasks/)")


class AdmissibleTypeSerializer(serializers.Serializer):
    procedure_type = serializers.ChoiceField(choices=ProcedureType.choices)
    label = serializers.CharField()  # type: ignore[assignment]  # a field named like a DRF Field attribute
    legal_basis = serializers.CharField()
    condition = serializers.CharField(allow_blank=True, help_text="Voraussetzung, die zu begründen ist")
    max_value = serializers.DecimalField(**MONEY, allow_null=True, help_text="Wertgrenze netto (leer: keine)")
    value_basis = serializers.CharField(allow_blank=True)


class LotValueSerializer(serializers.Serializer):
    label = serializers.CharField()  # type: ignore[assignment]  # a field named like a DRF Field attribute
    value = serializers.DecimalField(**MONEY)
    housing = serializers.BooleanField()


class AdmissibilitySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Kind.choices)
    estimated_value = serializers.DecimalField(**MONEY)
    on = serializers.DateField()
    eu = serializers.BooleanField()
    eu_threshold = serializers.DecimalField(**MONEY)
    eu_threshold_basis = serializers.CharField()
    proposed_type = serializers.ChoiceField(choices=ProcedureType.choices)
    lot_basis = serializers.CharField(help_text="Bezugswert der Wertgrenzen: Gesamtauftrag oder je Fachlos")
    lots = LotValueSerializer(many=True)
    types = AdmissibleTypeSerializer(many=True)


class ProcedureSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    reference = serializers.CharField()
    subject = serializers.CharField()
    municipality = serializers.CharField(source="municipality.name")
    municipality_id = serializers.IntegerField()
    is_joint = serializers.BooleanField()
    kind = serializers.ChoiceField(choices=Kind.choices)
    estimated_value = serializers.DecimalField(**MONEY)
    status = serializers.ChoiceField(choices=Procedure.Status.choices)
    status_label = serializers.CharField(source="get_status_display")
    eu = serializers.BooleanField()
    proposed_type = serializers.CharField(allow_blank=True)
    procedure_type = serializers.CharField(allow_blank=True)
    offer_deadline = serializers.DateTimeField(allow_null=True)


class ProcedureDetailSerializer(ProcedureSerializer):
    admissible_types = AdmissibleTypeSerializer(many=True)
    type_reason = serializers.CharField(allow_blank=True)
    specification = serializers.CharField(allow_blank=True)
    tender_documents = serializers.CharField(allow_blank=True)
    suitability_criteria = serializers.CharField(allow_blank=True)
    lots = serializers.SerializerMethodField()
    criteria = serializers.SerializerMethodField()
    openers_from = serializers.ChoiceField(choices=Procedure.Openers.choices)
    openers = serializers.SerializerMethodField()
    opening_started_at = serializers.DateTimeField(allow_null=True)
    opened_at = serializers.DateTimeField(allow_null=True)
    answers = serializers.SerializerMethodField()
    offers_received = serializers.SerializerMethodField(help_text="Zahl der erfassten Angebote (auch vor der Öffnung)")
    offers = serializers.SerializerMethodField(help_text="Angebote erst nach der Öffnung")
    open_steps = serializers.SerializerMethodField()
    cancel_reason = serializers.CharField(allow_blank=True)
    has_record = serializers.SerializerMethodField(help_text="Der Vergabevermerk (PDF) liegt vor: …/record.pdf")
    record_created_at = serializers.DateTimeField(allow_null=True)
    award_notice_due_on = serializers.SerializerMethodField(help_text="EU: Vergabebekanntmachung fällig bis (§ 39 VgV)")
    urgency_reason = serializers.CharField(allow_blank=True)

    @extend_schema_field(LotSerializer(many=True))
    def get_lots(self, obj) -> list[dict]:
        lots = obj.lots.select_related("municipality").order_by("number")
        return list(LotSerializer(lots, many=True).data)

    @extend_schema_field(CriterionSerializer(many=True))
    def get_criteria(self, obj) -> list[dict]:
        return list(CriterionSerializer(obj.criteria.all(), many=True).data)

    @extend_schema_field(PersonSerializer(many=True))
    def get_openers(self, obj) -> list[dict]:
        return [_person(u) for u in obj.openers.order_by("username")]

    @extend_schema_field(AnswerSerializer(many=True))
    def get_answers(self, obj) -> list[dict]:
        return list(AnswerSerializer(svc.procedure_answers_public(procedure=obj), many=True).data)

    def get_offers_received(self, obj) -> int:
        return obj.offers.count()

    @extend_schema_field(OfferSerializer(many=True))
    def get_offers(self, obj) -> list[dict]:
        return list(OfferSerializer(_visible_offers(obj), many=True).data)

    @extend_schema_field(OpenStepSerializer(many=True))
    def get_open_steps(self, obj) -> list[dict]:
        return open_steps_of(obj)

    def get_has_record(self, obj) -> bool:
        return bool(obj.record_pdf)

    def get_award_notice_due_on(self, obj) -> date | None:
        due = procedure_award_notice_due(procedure=obj)
        return due.end if due else None


class ProcedureCreatedSerializer(ProcedureDetailSerializer):
    admissibility = AdmissibilitySerializer(help_text="Zulässige Verfahrensarten nach den datierten Wertgrenzen")


class OpenersSerializer(serializers.Serializer):
    openers_from = serializers.ChoiceField(choices=Procedure.Openers.choices)
    openers = PersonSerializer(many=True)


def _person(user) -> dict:
    return {"id": user.pk, "username": user.get_username(), "name": user.get_full_name() or user.get_username()}


def _visible_offers(procedure: Procedure):
    if procedure.opened_at is None and procedure.status not in (Procedure.Status.AWARDED, Procedure.Status.DOCUMENTED):
        return []  # nobody sees offers before the opening
    return list(procedure.offers.select_related("lot").order_by("lot__number", "pk"))


# form field names of the portal's task forms → the field of the API body that carries them
_FORM_FIELD_PREFIXES = {"result_": "results", "reason_": "results", "score_": "scores", "criterion_": "criteria"}


def _api_errors(exc: DjangoValidationError) -> DjangoValidationError:
    """Errors of the portal's task form under the names of the API body (``result_12`` → ``results``)."""
    if not hasattr(exc, "error_dict"):
        return exc
    mapped: dict[str, list[str]] = {}
    for field, messages in exc.message_dict.items():
        target = field
        for prefix, name in _FORM_FIELD_PREFIXES.items():
            if field.startswith(prefix):
                number = field.removeprefix(prefix).split("_")[0]
                target = name
                if name in ("results", "scores"):
                    messages = [_("Angebot %(id)s: %(message)s") % {"id": number, "message": m} for m in messages]
                break
        if target == "__all__":
            target = "non_field_errors"
        mapped.setdefault(target, []).extend(messages)
    return DjangoValidationError(mapped)


def open_steps_of(procedure: Procedure) -> list[dict]:
    process = procurement_process_of(procedure=procedure)
    if process is None:
        return []
    return [
        {"step": t.flow_task.name, "title": str(t.flow_task.task_title), "lot": t.data.get("lot_id"), "task": t.pk}
        for t in process.task_set.filter(status__in=[STATUS.NEW, STATUS.ASSIGNED]).order_by("pk")
        if t.flow_task is not None and t.flow_task.name in STEP_NAMES
    ]


def _detail(procedure: Procedure) -> dict:
    return ProcedureDetailSerializer(Procedure.objects.select_related("municipality").get(pk=procedure.pk)).data


# --- views --------------------------------------------------------------------------------------------------------
class ProcedureListView(ProcurementView, generics.ListAPIView):
    serializer_class = ProcedureSerializer
    pagination_class = Pagination
    filter_backends: list = []

    def get_queryset(self):
        return procedure_list_for_user(user=self.request.user).order_by("-created_at", "-pk")

    @extend_schema(
        summary="Sichtbare Vergabeverfahren",
        operation_id="procedures_list",
        tags=[TAG],
        responses={200: ProcedureSerializer(many=True), **errors(401)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Vergabeverfahren beauftragen (Kommune)",
        operation_id="procedures_create",
        tags=[TAG],
        request=ProcedureCreateSerializer,
        responses={201: ProcedureCreatedSerializer, **errors(400, 401, 403, 404)},
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
        body = {**_detail(procedure), "admissibility": AdmissibilitySerializer(admissibility.as_dict()).data}
        return Response(body, status=status.HTTP_201_CREATED)


class AdmissibleTypesView(ProcurementView):
    @extend_schema(
        summary="Zulässige Verfahrensarten nach den datierten Wertgrenzen",
        operation_id="procedures_admissible_types",
        tags=[TAG],
        parameters=[
            OpenApiParameter("kind", str, enum=Kind.values),
            OpenApiParameter("estimated_value", str, description="netto in EUR, z. B. 80000.00"),
            OpenApiParameter("on", OpenApiTypes.DATE, required=False, description="Stichtag (Standard: heute)"),
            OpenApiParameter("housing", bool, required=False),
        ],
        responses={200: AdmissibilitySerializer, **errors(400, 401)},
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
            raise DjangoValidationError(
                _("Bitte Leistungsart, Auftragswert und ggf. Datum (JJJJ-MM-TT) angeben.")
            ) from exc
        return Response(AdmissibilitySerializer(result.as_dict()).data)


class ProcedureDetailView(ProcurementView):
    @extend_schema(
        summary="Vergabeverfahren mit offenen Schritten",
        operation_id="procedures_retrieve",
        tags=[TAG],
        responses={200: ProcedureDetailSerializer, **errors(401, 404)},
    )
    def get(self, request, pk):
        return Response(_detail(procedure_for_user(user=request.user, pk=pk)))


class ProcedureStepView(ProcurementView):
    """Complete the open task of one node (the same form, service and flow advance as the portal's task page)."""

    step: Step

    def post(self, request, pk):
        procedure = procedure_for_user(user=request.user, pk=pk)
        step = self.step
        process = procurement_process_of(procedure=procedure)
        tasks = []
        if process is not None:
            node = getattr(ProcurementFlow, step.node)
            tasks = list(process.task_set.filter(flow_task=node, status__in=[STATUS.NEW, STATUS.ASSIGNED]))
        if not tasks:
            raise StepNotOpen(_("Dieser Schritt steht im Verfahren derzeit nicht an."))
        payload = step.request(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        if data.get("lot") is not None:
            tasks = [t for t in tasks if t.data.get("lot_id") == data["lot"]]
            if not tasks:
                raise DjangoValidationError({"lot": _("Für dieses Los steht der Schritt derzeit nicht an.")})
        if len(tasks) > 1:
            raise DjangoValidationError({"lot": _("Bitte das Los angeben.")})
        try:
            engine.task_complete(task=tasks[0], user=request.user, data=step.to_form(data, procedure))
        except DjangoValidationError as exc:
            raise _api_errors(exc) from exc
        return Response(_detail(procedure))


def _step_view(step: Step) -> type[ProcedureStepView]:
    node = getattr(ProcurementFlow, step.node)
    title = str(node.task_title)

    def post(self, request, pk):
        return ProcedureStepView.post(self, request, pk)

    described = extend_schema(
        summary=f"{title} ({step.node})",
        description=(
            f"Erledigt die offene Aufgabe „{title}“ (Knoten `{step.node}` des Vergabeablaufs) mit demselben Formular "
            f"und Dienst wie die Aufgabenseite im Portal. Wer: {step.who}."
            + (" Je Los: `lot` ist die ID des Loses (aus `open_steps`)." if step.per_lot else "")
            + " 409, wenn der Schritt nicht ansteht; 403, wenn er nicht Ihnen zusteht."
        ),
        operation_id=f"procedures_step_{step.node}",
        tags=[TAG],
        request=step.request,
        responses={200: ProcedureDetailSerializer, **errors(400, 401, 403, 404, 409)},
    )
    view: type[ProcedureStepView] = type(
        f"ProcedureStep_{step.node}", (ProcedureStepView,), {"step": step, "post": described(post)}
    )
    return view


class OpenersView(ProcurementView):
    @extend_schema(
        summary="Bestimmte Personen für die Angebotsöffnung",
        operation_id="procedures_openers_retrieve",
        tags=[TAG],
        responses={200: OpenersSerializer, **errors(401, 404)},
    )
    def get(self, request, pk):
        procedure = procedure_for_user(user=request.user, pk=pk)
        return Response(_openers(procedure))

    @extend_schema(
        summary="Personen für die Angebotsöffnung bestimmen (Kommune, mindestens zwei)",
        description=(
            "Die Kommune wählt, wessen Beschäftigte öffnen (Vergabezentrum oder Kommune), und bestimmt mindestens "
            "zwei Personen dieser Seite (IDs aus …/opener-candidates/). Möglich bis zur Bekanntmachung. Die Öffnung "
            "beginnt eine von ihnen (`open_offers`), eine zweite bestätigt sie mit ihrer eigenen Anmeldung "
            "(`cosign_opening`)."
        ),
        operation_id="procedures_openers_designate",
        tags=[TAG],
        request=OpenersDesignationSerializer,
        responses={200: OpenersSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request, pk):
        procedure = procedure_for_user(user=request.user, pk=pk)
        payload = OpenersDesignationSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        ids = payload.validated_data["openers"]
        people = list(get_user_model().objects.filter(pk__in=ids, is_active=True))
        if len(people) != len(set(ids)):
            raise DjangoValidationError({"openers": _("Nicht alle angegebenen Personen gibt es.")})
        procedure = svc.procedure_openers_designate(
            procedure=procedure, by=request.user, openers_from=payload.validated_data["openers_from"], openers=people
        )
        return Response(_openers(procedure))


def _openers(procedure: Procedure) -> dict:
    return {"openers_from": procedure.openers_from, "openers": [_person(u) for u in procedure.openers.order_by("pk")]}


class OpenerCandidatesView(ProcurementView):
    @extend_schema(
        summary="Wer für die Angebotsöffnung bestimmt werden kann (für die Kommune)",
        operation_id="procedures_opener_candidates",
        tags=[TAG],
        parameters=[
            OpenApiParameter(
                "side", str, enum=Procedure.Openers.values, required=False, description="ohne Angabe: beide Seiten"
            )
        ],
        responses={200: OpenerCandidateSerializer(many=True), **errors(400, 401, 403, 404)},
    )
    def get(self, request, pk):
        procedure = procedure_for_user(user=request.user, pk=pk)
        if not has_capability(user=request.user, capability="request_procurement", municipality=procedure.municipality):
            raise PermissionDenied(_("Die Personen für die Angebotsöffnung bestimmt die Kommune."))
        side = request.query_params.get("side")
        if side and side not in Procedure.Openers.values:
            raise DjangoValidationError({"side": _("Bitte „centre“ oder „municipality“ angeben.")})
        sides = [side] if side else list(Procedure.Openers.values)
        return Response(
            [{**_person(u), "side": s} for s in sides for u in svc.opener_candidates(procedure=procedure, side=s)]
        )


class QuestionListView(ProcurementView):
    @extend_schema(
        summary="Bieterfragen des Verfahrens",
        operation_id="procedures_questions_list",
        tags=[TAG],
        responses={200: QuestionSerializer(many=True), **errors(401, 404)},
    )
    def get(self, request, pk):
        procedure = procedure_for_user(user=request.user, pk=pk)
        return Response(QuestionSerializer(procedure.questions.order_by("asked_at", "pk"), many=True).data)

    @extend_schema(
        summary="Bieterfrage erfassen (Vergabezentrum)",
        operation_id="procedures_questions_create",
        tags=[TAG],
        request=QuestionCreateSerializer,
        responses={201: QuestionSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request, pk):
        procedure = procedure_for_user(user=request.user, pk=pk)
        payload = QuestionCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        question = svc.question_record(
            procedure=procedure, by=request.user, question=payload.validated_data["question"]
        )
        return Response(QuestionSerializer(question).data, status=status.HTTP_201_CREATED)


class QuestionAnswerView(ProcurementView):
    @extend_schema(
        summary="Bieterfrage für alle Bieter beantworten (Vergabezentrum)",
        operation_id="procedures_questions_answer",
        tags=[TAG],
        request=QuestionAnswerSerializer,
        responses={200: QuestionSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request, pk, question_pk):
        procedure = procedure_for_user(user=request.user, pk=pk)
        question = get_object_or_404(BidderQuestion, pk=question_pk, procedure=procedure)
        payload = QuestionAnswerSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        question = svc.question_answer(question=question, by=request.user, answer=payload.validated_data["answer"])
        return Response(QuestionSerializer(question).data)


class OfferListView(ProcurementView):
    @extend_schema(
        summary="Angebote des Verfahrens (erst nach der Öffnung)",
        operation_id="procedures_offers_list",
        tags=[TAG],
        responses={200: OfferSerializer(many=True), **errors(401, 404)},
    )
    def get(self, request, pk):
        procedure = procedure_for_user(user=request.user, pk=pk)
        return Response(OfferSerializer(_visible_offers(procedure), many=True).data)

    @extend_schema(
        summary="Eingegangenes Angebot registrieren (Vergabezentrum)",
        description=(
            "Der Eingang wird vom Server beim Erfassen gestempelt; ein Eingangszeitpunkt im Aufruf wird nicht "
            "übernommen. Nach Ablauf der Angebotsfrist wird das Angebot als verspätet erfasst und ausgeschlossen."
        ),
        operation_id="procedures_offers_create",
        tags=[TAG],
        request=OfferCreateSerializer,
        responses={201: OfferSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request, pk):
        procedure = procedure_for_user(user=request.user, pk=pk)
        payload = OfferCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        lot = None
        if data.get("lot") is not None:
            lot = procedure.lots.filter(pk=data["lot"]).first()
            if lot is None:
                raise DjangoValidationError({"lot": _("Das Los gehört nicht zu diesem Verfahren.")})
        offer = svc.offer_receive(
            procedure=procedure, by=request.user, bidder=data["bidder"], price=data["price"], lot=lot
        )
        return Response(OfferSerializer(offer).data, status=status.HTTP_201_CREATED)


class CancelView(ProcurementView):
    @extend_schema(
        summary="Verfahren aufheben (Bürgermeister/in, mit Grund)",
        operation_id="procedures_cancel",
        tags=[TAG],
        request=CancelSerializer,
        responses={200: ProcedureDetailSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request, pk):
        procedure = procedure_for_user(user=request.user, pk=pk)
        payload = CancelSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        procurement_flow_cancel(procedure=procedure, by=request.user, reason=payload.validated_data["reason"])
        return Response(_detail(procedure))


class PdfView(ProcurementView):
    """Download als PDF; Fehler immer als JSON `{"detail", "errors"}` (401 nicht angemeldet, 404 noch nicht da)."""

    renderer_classes = [JSONRenderer]

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)


PDF_RESPONSE = OpenApiResponse(OpenApiTypes.BINARY, description="PDF")


class RecordPdfView(PdfView):
    @extend_schema(
        summary="Vergabevermerk (PDF)",
        operation_id="procedures_record_pdf",
        tags=[TAG],
        responses={(200, "application/pdf"): PDF_RESPONSE, **errors(401, 404)},
    )
    def get(self, request, pk):
        procedure = procedure_for_user(user=request.user, pk=pk)
        if not procedure.record_pdf:
            raise Http404(_("Der Vergabevermerk ist noch nicht erstellt."))
        return FileResponse(
            procedure.record_pdf.open("rb"),
            content_type="application/pdf",
            filename=f"{procedure.reference}-vergabevermerk.pdf",
        )


class InformationPdfView(PdfView):
    @extend_schema(
        summary="Information der unterlegenen Bieter nach § 134 GWB (PDF, ein Schreiben je Bieter)",
        operation_id="procedures_lot_information_pdf",
        tags=[TAG],
        responses={(200, "application/pdf"): PDF_RESPONSE, **errors(401, 404)},
    )
    def get(self, request, pk, lot_pk):
        procedure = procedure_for_user(user=request.user, pk=pk)
        lot = Lot.objects.filter(procedure=procedure, pk=lot_pk).first()
        if lot is None or not lot.information_pdf:
            raise Http404(_("Die Bieterinformation ist noch nicht erstellt."))
        return FileResponse(
            lot.information_pdf.open("rb"),
            content_type="application/pdf",
            filename=f"{procedure.reference}-los{lot.number}-bieterinformation.pdf",
        )


urlpatterns = [
    path("", ProcedureListView.as_view(), name="api-procedures"),
    path("admissible-types/", AdmissibleTypesView.as_view(), name="api-procedure-admissible-types"),
    path("<int:pk>/", ProcedureDetailView.as_view(), name="api-procedure"),
    *[
        path(f"<int:pk>/steps/{step.node}/", _step_view(step).as_view(), name=f"api-procedure-step-{step.node}")
        for step in STEPS
    ],
    path("<int:pk>/openers/", OpenersView.as_view(), name="api-procedure-openers"),
    path("<int:pk>/opener-candidates/", OpenerCandidatesView.as_view(), name="api-procedure-opener-candidates"),
    path("<int:pk>/questions/", QuestionListView.as_view(), name="api-procedure-questions"),
    path("<int:pk>/questions/<int:question_pk>/answer/", QuestionAnswerView.as_view(), name="api-procedure-answer"),
    path("<int:pk>/offers/", OfferListView.as_view(), name="api-procedure-offers"),
    path("<int:pk>/cancel/", CancelView.as_view(), name="api-procedure-cancel"),
    path("<int:pk>/record.pdf", RecordPdfView.as_view(), name="api-procedure-record"),
    path("<int:pk>/lots/<int:lot_pk>/information.pdf", InformationPdfView.as_view(), name="api-procedure-information"),
]
