"""REST endpoints of the screening, mounted under /api/v1/screening/ (see api/urls.py).

``rounds/`` lists the rounds of the user's counties; a POST opens a new round (the DKZ project management of the
county, through ``projects.services.screening.round_create``)."""

from __future__ import annotations

from decimal import Decimal

from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from api.openapi import errors
from api.pagination import Pagination
from projects.models import County, IkzIdea, Municipality, ScreeningRound, TaskArea
from projects.selectors_screening import (
    declaration_list_for_user,
    declaring_municipalities_for_user,
    round_for_analysis,
    round_for_user,
    round_list_for_user,
)
from projects.services.screening import bundle_complexity_set, declaration_save, round_create
from projects.services.screening_analysis import (
    BILATERAL,
    COUNTY_WIDE,
    FROM_DECLARATIONS,
    FROM_STEERING,
    NO_COMPLEXITY,
    NOT_PURSUED,
    analysis_as_dicts,
    bundle_analysis,
    bundle_row,
)


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
    average_complexity = serializers.DecimalField(
        max_digits=4, decimal_places=2, allow_null=True, help_text="Ø Komplexität der Interessenbekundungen"
    )
    complexity = serializers.DecimalField(
        max_digits=4,
        decimal_places=2,
        allow_null=True,
        help_text="Verwendete Komplexität: Wert der Lenkungsgruppe, sonst Ø der Interessenbekundungen",
    )
    complexity_source = serializers.ChoiceField(
        choices=[FROM_STEERING, FROM_DECLARATIONS, NO_COMPLEXITY],
        help_text="Herkunft der verwendeten Komplexität: steering_group, declarations oder none",
    )
    ease = serializers.DecimalField(
        max_digits=5, decimal_places=2, allow_null=True, help_text="Umsetzbarkeit = Wert der Runde − Komplexität"
    )
    score = serializers.DecimalField(max_digits=5, decimal_places=2)
    rank = serializers.IntegerField(help_text="Berechneter Rang der Nutzwertanalyse")
    decided_rank = serializers.IntegerField(allow_null=True, help_text="Von der Lenkungsgruppe entschiedener Rang")
    decided_reason = serializers.CharField(allow_blank=True, help_text="Begründung des entschiedenen Rangs")
    route = serializers.ChoiceField(
        choices=[COUNTY_WIDE, BILATERAL, NOT_PURSUED],
        help_text="kreisweit, bilateral (wenige, aber dringlich) oder derzeit nicht verfolgt",
    )
    route_reason = serializers.CharField(help_text="Warum dieser Weg (Anteil, Ø Dringlichkeit, datierte Regel)")


class RoundBundlesSerializer(serializers.Serializer):
    round = RoundSerializer()
    count = serializers.IntegerField()
    results = BundleRowSerializer(many=True)


class RoundCreateSerializer(serializers.Serializer):
    county = serializers.CharField(max_length=50, help_text="Kürzel des Landkreises (z. B. mkk)")
    name = serializers.CharField(max_length=120, help_text="Bezeichnung, im Landkreis eindeutig (z. B. MKK 2027)")
    starts_on = serializers.DateField(help_text="Beginn der Befragung")
    ends_on = serializers.DateField(help_text="Ende der Befragung")
    survey_partners = serializers.ListField(
        child=serializers.CharField(max_length=12),
        required=False,
        default=list,
        help_text="Gemeindeschlüssel (AGS) der Untersuchungspartner (U-Kommunen) des Landkreises",
    )
    grouping = serializers.ChoiceField(
        choices=ScreeningRound.Grouping.choices,
        required=False,
        default=ScreeningRound.Grouping.BUNDLE,
        help_text="Auswertung nach Aufgabenbündel oder Aufgabenfeld",
    )
    county_wide_share = serializers.DecimalField(
        max_digits=3,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=Decimal("1.00"),
        required=False,
        help_text="Kreisweit ab diesem Anteil interessierter Kommunen; ohne Angabe der gültige Vorgabewert",
    )


class RoundListView(generics.GenericAPIView):
    """The screening rounds of the user's counties, newest first; in pages and with ``updated_since`` like every list
    (a round counts as changed when its audit trail has an entry about it since then)."""

    serializer_class = RoundSerializer
    pagination_class = Pagination
    queryset = ScreeningRound.objects.none()  # documentation only; the rounds come from round_list_for_user

    def get_queryset(self):
        return round_list_for_user(user=self.request.user).order_by("-starts_on", "-pk")

    @extend_schema(
        summary="Screening-Runden der eigenen Landkreise",
        description="Neueste zuerst, in Seiten. Mit `updated_since` nur die seitdem angelegten oder geänderten "
        "Runden (Kriterien geändert, Rang entschieden, Vorgang aus einem Bündel begonnen).",
        responses={200: RoundSerializer(many=True), **errors(400, 401, 404)},
    )
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(RoundSerializer(page, many=True).data)

    @extend_schema(
        operation_id="screening_round_create",
        summary="Screening-Runde anlegen",
        description="Nur das DKZ-Projektmanagement des Landkreises. Die Kriterien der Nutzwertanalyse kommen aus den "
        "zum Beginn gültigen Vorgaben; `county_wide_share` ohne Angabe ebenso.",
        request=RoundCreateSerializer,
        responses={201: RoundSerializer, **errors(400, 401, 403)},
    )
    def post(self, request):
        serializer = RoundCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        county = County.objects.filter(slug=data["county"]).first()
        if county is None:
            raise ValidationError({"county": [_("Diesen Landkreis gibt es nicht.")]})
        codes = list(dict.fromkeys(data["survey_partners"]))
        partners = list(Municipality.objects.filter(ags__in=codes).order_by("ags"))
        unknown = sorted(set(codes) - {m.ags for m in partners})
        if unknown:
            raise ValidationError(
                {"survey_partners": [_("Unbekannter Gemeindeschlüssel: %(ags)s.") % {"ags": ", ".join(unknown)}]}
            )
        screening_round = round_create(
            county=county,
            name=data["name"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            survey_partners=partners,
            grouping=data["grouping"],
            county_wide_share=data.get("county_wide_share"),
            by=request.user,
        )
        return Response(RoundSerializer(screening_round).data, status=status.HTTP_201_CREATED)


class RoundBundlesView(APIView):
    """The ranked utility analysis of a round; DKZ staff of the round's county only."""

    @extend_schema(
        summary="Nutzwertanalyse einer Runde",
        description="Je Aufgabenbündel: Zahlen, verwendete Komplexität mit Herkunft, Punktwert, berechneter und "
        "entschiedener Rang nebeneinander, Wegvorschlag mit Begründung.",
        responses={200: RoundBundlesSerializer, **errors(401, 403, 404)},
    )
    def get(self, request, pk: int):
        screening_round = round_for_analysis(user=request.user, pk=pk)
        rows = analysis_as_dicts(rows=bundle_analysis(screening_round=screening_round))
        data = {"round": screening_round, "count": len(rows), "results": rows}
        return Response(RoundBundlesSerializer(data).data)


class BundleComplexityInSerializer(serializers.Serializer):
    complexity = serializers.IntegerField(min_value=1, max_value=10, help_text="Komplexität der Umsetzung 1–10")
    note = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=1000, help_text="Begründung der Lenkungsgruppe"
    )


class BundleComplexityView(APIView):
    """The steering group (DKZ project management) enters the complexity score of a bundle; the utility analysis
    uses it in place of the declarations' average. Answers the bundle's row as computed afterwards."""

    @extend_schema(
        operation_id="screening_round_bundle_complexity_set",
        summary="Komplexität eines Aufgabenbündels festlegen",
        request=BundleComplexityInSerializer,
        responses={200: BundleRowSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request, pk: int, code: str):
        screening_round = round_for_analysis(user=request.user, pk=pk)
        serializer = BundleComplexityInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        bundle_complexity_set(
            screening_round=screening_round,
            code=code,
            complexity=serializer.validated_data["complexity"],
            note=serializer.validated_data["note"],
            by=request.user,
        )
        row = bundle_row(screening_round=screening_round, code=code)
        return Response(BundleRowSerializer(analysis_as_dicts(rows=[row])[0]).data)


class DeclarationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    municipality = serializers.IntegerField(source="municipality_id", help_text="Kommune (ID)")
    municipality_name = serializers.CharField(source="municipality.name")
    task_area = serializers.CharField(source="task_area.code", help_text="Code des Aufgabenbereichs")
    task_area_name = serializers.CharField(source="task_area.name")
    interested = serializers.BooleanField()
    urgency = serializers.IntegerField(allow_null=True, help_text="Dringlichkeit 1–10")
    complexity = serializers.IntegerField(allow_null=True, help_text="Komplexität 1–10")
    proposals = serializers.CharField(allow_blank=True)
    idea = serializers.IntegerField(source="idea_id", allow_null=True)
    source = serializers.CharField(help_text="portal, import, …")  # type: ignore[assignment]  # a field named like a DRF Field attribute


class DeclarationInSerializer(serializers.Serializer):
    municipality = serializers.IntegerField(help_text="Kommune (ID), für die Sie erklären")
    task_area = serializers.CharField(max_length=20, help_text="Code des Aufgabenbereichs")
    interested = serializers.BooleanField()
    urgency = serializers.IntegerField(required=False, allow_null=True, default=None, help_text="1–10")
    complexity = serializers.IntegerField(required=False, allow_null=True, default=None, help_text="1–10")
    proposals = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    idea = serializers.IntegerField(required=False, allow_null=True, default=None, help_text="IKZ-Idee (ID)")


class DeclarationListView(APIView):
    """The declarations of interest of a round: DKZ staff of the county see all, a municipality its own. A
    municipality's clerk (or the DKZ project management) declares or changes one per task area while the round is
    open; the same rules as the portal's questionnaire."""

    @extend_schema(
        operation_id="screening_round_declarations_list",
        summary="Interessenbekundungen einer Runde",
        responses={200: DeclarationSerializer(many=True), **errors(401, 404)},
    )
    def get(self, request, pk: int):
        screening_round = round_for_user(user=request.user, pk=pk)
        rows = declaration_list_for_user(user=request.user, screening_round=screening_round).order_by(
            "municipality__name", "task_area__code"
        )
        return Response(DeclarationSerializer(rows, many=True).data)

    @extend_schema(
        operation_id="screening_round_declaration_save",
        summary="Interesse bekunden (oder ändern) für einen Aufgabenbereich",
        request=DeclarationInSerializer,
        responses={200: DeclarationSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request, pk: int):
        screening_round = round_for_user(user=request.user, pk=pk)
        serializer = DeclarationInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        municipality = next(
            (
                m
                for m in declaring_municipalities_for_user(user=request.user, screening_round=screening_round)
                if m.pk == data["municipality"]
            ),
            None,
        )
        if municipality is None:
            raise PermissionDenied(_("Sie dürfen für diese Kommune keine Interessen bekunden."))
        task_area = TaskArea.objects.filter(code=data["task_area"]).first()
        if task_area is None:
            raise ValidationError({"task_area": [_("Diesen Aufgabenbereich gibt es nicht.")]})
        idea = None
        if data["idea"] is not None:
            idea = IkzIdea.objects.filter(pk=data["idea"]).first()
            if idea is None:
                raise ValidationError({"idea": [_("Diese IKZ-Idee gibt es nicht.")]})
        declaration = declaration_save(
            screening_round=screening_round,
            municipality=municipality,
            task_area=task_area,
            interested=data["interested"],
            urgency=data["urgency"],
            complexity=data["complexity"],
            proposals=data["proposals"],
            idea=idea,
            by=request.user,
        )
        return Response(DeclarationSerializer(declaration).data, status=status.HTTP_200_OK)


urlpatterns = [
    path("rounds/", RoundListView.as_view(), name="api-screening-rounds"),
    path("rounds/<int:pk>/declarations/", DeclarationListView.as_view(), name="api-screening-declarations"),
    path("rounds/<int:pk>/bundles/", RoundBundlesView.as_view(), name="api-screening-round-bundles"),
    path(
        "rounds/<int:pk>/bundles/<slug:code>/complexity/",
        BundleComplexityView.as_view(),
        name="api-screening-bundle-complexity",
    ),
]
