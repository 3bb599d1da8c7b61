"""Cost centres, their activity and budget agreements, plans, bookings and settlements.

Money is stored in euros with cents (``Decimal``). A year of a cost centre that has been settled is locked:
rows of that year cannot be edited or deleted, further changes are new correction entries (see services).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from costs.keys import key_choices
from projects.formats import number
from projects.models.base import WriteOnceModel
from projects.money import MONEY


class PayGroupRate(models.Model):
    """Full-cost hourly rate of a pay group, dated reference data (KGSt defaults, editable)."""

    pay_group = models.CharField(_("Entgeltgruppe"), max_length=20)
    valid_from = models.DateField(_("gültig ab"))
    valid_to = models.DateField(_("gültig bis"), null=True, blank=True)
    personnel_cost = models.DecimalField(_("Personalkosten je Stelle und Jahr (EUR)"), **MONEY)
    material_cost = models.DecimalField(_("Sachkosten je Arbeitsplatz und Jahr (EUR)"), **MONEY)
    overhead_percent = models.DecimalField(
        _("Gemeinkostenzuschlag (% der Personalkosten)"), max_digits=5, decimal_places=2
    )
    annual_hours = models.DecimalField(_("Jahresarbeitsstunden"), max_digits=7, decimal_places=2)
    source = models.CharField(_("Quelle"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("Vollkostensatz")
        verbose_name_plural = _("Vollkostensätze")
        ordering = ["pay_group", "-valid_from"]
        constraints = [models.UniqueConstraint(fields=["pay_group", "valid_from"], name="costs_rate_uniq")]

    def __str__(self) -> str:
        return f"{self.pay_group} ab {self.valid_from:%d.%m.%Y}"

    @property
    def overhead_cost(self) -> Decimal:
        return self.personnel_cost * self.overhead_percent / Decimal(100)

    @property
    def annual_cost(self) -> Decimal:
        """Full cost of one full-time position per year."""
        return self.personnel_cost + self.material_cost + self.overhead_cost

    @property
    def hourly_rate(self) -> Decimal:
        return (self.annual_cost / self.annual_hours).quantize(Decimal("0.01"))

    @property
    def explanation(self) -> str:
        return _(
            "(Personalkosten {p} € + Sachkosten {m} € + Gemeinkosten {o} % = {oc} €) ÷ {h} Std. = {r} €/Std."
        ).format(
            p=self.personnel_cost,
            m=self.material_cost,
            o=self.overhead_percent,
            oc=self.overhead_cost.quantize(Decimal("0.01")),
            h=self.annual_hours,
            r=self.hourly_rate,
        )


class PersonnelCost(models.Model):
    """Personnel cost of one full-time position of a pay group and step (dated reference data with its source):
    monthly table pay × 12 + annual special payment, plus the employer's share of social insurance and
    supplementary pension. This values a target FTE of a member (key "Grundkosten + Aufwand"), not the full-cost
    rate, which adds material cost and overhead of the DKZ's own workplace."""

    pay_group = models.CharField(_("Entgeltgruppe"), max_length=20)
    step = models.PositiveSmallIntegerField(_("Stufe"))
    valid_from = models.DateField(_("gültig ab"))
    valid_to = models.DateField(_("gültig bis"), null=True, blank=True)
    monthly_pay = models.DecimalField(_("Tabellenentgelt je Monat (EUR)"), **MONEY)
    special_payment_percent = models.DecimalField(
        # Translators: a label, not a format string
        # xgettext:no-python-format
        _("Jahressonderzahlung (% eines Monatsentgelts)"),
        max_digits=6,
        decimal_places=2,
    )
    employer_share_percent = models.DecimalField(
        _("Arbeitgeberanteile (% des Jahresentgelts)"), max_digits=5, decimal_places=2
    )
    source = models.TextField(_("Quelle"), blank=True)

    class Meta:
        verbose_name = _("Personalkosten je Stelle")
        verbose_name_plural = _("Personalkosten je Stelle")
        ordering = ["pay_group", "step", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["pay_group", "step", "valid_from"], name="costs_personnel_cost_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.pay_group} Stufe {self.step} ab {self.valid_from:%d.%m.%Y}"

    @property
    def annual_pay(self) -> Decimal:
        return self.monthly_pay * 12 + self.monthly_pay * self.special_payment_percent / Decimal(100)

    @property
    def annual_cost(self) -> Decimal:
        """Employer's cost of one full-time position per year, in cents."""
        return (self.annual_pay * (1 + self.employer_share_percent / Decimal(100))).quantize(Decimal("0.01"))

    @property
    def explanation(self) -> str:
        return _(
            "{g} Stufe {s}: ({m} € × 12 + Jahressonderzahlung {j} %) × (1 + Arbeitgeberanteile {a} %) = {c} € je Jahr"
        ).format(
            g=self.pay_group,
            s=self.step,
            m=number(self.monthly_pay),
            j=number(self.special_payment_percent, trim=True),
            a=number(self.employer_share_percent, trim=True),
            c=number(self.annual_cost),
        )


class EconomicCheck(models.Model):
    """Wirtschaftlichkeitsprüfung of a case before the DKZ takes the task over (seed 000: "Übernahme der Tätigkeiten
    durch DKZ erst nach Ausschreibung und Prüfung der Wirtschaftlichkeit der Eigenerledigung").

    The DKZ's own full cost of a year (hours × the dated full-cost rate of a pay group, plus task-specific material
    cost with its source) against the market price of a year (a market inquiry, or a procedure of the procurement
    centre named by its reference). Every figure of the comparison is computed by
    ``costs.economic.economic_check_record``; nothing of it is typed in.

    A procedure of the procurement centre is stored by its reference (Vergabenummer), not as a foreign key:
    procurement imports costs, so costs cannot point to procurement's models. The flow's form resolves the procedure
    and hands over its reference.
    """

    class Decision(models.TextChoices):
        OWN = "own", _("Eigenerledigung")
        BUY = "buy", _("Fremdvergabe")

    class MarketSource(models.TextChoices):
        INQUIRY = "inquiry", _("Markterkundung")
        PROCEDURE = "procedure", _("Vergabeverfahren des Vergabezentrums")

    class Cheaper(models.TextChoices):
        OWN = "own", _("Eigenerledigung ist günstiger")
        BUY = "buy", _("Fremdvergabe ist günstiger")
        EQUAL = "equal", _("beide gleich teuer")

    case = models.OneToOneField(
        "projects.Case", on_delete=models.CASCADE, related_name="economic_check", verbose_name=_("Vorgang")
    )
    year = models.PositiveSmallIntegerField(_("Bezugsjahr"))
    hours_per_year = models.DecimalField(_("Stunden je Jahr"), max_digits=9, decimal_places=2)
    rate = models.ForeignKey(PayGroupRate, on_delete=models.PROTECT, related_name="+", verbose_name=_("Vollkostensatz"))
    hourly_rate = models.DecimalField(_("Vollkostensatz je Stunde (EUR)"), **MONEY)
    rate_explanation = models.TextField(_("Herleitung des Vollkostensatzes"))
    personnel_share = models.DecimalField(_("davon Personalkosten (EUR)"), **MONEY)
    material_share = models.DecimalField(_("davon Sachkosten des Arbeitsplatzes (EUR)"), **MONEY)
    overhead_share = models.DecimalField(_("davon Gemeinkosten (EUR)"), **MONEY)
    time_cost = models.DecimalField(_("Vollkosten der Arbeitszeit (EUR)"), **MONEY)
    extra_material_cost = models.DecimalField(_("Zusätzliche Sachkosten der Aufgabe (EUR)"), **MONEY)
    extra_material_source = models.CharField(_("Quelle der zusätzlichen Sachkosten"), max_length=300, blank=True)
    own_cost = models.DecimalField(_("Vollkosten der Eigenerledigung je Jahr (EUR)"), **MONEY)
    market_source = models.CharField(_("Marktpreis aus"), max_length=20, choices=MarketSource.choices)
    market_price = models.DecimalField(_("Marktpreis je Jahr (EUR)"), **MONEY)
    quotes_count = models.PositiveSmallIntegerField(_("Anzahl der Angebote"), null=True, blank=True)
    procedure_reference = models.CharField(_("Vergabenummer"), max_length=30, blank=True)
    market_note = models.TextField(_("Vermerk zum Marktpreis"), blank=True)
    difference = models.DecimalField(
        _("Marktpreis minus Vollkosten (EUR)"),
        **MONEY,
        help_text=_("Positiv: Eigenerledigung um diesen Betrag günstiger; negativ: Fremdvergabe."),
    )
    cheaper = models.CharField(_("Günstiger"), max_length=10, choices=Cheaper.choices)
    decision = models.CharField(_("Entscheidung"), max_length=10, choices=Decision.choices)
    reason = models.TextField(_("Begründung"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("erfasst von")
    )
    recorded_at = models.DateTimeField(_("erfasst am"), auto_now=True)

    class Meta:
        verbose_name = _("Wirtschaftlichkeitsprüfung")
        verbose_name_plural = _("Wirtschaftlichkeitsprüfungen")

    def __str__(self) -> str:
        return f"{self.case} – {self.get_decision_display()}"

    @property
    def basis_amount(self) -> Decimal:
        """The yearly amount the chosen option rests on: the own full cost or the market price."""
        return self.own_cost if self.decision == self.Decision.OWN else self.market_price

    @property
    def basis_label(self) -> str:
        return str(_("Eigene Vollkosten") if self.decision == self.Decision.OWN else _("Marktpreis"))

    @property
    def saving(self) -> Decimal:
        """How much cheaper the cheaper option is (never negative)."""
        return abs(self.difference)


class CostCentre(models.Model):
    """One cost centre per transferred task of a DKZ; its costs are borne only by its members."""

    dkz = models.ForeignKey(
        "projects.Institution", on_delete=models.PROTECT, related_name="cost_centres", verbose_name=_("DKZ")
    )
    code = models.SlugField(_("Kürzel"), max_length=60)
    name = models.CharField(_("Bezeichnung"), max_length=200)
    members = models.ManyToManyField(
        "projects.Municipality",
        through="CostCentreMember",
        related_name="cost_centres",
        verbose_name=_("Mitglieder"),
    )
    economic_check = models.ForeignKey(
        EconomicCheck,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cost_centres",
        verbose_name=_("Wirtschaftlichkeitsprüfung"),
        help_text=_("Kalkulationsgrundlage: eigene Vollkosten oder Marktpreis (bei der Übernahme entschieden)."),
    )
    created_at = models.DateTimeField(_("angelegt am"), auto_now_add=True)

    class Meta:
        verbose_name = _("Kostenstelle")
        verbose_name_plural = _("Kostenstellen")
        ordering = ["dkz", "name"]
        constraints = [models.UniqueConstraint(fields=["dkz", "code"], name="costs_centre_code_uniq")]

    def __str__(self) -> str:
        return self.name


class CostCentreMember(models.Model):
    centre = models.ForeignKey(CostCentre, on_delete=models.CASCADE, related_name="memberships")
    municipality = models.ForeignKey("projects.Municipality", on_delete=models.PROTECT, verbose_name=_("Kommune"))
    joined_on = models.DateField(_("beteiligt seit"), null=True, blank=True)

    class Meta:
        verbose_name = _("Beteiligte Kommune")
        verbose_name_plural = _("Beteiligte Kommunen")
        constraints = [
            models.UniqueConstraint(fields=["centre", "municipality"], name="costs_member_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.municipality} – {self.centre}"


class JoinRequest(models.Model):
    """Cafeteria principle: a member asks to join another service of its DKZ (decided by the DKZ)."""

    centre = models.ForeignKey(CostCentre, on_delete=models.CASCADE, related_name="join_requests")
    municipality = models.ForeignKey("projects.Municipality", on_delete=models.PROTECT, verbose_name=_("Kommune"))
    note = models.TextField(_("Anliegen"), blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("angefragt am"), auto_now_add=True)

    class Meta:
        verbose_name = _("Beitrittsanfrage")
        verbose_name_plural = _("Beitrittsanfragen")
        ordering = ["-requested_at"]
        constraints = [models.UniqueConstraint(fields=["centre", "municipality"], name="costs_join_request_uniq")]

    def __str__(self) -> str:
        return f"{self.municipality} → {self.centre}"


class Agreement(WriteOnceModel):
    """Tätigkeits- und Budgetvereinbarung: dated and versioned; a change is a new version, never an edit."""

    rewrite_message = _("Vereinbarungen werden nicht geändert; legen Sie eine neue Version an.")

    centre = models.ForeignKey(CostCentre, on_delete=models.CASCADE, related_name="agreements")
    version = models.PositiveIntegerField(_("Version"))
    valid_from = models.DateField(_("Laufzeit ab"))
    valid_to = models.DateField(_("Laufzeit bis"), null=True, blank=True)
    allocation_key = models.CharField(_("Verteilungsschlüssel"), max_length=30, choices=key_choices)
    rate_pay_group = models.CharField(
        _("Entgeltgruppe für Stundensatz"),
        max_length=20,
        blank=True,
        help_text=_("Gesetzt: gebuchte Stunden werden mit dem Vollkostensatz als Ist-Kosten bewertet."),
    )
    effort_pay_step = models.PositiveSmallIntegerField(
        _("Stufe für den Aufwand je Soll-VZÄ"),
        null=True,
        blank=True,
        help_text=_("Nur Schlüssel Grund + Aufwand: Soll-VZÄ × Personalkosten der Entgeltgruppe in dieser Stufe."),
    )
    staff_per_fte = models.DecimalField(
        _("Beschäftigte je Soll-VZÄ"),
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Regel der Vereinbarung, z. B. 1 VZÄ je 1.000 Beschäftigte: Soll-VZÄ = Beschäftigte ÷ 1.000."),
    )
    base_amount = models.DecimalField(
        _("Grundkosten je Mitglied (EUR)"),
        default=Decimal("0"),
        **MONEY,
        help_text=_("Nur Schlüssel Grund + Aufwand."),
    )
    sockel_share_percent = models.DecimalField(
        _("Sockelbetrag: Anteil am PLAN-Kostenbeitrag (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
    )
    sockel_minimum = models.DecimalField(_("Sockelbetrag: Mindestbetrag (EUR)"), default=Decimal("0"), **MONEY)
    startup_years = models.JSONField(_("Anlaufjahre (nur tatsächlich angefallene Kosten)"), default=list, blank=True)
    note = models.TextField(_("Bemerkung"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("angelegt von"),
    )
    created_at = models.DateTimeField(_("angelegt am"), auto_now_add=True)

    class Meta:
        verbose_name = _("Tätigkeits- und Budgetvereinbarung")
        verbose_name_plural = _("Tätigkeits- und Budgetvereinbarungen")
        ordering = ["centre", "-version"]
        constraints = [models.UniqueConstraint(fields=["centre", "version"], name="costs_agreement_version_uniq")]

    def __str__(self) -> str:
        return f"{self.centre} v{self.version}"


class LockedYearMixin(models.Model):
    """Rows of a settled year cannot be edited or deleted (corrections are new rows)."""

    # each concrete model has the cost centre's foreign key and a year (a field or a property)
    centre_id: int
    if TYPE_CHECKING:

        @property
        def year(self) -> int: ...

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None or not getattr(self, "is_correction", False):
            self._check_unlocked()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._check_unlocked()
        return super().delete(*args, **kwargs)

    def clean(self):
        super().clean()
        if self.centre_id and (self.pk is not None or not getattr(self, "is_correction", False)):
            self._check_unlocked()

    def locked_year(self) -> int:
        return self.year

    def _check_unlocked(self) -> None:
        if Settlement.objects.filter(centre_id=self.centre_id, year=self.locked_year()).exists():
            raise ValidationError(
                _(
                    "Das Jahr {year} ist für diese Kostenstelle abgerechnet und gesperrt; "
                    "Änderungen nur als neue Korrekturbuchung."
                ).format(year=self.locked_year())
            )


class YearPlan(LockedYearMixin):
    """Vorkalkulation: the plan budget of a cost centre for a year (from the business plan)."""

    centre = models.ForeignKey(CostCentre, on_delete=models.CASCADE, related_name="plans")
    year = models.PositiveSmallIntegerField(_("Jahr"))
    budget = models.DecimalField(
        _("PLAN-Budget (EUR)"),
        null=True,
        blank=True,
        **MONEY,
        help_text=_("Leer beim Schlüssel Grund + Aufwand: dann ist das Budget die Summe der Beiträge."),
    )
    note = models.TextField(_("Bemerkung"), blank=True)
    published_at = models.DateTimeField(_("den Mitgliedern veröffentlicht am"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("veröffentlicht von"),
    )

    class Meta:
        verbose_name = _("Vorkalkulation")
        verbose_name_plural = _("Vorkalkulationen")
        ordering = ["centre", "-year"]
        constraints = [models.UniqueConstraint(fields=["centre", "year"], name="costs_plan_uniq")]

    def __str__(self) -> str:
        return f"{self.centre} {self.year}"


class Quantity(LockedYearMixin):
    """An input of the allocation key per member and year (plan: from planning talks; actual: measured).

    Keys: ``hours`` or ``hours:<kind>`` (summed), ``units`` or ``units:<kind>``, ``effort`` (EUR),
    ``fte`` (target full-time equivalents), ``population``.
    """

    class Basis(models.TextChoices):
        PLAN = "plan", _("Plan")
        ACTUAL = "actual", _("Ist")

    centre = models.ForeignKey(CostCentre, on_delete=models.CASCADE, related_name="quantities")
    year = models.PositiveSmallIntegerField(_("Jahr"))
    municipality = models.ForeignKey("projects.Municipality", on_delete=models.PROTECT, verbose_name=_("Kommune"))
    basis = models.CharField(_("Grundlage"), max_length=10, choices=Basis.choices, default=Basis.PLAN)
    key = models.CharField(_("Größe"), max_length=40)
    quantity = models.DecimalField(_("Menge"), max_digits=14, decimal_places=4)
    note = models.CharField(_("Bemerkung"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("Schlüsselgröße")
        verbose_name_plural = _("Schlüsselgrößen")
        ordering = ["centre", "year", "municipality", "key"]
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "year", "municipality", "basis", "key"], name="costs_quantity_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.municipality} {self.year} {self.key}={self.quantity}"


class TimeEntry(LockedYearMixin):
    """Booked working time for a member (from procurement steps, project work or manual booking)."""

    centre = models.ForeignKey(CostCentre, on_delete=models.PROTECT, related_name="time_entries")
    municipality = models.ForeignKey("projects.Municipality", on_delete=models.PROTECT, verbose_name=_("Kommune"))
    on = models.DateField(_("Datum"))
    hours = models.DecimalField(_("Stunden"), max_digits=9, decimal_places=2)
    activity = models.CharField(_("Tätigkeit"), max_length=200)
    source_type = models.CharField(_("Quelle (Art)"), max_length=60, blank=True)
    source_id = models.CharField(_("Quelle (ID)"), max_length=64, blank=True)
    is_correction = models.BooleanField(_("Korrekturbuchung"), default=False)
    correction_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
        verbose_name=_("korrigiert"),
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("gebucht von"),
    )
    booked_at = models.DateTimeField(_("gebucht am"), auto_now_add=True)

    class Meta:
        verbose_name = _("Zeitbuchung")
        verbose_name_plural = _("Zeitbuchungen")
        ordering = ["-on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["source_type", "source_id", "activity"],
                condition=~models.Q(source_type="") & models.Q(is_correction=False),
                name="costs_time_entry_source_uniq",
            )
        ]
        indexes = [models.Index(fields=["centre", "on"], name="costs_time_centre_on_idx")]

    def __str__(self) -> str:
        return f"{self.on:%d.%m.%Y} {self.municipality} {self.hours} Std."

    @property
    def year(self) -> int:
        return self.on.year


class ActualCost(LockedYearMixin):
    """An actual cost of the cost centre in a year (personnel, material, external contracts)."""

    centre = models.ForeignKey(CostCentre, on_delete=models.PROTECT, related_name="actual_costs")
    year = models.PositiveSmallIntegerField(_("Jahr"))
    amount = models.DecimalField(_("Betrag (EUR)"), **MONEY)
    description = models.CharField(_("Beschreibung"), max_length=300)
    is_correction = models.BooleanField(_("Korrekturbuchung"), default=False)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("gebucht von"),
    )
    booked_at = models.DateTimeField(_("gebucht am"), auto_now_add=True)

    class Meta:
        verbose_name = _("Ist-Kosten")
        verbose_name_plural = _("Ist-Kosten")
        ordering = ["-year", "-pk"]

    def __str__(self) -> str:
        return f"{self.centre} {self.year}: {self.amount} €"


class Prepayment(LockedYearMixin):
    """A prepayment (Sockelbetrag or further instalment) received from a member."""

    centre = models.ForeignKey(CostCentre, on_delete=models.PROTECT, related_name="prepayments")
    year = models.PositiveSmallIntegerField(_("Jahr"))
    municipality = models.ForeignKey("projects.Municipality", on_delete=models.PROTECT, verbose_name=_("Kommune"))
    amount = models.DecimalField(_("Betrag (EUR)"), **MONEY)
    received_on = models.DateField(_("eingegangen am"))
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("gebucht von"),
    )

    class Meta:
        verbose_name = _("Vorauszahlung")
        verbose_name_plural = _("Vorauszahlungen")
        ordering = ["-year", "municipality"]

    def __str__(self) -> str:
        return f"{self.municipality} {self.year}: {self.amount} €"


class FundingCredit(LockedYearMixin):
    """Funding attributed to a member for a cost centre and year; it reduces the member's payable amount."""

    centre = models.ForeignKey(CostCentre, on_delete=models.PROTECT, related_name="funding_credits")
    year = models.PositiveSmallIntegerField(_("Jahr"))
    municipality = models.ForeignKey("projects.Municipality", on_delete=models.PROTECT, verbose_name=_("Kommune"))
    amount = models.DecimalField(_("Betrag (EUR)"), **MONEY)
    source_type = models.CharField(_("Quelle (Art)"), max_length=60)
    source_id = models.CharField(_("Quelle (ID)"), max_length=64)
    is_correction = models.BooleanField(_("Korrekturbuchung"), default=False)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("gebucht von"),
    )
    booked_at = models.DateTimeField(_("gebucht am"), auto_now_add=True)

    class Meta:
        verbose_name = _("Fördermittel-Gutschrift")
        verbose_name_plural = _("Fördermittel-Gutschriften")
        ordering = ["-year", "municipality"]
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "year", "municipality", "source_type", "source_id"],
                condition=models.Q(is_correction=False),
                name="costs_funding_credit_uniq",
            )
        ]

    def __str__(self) -> str:
        return f"{self.municipality} {self.year}: {self.amount} € ({self.source_type})"


class Settlement(WriteOnceModel):
    """Nachkalkulation of a cost centre and year. Its existence locks the year.

    Correction entries after the lock lead to a re-settlement: a new version, never an edit of the old one.
    """

    rewrite_message = _("Eine Nachkalkulation wird nicht geändert; Korrekturen sind neue Buchungen.")
    visible_lines: list[SettlementLine]  # set by the selectors: the lines the viewer may see

    centre = models.ForeignKey(CostCentre, on_delete=models.PROTECT, related_name="settlements")
    year = models.PositiveSmallIntegerField(_("Jahr"))
    version = models.PositiveIntegerField(_("Version"), default=1)
    reason = models.TextField(_("Grund der Neuabrechnung"), blank=True)
    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, verbose_name=_("Vereinbarung"))
    actual_total = models.DecimalField(_("Ist-Kosten gesamt (EUR)"), **MONEY)
    charged_total = models.DecimalField(_("abgerechnet gesamt (EUR)"), **MONEY)
    startup_year = models.BooleanField(_("Anlaufjahr"), default=False)
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("abgerechnet von"),
    )
    settled_at = models.DateTimeField(_("abgerechnet am"), auto_now_add=True)

    class Meta:
        verbose_name = _("Nachkalkulation")
        verbose_name_plural = _("Nachkalkulationen")
        ordering = ["centre", "-year", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["centre", "year", "version"], name="costs_settlement_version_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.centre} {self.year}" if self.version == 1 else f"{self.centre} {self.year} v{self.version}"


class SettlementLine(WriteOnceModel):
    rewrite_message = _("Abrechnungszeilen werden nicht geändert.")
    settlement = models.ForeignKey(Settlement, on_delete=models.CASCADE, related_name="lines")
    municipality = models.ForeignKey("projects.Municipality", on_delete=models.PROTECT, verbose_name=_("Kommune"))
    weight = models.DecimalField(_("Ist-Schlüsselgröße"), max_digits=14, decimal_places=4)
    plan_contribution = models.DecimalField(_("PLAN-Kostenbeitrag (EUR)"), **MONEY)
    actual_share = models.DecimalField(_("Ist-Anteil (EUR)"), **MONEY)
    charge = models.DecimalField(_("abgerechnet (EUR)"), **MONEY)
    prepayments = models.DecimalField(_("Vorauszahlungen (EUR)"), **MONEY)
    funding = models.DecimalField(_("Fördermittel (EUR)"), **MONEY)
    balance = models.DecimalField(
        _("Saldo (EUR)"), **MONEY, help_text=_("Positiv: Nachzahlung der Kommune. Negativ: Erstattung.")
    )
    previous_balance = models.DecimalField(
        _("Saldo der vorigen Version (EUR)"), null=True, blank=True, **MONEY, help_text=_("Nur bei Neuabrechnung.")
    )
    explanation = models.TextField(_("Berechnung"))

    class Meta:
        verbose_name = _("Abrechnungszeile")
        verbose_name_plural = _("Abrechnungszeilen")
        ordering = ["settlement", "municipality__name"]
        constraints = [
            models.UniqueConstraint(fields=["settlement", "municipality"], name="costs_settlement_line_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.settlement}: {self.municipality} {self.balance} €"
