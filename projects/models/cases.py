"""IKZ cases: from idea to transferred task (seeds 000 and 002, domain.md §1–2).

Facts with legal weight (an approval, a resolution, a consent, a supervisory decision) are real rows written by a
service, each with who and when; the flow (workflows/case.py) only orchestrates.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Case(models.Model):
    class Source(models.TextChoices):
        OWN_IDEA = "own_idea", _("Eigene Idee")
        IKZ_DATABASE = "ikz_database", _("IKZ-Datenbank")
        SCREENING = "screening", _("Screening")

    class Route(models.TextChoices):
        COUNTY_WIDE = "county_wide", _("Kreisweit (über das DKZ, Satzungsänderung)")
        BILATERAL = "bilateral", _("Bilateral (öffentlich-rechtliche Vereinbarung)")

    class AgreementForm(models.TextChoices):
        DELEGATION = "delegation", _("Delegation (genehmigungspflichtig)")
        MANDATE = "mandate", _("Mandat (anzeigepflichtig)")

    class Stage(models.TextChoices):
        IDEA = "idea", _("Idee")
        SCREENING = "screening", _("Screening")
        PARKED = "parked", _("Zurückgestellt")
        DEVELOPMENT = "development", _("Entwicklung zur Beschlussreife")
        APPROVAL = "approval", _("Freigabe durch die Kommunen")
        RESOLUTIONS = "resolutions", _("Gremienbeschlüsse")
        FUNDING = "funding", _("Förderung")
        STATUTE = "statute", _("Satzungsänderung")
        AGREEMENT = "agreement", _("Vereinbarung")
        SUPERVISION = "supervision", _("Aufsicht")
        TRANSFER = "transfer", _("Aufgabenübertragung")
        TRANSFERRED = "transferred", _("Übertragen")
        REJECTED = "rejected", _("Abgelehnt")

    class DecisionRule(models.TextChoices):
        UNANIMOUS = "unanimous", _("Einstimmig")
        QUORUM = "quorum", _("Quorum (Mindestzahl an Zustimmungen)")

    county = models.ForeignKey(
        "projects.County", on_delete=models.PROTECT, related_name="cases", verbose_name=_("Landkreis")
    )
    number = models.CharField(_("Aktenzeichen"), max_length=40, unique=True)
    title = models.CharField(_("Titel"), max_length=200)
    description = models.TextField(_("Beschreibung"), blank=True)
    task_area = models.CharField(_("Aufgabenbereich oder -bündel"), max_length=200, blank=True)
    source = models.CharField(_("Herkunft"), max_length=20, choices=Source.choices, default=Source.OWN_IDEA)
    proposing_municipality = models.ForeignKey(
        "projects.Municipality",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="proposed_cases",
        verbose_name=_("Vorschlagende Kommune"),
    )
    stage = models.CharField(_("Phase"), max_length=20, choices=Stage.choices, default=Stage.IDEA, db_index=True)
    route = models.CharField(_("Weg"), max_length=20, choices=Route.choices, blank=True)
    agreement_form = models.CharField(
        _("Form der Vereinbarung"), max_length=20, choices=AgreementForm.choices, blank=True
    )
    decision_rule = models.CharField(
        _("Entscheidungsregel"), max_length=20, choices=DecisionRule.choices, default=DecisionRule.UNANIMOUS
    )
    quorum = models.PositiveSmallIntegerField(_("Mindestzahl an Zustimmungen"), null=True, blank=True)
    min_participants = models.PositiveSmallIntegerField(_("Mindestzahl Beteiligter"), default=2)
    recheck_on = models.DateField(_("Wiedervorlage am"), null=True, blank=True)
    rejection_reason = models.TextField(_("Ablehnungsgrund"), blank=True)
    apply_for_funding = models.BooleanField(_("Förderantrag stellen"), null=True, blank=True)
    funding_note = models.TextField(_("Vermerk zur Förderung"), blank=True)
    resolution_due = models.DateField(_("Frist für Gremienbeschlüsse"), null=True, blank=True)
    reminder_lead_days = models.PositiveSmallIntegerField(_("Erinnerung (Tage vor Fristablauf)"), default=14)
    next_due = models.DateField(_("Nächste Frist"), null=True, blank=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("Erfasst von")
    )
    created_at = models.DateTimeField(_("Erfasst am"), auto_now_add=True)
    updated_at = models.DateTimeField(_("Geändert am"), auto_now=True)

    class Meta:
        verbose_name = _("IKZ-Vorgang")
        verbose_name_plural = _("IKZ-Vorgänge")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["county", "stage"], name="case_county_stage_idx")]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def current_order(self) -> ProjectOrder | None:
        return self.orders.order_by("-version").first()


class CaseParticipant(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Beteiligt")
        DROPPED = "dropped", _("Ausgeschieden")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="participants")
    municipality = models.ForeignKey(
        "projects.Municipality", on_delete=models.PROTECT, related_name="participations", verbose_name=_("Kommune")
    )
    is_lead = models.BooleanField(_("Federführend"), default=False)
    status = models.CharField(_("Status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)

    class Meta:
        verbose_name = _("Beteiligte Kommune")
        verbose_name_plural = _("Beteiligte Kommunen")
        constraints = [
            models.UniqueConstraint(fields=["case", "municipality"], name="uniq_case_participant"),
            models.UniqueConstraint(fields=["case"], condition=models.Q(is_lead=True), name="one_lead_per_case"),
        ]
        indexes = [models.Index(fields=["municipality", "case"], name="participant_muni_idx")]

    def __str__(self) -> str:
        return f"{self.municipality}{' (federführend)' if self.is_lead else ''}"


class ProjectOrder(models.Model):
    """The Projektauftrag with the seven standard sections of seed 002. Every edit is a new version."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="orders")
    version = models.PositiveIntegerField(_("Version"))
    goals = models.TextField(_("Projektziele"))
    results = models.TextField(_("Zu liefernde Ergebnisse"))
    start_date = models.DateField(_("Beginn"))
    end_date = models.DateField(_("Ende"))
    costs = models.TextField(_("Kosten"), blank=True)
    cost_estimate = models.DecimalField(_("Kostenschätzung (EUR)"), max_digits=14, decimal_places=2)
    expected_saving = models.DecimalField(
        _("Erwartete Einsparung (EUR/Jahr)"), max_digits=14, decimal_places=2, default=0
    )
    project_lead = models.CharField(_("Projektleitung"), max_length=200)
    project_group = models.TextField(_("Projektgruppe"), blank=True)
    information_management = models.TextField(_("Informationsmanagement"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    SECTIONS = (
        "goals",
        "results",
        "start_date",
        "end_date",
        "costs",
        "cost_estimate",
        "expected_saving",
        "project_lead",
        "project_group",
        "information_management",
    )

    class Meta:
        verbose_name = _("Projektauftrag")
        verbose_name_plural = _("Projektaufträge")
        ordering = ["case", "version"]
        constraints = [models.UniqueConstraint(fields=["case", "version"], name="uniq_order_version")]

    def __str__(self) -> str:
        return f"Projektauftrag {self.case.number} v{self.version}"

    def snapshot(self) -> dict:
        return {name: getattr(self, name) for name in self.SECTIONS}


class Approval(models.Model):
    """A municipality's decision on one version of the project order."""

    class Decision(models.TextChoices):
        APPROVED = "approved", _("Freigegeben")
        REJECTED = "rejected", _("Abgelehnt")
        CHANGES = "changes", _("Änderungen erbeten")

    order = models.ForeignKey(ProjectOrder, on_delete=models.PROTECT, related_name="approvals")
    municipality = models.ForeignKey("projects.Municipality", on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(_("Entscheidung"), max_length=10, choices=Decision.choices)
    reason = models.TextField(_("Begründung"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Freigabe")
        verbose_name_plural = _("Freigaben")
        constraints = [models.UniqueConstraint(fields=["order", "municipality"], name="one_approval_per_version")]


class CouncilResolution(models.Model):
    class Outcome(models.TextChoices):
        ADOPTED = "adopted", _("Beschlossen")
        REJECTED = "rejected", _("Abgelehnt")
        POSTPONED = "postponed", _("Vertagt")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="resolutions")
    municipality = models.ForeignKey("projects.Municipality", on_delete=models.PROTECT, related_name="+")
    body = models.CharField(_("Gremium"), max_length=120)
    session_date = models.DateField(_("Sitzungsdatum"))
    outcome = models.CharField(_("Ergebnis"), max_length=10, choices=Outcome.choices)
    minute_reference = models.CharField(_("Niederschrift / Vorlage"), max_length=120, blank=True)
    document = models.ForeignKey(
        "projects.CaseDocument", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Gremienbeschluss")
        verbose_name_plural = _("Gremienbeschlüsse")
        constraints = [models.UniqueConstraint(fields=["case", "municipality"], name="one_resolution_per_member")]


class ResolutionDeferral(models.Model):
    """A council deferred its resolution ("Vertagt"): the member stays in the case until its next session."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="resolution_deferrals")
    municipality = models.ForeignKey("projects.Municipality", on_delete=models.PROTECT, related_name="+")
    body = models.CharField(_("Gremium"), max_length=120)
    session_date = models.DateField(_("Sitzungsdatum"))
    next_session_date = models.DateField(_("Nächste Sitzung"))
    minute_reference = models.CharField(_("Niederschrift / Vorlage"), max_length=120, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Vertagter Gremienbeschluss")
        verbose_name_plural = _("Vertagte Gremienbeschlüsse")
        ordering = ["case", "municipality", "session_date"]


class StatuteAmendment(models.Model):
    """Adding the task to the DKZ statute: consent of every Anstaltsträger, then the supervisory authority."""

    class Supervision(models.TextChoices):
        APPROVAL = "approval", _("Genehmigung")
        NOTIFICATION = "notification", _("Anzeige")

    class Status(models.TextChoices):
        CONSENTS = "consents", _("Zustimmungen laufen")
        SUPERVISION = "supervision", _("Bei der Aufsicht")
        IN_FORCE = "in_force", _("In Kraft")
        FAILED = "failed", _("Gescheitert")

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="statute_amendment")
    dkz = models.ForeignKey("projects.Institution", on_delete=models.PROTECT, related_name="+")
    supervision = models.CharField(
        _("Aufsichtsverfahren"), max_length=15, choices=Supervision.choices, default=Supervision.NOTIFICATION
    )
    status = models.CharField(_("Status"), max_length=15, choices=Status.choices, default=Status.CONSENTS)
    board_first = models.BooleanField(
        _("Verwaltungsrat beschließt zuerst"), default=False, help_text=_("Aus der Satzung der Anstalt übernommen.")
    )
    board_adopted = models.BooleanField(_("Beschluss des Verwaltungsrats: zugestimmt"), null=True, blank=True)
    board_session_date = models.DateField(_("Sitzung des Verwaltungsrats am"), null=True, blank=True)
    board_minute_reference = models.CharField(_("Niederschrift des Verwaltungsrats"), max_length=120, blank=True)
    board_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("Satzungsänderung")
        verbose_name_plural = _("Satzungsänderungen")


class Consent(models.Model):
    """An Anstaltsträger's consent to a statute amendment, or a participant's signature under an agreement."""

    class Kind(models.TextChoices):
        STATUTE = "statute", _("Zustimmung zur Satzungsänderung")
        AGREEMENT = "agreement", _("Unterzeichnung der Vereinbarung")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="consents")
    kind = models.CharField(_("Art"), max_length=10, choices=Kind.choices)
    municipality = models.ForeignKey("projects.Municipality", on_delete=models.PROTECT, related_name="+")
    agreed = models.BooleanField(_("Zugestimmt"))
    note = models.TextField(_("Bemerkung"), blank=True)
    council_body = models.CharField(_("Beschließendes Gremium"), max_length=120, blank=True)
    council_session_date = models.DateField(_("Sitzung des Gremiums am"), null=True, blank=True)
    council_minute_reference = models.CharField(_("Niederschrift / Vorlage"), max_length=120, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Zustimmung")
        verbose_name_plural = _("Zustimmungen")
        constraints = [models.UniqueConstraint(fields=["case", "kind", "municipality"], name="one_consent_per_member")]


class SupervisoryDecision(models.Model):
    class Outcome(models.TextChoices):
        APPROVED = "approved", _("Genehmigt")
        ACKNOWLEDGED = "acknowledged", _("Anzeige zur Kenntnis genommen")
        REFUSED = "refused", _("Versagt")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="supervisory_decisions")
    subject = models.CharField(_("Gegenstand"), max_length=20)  # statute / agreement
    outcome = models.CharField(_("Ergebnis"), max_length=15, choices=Outcome.choices)
    note = models.TextField(_("Vermerk"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Aufsichtsentscheidung")
        verbose_name_plural = _("Aufsichtsentscheidungen")
        constraints = [models.UniqueConstraint(fields=["case", "subject"], name="one_supervisory_decision")]


class TaskTransfer(models.Model):
    """The task moves to the DKZ (or to the lead municipality on the bilateral route)."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="transfer")
    effective_date = models.DateField(_("Wirksam ab"))
    term_years = models.PositiveSmallIntegerField(_("Laufzeit (Jahre)"))
    allocation_key = models.CharField(_("Verteilungsschlüssel"), max_length=40)
    agreement_note = models.TextField(_("Tätigkeits- und Budgetvereinbarung"), blank=True)
    cost_centre_code = models.CharField(_("Kostenstelle"), max_length=40, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Aufgabenübertragung")
        verbose_name_plural = _("Aufgabenübertragungen")


class StatuteTask(models.Model):
    """A task listed in the DKZ statute (what the DKZ may do for its members)."""

    dkz = models.ForeignKey("projects.Institution", on_delete=models.PROTECT, related_name="statute_tasks")
    name = models.CharField(_("Aufgabe"), max_length=200)
    case = models.OneToOneField(Case, on_delete=models.SET_NULL, null=True, blank=True, related_name="statute_task")
    since = models.DateField(_("Seit"))

    class Meta:
        verbose_name = _("Satzungsaufgabe")
        verbose_name_plural = _("Satzungsaufgaben")
        ordering = ["dkz", "since"]

    def __str__(self) -> str:
        return self.name


def case_document_path(instance: CaseDocument, filename: str) -> str:
    return f"cases/{instance.case_id}/{filename}"


class CaseDocument(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("Titel"), max_length=200)
    file = models.FileField(_("Datei"), upload_to=case_document_path)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Dokument")
        verbose_name_plural = _("Dokumente")


class CaseComment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("Kommentar"))
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Kommentar")
        verbose_name_plural = _("Kommentare")
        ordering = ["created_at"]
