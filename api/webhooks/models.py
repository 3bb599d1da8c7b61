"""Webhooks: a mayor (for a municipality) or the DKZ project management (for its county) subscribes a URL to
events; every event the owner may see becomes one delivery, signed and sent by a Celery task."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from api.webhooks.events import Event, Subject

__all__ = ["Event", "Subject", "WebhookDelivery", "WebhookEvent", "WebhookSubscription"]


class WebhookSubscription(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="webhook_subscriptions",
        verbose_name=_("Eingerichtet von"),
    )
    municipality = models.ForeignKey(
        "projects.Municipality",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("Für die Kommune"),
    )
    county = models.ForeignKey(
        "projects.County",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("Für das DKZ des Landkreises"),
    )
    url = models.URLField(_("Adresse"), max_length=500)
    events = models.JSONField(_("Ereignisse"), default=list)
    secret = models.CharField(_("Geheimnis für die Signatur"), max_length=200)
    active = models.BooleanField(_("Aktiv"), default=True)
    created_at = models.DateTimeField(_("Eingerichtet am"), auto_now_add=True)

    class Meta:
        verbose_name = _("Webhook")
        verbose_name_plural = _("Webhooks")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(municipality__isnull=False, county__isnull=True)
                    | models.Q(municipality__isnull=True, county__isnull=False)
                ),
                name="webhook_exactly_one_scope",
            )
        ]

    def __str__(self) -> str:
        return f"{self.url} ({', '.join(self.events)})"


class WebhookEvent(models.Model):
    """Something that happened, recorded right after the commit of the change; a Celery job (``fan_out``) turns it
    into one delivery per subscription that wants it and whose owner may see its subject."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event = models.CharField(_("Ereignis"), max_length=40, choices=Event.choices)
    subject_type = models.CharField(_("Betrifft (Art)"), max_length=20, choices=Subject.choices)
    subject_id = models.CharField(_("Betrifft (ID)"), max_length=40)
    data = models.JSONField(_("Angaben zum Zeitpunkt des Ereignisses"), default=dict, encoder=DjangoJSONEncoder)
    occurred_at = models.DateTimeField(_("Geschehen am"))
    created_at = models.DateTimeField(_("Erfasst am"), auto_now_add=True)
    fanned_out_at = models.DateTimeField(_("Verteilt am"), null=True, blank=True)

    class Meta:
        verbose_name = _("Webhook-Ereignis")
        verbose_name_plural = _("Webhook-Ereignisse")
        ordering = ["occurred_at", "pk"]
        indexes = [models.Index(fields=["fanned_out_at", "created_at"], name="webhook_event_pending_idx")]

    def __str__(self) -> str:
        return f"{self.event} {self.subject_type}:{self.subject_id}"


class WebhookDelivery(models.Model):
    """One event sent to one subscription. The id travels in the body and in ``X-IKZ-Delivery``: receivers
    drop a delivery they have already processed (a retry after a lost answer sends it again)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Wartet")
        RETRYING = "retrying", _("Wird wiederholt")
        DELIVERED = "delivered", _("Zugestellt")
        FAILED = "failed", _("Endgültig gescheitert")
        CANCELLED = "cancelled", _("Abgebrochen")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(_("Ereignis"), max_length=40, choices=Event.choices)
    event_id = models.UUIDField(_("Ereignis-ID"))
    subject_type = models.CharField(_("Betrifft (Art)"), max_length=20, choices=Subject.choices, blank=True)
    subject_id = models.CharField(_("Betrifft (ID)"), max_length=40, blank=True)
    redelivery_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="redeliveries",
        verbose_name=_("Erneute Zustellung von"),
    )
    body = models.TextField(_("Inhalt (signiert)"))
    status = models.CharField(_("Status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("Versuche"), default=0)
    response_status = models.PositiveSmallIntegerField(_("Letzte Antwort (HTTP)"), null=True, blank=True)
    last_error = models.TextField(_("Letzter Fehler"), blank=True)
    created_at = models.DateTimeField(_("Angelegt am"), auto_now_add=True)
    last_attempt_at = models.DateTimeField(_("Letzter Versuch"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("Zugestellt am"), null=True, blank=True)

    class Meta:
        verbose_name = _("Webhook-Zustellung")
        verbose_name_plural = _("Webhook-Zustellungen")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event_id"],
                condition=models.Q(redelivery_of__isnull=True),
                name="one_delivery_per_event",
            )
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="webhook_delivery_status_idx")]
