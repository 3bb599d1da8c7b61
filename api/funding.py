"""REST endpoints of the funding domain, mounted under /api/v1/funding/ (see api/urls.py).

Reads go through the funding selectors (DKZ staff: their county; municipalities: applications they take part
in; anything else 404); writes call the same services as the portal.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import path
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from funding.models import AmountTier, Application, Decision, Drawdown, Programme, ProgrammeRule
from funding.selectors import (
    application_for_user,
    application_list_for_user,
    decision_list_for_user,
    drawdown_list_for_user,
    programme_list,
)
from funding.services.applications import application_create, drawdown_record
from projects.models import County, Municipality
from projects.selectors import municipality_list_for_user


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


class ApplicationSerializer(serializers.ModelSerializer):
    programme = serializers.SlugRelatedField(slug_field="code", queryset=Programme.objects.all())
    county = serializers.SlugRelatedField(slug_field="slug", queryset=County.objects.all(), required=False)
    partners = serializers.SlugRelatedField(
        slug_field="ags", many=True, queryset=Municipality.objects.all(), required=False
    )
    eligible_rule = RuleRefSerializer(read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)

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
            fields["application"].queryset = application_list_for_user(user=request.user)
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

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        visible = municipality_list_for_user(user=request.user)
        partners = [m for m in data.get("partners", []) if visible.filter(pk=m.pk).exists()]
        try:
            application = application_create(
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
        return Response(self.get_serializer(application).data, status=status.HTTP_201_CREATED)


class ApplicationDetail(generics.RetrieveAPIView):
    serializer_class = ApplicationSerializer

    def get_object(self):
        return application_for_user(user=self.request.user, pk=self.kwargs["pk"])


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


urlpatterns = [
    path("programmes/", ProgrammeList.as_view(), name="api-funding-programmes"),
    path("programmes/<int:pk>/", ProgrammeDetail.as_view(), name="api-funding-programme"),
    path("applications/", ApplicationList.as_view(), name="api-funding-applications"),
    path("applications/<int:pk>/", ApplicationDetail.as_view(), name="api-funding-application"),
    path("decisions/", DecisionList.as_view(), name="api-funding-decisions"),
    path("drawdowns/", DrawdownList.as_view(), name="api-funding-drawdowns"),
]
