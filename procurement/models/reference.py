"""Dated legal reference data: value limits, EU thresholds, minimum periods, default hours.

Every row has valid_from / valid_to. When several rows for the same key are valid on a day, the one with the
latest valid_from wins, so an administrator adds a new version (e.g. the announced HVTG reform) with its start
date and the answer changes only from that date on.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from procurement.models.choices import KindGroup, ProcedureType, Regime


class DatedQuerySet(models.QuerySet):
    def valid_on(self, on):
        return self.filter(Q(valid_from__lte=on), Q(valid_to__isnull=True) | Q(valid_to__gte=on)).order_by(
            "-valid_from", "-pk"
        )


class Dated(models.Model):
    valid_from = models.DateField(_("gültig ab"))
    valid_to = models.DateField(_("gültig bis"), null=True, blank=True)
    legal_basis = models.TextField(_("Rechtsgrundlage"))  # with its source note

    objects = DatedQuerySet.as_manager()

    class Meta:
        abstract = True


class ValueLimit(Dated):
    """Up to which estimated net value a procedure type is admissible (no maximum = always admissible)."""

    regime = models.CharField(_("Rechtsrahmen"), max_length=10, choices=Regime.choices)
    kind_group = models.CharField(_("Leistungsart"), max_length=20, choices=KindGroup.choices)
    procedure_type = models.CharField(_("Verfahrensart"), max_length=40, choices=ProcedureType.choices)
    housing = models.BooleanField(_("nur Wohnungsbau"), default=False)
    max_value = models.DecimalField(
        _("Wertgrenze netto (EUR)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Leer: ohne Wertgrenze zulässig."),
    )
    max_inclusive = models.BooleanField(
        _("Wertgrenze eingeschlossen"), default=True, help_text=_("An: bis einschließlich; aus: unterhalb.")
    )
    condition = models.CharField(_("Voraussetzung"), max_length=300, blank=True)
    per_trade_lot = models.BooleanField(
        _("je Fachlos"),
        default=False,
        help_text=_("An: die Wertgrenze gilt je Fachlos (§ 12 HVTG, Bauleistungen); aus: je Auftrag (Gesamtwert)."),
    )

    class Meta:
        verbose_name = _("Wertgrenze")
        verbose_name_plural = _("Wertgrenzen")
        ordering = ["regime", "kind_group", "procedure_type", "-valid_from"]

    def __str__(self) -> str:
        limit = self.max_value if self.max_value is not None else "–"
        return f"{self.get_procedure_type_display()} ({self.get_kind_group_display()}): {limit} ab {self.valid_from}"


class EUThreshold(Dated):
    """EU threshold (net) for municipal contracting authorities; reached or exceeded = EU procedure."""

    kind_group = models.CharField(_("Leistungsart"), max_length=20, choices=KindGroup.choices)
    amount = models.DecimalField(_("Schwellenwert netto (EUR)"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("EU-Schwellenwert")
        verbose_name_plural = _("EU-Schwellenwerte")
        ordering = ["kind_group", "-valid_from"]

    def __str__(self) -> str:
        return f"{self.get_kind_group_display()}: {self.amount} ab {self.valid_from}"


class LegalPeriod(Dated):
    """A legal period: minimum offer and participation periods per procedure type (normal or urgent), the
    standstill (§ 134 GWB), the award notice period and the retention of the record after the award."""

    class Purpose(models.TextChoices):
        OFFER = "offer", _("Angebotsfrist")
        PARTICIPATION = "participation", _("Teilnahmefrist")
        STANDSTILL = "standstill", _("Wartefrist nach § 134 GWB")
        AWARD_NOTICE = "award_notice", _("Vergabebekanntmachung nach dem Zuschlag")
        RECORD_RETENTION = "record_retention", _("Aufbewahrung der Dokumentation nach dem Zuschlag")

    class Unit(models.TextChoices):
        DAYS = "days", _("Kalendertage")
        YEARS = "years", _("Jahre")

    purpose = models.CharField(_("Zweck"), max_length=20, choices=Purpose.choices)
    procedure_type = models.CharField(_("Verfahrensart"), max_length=40, choices=ProcedureType.choices, blank=True)
    electronic = models.BooleanField(_("elektronisch"), default=True)
    urgent = models.BooleanField(
        _("bei Dringlichkeit"), default=False, help_text=_("Verkürzte Frist bei hinreichend begründeter Dringlichkeit.")
    )
    days = models.PositiveSmallIntegerField(_("Dauer"))
    unit = models.CharField(_("Einheit"), max_length=10, choices=Unit.choices, default=Unit.DAYS)
    moves_to_working_day = models.BooleanField(
        _("Fristende verschiebt sich auf den nächsten Werktag"),
        default=True,
        help_text=_(
            "An: endet die Frist an einem Samstag, Sonntag oder Feiertag in Hessen, endet sie mit Ablauf des "
            "nächsten Werktags (§ 193 BGB, Art. 3 Abs. 4 VO 1182/71)."
        ),
    )

    class Meta:
        verbose_name = _("Frist")
        verbose_name_plural = _("Fristen")
        ordering = ["purpose", "procedure_type", "electronic", "urgent", "-valid_from"]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} {self.procedure_type or ''}: {self.days} Tage ab {self.valid_from}"


class ProcedureTypeHours(Dated):
    """Default hours the centre books per step of a procedure type (editable estimates, not law)."""

    procedure_type = models.CharField(_("Verfahrensart"), max_length=40, choices=ProcedureType.choices)
    step_hours = models.JSONField(
        _("Stunden je Schritt"), default=dict, help_text=_('z. B. {"tender_documents": "6", "publication": "1"}')
    )

    class Meta:
        verbose_name = _("Standardstunden je Verfahrensart")
        verbose_name_plural = _("Standardstunden je Verfahrensart")
        ordering = ["procedure_type", "-valid_from"]

    def __str__(self) -> str:
        return f"{self.get_procedure_type_display()} ab {self.valid_from}"
