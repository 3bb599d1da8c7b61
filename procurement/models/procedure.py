"""A procurement procedure, its lots (one per participating municipality), offers, questions and step times."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from procurement.models.choices import CentreStep, Kind, ProcedureType

USER = settings.AUTH_USER_MODEL


def _user_fk(label):
    return models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=label
    )


class Procedure(models.Model):
    class Status(models.TextChoices):
        PROPOSED_JOINT = "proposed_joint", _("gemeinsames Verfahren vorgeschlagen")
        NEED = "need", _("Bedarf erfasst")
        TYPE_CHOSEN = "type_chosen", _("Verfahrensart festgelegt")
        SPECIFIED = "specified", _("Leistungsbeschreibung freigegeben")
        DOCUMENTS_READY = "documents_ready", _("Vergabeunterlagen erstellt")
        PARTICIPATION = "participation", _("Teilnahmewettbewerb läuft")
        PUBLISHED = "published", _("bekanntgemacht")
        OPENED = "opened", _("Angebote geöffnet")
        CHECKED = "checked", _("formal geprüft")
        EVALUATED = "evaluated", _("fachlich bewertet")
        PROPOSED = "proposed", _("Vergabevorschlag liegt vor")
        AWARDED = "awarded", _("Zuschlag erteilt")
        DOCUMENTED = "documented", _("Vergabevermerk erstellt")
        CANCELLED = "cancelled", _("aufgehoben")

    class Openers(models.TextChoices):
        CENTRE = "centre", _("Beschäftigte des Vergabezentrums")
        MUNICIPALITY = "municipality", _("Beschäftigte der Kommune")

    reference = models.CharField(_("Vergabenummer"), max_length=30, unique=True)
    county = models.ForeignKey(
        "projects.County", on_delete=models.PROTECT, related_name="+", verbose_name=_("Landkreis")
    )
    municipality = models.ForeignKey(
        "projects.Municipality",
        on_delete=models.PROTECT,
        related_name="procedures",
        verbose_name=_("federführende Kommune"),
    )
    is_joint = models.BooleanField(_("gemeinsame Beschaffung"), default=False)
    planning_item = models.ForeignKey(
        "procurement.PlanningItem",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="procedures",
        verbose_name=_("aus Planungsgespräch"),
    )
    subject = models.CharField(_("Gegenstand"), max_length=200)
    need = models.TextField(_("Bedarf"), blank=True)
    kind = models.CharField(_("Leistungsart"), max_length=20, choices=Kind.choices)
    housing = models.BooleanField(_("Wohnungsbau"), default=False)
    estimated_value = models.DecimalField(
        _("geschätzter Auftragswert netto (EUR)"),
        max_digits=14,
        decimal_places=2,
        help_text=_("Gesamtwert aller Lose und der ganzen Laufzeit."),
    )
    status = models.CharField(_("Status"), max_length=20, choices=Status.choices, default=Status.NEED)

    eu = models.BooleanField(_("EU-Schwellenwert erreicht"), default=False)
    proposed_type = models.CharField(
        _("vorgeschlagene Verfahrensart"), max_length=40, choices=ProcedureType.choices, blank=True
    )
    procedure_type = models.CharField(_("Verfahrensart"), max_length=40, choices=ProcedureType.choices, blank=True)
    type_reason = models.TextField(_("Begründung der Verfahrenswahl"), blank=True)
    admissible_types = models.JSONField(_("zulässige Verfahrensarten (Stand der Wahl)"), default=list, blank=True)
    type_chosen_by = _user_fk(_("Verfahrensart gewählt von"))
    type_chosen_at = models.DateTimeField(_("Verfahrensart gewählt am"), null=True, blank=True)

    specification = models.TextField(_("Leistungsbeschreibung"), blank=True)
    specification_written_by = _user_fk(_("Leistungsbeschreibung geschrieben von"))
    specification_approved_by = _user_fk(_("Leistungsbeschreibung freigegeben von"))
    specification_approved_at = models.DateTimeField(_("Leistungsbeschreibung freigegeben am"), null=True, blank=True)

    tender_documents = models.TextField(_("Vergabeunterlagen"), blank=True)
    suitability_criteria = models.TextField(_("Eignungskriterien"), blank=True)

    electronic = models.BooleanField(_("elektronische Angebotsabgabe"), default=True)
    urgency_reason = models.TextField(
        _("Begründung der Dringlichkeit"),
        blank=True,
        help_text=_("Nur bei verkürzten Fristen wegen hinreichend begründeter Dringlichkeit (§§ 15–17 VgV)."),
    )
    publication_medium = models.CharField(_("Bekanntmachung in"), max_length=100, blank=True)
    published_at = models.DateTimeField(_("bekanntgemacht am"), null=True, blank=True)
    offer_deadline = models.DateTimeField(_("Angebotsfrist"), null=True, blank=True)
    participation_deadline = models.DateTimeField(
        _("Teilnahmefrist"),
        null=True,
        blank=True,
        help_text=_("Nur bei Verfahren mit Teilnahmewettbewerb (EU): bis dahin gehen Teilnahmeanträge ein."),
    )
    candidates = models.TextField(
        _("zur Angebotsabgabe aufgeforderte Bewerber"),
        blank=True,
        help_text=_("Nach dem Teilnahmewettbewerb ausgewählte Bewerber, einer je Zeile."),
    )
    candidates_invited_at = models.DateTimeField(_("zur Angebotsabgabe aufgefordert am"), null=True, blank=True)

    openers_from = models.CharField(
        _("Öffnung durch"),
        max_length=20,
        choices=Openers.choices,
        default=Openers.CENTRE,
        help_text=_("Die Kommune bestimmt, wessen Beschäftigte die Angebote öffnen."),
    )
    openers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="+",
        verbose_name=_("bestimmte Personen für die Öffnung"),
        help_text=_("Mindestens zwei Personen der gewählten Seite; die Öffnung bestätigen zwei von ihnen."),
    )
    opening_started_at = models.DateTimeField(_("Öffnung begonnen am"), null=True, blank=True)
    opened_at = models.DateTimeField(_("geöffnet am"), null=True, blank=True)
    opened_by_first = _user_fk(_("geöffnet von (1)"))
    opened_by_second = _user_fk(_("geöffnet von (2)"))

    direct_price_comparison = models.TextField(
        _("Preisvergleich (Direktauftrag)"),
        blank=True,
        help_text=_("Verglichene Anbieter und Preise, z. B. aus Katalogen, Webshops oder Angeboten."),
    )
    direct_justification = models.TextField(_("Begründung ohne Preisvergleich (Direktauftrag)"), blank=True)

    cancelled_at = models.DateTimeField(_("aufgehoben am"), null=True, blank=True)
    cancelled_by = _user_fk(_("aufgehoben von"))
    cancel_reason = models.TextField(_("Grund der Aufhebung"), blank=True)

    record_pdf = models.FileField(_("Vergabevermerk (PDF)"), upload_to="vergabevermerke/%Y/", blank=True)
    record_created_at = models.DateTimeField(_("Vergabevermerk erstellt am"), null=True, blank=True)

    created_by = _user_fk(_("angelegt von"))
    created_at = models.DateTimeField(_("angelegt am"), auto_now_add=True)

    class Meta:
        verbose_name = _("Vergabeverfahren")
        verbose_name_plural = _("Vergabeverfahren")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["county", "status"], name="procedure_county_status_idx")]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"


class AwardCriterion(models.Model):
    procedure = models.ForeignKey(
        Procedure, on_delete=models.CASCADE, related_name="criteria", verbose_name=_("Verfahren")
    )
    name = models.CharField(_("Kriterium"), max_length=120)
    weight = models.DecimalField(_("Gewichtung (%)"), max_digits=5, decimal_places=2)
    is_price = models.BooleanField(_("Preiskriterium"), default=False)

    class Meta:
        verbose_name = _("Zuschlagskriterium")
        verbose_name_plural = _("Zuschlagskriterien")
        ordering = ["procedure", "-is_price", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.weight} %)"


class Lot(models.Model):
    """A lot: the share of one municipality. A single procedure has one lot; its mayor decides the award."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="lots", verbose_name=_("Verfahren"))
    number = models.PositiveSmallIntegerField(_("Los"))
    municipality = models.ForeignKey(
        "projects.Municipality", on_delete=models.PROTECT, related_name="+", verbose_name=_("Kommune")
    )
    title = models.CharField(_("Bezeichnung"), max_length=200)
    estimated_value = models.DecimalField(_("geschätzter Wert netto (EUR)"), max_digits=14, decimal_places=2)
    planning_item = models.ForeignKey(
        "procurement.PlanningItem",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("aus Planungsgespräch"),
    )
    confirmed_by = _user_fk(_("Teilnahme bestätigt von"))
    confirmed_at = models.DateTimeField(_("Teilnahme bestätigt am"), null=True, blank=True)
    evaluated_by = _user_fk(_("fachlich bewertet von"))
    evaluated_at = models.DateTimeField(_("fachlich bewertet am"), null=True, blank=True)
    proposed_offer = models.ForeignKey(
        "procurement.Offer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("vorgeschlagenes Angebot"),
    )
    proposal_note = models.TextField(_("Begründung des Vorschlags"), blank=True)
    decided_offer = models.ForeignKey(
        "procurement.Offer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("Zuschlagsentscheidung für"),
    )
    decision_note = models.TextField(_("Begründung der Entscheidung"), blank=True)
    decided_by = _user_fk(_("entschieden von"))
    decided_at = models.DateTimeField(_("entschieden am"), null=True, blank=True)
    information_sent_at = models.DateTimeField(_("Bieterinformation versandt am"), null=True, blank=True)
    information_pdf = models.FileField(
        _("Schreiben nach § 134 GWB (PDF)"), upload_to="bieterinformation/%Y/", blank=True
    )
    information_electronic = models.BooleanField(_("Bieterinformation elektronisch"), default=True)
    standstill_ends_on = models.DateField(_("Wartefrist endet am"), null=True, blank=True)
    awarded_at = models.DateTimeField(_("Zuschlag erteilt am"), null=True, blank=True)
    awarded_by = _user_fk(_("Zuschlag erteilt durch"))

    class Meta:
        verbose_name = _("Los")
        verbose_name_plural = _("Lose")
        ordering = ["procedure", "number"]
        constraints = [models.UniqueConstraint(fields=["procedure", "number"], name="uniq_lot_number")]

    def __str__(self) -> str:
        return f"Los {self.number}: {self.title} ({self.municipality})"


class Offer(models.Model):
    rank: int | None  # set for display by the selectors: place among the admitted offers with points
    procedure = models.ForeignKey(
        Procedure, on_delete=models.CASCADE, related_name="offers", verbose_name=_("Verfahren")
    )
    lot = models.ForeignKey(Lot, on_delete=models.CASCADE, related_name="offers", verbose_name=_("Los"))
    bidder = models.CharField(_("Bieter"), max_length=200)
    price = models.DecimalField(_("Angebotspreis netto (EUR)"), max_digits=14, decimal_places=2)
    received_at = models.DateTimeField(_("eingegangen am"), help_text=_("Vom Server beim Erfassen gestempelt."))
    is_late = models.BooleanField(_("verspätet eingegangen"), default=False)
    document = models.FileField(_("Angebotsunterlagen"), upload_to="angebote/%Y/", blank=True)
    recorded_by = _user_fk(_("erfasst von"))
    formally_admitted = models.BooleanField(_("formal zugelassen"), null=True, blank=True)
    formal_note = models.TextField(_("Ergebnis der formalen Prüfung"), blank=True)
    total_points = models.DecimalField(_("Gesamtpunkte"), max_digits=7, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = _("Angebot")
        verbose_name_plural = _("Angebote")
        ordering = ["lot", "pk"]

    def __str__(self) -> str:
        return f"{self.bidder} ({self.price} EUR)"


class OfferScore(models.Model):
    """Technical points (0–100) the municipality gives an offer for one non-price criterion."""

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="scores", verbose_name=_("Angebot"))
    criterion = models.ForeignKey(
        AwardCriterion, on_delete=models.CASCADE, related_name="+", verbose_name=_("Kriterium")
    )
    points = models.DecimalField(_("Punkte (0–100)"), max_digits=5, decimal_places=2)

    class Meta:
        verbose_name = _("Wertung")
        verbose_name_plural = _("Wertungen")
        constraints = [models.UniqueConstraint(fields=["offer", "criterion"], name="uniq_offer_score")]

    def __str__(self) -> str:
        return f"{self.offer} – {self.criterion}: {self.points}"


class BidderQuestion(models.Model):
    """A bidder's question; the answer is published to all bidders of the procedure."""

    procedure = models.ForeignKey(
        Procedure, on_delete=models.CASCADE, related_name="questions", verbose_name=_("Verfahren")
    )
    question = models.TextField(_("Frage"))
    asked_at = models.DateTimeField(_("gestellt am"))
    answer = models.TextField(_("Antwort an alle Bieter"), blank=True)
    answered_by = _user_fk(_("beantwortet von"))
    answered_at = models.DateTimeField(_("beantwortet am"), null=True, blank=True)

    class Meta:
        verbose_name = _("Bieterfrage")
        verbose_name_plural = _("Bieterfragen")
        ordering = ["procedure", "asked_at", "pk"]

    def __str__(self) -> str:
        return self.question[:60]


class StepTime(models.Model):
    """Hours the centre spent on a step, per municipality (the basis of the Vergabezentrum settlement)."""

    procedure = models.ForeignKey(
        Procedure, on_delete=models.CASCADE, related_name="step_times", verbose_name=_("Verfahren")
    )
    municipality = models.ForeignKey(
        "projects.Municipality", on_delete=models.PROTECT, related_name="+", verbose_name=_("Kommune")
    )
    step = models.CharField(_("Schritt"), max_length=30, choices=CentreStep.choices)
    hours = models.DecimalField(_("Stunden"), max_digits=8, decimal_places=2)
    worked_on = models.DateField(_("Datum"))
    by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("erfasst von"))
    cost_entry_ref = models.CharField(_("Buchung in der Kostenrechnung"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("Zeitbuchung Vergabezentrum")
        verbose_name_plural = _("Zeitbuchungen Vergabezentrum")
        ordering = ["procedure", "worked_on", "pk"]

    def __str__(self) -> str:
        return f"{self.procedure.reference} {self.get_step_display()}: {self.hours} h ({self.municipality})"
