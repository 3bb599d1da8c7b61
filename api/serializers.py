from rest_framework import serializers

from projects.models import Municipality


class MunicipalitySerializer(serializers.ModelSerializer):
    county: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Municipality
        fields = ["id", "ags", "name", "kind", "county"]


class MembershipSerializer(serializers.Serializer):
    role = serializers.CharField()
    role_label = serializers.CharField()
    organisation = serializers.CharField()
    organisation_kind = serializers.CharField()
    ags = serializers.CharField(allow_null=True)
    municipality_id = serializers.IntegerField(allow_null=True, help_text="ID der Kommune (bei kommunalen Rollen)")


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    display_name = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField(), help_text="Rollen (Kürzel) aller Zugehörigkeiten")
    municipality_ids = serializers.ListField(
        child=serializers.IntegerField(), help_text="IDs der Kommunen, für die die Person arbeitet"
    )
    memberships = MembershipSerializer(many=True)
    county = serializers.CharField(allow_null=True, help_text="Der Landkreis, wenn es genau einer ist")
    counties = serializers.ListField(child=serializers.CharField())


class MunicipalityPersonSerializer(serializers.Serializer):
    username = serializers.CharField()
    display_name = serializers.CharField()
    email = serializers.EmailField(allow_blank=True)
    role = serializers.CharField(help_text="Rolle (Kürzel)")
    role_label = serializers.CharField()
    capabilities = serializers.ListField(child=serializers.CharField(), help_text="Was die Rolle für die Kommune darf")
    absent_from = serializers.DateField(allow_null=True)
    absent_until = serializers.DateField(allow_null=True)
    substitute = serializers.CharField(allow_null=True, help_text="Benutzername der Vertretung")


class MunicipalityPeopleSerializer(serializers.Serializer):
    municipality = MunicipalitySerializer()
    people = MunicipalityPersonSerializer(many=True)
