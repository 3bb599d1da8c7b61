"""Writing the audit trail. Every service that changes state calls :func:`audit_record`."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models

from projects.models import AuditEntry, County, Municipality
from projects.prepared import insert_row


def _jsonable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return {"id": value.pk, "text": str(value)}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def field_changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Field-level old/new values of what differs between two snapshots."""
    return {
        key: {"old": _jsonable(before.get(key)), "new": _jsonable(after.get(key))}
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def audit_record(
    *,
    actor: Any,
    action: str,
    subject: models.Model,
    changes: dict[str, Any] | None = None,
    note: str = "",
    county: County | None = None,
    municipality: Municipality | None = None,
    on_behalf_of: Any = None,
) -> AuditEntry:
    """Append one entry. Call inside the transaction of the change it describes.

    Written with one precompiled INSERT (``projects.prepared.insert_row``): every state change writes an entry, so
    its SQL is not compiled again each time."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    entry = AuditEntry(
        actor=actor,
        on_behalf_of=on_behalf_of,
        action=action,
        subject_type=subject._meta.label_lower,
        subject_id=str(subject.pk),
        county=county,
        municipality=municipality,
        changes=_jsonable(changes or {}),
        note=note,
    )
    insert_row(entry)
    return entry


def audit_for_subject(*, subject: models.Model):
    return AuditEntry.objects.filter(subject_type=subject._meta.label_lower, subject_id=str(subject.pk)).select_related(
        "actor", "on_behalf_of"
    )
