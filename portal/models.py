"""In-app notifications and each person's e-mail preference."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationPreference(models.Model):
    class Delivery(models.TextChoices):
        IMMEDIATE = "immediate", _("Sofort per E-Mail")
        DIGEST = "digest", _("Einmal täglich als Zusammenfassung")
        OFF = "off", _("Keine E-Mails (nur in der Anwendung)")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    delivery = models.CharField(
        _("E-Mail-Benachrichtigung"), max_length=10, choices=Delivery.choices, default=Delivery.IMMEDIATE
    )

    class Meta:
        verbose_name = _("Benachrichtigungseinstellung")
        verbose_name_plural = _("Benachrichtigungseinstellungen")

    def __str__(self) -> str:
        return f"{self.user}: {self.get_delivery_display()}"


class Notification(models.Model):
    class Kind(models.TextChoices):
        NEW_TASK = "new_task", _("Neue Aufgabe")
        REMINDER = "reminder", _("Erinnerung")
        OVERDUE = "overdue", _("Frist überschritten")
        DECISION = "decision", _("Entscheidung")
        MENTION = "mention", _("Erwähnung")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("Art"), max_length=10, choices=Kind.choices)
    title = models.CharField(_("Betreff"), max_length=200)
    body = models.TextField(_("Text"), blank=True)
    url = models.CharField(_("Verweis"), max_length=300, blank=True)
    dedupe_key = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(_("Erstellt am"), auto_now_add=True)
    read_at = models.DateTimeField(_("Gelesen am"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("Per E-Mail versandt am"), null=True, blank=True)

    class Meta:
        verbose_name = _("Benachrichtigung")
        verbose_name_plural = _("Benachrichtigungen")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at", "created_at"], name="notification_inbox_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "dedupe_key"], condition=~models.Q(dedupe_key=""), name="notification_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.title}"
