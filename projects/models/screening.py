"""Screening (seeds 000 and 002): task catalogue, IKZ ideas, screening rounds with interest declarations,
criteria of the utility analysis, the inventory of co-operations and the steering group."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = [
    "BundleComplexity",
    "BundleRankDecision",
    "CooperationArea",
    "IkzIdea",
    "InterestDeclaration",
    "InventoryEntry",
    "InventoryTopic",
    "Milestone",
    "PortfolioItem",
    "ScoringCriterion",
    "ScreeningRound",
    "SteeringGroupMember",
    "TaskArea",
    "TaskBundle",
]

ONE_TO_TEN = [MinValueValidator(1), MaxValueValidator(10)]


class CooperationArea(models.Model):
    """A municipal field of co-operation (seed 002: "Aufgabenfelder", e.g. Personalmanagement)."""

    code = models.SlugField(_("Kürzel"), unique=True)
    name = models.CharField(_("Bezeichnung"), max_length=200)
    position = models.PositiveSmallIntegerField(_("Reihenfolge"), default=0)

    class Meta:
        verbose_name = _("Aufgabenfeld")
        verbose_name_plural = _("Aufgabenfelder")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class TaskBundle(models.Model):
    """An Aufgabenbündel (seed 000), e.g. Datenschutz; it spans several task areas."""

    code = models.SlugField(_("Kürzel"), unique=True)
    name = models.CharField(_("Bezeichnung"), max_length=200)
    description = models.TextField(_("Beschreibung"), blank=True)
    position = models.PositiveSmallIntegerField(_("Reihenfolge"), default=0)

    class Meta:
        verbose_name = _("Aufgabenbündel")
        verbose_name_plural = _("Aufgabenbündel")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class TaskArea(models.Model):
    """A task area of the catalogue with a KGSt-style code (<office>.<number>)."""

    code = models.CharField(_("Code"), max_length=20, unique=True)
    name = models.CharField(_("Bezeichnung"), max_length=200)
    description = models.TextField(_("Beschreibung"), blank=True)
    office = models.CharField(_("Amt (KGSt)"), max_length=10, blank=True)
    bundle = models.ForeignKey(
        TaskBundle, verbose_name=_("Aufgabenbündel"), on_delete=models.PROTECT, related_name="task_areas"
    )
    cooperation_area = models.ForeignKey(
        CooperationArea,
        verbose_name=_("Aufgabenfeld"),
        on_delete=models.PROTECT,
        related_name="task_areas",
        null=True,
        blank=True,
    )
    is_active = models.BooleanField(_("Aktiv"), default=True)

    class Meta:
        verbose_name = _("Aufgabenbereich")
        verbose_name_plural = _("Aufgabenbereiche")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class IkzIdea(models.Model):
    """An example of inter-municipal co-operation (IKZ database, Hessen and other states)."""

    key = models.SlugField(_("Schlüssel"), unique=True)
    title = models.CharField(_("Titel"), max_length=200)
    description = models.TextField(_("Beschreibung"), blank=True)
    region = models.CharField(_("Land"), max_length=60, default="Hessen")
    origin = models.CharField(_("Herkunft / Beispielkommunen"), max_length=200, blank=True)
    task_area = models.ForeignKey(
        TaskArea,
        verbose_name=_("Aufgabenbereich"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="ideas",
    )

    class Meta:
        verbose_name = _("IKZ-Idee")
        verbose_name_plural = _("IKZ-Ideendatenbank")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class ScreeningRound(models.Model):
    """One survey of a county (e.g. "MKK 2023"): survey partners, period, grouping of the analysis."""

    class Grouping(models.TextChoices):
        BUNDLE = "bundle", _("nach Aufgabenbündel")
        COOPERATION_AREA = "cooperation_area", _("nach Aufgabenfeld")

    class Status(models.TextChoices):
        OPEN = "open", _("Offen für Interessenbekundungen")
        CLOSED = "closed", _("Abgeschlossen")

    county = models.ForeignKey(
        "projects.County", verbose_name=_("Landkreis"), on_delete=models.PROTECT, related_name="screening_rounds"
    )
    name = models.CharField(_("Bezeichnung"), max_length=120)
    starts_on = models.DateField(_("Beginn"))
    ends_on = models.DateField(_("Ende"))
    status = models.CharField(_("Status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    grouping = models.CharField(_("Auswertung"), max_length=20, choices=Grouping.choices, default=Grouping.BUNDLE)
    survey_partners = models.ManyToManyField(
        "projects.Municipality", verbose_name=_("Untersuchungspartner (U-Kommunen)"), blank=True, related_name="+"
    )
    county_wide_share = models.DecimalField(
        _("Anteil für kreisweiten Weg"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.50"),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("1.00"))],
        help_text=_("Kreisweit, wenn mindestens dieser Anteil der Kommunen des Kreises Interesse bekundet."),
    )
    ease_offset = models.DecimalField(
        _("Umsetzbarkeit = Wert − Ø Komplexität"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("11"),
        help_text=_("Aus den datierten Vorgaben der Nutzwertanalyse zum Beginn der Runde übernommen."),
    )
    questionnaire_note = models.TextField(_("Hinweise zum Fragebogen"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Angelegt von"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("Angelegt am"), auto_now_add=True)

    class Meta:
        verbose_name = _("Screening-Runde")
        verbose_name_plural = _("Screening-Runden")
        ordering = ["-starts_on", "name"]
        constraints = [models.UniqueConstraint(fields=["county", "name"], name="uniq_screening_round_name")]

    def __str__(self) -> str:
        return self.name


class ScoringCriterion(models.Model):
    """A criterion of the utility analysis with its weight, editable per round by the steering group."""

    class Key(models.TextChoices):
        REACH = "reach", _("Reichweite (Anteil interessierter Kommunen)")
        URGENCY = "urgency", _("Ø Dringlichkeit")
        EASE = "ease", _("Umsetzbarkeit (aus Ø Komplexität)")

    round = models.ForeignKey(
        ScreeningRound, on_delete=models.CASCADE, related_name="criteria", verbose_name=_("Screening-Runde")
    )
    key = models.CharField(_("Kriterium"), max_length=20, choices=Key.choices)
    weight = models.DecimalField(_("Gewicht"), max_digits=6, decimal_places=2, validators=[MinValueValidator(0)])

    class Meta:
        verbose_name = _("Kriterium der Nutzwertanalyse")
        verbose_name_plural = _("Kriterien der Nutzwertanalyse")
        ordering = ["round", "key"]
        constraints = [models.UniqueConstraint(fields=["round", "key"], name="uniq_round_criterion")]

    def __str__(self) -> str:
        return f"{self.get_key_display()}: {self.weight}"


class BundleRankDecision(models.Model):
    """The steering group's decided rank of a bundle (or field) in a round, with its reason, beside the computed
    rank of the utility analysis (seed 000 "Schritt 2" followed complexity scores and a steering decision)."""

    round = models.ForeignKey(
        ScreeningRound, on_delete=models.CASCADE, related_name="rank_decisions", verbose_name=_("Screening-Runde")
    )
    code = models.CharField(_("Bündel oder Feld"), max_length=40)
    decided_rank = models.PositiveSmallIntegerField(_("Entschiedener Rang"), validators=[MinValueValidator(1)])
    reason = models.TextField(_("Begründung der Lenkungsgruppe"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("Entschieden am"), auto_now=True)

    class Meta:
        verbose_name = _("Entschiedener Rang")
        verbose_name_plural = _("Entschiedene Ränge")
        ordering = ["round", "decided_rank"]
        constraints = [models.UniqueConstraint(fields=["round", "code"], name="uniq_rank_decision_per_bundle")]

    def __str__(self) -> str:
        return f"{self.round}: {self.code} → {self.decided_rank}"


class BundleComplexity(models.Model):
    """The steering group's complexity score (1–10) of a bundle (or field) in a round. The utility analysis uses it
    in place of the declarations' average complexity (seed 000 "Schritt 2" ranked with complexity scores)."""

    round = models.ForeignKey(
        ScreeningRound, on_delete=models.CASCADE, related_name="bundle_complexities", verbose_name=_("Screening-Runde")
    )
    code = models.CharField(_("Bündel oder Feld"), max_length=40)
    complexity = models.PositiveSmallIntegerField(_("Komplexität der Umsetzung (1–10)"), validators=ONE_TO_TEN)
    note = models.TextField(_("Begründung der Lenkungsgruppe"), blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("Erfasst von")
    )
    entered_at = models.DateTimeField(_("Erfasst am"), auto_now=True)

    class Meta:
        verbose_name = _("Komplexität eines Aufgabenbündels")
        verbose_name_plural = _("Komplexität der Aufgabenbündel")
        ordering = ["round", "code"]
        constraints = [
            models.UniqueConstraint(fields=["round", "code"], name="uniq_bundle_complexity"),
            models.CheckConstraint(
                condition=models.Q(complexity__gte=1, complexity__lte=10), name="bundle_complexity_1_10"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round}: {self.code} = {self.complexity}"


class InterestDeclaration(models.Model):
    """A municipality's answer for one task area in one round."""

    class Source(models.TextChoices):
        PORTAL = "portal", _("Portal")
        IMPORT = "import", _("XLSX-Fragebogen")
        DEMO = "demo", _("Demo-Daten")

    round = models.ForeignKey(
        ScreeningRound, on_delete=models.CASCADE, related_name="declarations", verbose_name=_("Screening-Runde")
    )
    municipality = models.ForeignKey(
        "projects.Municipality", on_delete=models.PROTECT, related_name="+", verbose_name=_("Kommune")
    )
    task_area = models.ForeignKey(
        TaskArea, on_delete=models.PROTECT, related_name="declarations", verbose_name=_("Aufgabenbereich")
    )
    interested = models.BooleanField(_("Interesse an IKZ"))
    urgency = models.PositiveSmallIntegerField(_("Dringlichkeit (1–10)"), null=True, blank=True, validators=ONE_TO_TEN)
    complexity = models.PositiveSmallIntegerField(
        _("Komplexität der Umsetzung (1–10)"), null=True, blank=True, validators=ONE_TO_TEN
    )
    proposals = models.TextField(_("IKZ-Vorschläge"), blank=True)
    idea = models.ForeignKey(
        IkzIdea,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("IKZ-Idee aus der Datenbank"),
    )
    source = models.CharField(_("Erfasst über"), max_length=10, choices=Source.choices, default=Source.PORTAL)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("Erfasst von"),
    )
    updated_at = models.DateTimeField(_("Geändert am"), auto_now=True)

    class Meta:
        verbose_name = _("Interessenbekundung")
        verbose_name_plural = _("Interessenbekundungen")
        ordering = ["round", "municipality__name", "task_area__code"]
        constraints = [
            models.UniqueConstraint(fields=["round", "municipality", "task_area"], name="uniq_declaration"),
            models.CheckConstraint(
                condition=models.Q(urgency__isnull=True) | models.Q(urgency__gte=1, urgency__lte=10),
                name="declaration_urgency_1_10",
            ),
            models.CheckConstraint(
                condition=models.Q(complexity__isnull=True) | models.Q(complexity__gte=1, complexity__lte=10),
                name="declaration_complexity_1_10",
            ),
        ]
        indexes = [models.Index(fields=["round", "interested"], name="declaration_round_idx")]

    def __str__(self) -> str:
        return f"{self.municipality} – {self.task_area}"


class InventoryTopic(models.Model):
    """A row of the inventory matrix (seed 002 "Kooperationsfeld", e.g. Postverbund)."""

    area = models.ForeignKey(
        CooperationArea, on_delete=models.PROTECT, related_name="inventory_topics", verbose_name=_("Aufgabenfeld")
    )
    name = models.CharField(_("Kooperationsfeld"), max_length=200)
    description = models.TextField(_("Erläuterung"), blank=True)
    position = models.PositiveSmallIntegerField(_("Reihenfolge"), default=0)

    class Meta:
        verbose_name = _("Kooperationsfeld (Bestandsaufnahme)")
        verbose_name_plural = _("Kooperationsfelder (Bestandsaufnahme)")
        ordering = ["area__position", "position", "name"]
        constraints = [models.UniqueConstraint(fields=["area", "name"], name="uniq_inventory_topic")]

    def __str__(self) -> str:
        return self.name


class InventoryEntry(models.Model):
    """One cell of the inventory matrix: the state of a co-operation of a municipality in a field."""

    class State(models.TextChoices):
        EXISTING = "existing", _("Kooperation existent")
        EXPECTED = "expected", _("Zustandekommen voraussichtlich bis Jahresende")
        CONSIDERED = "considered", _("Überlegungen, Kooperation nicht zustande gekommen")

    topic = models.ForeignKey(
        InventoryTopic, on_delete=models.CASCADE, related_name="entries", verbose_name=_("Kooperationsfeld")
    )
    municipality = models.ForeignKey(
        "projects.Municipality", on_delete=models.PROTECT, related_name="+", verbose_name=_("Kommune")
    )
    state = models.CharField(_("Stand"), max_length=12, choices=State.choices)
    is_lead = models.BooleanField(_("Federführend / erbringt Leistung für andere"), default=False)
    note = models.TextField(_("Erläuterung"), blank=True)
    case = models.ForeignKey(
        "projects.Case",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("IKZ-Vorgang"),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("Geändert von"),
    )
    updated_at = models.DateTimeField(_("Geändert am"), auto_now=True)

    class Meta:
        verbose_name = _("Eintrag der Bestandsaufnahme")
        verbose_name_plural = _("Bestandsaufnahme der Kooperationen")
        ordering = ["topic", "municipality__name"]
        constraints = [models.UniqueConstraint(fields=["topic", "municipality"], name="uniq_inventory_entry")]

    def __str__(self) -> str:
        return f"{self.topic} – {self.municipality}: {self.get_state_display()}"


class SteeringGroupMember(models.Model):
    """A member of a county's IKZ steering group (seed 002 "Lenkungsgruppe")."""

    county = models.ForeignKey(
        "projects.County", on_delete=models.PROTECT, related_name="steering_members", verbose_name=_("Landkreis")
    )
    name = models.CharField(_("Name"), max_length=200)
    function = models.CharField(_("Funktion"), max_length=200, blank=True)
    municipality = models.ForeignKey(
        "projects.Municipality",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("Kommune"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("Benutzer"),
    )
    position = models.PositiveSmallIntegerField(_("Reihenfolge"), default=0)

    class Meta:
        verbose_name = _("Mitglied der Lenkungsgruppe")
        verbose_name_plural = _("Mitglieder der Lenkungsgruppe")
        ordering = ["county", "position", "name"]

    def __str__(self) -> str:
        return self.name


class PortfolioItem(models.Model):
    """A case in the steering group's prioritised portfolio."""

    county = models.ForeignKey(
        "projects.County", on_delete=models.PROTECT, related_name="portfolio", verbose_name=_("Landkreis")
    )
    case = models.OneToOneField(
        "projects.Case", on_delete=models.CASCADE, related_name="portfolio_item", verbose_name=_("IKZ-Vorgang")
    )
    priority = models.PositiveSmallIntegerField(_("Priorität"), default=1, help_text=_("1 = höchste Priorität"))
    note = models.TextField(_("Vermerk der Lenkungsgruppe"), blank=True)

    class Meta:
        verbose_name = _("Portfolio-Eintrag")
        verbose_name_plural = _("Portfolio der Lenkungsgruppe")
        ordering = ["county", "priority"]

    def __str__(self) -> str:
        return f"{self.priority}. {self.case}"


class Milestone(models.Model):
    """A milestone of a portfolio case decided by the steering group."""

    item = models.ForeignKey(
        PortfolioItem, on_delete=models.CASCADE, related_name="milestones", verbose_name=_("Portfolio-Eintrag")
    )
    title = models.CharField(_("Meilenstein"), max_length=200)
    due_on = models.DateField(_("Fällig am"))
    reached_on = models.DateField(_("Erreicht am"), null=True, blank=True)

    class Meta:
        verbose_name = _("Meilenstein")
        verbose_name_plural = _("Meilensteine")
        ordering = ["item", "due_on"]

    def __str__(self) -> str:
        return self.title
