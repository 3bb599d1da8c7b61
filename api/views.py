from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from api.openapi import errors
from api.serializers import MeSerializer, MunicipalitySerializer
from projects.models import County
from projects.selectors import county_ids_of, memberships_of, municipality_list_for_user


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
            "memberships": [
                {
                    "role": m.role,
                    "role_label": str(m.get_role_display()),
                    "organisation": str(m.organisation),
                    "organisation_kind": m.institution.kind if m.institution is not None else "municipality",
                    "ags": m.municipality.ags if m.municipality is not None else None,
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
