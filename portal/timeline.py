"""The timeline of a case: its audit entries and those of its tasks, described in words."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from projects.models import AuditEntry, Case
from workflows.selectors import tasks_of_case

ACTIONS = {
    "case.captured": _("Idee erfasst"),
    "case.commented": _("Kommentar geschrieben"),
    "case.document_added": _("Dokument hinzugefügt"),
    "case.funding_decided": _("Förderung entschieden"),
    "case.participants_dropped": _("Beteiligte ausgeschieden"),
    "case.participants_set": _("Beteiligte festgelegt"),
    "case.stage_changed": _("Phase gewechselt"),
    "case.screened.pursue": _("Screening: fortführen"),
    "case.screened.park": _("Screening: zurückgestellt"),
    "case.screened.reject": _("Screening: abgelehnt"),
    "council_resolution.recorded": _("Gremienbeschluss erfasst"),
    "project_order.saved": _("Projektauftrag gespeichert"),
    "project_order.approved": _("Projektauftrag freigegeben"),
    "project_order.rejected": _("Projektauftrag abgelehnt"),
    "project_order.changes": _("Änderungen am Projektauftrag erbeten"),
    "statute_amendment.opened": _("Satzungsänderung eingeleitet"),
    "consent.statute": _("Zustimmung zur Satzungsänderung"),
    "consent.agreement": _("Vereinbarung gezeichnet"),
    "supervision.approved": _("Aufsicht: genehmigt"),
    "supervision.acknowledged": _("Aufsicht: Anzeige zur Kenntnis genommen"),
    "supervision.refused": _("Aufsicht: versagt"),
    "economic_check.recorded": _("Wirtschaftlichkeit geprüft"),
    "economic_check.changed": _("Wirtschaftlichkeitsprüfung geändert"),
    "task.transferred": _("Aufgabe übertragen"),
    "task.assigned": _("Aufgabe übernommen"),
    "task.released": _("Aufgabe zurückgegeben"),
    "task.completed": _("Aufgabe erledigt"),
    "task.reassigned": _("Aufgabe weitergegeben"),
    "task.delegated": _("Aufgabe an die Vertretung übergeben"),
    "cost_centre.join_requested": _("Beitritt zu einer Leistung angefragt"),
    "costs.actual_booked": _("Ist-Kosten gebucht"),
    "costs.agreement_version": _("Neue Fassung der Kostenvereinbarung"),
    "costs.centre_created": _("Kostenstelle angelegt"),
    "costs.centre_basis": _("Kalkulationsgrundlage der Kostenstelle festgelegt"),
    "costs.funding_credited": _("Förderung gutgeschrieben"),
    "costs.member_added": _("Kommune in die Kostenstelle aufgenommen"),
    "costs.plan_set": _("Kostenplan festgelegt"),
    "costs.prepayment_recorded": _("Vorauszahlung erfasst"),
    "costs.quantity_set": _("Mengen erfasst"),
    "costs.time_booked": _("Zeit gebucht"),
    "costs.time_changed": _("Zeitbuchung geändert"),
    "costs.time_corrected": _("Zeitbuchung korrigiert"),
    "costs.year_settled": _("Jahr abgerechnet"),
    "funding.application.created": _("Förderantrag angelegt"),
    "funding.application.checked": _("Förderantrag geprüft"),
    "funding.application.purpose_fulfilled": _("Zweck der Förderung erfüllt"),
    "funding.application.saving_recorded": _("Einsparung erfasst"),
    "funding.document.added": _("Unterlage zum Förderantrag hinzugefügt"),
    "funding.drawdown.recorded": _("Mittelabruf erfasst"),
    "funding.drawdown.paid": _("Mittelabruf ausgezahlt"),
    "funding.drawdown.used": _("Verwendung der abgerufenen Mittel nachgewiesen"),
    "funding.grant.attributed": _("Zuwendung den Kommunen zugeordnet"),
    "funding.repayment.paid": _("Rückzahlung geleistet"),
    "membership.absence_set": _("Abwesenheit und Vertretung festgelegt"),
    "procedure.requested": _("Vergabeverfahren beauftragt"),
    "procedure.joint_proposed": _("Gemeinsame Vergabe vorgeschlagen"),
    "procedure.joint_confirmed": _("Gemeinsame Vergabe bestätigt"),
    "procedure.specification_written": _("Leistungsbeschreibung erstellt"),
    "procedure.specification_approved": _("Leistungsbeschreibung freigegeben"),
    "procedure.type_chosen": _("Verfahrensart gewählt"),
    "procedure.documents_prepared": _("Vergabeunterlagen erstellt"),
    "procedure.published": _("Verfahren bekannt gemacht"),
    "procedure.question_recorded": _("Bieterfrage erfasst"),
    "procedure.question_answered": _("Bieterfrage beantwortet"),
    "procedure.offer_received": _("Angebot eingegangen"),
    "procedure.opened": _("Angebote geöffnet"),
    "procedure.formally_checked": _("Angebote formal geprüft"),
    "procedure.lot_evaluated": _("Los bewertet"),
    "procedure.award_proposed": _("Zuschlag vorgeschlagen"),
    "procedure.award_decided": _("Zuschlag entschieden"),
    "procedure.bidders_informed": _("Bieter informiert"),
    "procedure.awarded": _("Zuschlag erteilt"),
    "procedure.cancelled": _("Verfahren aufgehoben"),
    "procedure.record_created": _("Vergabevermerk erstellt"),
    "procedure.hours_booked": _("Stunden gebucht"),
    "screening.case_started": _("Vorgang aus dem Screening gestartet"),
    "screening.criteria_changed": _("Kriterien der Nutzwertanalyse geändert"),
    "screening.declaration_saved": _("Interessenbekundung gespeichert"),
    "screening.round_created": _("Screening-Runde angelegt"),
    "screening.inventory_set": _("Bestandsaufnahme eingetragen"),
    "screening.inventory_removed": _("Eintrag der Bestandsaufnahme entfernt"),
}
# families of actions whose last part is a state or kind (funding.application.approved, funding.deadline.reminded)
PREFIXES = {
    "funding.application.": _("Förderantrag: Stand geändert"),
    "funding.deadline.": _("Frist der Förderung"),
    "consent.": _("Zustimmung erteilt"),
    "supervision.": _("Aufsicht hat entschieden"),
    "project_order.": _("Projektauftrag entschieden"),
    "case.screened.": _("Screening entschieden"),
}


@dataclass
class TimelineItem:
    entry: AuditEntry
    label: str
    detail: str


def _detail(entry: AuditEntry) -> str:
    changes = entry.changes or {}
    if entry.action == "case.stage_changed":
        labels = dict(Case.Stage.choices)
        stage = changes.get("stage") or {}
        old, new = str(stage.get("old")), str(stage.get("new"))
        return f"{labels.get(old, old)} → {labels.get(new, new)}"
    if entry.subject_type == "viewflow.task" and changes.get("title"):
        return str(changes["title"])
    return entry.note or ""


def timeline_of(*, case: Case, limit: int = 100) -> list[TimelineItem]:
    task_ids = [str(pk) for pk in tasks_of_case(case=case).values_list("pk", flat=True)]
    entries = (
        AuditEntry.objects.filter(
            Q(subject_type="projects.case", subject_id=str(case.pk))
            | Q(subject_type="viewflow.task", subject_id__in=task_ids)
        )
        .select_related("actor", "on_behalf_of", "municipality")
        .order_by("-created_at", "-pk")[:limit]
    )
    return [TimelineItem(entry=e, label=str(describe(e.action)), detail=_detail(e)) for e in entries]


def describe(action: str) -> Any:
    """A German sentence for an audit action; never the technical key."""
    if action in ACTIONS:
        return ACTIONS[action]
    for prefix, label in PREFIXES.items():
        if action.startswith(prefix):
            return label
    return _("Eintrag geändert")
