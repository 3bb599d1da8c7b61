"""Helpers shared by the procurement services: time, permission checks, status checks, hours."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, overload

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from costs.models import CostCentre
from costs.services import time_entry_book
from procurement.models import Lot, Procedure, StepTime
from procurement.services.rules import step_hours_default
from procurement.signals import procedure_step_done
from projects.models import Institution, Municipality
from projects.money import allocate_largest_remainder
from projects.selectors import has_capability
from projects.services.audit import audit_record

HOUR_UNIT = Decimal("0.01")
# The cost centre of the Vergabezentrum in the costs app (code of the DKZ's cost centre).
COST_CENTRE_CODE = "vergabezentrum"


def now_or(now: datetime | None) -> datetime:
    return now or timezone.now()


def local_day(moment: datetime) -> date:
    return timezone.localdate(moment)


def require_capability(*, user: Any, capability: str, municipality: Municipality, message: str) -> None:
    if not has_capability(user=user, capability=capability, municipality=municipality):
        raise PermissionDenied(message)


def require_centre(*, user: Any, procedure: Procedure) -> None:
    require_capability(
        user=user,
        capability="run_procurement",
        municipality=procedure.municipality,
        message=_("Diesen Schritt führt nur das Vergabezentrum des DKZ aus (formales Verfahren)."),
    )


def require_status(procedure: Procedure, *statuses: str) -> None:
    if procedure.status == Procedure.Status.CANCELLED:
        raise ValidationError(_("Das Verfahren ist aufgehoben; weitere Schritte sind nicht möglich."))
    if procedure.status not in statuses:
        raise ValidationError(
            _("Dieser Schritt ist im Stand „%(status)s“ nicht möglich.") % {"status": procedure.get_status_display()}
        )


def offer_deadline_of(procedure: Procedure) -> datetime:
    """The offer deadline of a published procedure (publishing sets it)."""
    if procedure.offer_deadline is None:
        raise ValidationError(_("Das Verfahren hat noch keine Angebotsfrist."))
    return procedure.offer_deadline


def locked(procedure: Procedure) -> Procedure:
    """The procedure row, locked for this transaction (PostgreSQL), freshly read."""
    return Procedure.objects.select_for_update().select_related("municipality", "county").get(pk=procedure.pk)


def locked_lot(lot: Lot) -> Lot:
    return Lot.objects.select_for_update().select_related("procedure", "municipality").get(pk=lot.pk)


@overload
def step_guard(
    procedure: Procedure,
    *,
    by: Any,
    statuses: tuple[str, ...],
    capability: str = ...,
    message: str | None = ...,
    lot: Lot,
) -> tuple[Procedure, Lot]: ...
@overload
def step_guard(
    procedure: Procedure,
    *,
    by: Any,
    statuses: tuple[str, ...],
    capability: str = ...,
    message: str | None = ...,
    lot: None = ...,
) -> tuple[Procedure, None]: ...


def step_guard(
    procedure: Procedure,
    *,
    by: Any,
    statuses: tuple[str, ...],
    capability: str = "run_procurement",
    message: str | None = None,
    lot: Lot | None = None,
) -> tuple[Procedure, Lot | None]:
    """The start of every step: lock the procedure (and the lot), check the capability, then the status.

    Without ``capability`` arguments it is a step of the centre. A lot step checks the capability on the lot's
    municipality. "Already done" checks stay with the step (their message names what is done).
    """
    procedure = locked(procedure)
    lot = locked_lot(lot) if lot is not None else None
    if capability == "run_procurement" and message is None:
        require_centre(user=by, procedure=procedure)
    else:
        require_capability(
            user=by,
            capability=capability,
            municipality=lot.municipality if lot is not None else procedure.municipality,
            message=message or _("Diesen Schritt dürfen Sie nicht ausführen."),
        )
    require_status(procedure, *statuses)
    return procedure, lot


def audit(
    *,
    procedure: Procedure,
    by: Any,
    action: str,
    changes: dict | None = None,
    note: str = "",
    municipality: Municipality | None = None,
    subject=None,
) -> None:
    """The audit entry of a procedure's step; tells listeners (``procedure_step_done``) that the step was done."""
    entry = audit_record(
        actor=by,
        action=action,
        subject=subject or procedure,
        changes=changes,
        note=note,
        county=procedure.county,
        municipality=municipality or procedure.municipality,
    )
    procedure_step_done.send(
        sender=Procedure,
        procedure=procedure,
        action=action,
        by=by,
        lot=subject if isinstance(subject, Lot) else None,
        occurred_at=entry.created_at,
    )


def book_centre_hours(
    *,
    procedure: Procedure,
    step: str,
    by: Any,
    now: datetime,
    hours: Decimal | None = None,
    lots: list[Lot] | None = None,
) -> list[StepTime]:
    """Book the centre's time for a step to the municipalities of the procedure, split by lot value.

    Without ``hours`` the default of the procedure type (reference data) is used. The parts add up to the total.
    """
    day = local_day(now)
    procedure_type = procedure.procedure_type or procedure.proposed_type
    total = (
        Decimal(hours) if hours is not None else step_hours_default(procedure_type=procedure_type, step=step, on=day)
    )
    if total < 0:
        raise ValidationError(_("Stunden dürfen nicht negativ sein."))
    total = total.quantize(HOUR_UNIT)
    if total == 0:
        return []
    lots = lots if lots is not None else list(procedure.lots.select_related("municipality"))
    weights: dict[int, Decimal] = {}
    for lot in lots:
        weights[lot.municipality_id] = weights.get(lot.municipality_id, Decimal("0")) + lot.estimated_value
    if not any(weights.values()):
        weights = dict.fromkeys(weights, Decimal("1"))
    parts = allocate_largest_remainder(total, weights, unit=HOUR_UNIT)
    entries = [
        StepTime.objects.create(
            procedure=procedure, municipality_id=municipality_id, step=step, hours=part, worked_on=day, by=by
        )
        for municipality_id, part in parts.items()
        if part > 0
    ]
    for entry in entries:
        _book_to_cost_centre(procedure=procedure, entry=entry)
    audit(
        procedure=procedure,
        by=by,
        action="procedure.hours_booked",
        changes={"step": step, "hours": total, "parts": {str(k): v for k, v in parts.items()}},
    )
    return entries


def _book_to_cost_centre(*, procedure: Procedure, entry: StepTime) -> None:
    """Book the step's hours to the Vergabezentrum cost centre when the municipality takes part in it."""
    centre = CostCentre.objects.filter(
        code=COST_CENTRE_CODE,
        dkz__in=Institution.objects.filter(kind=Institution.Kind.DKZ, counties=procedure.county_id),
        members=entry.municipality_id,
    ).first()
    if centre is None:
        return
    booked = time_entry_book(
        centre=centre,
        municipality=entry.municipality,
        hours=entry.hours,
        activity=f"{procedure.reference}: {entry.get_step_display()}",
        booked_by=entry.by,
        source_type="procurement.steptime",
        source_id=str(entry.pk),
        on=entry.worked_on,
    )
    entry.cost_entry_ref = f"costs.timeentry:{booked.pk}"
    entry.save(update_fields=["cost_entry_ref"])
