"""REST endpoints of the costs domain, mounted under /api/v1/costs/ (see api/urls.py).

Reading, permission-filtered through costs.selectors: ``centres/``, ``plans/?year=&centre=``,
``statements/?year=&municipality=``, ``time-entries/?centre=&year=``, ``actual-costs/?year=&centre=`` and
``prepayments/?year=&centre=`` (in pages, with ``updated_since``). Writing, for the controller of the centre's
DKZ (others who see the centre get 403, others 404), each through one service of costs.services:
``actual-costs/``, ``time-entries/``, ``time-entries/{id}/correct/``, ``prepayments/``, ``settlements/`` (settle the
year; locks it) and ``settlements/resettle/`` (a new settlement version after correction entries). Amounts are
decimal strings in euros with cents.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model
from django.http import Http404
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from api.openapi import errors
from costs import services
from costs.calculation import ROUNDING_RULE, agreement_for
from costs.keys import key_get
from costs.models import ActualCost, EconomicCheck, Prepayment, TimeEntry
from costs.selectors import (
    actual_cost_list_for_user,
    centre_for_controller,
    cost_centre_for_user,
    cost_centre_list_for_user,
    plan_for_user,
    prepayment_list_for_user,
    statement_for_user,
    statement_list_for_user,
)
from projects.money import MONEY


class MemberSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    ags = serializers.CharField()


class AgreementSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    valid_from = serializers.DateField()
    valid_to = serializers.DateField(allow_null=True)
    allocation_key = serializers.CharField()
    allocation_key_label = serializers.SerializerMethodField()
    allocation_key_description = serializers.SerializerMethodField()
    rate_pay_group = serializers.CharField()
    base_amount = serializers.DecimalField(**MONEY)
    sockel_share_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    sockel_minimum = serializers.DecimalField(**MONEY)
    startup_years = serializers.ListField(child=serializers.IntegerField())

    def get_allocation_key_label(self, obj) -> str:
        return str(key_get(obj.allocation_key).label)

    def get_allocation_key_description(self, obj) -> str:
        return str(key_get(obj.allocation_key).description)


class CentreBasisSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(
        choices=EconomicCheck.Decision.choices, help_text="Entscheidung der Wirtschaftlichkeitsprüfung"
    )
    basis_label = serializers.CharField(help_text="Eigene Vollkosten oder Marktpreis")
    amount = serializers.DecimalField(source="basis_amount", **MONEY, help_text="Betrag je Jahr (EUR)")
    case_number = serializers.CharField(source="case.number", help_text="Aktenzeichen des IKZ-Vorgangs")


class CentreSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    code = serializers.CharField()
    name = serializers.CharField()
    dkz = serializers.CharField(source="dkz.slug")
    members = MemberSerializer(many=True)
    agreement = serializers.SerializerMethodField()
    basis = CentreBasisSerializer(
        source="economic_check",
        allow_null=True,
        help_text="Kalkulationsgrundlage aus der Wirtschaftlichkeitsprüfung vor der Übernahme; leer ohne Prüfung",
    )

    @extend_schema_field(AgreementSerializer(allow_null=True))
    def get_agreement(self, obj) -> dict | None:
        agreement = obj.agreements.order_by("-version").first()
        return AgreementSerializer(agreement).data if agreement else None


class CentreListView(generics.ListAPIView):
    serializer_class = CentreSerializer

    def get_queryset(self):
        return (
            cost_centre_list_for_user(user=self.request.user)
            .select_related("economic_check__case")
            .prefetch_related("members", "agreements")
        )


class PlanRowSerializer(serializers.Serializer):
    municipality = MemberSerializer()
    inputs = serializers.DictField(child=serializers.DecimalField(max_digits=18, decimal_places=4))
    weight = serializers.DecimalField(max_digits=18, decimal_places=4)
    contribution = serializers.DecimalField(source="amount", **MONEY)
    contribution_teur = serializers.DecimalField(source="amount_teur", max_digits=12, decimal_places=1)
    sockel = serializers.DecimalField(**MONEY)
    sockel_explanation = serializers.CharField()
    funding = serializers.DecimalField(**MONEY)
    payable = serializers.DecimalField(**MONEY)
    explanation = serializers.CharField()


class PlanTotalsSerializer(serializers.Serializer):
    budget = serializers.DecimalField(**MONEY)
    contribution = serializers.DecimalField(**MONEY)
    contribution_teur = serializers.DecimalField(max_digits=12, decimal_places=1)
    sockel = serializers.DecimalField(**MONEY)
    funding = serializers.DecimalField(**MONEY)
    payable = serializers.DecimalField(**MONEY)


class PlanSerializer(serializers.Serializer):
    centre = serializers.IntegerField()
    centre_name = serializers.CharField()
    year = serializers.IntegerField()
    agreement = AgreementSerializer()
    rows = PlanRowSerializer(many=True)
    totals = PlanTotalsSerializer()
    rounding_rule = serializers.CharField()


class QuerySerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    centre = serializers.IntegerField(required=False)
    municipality = serializers.IntegerField(required=False)


def _query(request, *required: str) -> dict:
    query = QuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    missing = {name: ["Dieser Parameter ist erforderlich."] for name in required if name not in query.validated_data}
    if missing:
        raise ValidationError(missing)
    return query.validated_data


def _plan_data(plan) -> dict:
    rows = plan.rows
    return {
        "centre": plan.centre.pk,
        "centre_name": plan.centre.name,
        "year": plan.year,
        "agreement": agreement_for(centre=plan.centre, year=plan.year),
        "rows": rows,
        "totals": {
            "budget": plan.total,
            "contribution": sum((r.amount for r in rows), 0),
            "contribution_teur": sum((r.amount_teur for r in rows), 0),
            "sockel": plan.sockel_total,
            "funding": plan.funding_total,
            "payable": plan.payable_total,
        },
        "rounding_rule": ROUNDING_RULE,
    }


class PlanView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("year", int, required=True, description="Planjahr"),
            OpenApiParameter("centre", int, required=True, description="Kostenstelle (ID)"),
        ],
        responses=PlanSerializer,
    )
    def get(self, request):
        query = _query(request, "year", "centre")
        try:
            plan = plan_for_user(user=request.user, centre_pk=query["centre"], year=query["year"])
        except DjangoValidationError as error:
            raise ValidationError({"non_field_errors": error.messages}) from error
        return Response(PlanSerializer(_plan_data(plan)).data)


class StatementLineSerializer(serializers.Serializer):
    centre = serializers.IntegerField(source="centre.pk")
    centre_name = serializers.CharField(source="centre.name")
    allocation_key = serializers.CharField(source="key_label")
    plan_contribution = serializers.DecimalField(**MONEY)
    sockel = serializers.DecimalField(**MONEY)
    prepayments = serializers.DecimalField(**MONEY)
    actual = serializers.DecimalField(**MONEY, allow_null=True)
    funding = serializers.DecimalField(**MONEY)
    balance = serializers.DecimalField(**MONEY)
    settled = serializers.BooleanField()
    explanation = serializers.CharField()


class StatementTotalsSerializer(serializers.Serializer):
    plan_contribution = serializers.DecimalField(**MONEY)
    sockel = serializers.DecimalField(**MONEY)
    prepayments = serializers.DecimalField(**MONEY)
    actual = serializers.DecimalField(**MONEY, help_text="Summe der abgerechneten Ist-Anteile")
    funding = serializers.DecimalField(**MONEY)
    balance = serializers.DecimalField(**MONEY, help_text="positiv: Nachzahlung, negativ: Erstattung")


class StatementSerializer(serializers.Serializer):
    municipality = MemberSerializer()
    year = serializers.IntegerField()
    lines = StatementLineSerializer(many=True)
    totals = StatementTotalsSerializer()


class StatementListSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    statements = StatementSerializer(many=True)
    rounding_rule = serializers.CharField()


class StatementView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("year", int, required=True, description="Abrechnungsjahr"),
            OpenApiParameter("municipality", int, required=False, description="Kommune (ID); ohne: alle sichtbaren"),
        ],
        responses=StatementListSerializer,
    )
    def get(self, request):
        query = _query(request, "year")
        year = query["year"]
        if "municipality" in query:
            statements = [statement_for_user(user=request.user, municipality_pk=query["municipality"], year=year)]
        else:
            statements = statement_list_for_user(user=request.user, year=year)
        data = {"year": year, "statements": statements, "rounding_rule": ROUNDING_RULE}
        return Response(StatementListSerializer(data).data)


# --- bookings and settlement (the controller) ------------------------------------------------------------------


def _member(centre, municipality_pk: int):
    member = centre.members.filter(pk=municipality_pk).first()
    if member is None:
        raise ValidationError({"municipality": ["Die Kommune ist an dieser Kostenstelle nicht beteiligt."]})
    return member


class CentreYearSerializer(serializers.Serializer):
    centre = serializers.IntegerField(help_text="Kostenstelle (ID)")
    year = serializers.IntegerField(min_value=2000, max_value=2100)


class ActualCostInSerializer(CentreYearSerializer):
    amount = serializers.DecimalField(**MONEY)
    description = serializers.CharField(max_length=300)
    is_correction = serializers.BooleanField(
        default=False, help_text="Korrekturbuchung (in einem abgerechneten Jahr nur so; auch negativ)"
    )


class ActualCostSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    centre = serializers.IntegerField(source="centre_id")
    year = serializers.IntegerField()
    amount = serializers.DecimalField(**MONEY)
    description = serializers.CharField()
    is_correction = serializers.BooleanField()
    booked_at = serializers.DateTimeField()


class TimeEntryInSerializer(serializers.Serializer):
    centre = serializers.IntegerField(help_text="Kostenstelle (ID)")
    municipality = serializers.IntegerField(help_text="Kommune (ID)")
    on = serializers.DateField()
    hours = serializers.DecimalField(max_digits=9, decimal_places=2)
    activity = serializers.CharField(max_length=200)


class TimeEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    centre = serializers.IntegerField(source="centre_id")
    municipality = MemberSerializer()
    on = serializers.DateField()
    hours = serializers.DecimalField(max_digits=9, decimal_places=2)
    activity = serializers.CharField()
    is_correction = serializers.BooleanField()
    correction_of = serializers.IntegerField(source="correction_of_id", allow_null=True)
    booked_at = serializers.DateTimeField()


class CorrectionInSerializer(serializers.Serializer):
    hours = serializers.DecimalField(max_digits=9, decimal_places=2, help_text="Differenz in Stunden (auch negativ)")
    reason = serializers.CharField(max_length=200)


class PrepaymentInSerializer(CentreYearSerializer):
    municipality = serializers.IntegerField(help_text="Kommune (ID)")
    amount = serializers.DecimalField(**MONEY)
    received_on = serializers.DateField()


class PrepaymentSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    centre = serializers.IntegerField(source="centre_id")
    year = serializers.IntegerField()
    municipality = MemberSerializer()
    amount = serializers.DecimalField(**MONEY)
    received_on = serializers.DateField()


class ResettleInSerializer(CentreYearSerializer):
    reason = serializers.CharField(max_length=1000)


class SettlementLineSerializer(serializers.Serializer):
    municipality = MemberSerializer()
    plan_contribution = serializers.DecimalField(**MONEY)
    actual_share = serializers.DecimalField(**MONEY)
    charge = serializers.DecimalField(**MONEY)
    prepayments = serializers.DecimalField(**MONEY)
    funding = serializers.DecimalField(**MONEY)
    balance = serializers.DecimalField(**MONEY, help_text="positiv: Nachzahlung, negativ: Erstattung")
    previous_balance = serializers.DecimalField(**MONEY, allow_null=True)
    explanation = serializers.CharField()


class SettlementSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    centre = serializers.IntegerField(source="centre_id")
    year = serializers.IntegerField()
    version = serializers.IntegerField()
    reason = serializers.CharField()
    actual_total = serializers.DecimalField(**MONEY)
    charged_total = serializers.DecimalField(**MONEY)
    startup_year = serializers.BooleanField()
    settled_at = serializers.DateTimeField()
    lines = SettlementLineSerializer(many=True, source="lines.all")


def _valid(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


_YEAR_LIST_PARAMETERS = [
    OpenApiParameter("year", int, required=True, description="Jahr"),
    OpenApiParameter("centre", int, required=False, description="Kostenstelle (ID); ohne: alle sichtbaren"),
]


class _YearListView(generics.ListAPIView):
    """A list of bookings of one year (``?year=``, optionally ``&centre=``), filtered by what the viewer may see."""

    model: type[Model] = ActualCost

    def selected(self, year: int):
        raise NotImplementedError

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no query
            return self.model._default_manager.none()
        query = _query(self.request, "year")
        rows = self.selected(query["year"])
        if "centre" in query:
            rows = rows.filter(centre=cost_centre_for_user(user=self.request.user, pk=query["centre"]))
        return rows


class ActualCostCreateView(_YearListView):
    """GET: the actual costs of a year (bookings and corrections; DKZ staff of the county every one, a member
    municipality those of its centres once the year is settled). POST: book one (the controller)."""

    serializer_class = ActualCostSerializer
    model = ActualCost

    def selected(self, year: int):
        return actual_cost_list_for_user(user=self.request.user, year=year).order_by("centre_id", "booked_at", "pk")

    @extend_schema(
        summary="Ist-Kosten eines Jahres",
        description="In Seiten, mit `updated_since`. DKZ des Landkreises: alle Buchungen; eine Mitgliedskommune: "
        "die ihrer Kostenstellen, sobald das Jahr abgerechnet ist.",
        parameters=_YEAR_LIST_PARAMETERS,
        responses={200: ActualCostSerializer(many=True), **errors(400, 401, 404)},
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    @extend_schema(request=ActualCostInSerializer, responses={201: ActualCostSerializer})
    def post(self, request):
        data = _valid(ActualCostInSerializer, request)
        centre = centre_for_controller(user=request.user, pk=data["centre"])
        cost = services.actual_cost_book(
            centre=centre,
            year=data["year"],
            amount=data["amount"],
            description=data["description"],
            is_correction=data["is_correction"],
            by=request.user,
        )
        return Response(ActualCostSerializer(cost).data, status=status.HTTP_201_CREATED)


class TimeEntryView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("year", int, required=True, description="Jahr"),
            OpenApiParameter("centre", int, required=True, description="Kostenstelle (ID)"),
        ],
        responses=TimeEntrySerializer(many=True),
    )
    def get(self, request):
        query = _query(request, "year", "centre")
        centre = centre_for_controller(user=request.user, pk=query["centre"])
        entries = TimeEntry.objects.filter(centre=centre, on__year=query["year"]).select_related("municipality")
        return Response(TimeEntrySerializer(entries.order_by("on", "pk"), many=True).data)

    @extend_schema(request=TimeEntryInSerializer, responses={201: TimeEntrySerializer})
    def post(self, request):
        data = _valid(TimeEntryInSerializer, request)
        centre = centre_for_controller(user=request.user, pk=data["centre"])
        entry = services.time_entry_book(
            centre=centre,
            municipality=_member(centre, data["municipality"]),
            hours=data["hours"],
            activity=data["activity"],
            on=data["on"],
            booked_by=request.user,
        )
        return Response(TimeEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


class TimeEntryCorrectView(APIView):
    @extend_schema(request=CorrectionInSerializer, responses={201: TimeEntrySerializer})
    def post(self, request, pk: int):
        entry = TimeEntry.objects.select_related("centre").filter(pk=pk).first()
        if entry is None:
            raise Http404("Zeitbuchung nicht gefunden.")
        centre_for_controller(user=request.user, pk=entry.centre_id)
        data = _valid(CorrectionInSerializer, request)
        correction = services.time_entry_correct(
            entry=entry, hours=data["hours"], reason=data["reason"], by=request.user
        )
        return Response(TimeEntrySerializer(correction).data, status=status.HTTP_201_CREATED)


class PrepaymentCreateView(_YearListView):
    """GET: the prepayments of a year (DKZ staff of the county every member's, a municipality its own). POST: record
    one (the controller)."""

    serializer_class = PrepaymentSerializer
    model = Prepayment

    def selected(self, year: int):
        return (
            prepayment_list_for_user(user=self.request.user, year=year)
            .select_related("municipality")
            .order_by("centre_id", "received_on", "pk")
        )

    @extend_schema(
        summary="Vorauszahlungen eines Jahres",
        description="In Seiten, mit `updated_since`. DKZ des Landkreises: die aller Mitglieder; eine Kommune: ihre "
        "eigenen.",
        parameters=_YEAR_LIST_PARAMETERS,
        responses={200: PrepaymentSerializer(many=True), **errors(400, 401, 404)},
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    @extend_schema(request=PrepaymentInSerializer, responses={201: PrepaymentSerializer})
    def post(self, request):
        data = _valid(PrepaymentInSerializer, request)
        centre = centre_for_controller(user=request.user, pk=data["centre"])
        payment = services.prepayment_record(
            centre=centre,
            year=data["year"],
            municipality=_member(centre, data["municipality"]),
            amount=data["amount"],
            received_on=data["received_on"],
            by=request.user,
        )
        return Response(PrepaymentSerializer(payment).data, status=status.HTTP_201_CREATED)


class SettlementCreateView(APIView):
    @extend_schema(request=CentreYearSerializer, responses={201: SettlementSerializer})
    def post(self, request):
        data = _valid(CentreYearSerializer, request)
        centre = centre_for_controller(user=request.user, pk=data["centre"])
        settlement = services.year_settle(centre=centre, year=data["year"], by=request.user)
        return Response(SettlementSerializer(settlement).data, status=status.HTTP_201_CREATED)


class ResettlementCreateView(APIView):
    @extend_schema(request=ResettleInSerializer, responses={201: SettlementSerializer})
    def post(self, request):
        data = _valid(ResettleInSerializer, request)
        centre = centre_for_controller(user=request.user, pk=data["centre"])
        settlement = services.year_resettle(centre=centre, year=data["year"], reason=data["reason"], by=request.user)
        return Response(SettlementSerializer(settlement).data, status=status.HTTP_201_CREATED)


# --- the plan of a year (the controller): create or edit, then publish to the members -------------------------
class PlanQuantityInSerializer(serializers.Serializer):
    municipality = serializers.IntegerField(help_text="Kommune (ID), Mitglied der Kostenstelle")
    key = serializers.CharField(max_length=40, help_text="Schlüsselgröße, z. B. hours oder inhabitants")
    quantity = serializers.DecimalField(max_digits=18, decimal_places=4)


class PlanInSerializer(CentreYearSerializer):
    budget = serializers.DecimalField(
        **MONEY, allow_null=True, help_text="PLAN-Budget (EUR); leer, wo die Summe der Teile gilt"
    )
    quantities = PlanQuantityInSerializer(many=True, required=False, default=list)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)


class PlanSaveView(APIView):
    @extend_schema(
        operation_id="costs_plan_save",
        summary="Vorkalkulation eines Jahres anlegen oder ändern",
        description="Budget und Schlüsselgrößen je Mitglied; nur das Controlling, nur in einem nicht abgerechneten "
        "Jahr. Die Vorkalkulation muss sich danach aufteilen lassen, sonst wird nichts gespeichert.",
        request=PlanInSerializer,
        responses={200: PlanSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request):
        data = _valid(PlanInSerializer, request)
        centre = centre_for_controller(user=request.user, pk=data["centre"])
        quantities = {(_member(centre, row["municipality"]), row["key"]): row["quantity"] for row in data["quantities"]}
        services.year_plan_save(
            centre=centre,
            year=data["year"],
            budget=data["budget"],
            quantities=quantities,
            note=data["note"],
            by=request.user,
        )
        plan = plan_for_user(user=request.user, centre_pk=centre.pk, year=data["year"])
        return Response(PlanSerializer(_plan_data(plan)).data)


class PlanPublishView(APIView):
    @extend_schema(
        operation_id="costs_plan_publish",
        summary="Vorkalkulation an die Mitglieder veröffentlichen",
        description="Ab dann sehen die Mitglieder ihren Planbeitrag. Einmal je Jahr; nur das Controlling.",
        request=CentreYearSerializer,
        responses={200: PlanSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request):
        data = _valid(CentreYearSerializer, request)
        centre = centre_for_controller(user=request.user, pk=data["centre"])
        services.year_plan_publish(centre=centre, year=data["year"], by=request.user)
        plan = plan_for_user(user=request.user, centre_pk=centre.pk, year=data["year"])
        return Response(PlanSerializer(_plan_data(plan)).data)


urlpatterns = [
    path("centres/", CentreListView.as_view(), name="api-costs-centres"),
    path("actual-costs/", ActualCostCreateView.as_view(), name="api-costs-actual-costs"),
    path("time-entries/", TimeEntryView.as_view(), name="api-costs-time-entries"),
    path("time-entries/<int:pk>/correct/", TimeEntryCorrectView.as_view(), name="api-costs-time-entry-correct"),
    path("prepayments/", PrepaymentCreateView.as_view(), name="api-costs-prepayments"),
    path("settlements/", SettlementCreateView.as_view(), name="api-costs-settlements"),
    path("settlements/resettle/", ResettlementCreateView.as_view(), name="api-costs-resettle"),
    path("plans/", PlanView.as_view(), name="api-costs-plans"),
    path("plans/save/", PlanSaveView.as_view(), name="api-costs-plan-save"),
    path("plans/publish/", PlanPublishView.as_view(), name="api-costs-plan-publish"),
    path("statements/", StatementView.as_view(), name="api-costs-statements"),
]
