"""Inventory of co-operations (seed 002 "Bestandsaufnahme"): field × municipality with four states."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from projects.models import (
    AuditEntry,
    Case,
    CooperationArea,
    County,
    InventoryEntry,
    InventoryTopic,
    Municipality,
)
from projects.services.audit import audit_record, field_changes
from projects.services.reference import read_fixture
from projects.services.screening import may_declare_for

SYMBOLS: dict[str, str] = {
    InventoryEntry.State.EXISTING: "■",
    InventoryEntry.State.EXPECTED: "◆",
    InventoryEntry.State.CONSIDERED: "○",
}


@dataclass
class MatrixRow:
    topic: InventoryTopic
    cells: list[InventoryEntry | None]


def _snapshot(entry: InventoryEntry | None) -> dict[str, Any]:
    if entry is None:
        return {}
    return {"state": entry.state, "is_lead": entry.is_lead, "note": entry.note, "case": entry.case}


@transaction.atomic
def inventory_entry_set(
    *,
    topic: InventoryTopic,
    municipality: Municipality,
    state: str,
    by: Any,
    is_lead: bool = False,
    note: str = "",
    case: Case | None = None,
) -> InventoryEntry | None:
    """Set one cell of the matrix; an empty state removes it. Every change is kept in the audit history."""
    if by is not None and not may_declare_for(user=by, municipality=municipality):
        raise PermissionDenied(_("Sie dürfen die Bestandsaufnahme dieser Kommune nicht ändern."))
    if state and state not in InventoryEntry.State.values:
        raise ValidationError({"state": _("Unbekannter Stand der Kooperation.")})
    if case is not None and case.county_id != municipality.county_id:
        raise ValidationError({"case": _("Der Vorgang gehört zu einem anderen Landkreis.")})
    if is_lead and not state:
        raise ValidationError({"is_lead": _("Federführung setzt einen Stand der Kooperation voraus.")})
    entry = InventoryEntry.objects.filter(topic=topic, municipality=municipality).first()
    before = _snapshot(entry)
    if not state:
        if entry is None:
            return None
        audit_record(
            actor=by,
            action="screening.inventory_removed",
            subject=entry,
            county=municipality.county,
            municipality=municipality,
            changes=field_changes(before, {}),
            note=str(topic),
        )
        entry.delete()
        return None
    entry, _created = InventoryEntry.objects.update_or_create(
        topic=topic,
        municipality=municipality,
        defaults={
            "state": state,
            "is_lead": is_lead,
            "note": note.strip(),
            "case": case,
            "updated_by": by if getattr(by, "is_authenticated", False) else None,
        },
    )
    changes = field_changes(before, _snapshot(entry))
    if changes:
        audit_record(
            actor=by,
            action="screening.inventory_set",
            subject=entry,
            county=municipality.county,
            municipality=municipality,
            changes=changes,
            note=str(topic),
        )
    return entry


@transaction.atomic
def inventory_load_reference(*, path: str = "screening_inventory_gg.json") -> int:
    """The 2013 inventory of seed 002. Cells already present (perhaps edited since) are left alone."""
    data = read_fixture(path)
    county = County.objects.get(slug=data["county"])
    municipalities = {m.name: m for m in Municipality.objects.filter(county=county)}
    columns = {key: municipalities[name] for key, name in data["columns"].items()}
    created = 0
    for position, row in enumerate(data["topics"], start=1):
        topic, _new = InventoryTopic.objects.get_or_create(
            area=CooperationArea.objects.get(code=row["area"]),
            name=row["name"],
            defaults={"description": row.get("description", ""), "position": position},
        )
        for key, state in row["cells"].items():
            if InventoryEntry.objects.filter(topic=topic, municipality=columns[key]).exists():
                continue
            inventory_entry_set(
                topic=topic, municipality=columns[key], state=state, by=None, is_lead=key in row.get("lead", [])
            )
            created += 1
    return created


def inventory_matrix(*, county: County) -> tuple[list[Municipality], list[MatrixRow]]:
    """Municipalities (columns) and topics (rows) with their cells, for the page and the export."""
    municipalities = list(Municipality.objects.filter(county=county).order_by("name"))
    entries = {
        (e.topic_id, e.municipality_id): e
        for e in InventoryEntry.objects.filter(municipality__county=county).select_related("case")
    }
    topics = InventoryTopic.objects.select_related("area").order_by("area__position", "position", "name")
    rows = [MatrixRow(topic=topic, cells=[entries.get((topic.pk, m.pk)) for m in municipalities]) for topic in topics]
    return municipalities, rows


def inventory_history(*, county: County, limit: int = 50):
    return (
        AuditEntry.objects.filter(county=county, action__startswith="screening.inventory_")
        .select_related("actor", "municipality")
        .order_by("-created_at")[:limit]
    )


def cell_text(entry: InventoryEntry | None) -> str:
    if entry is None:
        return ""
    return SYMBOLS[entry.state] + (" F" if entry.is_lead else "")


def inventory_xlsx(*, county: County) -> bytes:
    """The matrix as a workbook, with the legend."""
    municipalities, rows = inventory_matrix(county=county)
    book = Workbook()
    sheet = book.active
    sheet.title = "Bestandsaufnahme"
    sheet.append([_("Aufgabenfeld"), _("Kooperationsfeld"), *[m.name for m in municipalities], _("Erläuterung")])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([row.topic.area.name, row.topic.name, *[cell_text(c) for c in row.cells], row.topic.description])
    legend = book.create_sheet("Legende")
    for state, symbol in SYMBOLS.items():
        legend.append([symbol, str(InventoryEntry.State(state).label)])
    legend.append(["F", _("federführende Kommune bzw. Kommune führt Leistung für andere Kommune(n) durch")])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
