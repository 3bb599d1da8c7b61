from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from api.openapi import errors, id_parameter
from api.serializers import MeSerializer, MunicipalityPeopleSerializer, MunicipalitySerializer
from projects.models import County
from projects.roles import ROLE_CAPABILITIES
from projects.selectors import (
    county_ids_of,
    memberships_of,
    municipality_ids_of,
    municipality_list_for_user,
    municipality_people_for_user,
)


class MeView(APIView):
    @extend_schema(summary="Angemeldete Person", tags=["Anmeldung"], responses={200: MeSerializer, **errors(401)})
    def get(self, request):
        user = request.user
        memberships = memberships_of(user=user)
        counties = list(
            County.objects.filter(pk__in=county_ids_of(user=user)).order_by("slug").values_list("slug", flat=True)
        )
        data = {
            "username": user.get_username(),
            "display_name": user.get_full_name() or user.get_username(),
            "roles": sorted({m.role for m in memberships}),
            "municipality_ids": sorted(municipality_ids_of(user=user)),
            "memberships": [
                {
                    "role": m.role,
                    "role_label": str(m.get_role_display()),
                    "organisation": str(m.organisation),
                    "organisation_kind": (
                        "municipality" if m.municipality_id or m.institution is None else m.institution.kind
                    ),
                    "ags": m.municipality.ags if m.municipality is not None else None,
                    "municipality_id": m.municipality_id,
                }
                for m in memberships
            ],
            "county": counties[0] if len(counties) == 1 else None,
            "counties": counties,
        }
        return Response(MeSerializer(data).data)


class MunicipalityListView(generics.ListAPIView):
    serializer_class = MunicipalitySerializer

    def get_queryset(self):
        return municipality_list_for_user(user=self.request.user).order_by("ags")

    @extend_schema(
        summary="Sichtbare Kommunen",
        tags=["Anmeldung"],
        responses={200: MunicipalitySerializer(many=True), **errors(401, 404)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class MunicipalityPeopleView(APIView):
    @extend_schema(
        summary="Wer für eine Kommune handeln darf",
        description="Bürgermeisterin/Bürgermeister und Sachbearbeitung der Kommune mit Rolle, Befugnissen und "
        "Vertretung. Sichtbar für die Mitglieder der Kommune und das DKZ ihres Landkreises.",
        tags=["Anmeldung"],
        parameters=[id_parameter("ID der Kommune")],
        responses={200: MunicipalityPeopleSerializer, **errors(401, 404)},
    )
    def get(self, request, id):
        municipality, people = municipality_people_for_user(user=request.user, pk=id)
        data = {
            "municipality": municipality,
            "people": [
                {
                    "username": m.user.get_username(),
                    "display_name": m.user.get_full_name() or m.user.get_username(),
                    "email": m.user.email,
                    "role": m.role,
                    "role_label": str(m.get_role_display()),
                    "capabilities": list(ROLE_CAPABILITIES.get(m.role, ())),
                    "absent_from": m.absent_from,
                    "absent_until": m.absent_until,
                    "substitute": m.substitute.get_username() if m.substitute_id and m.substitute is not None else None,
                }
                for m in people
            ],
        }
        return Response(MunicipalityPeopleSerializer(data).data)
