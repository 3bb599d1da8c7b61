"""Funding: programmes with dated rule versions, applications from idea to proof of use, and attribution.

Legal numbers (amounts, rates, periods) live in :class:`ProgrammeRule` rows with valid_from/valid_to, loaded
from ``fixtures/funding_programmes.json`` and editable in the admin; the code never carries them as literals.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from projects.money import MONEY


class Programme(models.Model):
    """A funding programme (e.g. the Hessian IKZ funding, Starke Heimat Hessen)."""

    code = models.SlugField(_("Kürzel"), unique=True)
    name = models.CharField(_("Name"), max_length=200)
    funder = models.CharField(_("Fördergeber"), max_length=200, blank=True)
    advice = models.CharField(_("Beratung"), max_length=200, blank=True)
    channel = models.CharField(
        _("Antragsweg"),
        max_length=200,
        blank=True,
        help_text=_("z. B. Landkreis → Regierungspräsidium → Ministerium"),
    )
    description = models.TextField(_("Beschreibung"), blank=True)
    reminder_lead_days = models.PositiveSmallIntegerField(
        _("Erinnerung (Tage vor Fristablauf)"),
        default=28,
        help_text=_("Interne Vorlaufzeit, keine Rechtsfrist."),
    )
    is_active = models.BooleanField(_("aktiv"), default=True)

    class Meta:
        verbose_name = _("Förderprogramm")
        verbose_name_plural = _("Förderprogramme")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def rule_on(self, on) -> ProgrammeRule | None:
        """The rule version in force on the given date (the latest start wins)."""
        return (
            self.rules.filter(valid_from__lte=on)
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
            .order_by("-valid_from")
            .first()
        )


class ProgrammeRule(models.Model):
    """One dated version of a programme's rules."""

    class Method(models.TextChoices):
        PARTNER_TIERS = "partner_tiers", _("Festbetrag nach Zahl der Kommunen")
        COST_SHARE = "cost_share", _("Anteil der förderfähigen Kosten")

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="rules", verbose_name=_("Programm"))
    version = models.CharField(_("Fassung"), max_length=80)
    valid_from = models.DateField(_("gültig ab"))
    valid_to = models.DateField(_("gültig bis"), null=True, blank=True)
    method = models.CharField(_("Bemessung"), max_length=20, choices=Method.choices)
    min_partners = models.PositiveSmallIntegerField(_("Mindestzahl Kommunen (Regel)"), null=True, blank=True)
    exception_min_partners = models.PositiveSmallIntegerField(
        _("Mindestzahl Kommunen (Ausnahme)"), null=True, blank=True
    )
    min_duration_years = models.PositiveSmallIntegerField(_("Mindestlaufzeit (Jahre)"), null=True, blank=True)
    max_duration_years = models.PositiveSmallIntegerField(_("Höchstlaufzeit (Jahre)"), null=True, blank=True)
    min_saving_percent = models.DecimalField(
        _("Mindesteinsparung (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    amount_min = models.DecimalField(_("Mindestbetrag (EUR)"), null=True, blank=True, **MONEY)
    amount_max = models.DecimalField(_("Höchstbetrag (EUR)"), null=True, blank=True, **MONEY)
    max_rate_percent = models.DecimalField(
        _("Höchstfördersatz (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    amount_per_gvv_member = models.DecimalField(
        _("Betrag je Mitglied eines Gemeindeverwaltungsverbands (EUR)"), null=True, blank=True, **MONEY
    )
    amount_per_fire_brigade = models.DecimalField(
        _("Betrag je zusammengelegter Freiwilliger Feuerwehr (EUR)"), null=True, blank=True, **MONEY
    )
    feasibility_repayable = models.BooleanField(
        _("Machbarkeitsstudie rückzahlbar ohne folgende Zusammenarbeit"), default=False
    )
    drawdown_months = models.PositiveSmallIntegerField(
        _("Abruf höchstens … Monate vor Bedarf"),
        default=2,
        help_text=_("ANBest-P: Verwendung binnen 2 Monaten."),
    )
    proof_of_use_months = models.PositiveSmallIntegerField(
        _("Verwendungsnachweis binnen … Monaten nach Zweckerfüllung"), default=6
    )
    interest_points_above_base = models.DecimalField(
        _("Erstattungszins: Prozentpunkte über Basiszinssatz"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("5"),
    )
    source = models.CharField(_("Rechtsgrundlage / Quelle"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("Förderrichtlinie (Fassung)")
        verbose_name_plural = _("Förderrichtlinien (Fassungen)")
        ordering = ["programme", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "valid_from"], name="funding_rule_unique_start"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="funding_rule_valid_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.programme} – {self.version} (ab {self.valid_from:%d.%m.%Y})"


class AmountTier(models.Model):
    """Fixed amount by number of participating municipalities (e.g. 3 → 75,000 EUR)."""

    rule = models.ForeignKey(ProgrammeRule, on_delete=models.CASCADE, related_name="tiers", verbose_name=_("Fassung"))
    partners_from = models.PositiveSmallIntegerField(_("ab Kommunen"))
    partners_to = models.PositiveSmallIntegerField(_("bis Kommunen"), null=True, blank=True)
    amount = models.DecimalField(_("Betrag (EUR)"), **MONEY)
    exception_only = models.BooleanField(_("nur ausnahmsweise (Begründung nötig)"), default=False)

    class Meta:
        verbose_name = _("Förderstufe")
        verbose_name_plural = _("Förderstufen")
        ordering = ["rule", "partners_from"]

    def __str__(self) -> str:
        upper = f"–{self.partners_to}" if self.partners_to else "+"
        return f"{self.partners_from}{upper}: {self.amount} EUR"

    def covers(self, count: int) -> bool:
        return self.partners_from <= count and (self.partners_to is None or count <= self.partners_to)


class Application(models.Model):
    """A funding application of one or more municipalities, run by the DKZ funding officer."""

    class State(models.TextChoices):
        IDEA = "idea", _("Idee")
        PREPARED = "prepared", _("Vorbereitet")
        IN_REVIEW = "in_review", _("Interne Prüfung")
        SUBMITTED = "submitted", _("Eingereicht")
        GRANTED = "granted", _("Bewilligt")
        REJECTED = "rejected", _("Abgelehnt")
        PROOF_SUBMITTED = "proof_submitted", _("Verwendungsnachweis eingereicht")
        CLOSED = "closed", _("Abgeschlossen")
        REVOKED = "revoked", _("Widerrufen")

    class Form(models.TextChoices):
        COOPERATION = "cooperation", _("Interkommunale Zusammenarbeit")
        GVV = "gvv", _("Gemeindeverwaltungsverband")
        FIRE_BRIGADE = "fire_brigade", _("Zusammenlegung Freiwilliger Feuerwehren")
        FEASIBILITY = "feasibility", _("Machbarkeitsstudie")
        PROJECT = "project", _("Projekt (Kostenanteil)")

    county = models.ForeignKey(
        "projects.County",
        on_delete=models.PROTECT,
        related_name="funding_applications",
        verbose_name=_("Landkreis"),
    )
    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="applications", verbose_name=_("Programm")
    )
    case = models.ForeignKey(
        "projects.Case",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="funding_applications",
        verbose_name=_("IKZ-Vorgang"),
        help_text=_("Der IKZ-Vorgang, aus dem der Antrag entstand (optional)."),
    )
    title = models.CharField(_("Titel"), max_length=200)
    form = models.CharField(_("Form"), max_length=20, choices=Form.choices, default=Form.COOPERATION)
    state = models.CharField(_("Stand"), max_length=20, choices=State.choices, default=State.IDEA, db_index=True)
    partners = models.ManyToManyField(
        "projects.Municipality",
        through="ApplicationPartner",
        related_name="funding_applications",
        verbose_name=_("Beteiligte Kommunen"),
    )
    duration_years = models.PositiveSmallIntegerField(_("Laufzeit der Zusammenarbeit (Jahre)"), null=True, blank=True)
    joint_personnel_cost = models.DecimalField(
        _("Personalkosten der gemeinsamen Einheit (EUR/Jahr)"), null=True, blank=True, **MONEY
    )
    joint_material_cost = models.DecimalField(
        _("Sachkosten der gemeinsamen Einheit (EUR/Jahr)"), null=True, blank=True, **MONEY
    )
    saving_percent = models.DecimalField(
        _("Einsparung (%)"),
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Berechnet aus den bisherigen Kosten je Kommune und den Kosten der gemeinsamen Einheit."),
    )
    eligible_cost = models.DecimalField(_("Förderfähige Kosten (EUR)"), null=True, blank=True, **MONEY)
    gvv_members = models.PositiveSmallIntegerField(_("Mitglieder des Verwaltungsverbands"), default=0)
    merged_fire_brigades = models.PositiveSmallIntegerField(_("Zusammengelegte Feuerwehren"), default=0)
    exception_reason = models.TextField(_("Begründung der Ausnahme"), blank=True)
    eligible = models.BooleanField(_("förderfähig"), default=False)
    eligible_amount = models.DecimalField(_("Förderfähiger Betrag (EUR)"), null=True, blank=True, **MONEY)
    eligible_rule = models.ForeignKey(
        ProgrammeRule,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("Angewandte Richtlinienfassung"),
    )
    eligibility_reasons = models.JSONField(_("Begründung der Förderprüfung"), default=list, blank=True)
    checked_on = models.DateField(_("Geprüft zum"), null=True, blank=True)
    requested_amount = models.DecimalField(_("Beantragter Betrag (EUR)"), null=True, blank=True, **MONEY)
    submitted_on = models.DateField(_("Eingereicht am"), null=True, blank=True)
    channel = models.CharField(_("Antragsweg"), max_length=200, blank=True)
    purpose_fulfilled_on = models.DateField(_("Zuwendungszweck erfüllt am"), null=True, blank=True)
    created_at = models.DateTimeField(_("Angelegt am"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("Angelegt von"),
    )

    class Meta:
        verbose_name = _("Förderantrag")
        verbose_name_plural = _("Förderanträge")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["county", "state"], name="funding_app_county_state")]

    def __str__(self) -> str:
        return self.title


class ApplicationPartner(models.Model):
    """A participating municipality, with its previous costs for the saving calculation."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="partner_rows")
    municipality = models.ForeignKey(
        "projects.Municipality", on_delete=models.PROTECT, related_name="+", verbose_name=_("Kommune")
    )
    previous_personnel_cost = models.DecimalField(
        _("Bisherige Personalkosten (EUR/Jahr)"), default=Decimal("0"), **MONEY
    )
    previous_material_cost = models.DecimalField(_("Bisherige Sachkosten (EUR/Jahr)"), default=Decimal("0"), **MONEY)

    class Meta:
        verbose_name = _("Beteiligte Kommune")
        verbose_name_plural = _("Beteiligte Kommunen")
        constraints = [models.UniqueConstraint(fields=["application", "municipality"], name="funding_partner_once")]

    def __str__(self) -> str:
        return str(self.municipality)


class ApplicationDocument(models.Model):
    """An item of the documents checklist (council resolution per partner, agreement, saving calculation)."""

    may_replace: bool  # set by the application page: whether the viewer may deliver a new file for it

    class Kind(models.TextChoices):
        COUNCIL_RESOLUTION = "council_resolution", _("Beschluss der Gemeindevertretung")
        AGREEMENT = "agreement", _("Vereinbarung oder Satzung")
        SAVING_CALCULATION = "saving_calculation", _("Einsparberechnung")
        OTHER = "other", _("Sonstiges")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("Art"), max_length=30, choices=Kind.choices)
    municipality = models.ForeignKey(
        "projects.Municipality",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("Kommune"),
    )
    title = models.CharField(_("Bezeichnung"), max_length=200)
    dated = models.DateField(_("Datum"))
    reference = models.CharField(_("Aktenzeichen / Fundstelle"), max_length=200, blank=True)
    file = models.FileField(_("Datei"), upload_to="funding/%Y/", blank=True)
    content_type = models.CharField(_("Dateityp (am Inhalt erkannt)"), max_length=100, blank=True)
    size = models.PositiveIntegerField(_("Größe (Bytes)"), default=0)
    version = models.PositiveSmallIntegerField(
        _("Fassung"), default=1, help_text=_("Zählt bei jedem Ersetzen der Datei eins hoch.")
    )
    added_at = models.DateTimeField(_("Erfasst am"), null=True, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("Erfasst von"),
    )

    class Meta:
        verbose_name = _("Antragsunterlage")
        verbose_name_plural = _("Antragsunterlagen")
        ordering = ["application", "kind", "pk"]

    def __str__(self) -> str:
        return self.title


class Decision(models.Model):
    """The funder's decision: a grant notice (Zuwendungsbescheid) or a rejection."""

    class Outcome(models.TextChoices):
        GRANT = "grant", _("Bewilligung")
        REJECTION = "rejection", _("Ablehnung")

    class KeySource(models.TextChoices):
        COST_CENTRE = "cost_centre", _("Verteilschlüssel der Kostenstelle")
        NOTICE = "notice", _("Schlüssel laut Bescheid")

    application = models.OneToOneField(
        Application, on_delete=models.PROTECT, related_name="decision", verbose_name=_("Antrag")
    )
    outcome = models.CharField(_("Ergebnis"), max_length=10, choices=Outcome.choices)
    decided_on = models.DateField(_("Bescheid vom"))
    reference = models.CharField(_("Aktenzeichen"), max_length=120, blank=True)
    amount = models.DecimalField(_("Bewilligter Betrag (EUR)"), default=Decimal("0"), **MONEY)
    conditions = models.TextField(_("Nebenbestimmungen"), blank=True)
    earmark_until = models.DateField(_("Zweckbindung bis"), null=True, blank=True)
    first_year = models.PositiveSmallIntegerField(_("Erstes gefördertes Planjahr"), null=True, blank=True)
    last_year = models.PositiveSmallIntegerField(_("Letztes gefördertes Planjahr"), null=True, blank=True)
    key_source = models.CharField(
        _("Verteilschlüssel"), max_length=20, choices=KeySource.choices, default=KeySource.NOTICE
    )
    cost_centre_id = models.PositiveIntegerField(_("Kostenstelle (Nr.)"), null=True, blank=True)
    reason = models.TextField(_("Begründung"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("Erfasst von"),
    )

    class Meta:
        verbose_name = _("Bescheid")
        verbose_name_plural = _("Bescheide")
        ordering = ["-decided_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} {self.application} ({self.decided_on:%d.%m.%Y})"


class NoticeKey(models.Model):
    """A weight per municipality stated in the grant notice (e.g. its number of OZG services)."""

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="key_rows")
    municipality = models.ForeignKey("projects.Municipality", on_delete=models.PROTECT, verbose_name=_("Kommune"))
    weight = models.DecimalField(_("Gewicht"), max_digits=14, decimal_places=4)

    class Meta:
        verbose_name = _("Schlüsselanteil laut Bescheid")
        verbose_name_plural = _("Schlüsselanteile laut Bescheid")
        constraints = [models.UniqueConstraint(fields=["decision", "municipality"], name="funding_key_once")]

    def __str__(self) -> str:
        return f"{self.municipality}: {self.weight}"


class Attribution(models.Model):
    """The part of a grant attributed to one participating municipality for one plan year.

    It lowers that municipality's plan contribution; non-participants never get a row.
    """

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="attributions")
    municipality = models.ForeignKey("projects.Municipality", on_delete=models.PROTECT, verbose_name=_("Kommune"))
    year = models.PositiveSmallIntegerField(_("Planjahr"))
    weight = models.DecimalField(_("Gewicht"), max_digits=14, decimal_places=4)
    amount = models.DecimalField(_("Zugerechneter Betrag (EUR)"), **MONEY)

    class Meta:
        verbose_name = _("Zurechnung")
        verbose_name_plural = _("Zurechnungen")
        ordering = ["decision", "year", "municipality__name"]
        constraints = [
            models.UniqueConstraint(fields=["decision", "municipality", "year"], name="funding_attribution_once")
        ]

    def __str__(self) -> str:
        return f"{self.municipality} {self.year}: {self.amount} EUR"


class Drawdown(models.Model):
    """A call for funds (Mittelabruf); funds may be called only shortly before they are needed."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="drawdowns")
    amount = models.DecimalField(_("Betrag (EUR)"), **MONEY)
    requested_on = models.DateField(_("Abgerufen am"))
    needed_on = models.DateField(_("Benötigt am"))
    paid_on = models.DateField(_("Ausgezahlt am"), null=True, blank=True)
    purpose = models.CharField(_("Verwendungszweck"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("Erfasst von"),
    )

    class Meta:
        verbose_name = _("Mittelabruf")
        verbose_name_plural = _("Mittelabrufe")
        ordering = ["application", "requested_on", "pk"]

    def __str__(self) -> str:
        return f"{self.amount} EUR ({self.requested_on:%d.%m.%Y})"


class ProofOfUse(models.Model):
    """The Verwendungsnachweis: due a fixed period after the purpose is fulfilled."""

    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="proof")
    due_on = models.DateField(_("Fällig am"))
    submitted_on = models.DateField(_("Eingereicht am"), null=True, blank=True)
    amount_used = models.DecimalField(_("Nachgewiesene Ausgaben (EUR)"), null=True, blank=True, **MONEY)
    accepted_on = models.DateField(_("Geprüft und anerkannt am"), null=True, blank=True)
    note = models.TextField(_("Bemerkung"), blank=True)

    class Meta:
        verbose_name = _("Verwendungsnachweis")
        verbose_name_plural = _("Verwendungsnachweise")

    def __str__(self) -> str:
        return f"{_('Verwendungsnachweis')} {self.application}"


class Repayment(models.Model):
    """Revocation (partly or wholly) with repayment and interest."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="repayments")
    revoked_on = models.DateField(_("Widerruf vom"))
    principal = models.DecimalField(_("Erstattungsbetrag (EUR)"), **MONEY)
    interest_from = models.DateField(_("Verzinsung ab"))
    interest_until = models.DateField(_("Verzinsung bis"))
    interest_rate_percent = models.DecimalField(_("Zinssatz p. a. (%)"), max_digits=6, decimal_places=3)
    interest = models.DecimalField(_("Zinsen (EUR)"), **MONEY)
    due_on = models.DateField(_("Zahlbar bis"))
    paid_on = models.DateField(_("Bezahlt am"), null=True, blank=True)
    reason = models.TextField(_("Grund"))

    class Meta:
        verbose_name = _("Rückforderung")
        verbose_name_plural = _("Rückforderungen")
        ordering = ["application", "revoked_on"]

    def __str__(self) -> str:
        return f"{self.principal} EUR + {self.interest} EUR Zinsen"

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest


class Deadline(models.Model):
    """A legal date of an application: reminders before it, escalation after it."""

    class Kind(models.TextChoices):
        DRAWDOWN_USE = "drawdown_use", _("Verwendung abgerufener Mittel")
        PROOF_OF_USE = "proof_of_use", _("Verwendungsnachweis")
        EARMARK = "earmark", _("Ende der Zweckbindung")
        REPAYMENT = "repayment", _("Rückzahlung")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="deadlines")
    kind = models.CharField(_("Art"), max_length=20, choices=Kind.choices)
    label = models.CharField(_("Bezeichnung"), max_length=200)
    due_on = models.DateField(_("Fällig am"), db_index=True)
    remind_on = models.DateField(_("Erinnern ab"))
    reminded_at = models.DateTimeField(_("Erinnert am"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("Eskaliert am"), null=True, blank=True)
    done_on = models.DateField(_("Erledigt am"), null=True, blank=True)
    drawdown = models.ForeignKey(Drawdown, on_delete=models.CASCADE, null=True, blank=True, related_name="deadlines")

    class Meta:
        verbose_name = _("Frist")
        verbose_name_plural = _("Fristen")
        ordering = ["due_on", "pk"]
        indexes = [models.Index(fields=["done_on", "due_on"], name="funding_deadline_open")]

    def __str__(self) -> str:
        return f"{self.label} ({self.due_on:%d.%m.%Y})"


class DeadlineNotice(models.Model):
    """A reminder or an escalation produced for a deadline (one of each at most)."""

    class Kind(models.TextChoices):
        REMINDER = "reminder", _("Erinnerung")
        ESCALATION = "escalation", _("Eskalation")

    deadline = models.ForeignKey(Deadline, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(_("Art"), max_length=20, choices=Kind.choices)
    created_at = models.DateTimeField(_("Erzeugt am"))
    recipients = models.JSONField(_("Empfänger"), default=list, blank=True)
    text = models.TextField(_("Text"))

    class Meta:
        verbose_name = _("Fristhinweis")
        verbose_name_plural = _("Fristhinweise")
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["deadline", "kind"], name="funding_notice_once")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.deadline}"
