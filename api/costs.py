"""REST endpoints of the costs domain, mounted under /api/v1/costs/ (see api/urls.py).

Read-only, permission-filtered through costs.selectors: ``centres/``, ``plans/?year=&centre=``,
``statements/?year=&municipality=``. Amounts are decimal strings in euros with cents.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from costs.calculation import ROUNDING_RULE, agreement_for
from costs.keys import key_get
from costs.selectors import (
    cost_centre_list_for_user,
    plan_for_user,
    statement_for_user,
    statement_list_for_user,
)

MONEY = {"max_digits": 14, "decimal_places": 2}


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


class CentreSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    code = serializers.CharField()
    name = serializers.CharField()
    dkz = serializers.CharField(source="dkz.slug")
    members = MemberSerializer(many=True)
    agreement = serializers.SerializerMethodField()

    @extend_schema(responses=AgreementSerializer)
    def get_agreement(self, obj) -> dict | None:
        agreement = obj.agreements.order_by("-version").first()
        return AgreementSerializer(agreement).data if agreement else None


class CentreListView(generics.ListAPIView):
    serializer_class = CentreSerializer

    def get_queryset(self):
        return cost_centre_list_for_user(user=self.request.user).prefetch_related("members", "agreements")


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
        rows = plan.rows
        data = {
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
        return Response(PlanSerializer(data).data)


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


class StatementSerializer(serializers.Serializer):
    municipality = MemberSerializer()
    year = serializers.IntegerField()
    lines = StatementLineSerializer(many=True)
    totals = serializers.DictField(child=serializers.DecimalField(**MONEY))


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


urlpatterns = [
    path("centres/", CentreListView.as_view(), name="api-costs-centres"),
    path("plans/", PlanView.as_view(), name="api-costs-plans"),
    path("statements/", StatementView.as_view(), name="api-costs-statements"),
]
