"""The procurement record (Vergabevermerk) as PDF, generated from the recorded steps and kept with the case."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from procurement.models import CentreStep, Procedure
from procurement.services.common import audit, book_centre_hours, locked, now_or, require_centre
from procurement.services.procedure import procedure_answers_public
from procurement.services.rules import record_retained_until
from projects.services.audit import audit_for_subject

S = Procedure.Status


def procedure_record_html(*, procedure: Procedure, now: datetime) -> str:
    lots = list(procedure.lots.select_related("municipality", "decided_offer", "proposed_offer"))
    return render_to_string(
        "procurement/vergabevermerk.html",
        {
            "procedure": procedure,
            "lots": lots,
            "offers": list(procedure.offers.select_related("lot").order_by("lot__number", "pk")),
            "criteria": list(procedure.criteria.all()),
            "answers": procedure_answers_public(procedure=procedure),
            "entries": list(audit_for_subject(subject=procedure).order_by("created_at", "pk")),
            "created_at": now,
        },
    )


@transaction.atomic
def procedure_record_create(*, procedure: Procedure, by: Any, hours=None, now: datetime | None = None) -> Procedure:
    """Generate the Vergabevermerk (after the award of every lot, or after a cancellation) and store it."""
    now = now_or(now)
    procedure = locked(procedure)
    require_centre(user=by, procedure=procedure)
    if procedure.status not in (S.AWARDED, S.CANCELLED):
        raise ValidationError(_("Der Vergabevermerk wird nach dem Zuschlag oder der Aufhebung erstellt."))
    if procedure.record_created_at:
        raise ValidationError(_("Der Vergabevermerk ist bereits erstellt."))
    book_centre_hours(procedure=procedure, step=CentreStep.RECORD, by=by, now=now, hours=hours)
    return record_store(procedure=procedure, by=by, now=now)


def record_store(*, procedure: Procedure, by: Any, now: datetime) -> Procedure:
    """Render and keep the Vergabevermerk; the caller holds the lock and has checked who may record."""
    from weasyprint import HTML

    audit(procedure=procedure, by=by, action="procedure.record_created")
    pdf = HTML(string=procedure_record_html(procedure=procedure, now=now)).write_pdf()
    procedure.record_pdf.save(f"{procedure.reference}-vergabevermerk.pdf", ContentFile(pdf), save=False)
    procedure.record_created_at = now
    if procedure.status == S.AWARDED:
        procedure.status = S.DOCUMENTED
    procedure.save()
    return procedure


def procedure_retained_until(*, procedure: Procedure) -> date | None:
    """The last day the procedure's documentation must be kept (§ 8 Abs. 4 VgV, dated period from the award day).

    Counted from the last award of a lot; a procedure cancelled without an award from the day of cancellation.
    None while the procedure runs (it is kept anyway).
    """
    awarded = [lot.awarded_at for lot in procedure.lots.all() if lot.awarded_at]
    start = max(awarded) if awarded else procedure.cancelled_at
    if start is None:
        return None
    _period, until = record_retained_until(awarded_on=timezone.localdate(start))
    return until


@transaction.atomic
def procedure_record_delete(*, procedure: Procedure, by: Any, now: datetime | None = None) -> Procedure:
    """Delete the procurement record (Vergabevermerk) only after the retention period has ended."""
    now = now_or(now)
    procedure = locked(procedure)
    require_centre(user=by, procedure=procedure)
    until = procedure_retained_until(procedure=procedure)
    if until is None:
        raise ValidationError(_("Die Dokumentation eines laufenden Verfahrens kann nicht gelöscht werden."))
    if timezone.localdate(now) <= until:
        raise ValidationError(
            _(
                "Die Vergabedokumentation ist bis einschließlich %(until)s aufzubewahren (§ 8 Abs. 4 VgV: mindestens "
                "drei Jahre ab dem Zuschlag); vorher kann sie nicht gelöscht werden."
            )
            % {"until": date_format(until)}
        )
    if not procedure.record_pdf:
        raise ValidationError(_("Es gibt keinen Vergabevermerk zum Löschen."))
    procedure.record_pdf.delete(save=False)
    procedure.record_pdf = ""
    procedure.save(update_fields=["record_pdf"])
    audit(procedure=procedure, by=by, action="procedure.record_deleted", changes={"retained_until": until})
    return procedure
