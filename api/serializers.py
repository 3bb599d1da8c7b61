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


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    display_name = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    memberships = MembershipSerializer(many=True)
    county = serializers.CharField(allow_null=True, help_text="Der Landkreis, wenn es genau einer ist")
    counties = serializers.ListField(child=serializers.CharField())
