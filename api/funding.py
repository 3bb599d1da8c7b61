"""REST endpoints of the funding domain, mounted under /api/v1/funding/ (see api/urls.py).

Reads go through the funding selectors (DKZ staff: their county; municipalities: applications they take part
in; anything else 404); writes call the same services as the portal.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import FileResponse, Http404
from django.urls import path, reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from api.errors import Conflict
from api.openapi import errors
from api.parsers import UPLOAD_PARSERS
from funding.models import (
    AmountTier,
    Application,
    ApplicationDocument,
    Deadline,
    Decision,
    Drawdown,
    Programme,
    ProgrammeRule,
    Repayment,
)
from funding.selectors import (
    application_document_for_user,
    application_for_user,
    application_list_for_user,
    decision_list_for_user,
    document_deliverable_by,
    document_may_deliver,
    drawdown_list_for_user,
    programme_list,
)
from funding.services.applications import (
    application_checklist,
    application_document_add,
    application_document_replace,
    application_saving_record,
    drawdown_paid,
    drawdown_record,
    drawdown_use_confirm,
    repayment_paid,
)
from projects.models import County, Municipality
from projects.selectors import municipality_list_for_user
from projects.services.uploads import DOCUMENT_TYPES, upload_safe_name
from workflows import engine
from workflows.funding import FundingFlow, funding_application_start, funding_flow_revoke, funding_open_tasks


def _drf_error(error: DjangoValidationError) -> ValidationError:
    if hasattr(error, "error_dict"):
        return ValidationError(error.message_dict)
    return ValidationError({"non_field_errors": error.messages})


class TierSerializer(serializers.ModelSerializer):
    class Meta:
        model = AmountTier
        fields = ["partners_from", "partners_to", "amount", "exception_only"]


class RuleSerializer(serializers.ModelSerializer):
    tiers = TierSerializer(many=True, read_only=True)

    class Meta:
        model = ProgrammeRule
        exclude = ["programme"]


class ProgrammeSerializer(serializers.ModelSerializer):
    rules = RuleSerializer(many=True, read_only=True)

    class Meta:
        model = Programme
        fields = ["id", "code", "name", "funder", "advice", "channel", "description", "rules"]


class RuleRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProgrammeRule
        fields = ["id", "version", "valid_from", "valid_to"]


class ChecklistItemSerializer(serializers.Serializer):
    label = serializers.CharField()  # type: ignore[assignment]  # a field named like a DRF Field attribute
    done = serializers.BooleanField()
    kind = serializers.CharField()
    municipality = serializers.CharField(source="municipality.ags", allow_null=True, default=None)
    deliverer = serializers.CharField(help_text="Who must deliver it while it is missing")
    source = serializers.CharField(help_text="Where it was found: an uploaded document or a record of the IKZ case")  # type: ignore[assignment]  # a field named like a DRF Field attribute


class ApplicationSerializer(serializers.ModelSerializer):
    programme = serializers.SlugRelatedField(slug_field="code", queryset=Programme.objects.all())
    county = serializers.SlugRelatedField(slug_field="slug", queryset=County.objects.all(), required=False)
    partners = serializers.SlugRelatedField(
        slug_field="ags", many=True, queryset=Municipality.objects.all(), required=False
    )
    eligible_rule = RuleRefSerializer(read_only=True, allow_null=True, help_text="Leer bis zur Förderprüfung")
    eligibility_reasons = serializers.ListField(child=serializers.CharField(), read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    checklist = serializers.SerializerMethodField()

    class Meta:
        model = Application
        fields = [
            "id",
            "title",
            "programme",
            "county",
            "case",
            "form",
            "state",
            "state_label",
            "partners",
            "duration_years",
            "eligible_cost",
            "exception_reason",
            "saving_percent",
            "eligible",
            "eligible_amount",
            "eligible_rule",
            "eligibility_reasons",
            "checked_on",
            "requested_amount",
            "submitted_on",
            "channel",
            "purpose_fulfilled_on",
            "checklist",
        ]
        read_only_fields = [
            "case",
            "state",
            "saving_percent",
            "eligible",
            "eligible_amount",
            "eligibility_reasons",
            "checked_on",
            "requested_amount",
            "submitted_on",
            "channel",
            "purpose_fulfilled_on",
        ]

    @extend_schema_field(ChecklistItemSerializer(many=True))
    def get_checklist(self, application: Application) -> Any:
        return ChecklistItemSerializer(application_checklist(application=application), many=True).data


class ApplicationOpenStepSerializer(serializers.Serializer):
    step = serializers.CharField(help_text="Name des Schritts, zugleich der Pfad zum Erledigen (steps/{step}/)")
    title = serializers.CharField()
    task_id = serializers.IntegerField(help_text="ID der Aufgabe (auch unter /tasks/)")
    assignee = serializers.CharField(allow_null=True, help_text="Wer sie übernommen hat; leer, wenn offen")


class ApplicationDetailSerializer(ApplicationSerializer):
    open_steps = serializers.SerializerMethodField()

    class Meta(ApplicationSerializer.Meta):
        fields = [*ApplicationSerializer.Meta.fields, "open_steps"]

    @extend_schema_field(ApplicationOpenStepSerializer(many=True))
    def get_open_steps(self, application: Application) -> list[dict]:
        rows = [
            {
                "step": task.flow_task.name,
                "title": str(task.flow_task.task_title or ""),
                "task_id": task.pk,
                "assignee": task.owner.get_username() if task.owner_id else None,
            }
            for task in funding_open_tasks(application=application)
        ]
        return list(ApplicationOpenStepSerializer(rows, many=True).data)


class DecisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Decision
        fields = [
            "id",
            "application",
            "outcome",
            "decided_on",
            "reference",
            "amount",
            "conditions",
            "earmark_until",
            "first_year",
            "last_year",
            "key_source",
            "reason",
        ]


class DrawdownSerializer(serializers.ModelSerializer):
    class Meta:
        model = Drawdown
        fields = ["id", "application", "amount", "requested_on", "needed_on", "paid_on", "purpose"]

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and "application" in fields:
            # an application the user may not see answers like one that does not exist (no enumeration)
            fields["application"].queryset = application_list_for_user(user=request.user)  # type: ignore[attr-defined]
        return fields


class ProgrammeList(generics.ListAPIView):
    serializer_class = ProgrammeSerializer

    def get_queryset(self):
        return programme_list().order_by("name")


class ProgrammeDetail(generics.RetrieveAPIView):
    serializer_class = ProgrammeSerializer

    def get_queryset(self):
        return programme_list()


class ApplicationList(generics.ListCreateAPIView):
    serializer_class = ApplicationSerializer
    filterset_fields = ["state", "programme"]

    def get_queryset(self):
        return application_list_for_user(user=self.request.user).prefetch_related("partners")

    @extend_schema(
        summary="Förderantrag anlegen (startet seinen Ablauf)",
        responses={201: ApplicationDetailSerializer, **errors(400, 401, 403)},
    )
    def post(self, request, *args, **kwargs):
        return self.create(request, *args, **kwargs)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        visible = municipality_list_for_user(user=request.user)
        partners = [m for m in data.get("partners", []) if visible.filter(pk=m.pk).exists()]
        try:
            application = funding_application_start(
                by=request.user,
                programme=data["programme"],
                title=data["title"],
                county=data.get("county"),
                partners=partners,
                form=data.get("form", Application.Form.COOPERATION),
                duration_years=data.get("duration_years"),
                eligible_cost=data.get("eligible_cost"),
                exception_reason=data.get("exception_reason", ""),
            )
        except DjangoValidationError as error:
            raise _drf_error(error) from error
        return Response(ApplicationDetailSerializer(application).data, status=status.HTTP_201_CREATED)


class ApplicationDetail(generics.RetrieveAPIView):
    """The application with its open steps (what the flow waits for)."""

    serializer_class = ApplicationDetailSerializer

    def get_object(self):
        return application_for_user(user=self.request.user, pk=self.kwargs["pk"])


class PreviousCostSerializer(serializers.Serializer):
    municipality = serializers.CharField(help_text="Gemeindeschlüssel (AGS) einer Partnerkommune")
    personnel = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="Bisherige Personalkosten (EUR)")
    material = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="Bisherige Sachkosten (EUR)")


class SavingSerializer(serializers.Serializer):
    previous = PreviousCostSerializer(many=True, help_text="Je Partnerkommune ihre bisherigen Kosten")
    joint_personnel = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="Personalkosten gemeinsam")
    joint_material = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="Sachkosten gemeinsam")


class ApplicationSavingView(APIView):
    @extend_schema(
        operation_id="funding_application_saving",
        summary="Einsparberechnung erfassen",
        description="Bisherige Kosten je Partnerkommune und die Kosten der gemeinsamen Einheit; ergibt die "
        "Einsparung in Prozent (`saving_percent`). Nur die Förderstelle.",
        request=SavingSerializer,
        responses={200: ApplicationDetailSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request, pk):
        application = application_for_user(user=request.user, pk=pk, capability="manage_funding")
        serializer = SavingSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        partners = {m.ags: m for m in application.partners.all()}
        unknown = [row["municipality"] for row in data["previous"] if row["municipality"] not in partners]
        if unknown:
            raise ValidationError(
                {"previous": [_("Nicht am Antrag beteiligt: %(ags)s.") % {"ags": ", ".join(unknown)}]}
            )
        application_saving_record(
            application=application,
            by=request.user,
            previous={partners[row["municipality"]]: (row["personnel"], row["material"]) for row in data["previous"]},
            joint_personnel=data["joint_personnel"],
            joint_material=data["joint_material"],
        )
        application.refresh_from_db()
        return Response(ApplicationDetailSerializer(application).data)


class DocumentSerializer(serializers.ModelSerializer):
    municipality = serializers.SlugRelatedField(
        slug_field="ags", queryset=Municipality.objects.all(), required=False, allow_null=True
    )
    file = serializers.FileField(write_only=True, required=False)
    download = serializers.SerializerMethodField()

    class Meta:
        model = ApplicationDocument
        fields = [
            "id",
            "kind",
            "municipality",
            "title",
            "dated",
            "reference",
            "version",
            "content_type",
            "size",
            "added_at",
            "file",
            "download",
        ]
        read_only_fields = ["version", "content_type", "size", "added_at"]

    def get_download(self, document: ApplicationDocument) -> str | None:
        if not document.file:
            return None
        return reverse("api-funding-document-file", args=[document.application_id, document.pk])


@extend_schema_view(post=extend_schema(request={"multipart/form-data": DocumentSerializer}))
class DocumentList(generics.ListCreateAPIView):
    """The documents of an application; POST (multipart) uploads one, checked by its content like case documents.
    Who may upload: the funding officer any; a participating municipality its own council resolution."""

    serializer_class = DocumentSerializer
    pagination_class = None
    # multipart (documented), metadata alone also as JSON
    parser_classes = UPLOAD_PARSERS

    def application(self) -> Application:
        return application_for_user(user=self.request.user, pk=self.kwargs["pk"])

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no application
            return ApplicationDocument.objects.none()
        return self.application().documents.select_related("municipality").order_by("kind", "pk")

    def create(self, request, *args, **kwargs):
        application = self.application()
        if not document_deliverable_by(user=request.user, application=application):
            raise PermissionDenied("Unterlagen dieses Antrags dürfen Sie nicht hochladen.")
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            document = application_document_add(
                application=application,
                by=request.user,
                kind=data["kind"],
                title=data.get("title", ""),
                dated=data.get("dated"),
                municipality=data.get("municipality"),
                reference=data.get("reference", ""),
                file=data.get("file"),
            )
        except DjangoValidationError as error:
            raise _drf_error(error) from error
        return Response(self.get_serializer(document).data, status=status.HTTP_201_CREATED)


class DocumentReplaceSerializer(serializers.Serializer):
    file = serializers.FileField()
    dated = serializers.DateField(required=False)


class DocumentFile(APIView):
    """GET: the document's file (an attachment, ``nosniff``). POST (multipart ``file``, optional ``dated``): replace
    it with a new version, checked by its content; the former file stays in the store and in the audit trail."""

    parser_classes = [MultiPartParser]  # the new file

    def document(self) -> ApplicationDocument:
        return application_document_for_user(
            user=self.request.user, application_pk=self.kwargs["pk"], document_pk=self.kwargs["document_pk"]
        )

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request, pk, document_pk):
        document = self.document()
        if not document.file:
            raise Http404("Zu dieser Unterlage ist keine Datei hinterlegt.")
        try:
            handle = document.file.open("rb")
        except FileNotFoundError as exc:
            raise Http404("Dokument nicht gefunden.") from exc
        content_type = document.content_type if document.content_type in DOCUMENT_TYPES else "application/octet-stream"
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=upload_safe_name(name=document.file.name),
            content_type=content_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response

    @extend_schema(request=DocumentReplaceSerializer, responses=DocumentSerializer)
    def post(self, request, pk, document_pk):
        document = self.document()
        if not document_may_deliver(
            user=request.user, application=document.application, kind=document.kind, municipality=document.municipality
        ):
            raise PermissionDenied("Diese Unterlage dürfen Sie nicht ersetzen.")
        serializer = DocumentReplaceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            document = application_document_replace(
                document=document,
                by=request.user,
                file=serializer.validated_data["file"],
                dated=serializer.validated_data.get("dated"),
            )
        except DjangoValidationError as error:
            raise _drf_error(error) from error
        return Response(DocumentSerializer(document).data)


class DecisionList(generics.ListAPIView):
    serializer_class = DecisionSerializer

    def get_queryset(self):
        return decision_list_for_user(user=self.request.user).order_by("-decided_on", "-pk")


class DrawdownList(generics.ListCreateAPIView):
    serializer_class = DrawdownSerializer

    def get_queryset(self):
        return drawdown_list_for_user(user=self.request.user).order_by("-requested_on", "-pk")

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        application = application_for_user(user=request.user, pk=data["application"].pk, capability="manage_funding")
        try:
            drawdown = drawdown_record(
                application=application,
                by=request.user,
                amount=data["amount"],
                requested_on=data["requested_on"],
                needed_on=data["needed_on"],
                paid_on=data.get("paid_on"),
                purpose=data.get("purpose", ""),
            )
        except DjangoValidationError as error:
            raise _drf_error(error) from error
        return Response(self.get_serializer(drawdown).data, status=status.HTTP_201_CREATED)


# --- the steps of the funding flow (each one the task of the same name, completed through the task engine) -------
class PrepareStepSerializer(serializers.Serializer):
    checked_on = serializers.DateField(help_text="Förderprüfung zum Stichtag")


# the internal review's decision; named DecisionEnum in the OpenAPI document (settings: ENUM_NAME_OVERRIDES), so
# that clients generated before other "decision" fields appeared keep their type name
REVIEW_DECISIONS = [("approve", "Einreichen"), ("return", "Zur Überarbeitung zurück")]


class ReviewStepSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(
        choices=REVIEW_DECISIONS,
        help_text="Ergebnis der internen Prüfung",
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", help_text="Vermerk")


class SubmitStepSerializer(serializers.Serializer):
    submitted_on = serializers.DateField(help_text="Eingereicht am")
    channel = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    requested_amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, allow_null=True, default=None, help_text="Beantragt (EUR)"
    )


class KeyWeightSerializer(serializers.Serializer):
    municipality = serializers.CharField(help_text="Gemeindeschlüssel (AGS) einer Partnerkommune")
    weight = serializers.DecimalField(max_digits=14, decimal_places=4, min_value=0)


class DecisionStepSerializer(serializers.Serializer):
    """Der Bescheid (Bewilligung, Teilbewilligung oder Ablehnung)."""

    outcome = serializers.ChoiceField(choices=Decision.Outcome.choices)
    decided_on = serializers.DateField(help_text="Bescheid vom")
    reference = serializers.CharField(required=False, allow_blank=True, default="", max_length=120)
    amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, allow_null=True, default=None, help_text="Bewilligt (EUR)"
    )
    conditions = serializers.CharField(required=False, allow_blank=True, default="", help_text="Nebenbestimmungen")
    earmark_until = serializers.DateField(required=False, allow_null=True, default=None, help_text="Zweckbindung bis")
    first_year = serializers.IntegerField(required=False, allow_null=True, default=None)
    last_year = serializers.IntegerField(required=False, allow_null=True, default=None)
    cost_centre = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="Kostenstelle (ID), der die Zurechnung gilt"
    )
    key = KeyWeightSerializer(
        many=True, required=False, default=list, help_text="Schlüssel laut Bescheid; leer: der der Kostenstelle"
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="", help_text="Grund der Ablehnung")


class PurposeStepSerializer(serializers.Serializer):
    fulfilled_on = serializers.DateField(help_text="Zuwendungszweck erfüllt am")


class ProofStepSerializer(serializers.Serializer):
    submitted_on = serializers.DateField(help_text="Verwendungsnachweis eingereicht am")
    amount_used = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)


class ClosingStepSerializer(serializers.Serializer):
    accepted_on = serializers.DateField(help_text="Verwendungsnachweis anerkannt am")


def _text(value) -> str:
    if value is None:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _decision_form(data: dict) -> dict:
    form = {k: _text(v) for k, v in data.items() if k not in ("key", "cost_centre")}
    form["cost_centre_id"] = _text(data.get("cost_centre"))
    form["key"] = "\n".join(f"{row['municipality']}={row['weight']}" for row in data.get("key") or [])
    return form


# step name (= the flow's node) → (body, summary, how the body becomes the step's form data)
STEPS = {
    "prepare": (PrepareStepSerializer, "Antrag vorbereiten (Förderprüfung)", None),
    "review": (ReviewStepSerializer, "Interne Prüfung", None),
    "submit": (SubmitStepSerializer, "Antrag einreichen", None),
    "decision": (DecisionStepSerializer, "Bescheid erfassen (Bewilligungsbescheid oder Ablehnung)", _decision_form),
    "purpose": (PurposeStepSerializer, "Erfüllung des Zuwendungszwecks melden", None),
    "proof": (ProofStepSerializer, "Verwendungsnachweis einreichen", None),
    "closing": (ClosingStepSerializer, "Prüfung des Verwendungsnachweises abschließen", None),
}


def _step_view(step: str) -> type[APIView]:
    body, summary, to_form = STEPS[step]

    class StepView(APIView):
        @extend_schema(
            operation_id=f"funding_application_step_{step}",
            summary=summary,
            description=f"Erledigt den offenen Schritt `{step}` des Förderantrags (die Aufgabe gleichen Namens) "
            "wie die Aufgabenseite des Portals. 409, wenn der Schritt gerade nicht offen ist.",
            request=body,
            responses={200: ApplicationDetailSerializer, **errors(400, 401, 403, 404, 409)},
        )
        def post(self, request, pk):
            # the steps are the funding officer's tasks: others who see the application get 403
            application = application_for_user(user=request.user, pk=pk, capability="manage_funding")
            node = getattr(FundingFlow, step)
            task = next((t for t in funding_open_tasks(application=application) if t.flow_task == node), None)
            if task is None:
                raise Conflict(
                    _("Der Schritt „%(step)s“ ist bei diesem Antrag nicht offen.") % {"step": node.task_title}
                )
            serializer = body(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
            form = to_form(data) if to_form else {k: _text(v) for k, v in data.items()}
            engine.task_complete(task=task, user=request.user, data=form)
            application.refresh_from_db()
            return Response(ApplicationDetailSerializer(application).data)

    StepView.__name__ = StepView.__qualname__ = f"Application{step.title()}StepView"
    return StepView


class RevokeSerializer(serializers.Serializer):
    revoked_on = serializers.DateField(help_text="Widerruf vom")
    principal = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="Erstattungsbetrag (EUR)")
    base_rate_percent = serializers.DecimalField(
        max_digits=6, decimal_places=3, help_text="Basiszinssatz (%) am Tag des Widerrufs"
    )
    interest_from = serializers.DateField(help_text="Verzinsung ab")
    due_on = serializers.DateField(help_text="Zahlbar bis")
    reason = serializers.CharField(help_text="Grund des Widerrufs")


class RepaymentSerializer(serializers.ModelSerializer):
    total = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)

    class Meta:
        model = Repayment
        fields = [
            "id",
            "revoked_on",
            "principal",
            "interest_from",
            "interest_until",
            "interest_rate_percent",
            "interest",
            "total",
            "due_on",
            "paid_on",
            "reason",
        ]


class RevocationResultSerializer(serializers.Serializer):
    application = ApplicationDetailSerializer()
    repayment = RepaymentSerializer()


class ApplicationRevokeView(APIView):
    @extend_schema(
        operation_id="funding_application_revoke",
        summary="Bewilligung widerrufen (Rückforderung mit Zinsen)",
        description="Nur die Förderstelle; der Antrag muss bewilligt sein. Beendet die offenen Schritte.",
        request=RevokeSerializer,
        responses={201: RevocationResultSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request, pk):
        application = application_for_user(user=request.user, pk=pk, capability="manage_funding")
        serializer = RevokeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        application = funding_flow_revoke(application=application, by=request.user, **serializer.validated_data)
        repayment = application.repayments.order_by("-pk").first()
        data = {"application": application, "repayment": repayment}
        return Response(RevocationResultSerializer(data).data, status=status.HTTP_201_CREATED)


# --- payments after the grant: a drawdown paid out and used, a repayment received (the funding officer) ----------
class DrawdownPaidSerializer(serializers.Serializer):
    paid_on = serializers.DateField(help_text="Ausgezahlt am (nicht vor dem Abruf)")


class DrawdownUsedSerializer(serializers.Serializer):
    used_on = serializers.DateField(help_text="Verwendet am (nicht vor der Auszahlung)")


class RepaymentPaidSerializer(serializers.Serializer):
    paid_on = serializers.DateField(help_text="Rückzahlung eingegangen am (nicht vor dem Widerruf)")


class DrawdownProgressSerializer(serializers.ModelSerializer):
    """A drawdown with its use deadline: when the called funds must be spent, and when that was confirmed."""

    use_due_on = serializers.SerializerMethodField(help_text="Verwendung fällig bis; leer, solange nicht ausgezahlt")
    used_on = serializers.SerializerMethodField(help_text="Verwendung bestätigt am; leer, solange offen")

    class Meta:
        model = Drawdown
        fields = [
            "id",
            "application",
            "amount",
            "requested_on",
            "needed_on",
            "paid_on",
            "purpose",
            "use_due_on",
            "used_on",
        ]

    def _deadline(self, drawdown: Drawdown) -> Deadline | None:
        return drawdown.deadlines.filter(kind=Deadline.Kind.DRAWDOWN_USE).order_by("-pk").first()

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_use_due_on(self, drawdown: Drawdown) -> Any:
        deadline = self._deadline(drawdown)
        return deadline.due_on if deadline else None

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_used_on(self, drawdown: Drawdown) -> Any:
        deadline = self._deadline(drawdown)
        return deadline.done_on if deadline else None


def _drawdown_of(application: Application, pk: int) -> Drawdown:
    drawdown = application.drawdowns.filter(pk=pk).first()
    if drawdown is None:
        raise Http404(_("Mittelabruf nicht gefunden."))
    return drawdown


class DrawdownPaidView(APIView):
    @extend_schema(
        operation_id="funding_application_drawdown_paid",
        summary="Auszahlung eines Mittelabrufs erfassen",
        description="Nur die Förderstelle; einmal je Abruf. Mit der Auszahlung beginnt die Frist, in der die Mittel "
        "zu verwenden sind (`use_due_on`, laut Förderregel z. B. zwei Monate).",
        request=DrawdownPaidSerializer,
        responses={200: DrawdownProgressSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request, pk, drawdown_pk):
        application = application_for_user(user=request.user, pk=pk, capability="manage_funding")
        drawdown = _drawdown_of(application, drawdown_pk)
        serializer = DrawdownPaidSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        drawdown = drawdown_paid(drawdown=drawdown, by=request.user, paid_on=serializer.validated_data["paid_on"])
        return Response(DrawdownProgressSerializer(drawdown).data)


class DrawdownUsedView(APIView):
    @extend_schema(
        operation_id="funding_application_drawdown_used",
        summary="Verwendung eines Mittelabrufs bestätigen",
        description="Nur die Förderstelle; nur ein ausgezahlter Abruf, einmal. Erledigt seine Verwendungsfrist.",
        request=DrawdownUsedSerializer,
        responses={200: DrawdownProgressSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request, pk, drawdown_pk):
        application = application_for_user(user=request.user, pk=pk, capability="manage_funding")
        drawdown = _drawdown_of(application, drawdown_pk)
        serializer = DrawdownUsedSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        drawdown = drawdown_use_confirm(
            drawdown=drawdown, by=request.user, used_on=serializer.validated_data["used_on"]
        )
        return Response(DrawdownProgressSerializer(drawdown).data)


class RepaymentPaidView(APIView):
    @extend_schema(
        operation_id="funding_application_repayment_paid",
        summary="Eingang einer Rückzahlung erfassen",
        description="Nur die Förderstelle; einmal je Rückforderung. Erledigt die Frist der Rückzahlung.",
        request=RepaymentPaidSerializer,
        responses={200: RepaymentSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request, pk, repayment_pk):
        application = application_for_user(user=request.user, pk=pk, capability="manage_funding")
        repayment = application.repayments.filter(pk=repayment_pk).first()
        if repayment is None:
            raise Http404(_("Rückforderung nicht gefunden."))
        serializer = RepaymentPaidSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        repayment = repayment_paid(repayment=repayment, by=request.user, paid_on=serializer.validated_data["paid_on"])
        return Response(RepaymentSerializer(repayment).data)


urlpatterns = [
    path("programmes/", ProgrammeList.as_view(), name="api-funding-programmes"),
    path("programmes/<int:pk>/", ProgrammeDetail.as_view(), name="api-funding-programme"),
    path("applications/", ApplicationList.as_view(), name="api-funding-applications"),
    path("applications/<int:pk>/", ApplicationDetail.as_view(), name="api-funding-application"),
    path("applications/<int:pk>/documents/", DocumentList.as_view(), name="api-funding-documents"),
    path(
        "applications/<int:pk>/documents/<int:document_pk>/file/",
        DocumentFile.as_view(),
        name="api-funding-document-file",
    ),
    *[
        path(f"applications/<int:pk>/steps/{step}/", _step_view(step).as_view(), name=f"api-funding-step-{step}")
        for step in STEPS
    ],
    path("applications/<int:pk>/saving/", ApplicationSavingView.as_view(), name="api-funding-saving"),
    path("applications/<int:pk>/revoke/", ApplicationRevokeView.as_view(), name="api-funding-revoke"),
    path(
        "applications/<int:pk>/drawdowns/<int:drawdown_pk>/paid/",
        DrawdownPaidView.as_view(),
        name="api-funding-drawdown-paid",
    ),
    path(
        "applications/<int:pk>/drawdowns/<int:drawdown_pk>/used/",
        DrawdownUsedView.as_view(),
        name="api-funding-drawdown-used",
    ),
    path(
        "applications/<int:pk>/repayments/<int:repayment_pk>/paid/",
        RepaymentPaidView.as_view(),
        name="api-funding-repayment-paid",
    ),
    path("decisions/", DecisionList.as_view(), name="api-funding-decisions"),
    path("drawdowns/", DrawdownList.as_view(), name="api-funding-drawdowns"),
]
