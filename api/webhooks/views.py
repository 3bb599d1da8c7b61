"""/api/v1/webhooks/: register, list, remove subscriptions and read their delivery log."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from api.openapi import errors, id_parameter
from api.pagination import Pagination
from api.webhooks.events import SUBSCRIBABLE_CHOICES, Event, Subject
from api.webhooks.models import WebhookDelivery, WebhookSubscription
from api.webhooks.services import (
    delivery_for_user,
    delivery_redeliver,
    subscription_create,
    subscription_delete,
    subscription_for_user,
    subscription_list_for_user,
    subscription_ping,
)
from projects.models import County, Municipality


class SubscriptionSerializer(serializers.ModelSerializer):
    county: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True, help_text="Kürzel des Landkreises (null: für eine Kommune)"
    )
    municipality: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="ID der Kommune (null: für einen Landkreis)"
    )
    events = serializers.ListField(child=serializers.ChoiceField(choices=SUBSCRIBABLE_CHOICES))

    class Meta:
        model = WebhookSubscription
        fields = ["id", "url", "events", "municipality", "county", "active", "created_at"]
        read_only_fields = fields


class SubscriptionCreateSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=500, label=_("Adresse"))
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=SUBSCRIBABLE_CHOICES), allow_empty=False, label=_("Ereignisse")
    )
    secret = serializers.CharField(
        write_only=True, max_length=200, label=_("Geheimnis"), help_text="Schlüssel der HMAC-SHA256-Signatur"
    )
    municipality = serializers.PrimaryKeyRelatedField(
        queryset=Municipality.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Für Bürgermeister/innen: die eigene Kommune",
    )
    county = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=County.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Für das DKZ-Projektmanagement: der eigene Landkreis",
    )


class DeliverySerializer(serializers.ModelSerializer):
    event = serializers.ChoiceField(choices=Event.choices, help_text="Name des Ereignisses (Schema: `webhooks`)")
    subject_type = serializers.CharField(
        help_text="Worum es ging: Art des Datensatzes ("
        + ", ".join(Subject.values)
        + "; leer bei Zustellungen aus der Zeit vor dieser Angabe)"
    )
    subject_id = serializers.CharField(help_text="Worum es ging: ID des Datensatzes")
    redelivery_of = serializers.UUIDField(
        source="redelivery_of_id", allow_null=True, help_text="Bei erneuter Zustellung: die ursprüngliche Zustellung"
    )
    response_status = serializers.IntegerField(allow_null=True, help_text="Letzte HTTP-Antwort des Empfängers")
    last_attempt_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event",
            "event_id",
            "subject_type",
            "subject_id",
            "redelivery_of",
            "status",
            "attempts",
            "response_status",
            "last_error",
            "created_at",
            "last_attempt_at",
            "delivered_at",
        ]
        read_only_fields = fields


class WebhookListView(generics.GenericAPIView):
    serializer_class = SubscriptionSerializer
    pagination_class = Pagination

    def get_queryset(self):
        return subscription_list_for_user(user=self.request.user)

    @extend_schema(
        summary="Meine Webhooks",
        tags=["Webhooks"],
        responses={200: SubscriptionSerializer(many=True), **errors(401, 404)},
    )
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(SubscriptionSerializer(page, many=True).data)

    @extend_schema(
        summary="Webhook einrichten",
        description="Für Bürgermeister/innen (ihre Kommune) und das DKZ-Projektmanagement (sein Landkreis). "
        "Zustellungen tragen `X-IKZ-Signature: sha256=<hex>` (HMAC-SHA256 des Rumpfs mit dem Geheimnis) und "
        "`X-IKZ-Delivery` (ID, zum Erkennen von Wiederholungen); zugestellt wird nur, was der Einrichtende sehen darf.",
        tags=["Webhooks"],
        request=SubscriptionCreateSerializer,
        responses={201: SubscriptionSerializer, **errors(400, 401, 403)},
    )
    def post(self, request):
        serializer = SubscriptionCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        subscription = subscription_create(owner=request.user, **serializer.validated_data)
        return Response(SubscriptionSerializer(subscription).data, status=status.HTTP_201_CREATED)


class WebhookDetailView(generics.GenericAPIView):
    serializer_class = SubscriptionSerializer
    pagination_class = Pagination
    queryset = WebhookSubscription.objects.none()  # documentation only; see subscription_for_user

    @extend_schema(
        summary="Ein Webhook",
        tags=["Webhooks"],
        parameters=[id_parameter("ID des Webhooks")],
        responses={200: SubscriptionSerializer, **errors(401, 404)},
    )
    def get(self, request, id):
        return Response(SubscriptionSerializer(subscription_for_user(user=request.user, pk=id)).data)

    @extend_schema(
        summary="Webhook entfernen",
        tags=["Webhooks"],
        parameters=[id_parameter("ID des Webhooks")],
        responses={204: None, **errors(401, 404)},
    )
    def delete(self, request, id):
        subscription_delete(subscription=subscription_for_user(user=request.user, pk=id), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookDeliveryListView(generics.GenericAPIView):
    serializer_class = DeliverySerializer
    pagination_class = Pagination
    queryset = WebhookDelivery.objects.none()  # documentation only; see subscription_for_user

    @extend_schema(
        summary="Zustellungen eines Webhooks",
        tags=["Webhooks"],
        parameters=[id_parameter("ID des Webhooks")],
        responses={200: DeliverySerializer(many=True), **errors(401, 404)},
    )
    def get(self, request, id):
        subscription = subscription_for_user(user=request.user, pk=id)
        page = self.paginate_queryset(self.filter_queryset(subscription.deliveries.order_by("-created_at")))
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)


def _delivery_parameter():
    from drf_spectacular.utils import OpenApiParameter

    return OpenApiParameter("delivery_id", str, OpenApiParameter.PATH, description="ID der Zustellung (UUID)")


class WebhookPingView(generics.GenericAPIView):
    serializer_class = DeliverySerializer
    queryset = WebhookDelivery.objects.none()  # documentation only; see subscription_for_user

    @extend_schema(
        summary="Test-Zustellung senden (Ping)",
        description="Sendet das Ereignis `ping` an die Adresse des Webhooks, signiert wie jede Zustellung; "
        "das Ergebnis steht danach im Zustellungsprotokoll.",
        tags=["Webhooks"],
        request=None,
        parameters=[id_parameter("ID des Webhooks")],
        responses={202: DeliverySerializer, **errors(400, 401, 404)},
    )
    def post(self, request, id):
        delivery = subscription_ping(subscription=subscription_for_user(user=request.user, pk=id), by=request.user)
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class WebhookRedeliverView(generics.GenericAPIView):
    serializer_class = DeliverySerializer
    queryset = WebhookDelivery.objects.none()  # documentation only; see delivery_for_user

    @extend_schema(
        summary="Zustellung erneut senden",
        description="Sendet eine abgeschlossene Zustellung (zugestellt, gescheitert, abgebrochen) noch einmal: "
        "als neue Zustellung mit eigener ID, `redelivery_of` = ursprüngliche Zustellung, "
        "gleicher `event_id` und gleichem Inhalt.",
        tags=["Webhooks"],
        request=None,
        parameters=[id_parameter("ID des Webhooks"), _delivery_parameter()],
        responses={202: DeliverySerializer, **errors(400, 401, 404)},
    )
    def post(self, request, id, delivery_id):
        delivery = delivery_for_user(user=request.user, subscription_pk=id, pk=delivery_id)
        again = delivery_redeliver(delivery=delivery, by=request.user)
        return Response(DeliverySerializer(again).data, status=status.HTTP_202_ACCEPTED)
