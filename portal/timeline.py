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
    "task.transferred": _("Aufgabe übertragen"),
    "task.assigned": _("Aufgabe übernommen"),
    "task.released": _("Aufgabe zurückgegeben"),
    "task.completed": _("Aufgabe erledigt"),
    "task.reassigned": _("Aufgabe weitergegeben"),
    "task.delegated": _("Aufgabe an die Vertretung übergeben"),
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
        return f"{labels.get(stage.get('old'), stage.get('old'))} → {labels.get(stage.get('new'), stage.get('new'))}"
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
    return [TimelineItem(entry=e, label=str(ACTIONS.get(e.action, e.action)), detail=_detail(e)) for e in entries]


def describe(action: str) -> Any:
    return ACTIONS.get(action, action)
