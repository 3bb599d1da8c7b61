"""REST endpoints of the screening, mounted under /api/v1/screening/ (see api/urls.py)."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from projects.selectors_screening import round_for_analysis, round_list_for_user
from projects.services.screening_analysis import analysis_as_dicts, bundle_analysis


class RoundSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    county = serializers.CharField(source="county.slug")
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    status = serializers.CharField()
    grouping = serializers.CharField()
    county_wide_share = serializers.DecimalField(max_digits=3, decimal_places=2)


class BundleRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class BundleRowSerializer(serializers.Serializer):
    bundle = BundleRefSerializer()
    survey_partner_count = serializers.IntegerField()
    other_count = serializers.IntegerField()
    total = serializers.IntegerField()
    declaration_count = serializers.IntegerField()
    average_urgency = serializers.DecimalField(max_digits=4, decimal_places=2, allow_null=True)
    average_complexity = serializers.DecimalField(max_digits=4, decimal_places=2, allow_null=True)
    score = serializers.DecimalField(max_digits=5, decimal_places=2)
    rank = serializers.IntegerField()
    route = serializers.ChoiceField(choices=["county_wide", "bilateral"])


class RoundBundlesSerializer(serializers.Serializer):
    round = RoundSerializer()
    count = serializers.IntegerField()
    results = BundleRowSerializer(many=True)


class RoundListView(APIView):
    @extend_schema(responses={200: RoundSerializer(many=True)})
    def get(self, request):
        rounds = round_list_for_user(user=request.user).order_by("-starts_on")
        return Response(RoundSerializer(rounds, many=True).data)


class RoundBundlesView(APIView):
    """The ranked utility analysis of a round; DKZ staff of the round's county only."""

    @extend_schema(responses={200: RoundBundlesSerializer})
    def get(self, request, pk: int):
        screening_round = round_for_analysis(user=request.user, pk=pk)
        rows = analysis_as_dicts(rows=bundle_analysis(screening_round=screening_round))
        data = {"round": screening_round, "count": len(rows), "results": rows}
        return Response(RoundBundlesSerializer(data).data)


urlpatterns = [
    path("rounds/", RoundListView.as_view(), name="api-screening-rounds"),
    path("rounds/<int:pk>/bundles/", RoundBundlesView.as_view(), name="api-screening-round-bundles"),
]
