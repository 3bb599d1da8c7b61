"""The annual planning talk (Planungsgespräch) per member municipality: the procedures it expects next year."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from procurement.models.choices import Kind, ProcedureType


class PlanningTalk(models.Model):
    """One version of a municipality's plan for a year; agreed by its mayor and the centre.

    Changes after agreement create a new version; the old one stays as it was (superseded).
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("in Abstimmung")
        AGREED = "agreed", _("bestätigt")
        SUPERSEDED = "superseded", _("durch neue Fassung ersetzt")

    county = models.ForeignKey(
        "projects.County", on_delete=models.PROTECT, related_name="+", verbose_name=_("Landkreis")
    )
    municipality = models.ForeignKey(
        "projects.Municipality", on_delete=models.PROTECT, related_name="planning_talks", verbose_name=_("Kommune")
    )
    year = models.PositiveSmallIntegerField(_("Planjahr"))
    version = models.PositiveSmallIntegerField(_("Fassung"), default=1)
    previous = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="next_version",
        verbose_name=_("vorherige Fassung"),
    )
    status = models.CharField(_("Status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    change_reason = models.TextField(_("Grund der Änderung"), blank=True)
    mayor_agreed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("bestätigt von (Kommune)"),
    )
    mayor_agreed_at = models.DateTimeField(_("bestätigt am (Kommune)"), null=True, blank=True)
    centre_agreed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("bestätigt von (Vergabezentrum)"),
    )
    centre_agreed_at = models.DateTimeField(_("bestätigt am (Vergabezentrum)"), null=True, blank=True)
    created_at = models.DateTimeField(_("angelegt am"), auto_now_add=True)

    class Meta:
        verbose_name = _("Planungsgespräch")
        verbose_name_plural = _("Planungsgespräche")
        ordering = ["-year", "municipality__name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "year", "version"], name="uniq_planning_talk_version")
        ]

    def __str__(self) -> str:
        return f"Planungsgespräch {self.municipality} {self.year} (Fassung {self.version})"

    @property
    def total_hours(self) -> Decimal:
        return sum((item.estimated_hours for item in self.items.all()), Decimal("0"))


class PlanningItem(models.Model):
    """A procedure the municipality expects; type, EU flag and hours are computed from the reference data."""

    talk = models.ForeignKey(PlanningTalk, on_delete=models.CASCADE, related_name="items", verbose_name=_("Gespräch"))
    subject = models.CharField(_("Gegenstand"), max_length=200)
    kind = models.CharField(_("Leistungsart"), max_length=20, choices=Kind.choices)
    category = models.CharField(
        _("Kategorie"), max_length=80, help_text=_("Aufgabenbereich oder CPV-ähnliche Warengruppe, z. B. Streusalz.")
    )
    estimated_value = models.DecimalField(_("geschätzter Auftragswert netto (EUR)"), max_digits=14, decimal_places=2)
    quarter = models.PositiveSmallIntegerField(
        _("geplantes Quartal"), validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    housing = models.BooleanField(_("Wohnungsbau"), default=False)
    eu = models.BooleanField(_("EU-Verfahren"), default=False)
    procedure_type = models.CharField(_("voraussichtliche Verfahrensart"), max_length=40, choices=ProcedureType.choices)
    estimated_hours = models.DecimalField(_("geschätzte Stunden"), max_digits=8, decimal_places=2, default=Decimal("0"))

    class Meta:
        verbose_name = _("geplantes Verfahren")
        verbose_name_plural = _("geplante Verfahren")
        ordering = ["talk", "quarter", "pk"]

    def __str__(self) -> str:
        return f"{self.subject} (Q{self.quarter})"
