"""The audit trail: one append-only entry per state change, written in the same transaction."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext_lazy as _

from projects.models.base import WriteOnceModel

IMMUTABLE = "Protokolleinträge können nicht geändert werden."
UNDELETABLE = "Protokolleinträge können nicht gelöscht werden."


class AuditEntryQuerySet(models.QuerySet):
    """Entries can be appended and read; bulk changes are refused like single ones (on PostgreSQL a trigger refuses
    UPDATE and DELETE of the table as well, migration 0006)."""

    def update(self, **kwargs):
        raise PermissionDenied(IMMUTABLE)

    def bulk_update(self, objs, fields, batch_size=None):
        raise PermissionDenied(IMMUTABLE)

    def delete(self):
        raise PermissionDenied(UNDELETABLE)

    delete.alters_data = True  # type: ignore[attr-defined]
    delete.queryset_only = True  # type: ignore[attr-defined]
    update.alters_data = True  # type: ignore[attr-defined]
    bulk_update.alters_data = True  # type: ignore[attr-defined]


class AuditEntry(WriteOnceModel):
    rewrite_message = IMMUTABLE
    rewrite_error = PermissionDenied
    created_at = models.DateTimeField(_("Zeitpunkt"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("Handelnde Person"),
    )
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("im Auftrag von"),
    )
    action = models.CharField(_("Aktion"), max_length=80)
    subject_type = models.CharField(_("Objektart"), max_length=80)
    subject_id = models.CharField(_("Objekt-ID"), max_length=64)
    county = models.ForeignKey("projects.County", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    municipality = models.ForeignKey(
        "projects.Municipality", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    changes = models.JSONField(_("Änderungen"), default=dict, blank=True)
    note = models.TextField(_("Bemerkung"), blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("Protokolleintrag")
        verbose_name_plural = _("Protokoll")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["subject_type", "subject_id", "created_at"], name="audit_subject_idx")]

    def __str__(self) -> str:
        return f"{self.created_at:%d.%m.%Y %H:%M} {self.action} {self.subject_type}#{self.subject_id}"

    def delete(self, *args, **kwargs):
        raise PermissionDenied(UNDELETABLE)
