"""Direct award (Direktauftrag) below the dated value limit: need, price comparison or justification, award, record.

No publication, no award criteria, no opening: the municipality's clerk documents the price comparison (or why none
was possible) and awards; the Vergabevermerk is generated at once. The limit is the value-limit reference data of the
procedure type (``procedure_types_admissible``), checked again against the price actually agreed.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from procurement.models import Offer, Procedure
from procurement.models.choices import DIRECT_TYPES
from procurement.services.common import audit, local_day, now_or, step_guard
from procurement.services.record import record_store
from procurement.services.rules import procedure_types_admissible

S = Procedure.Status


def is_direct(procedure: Procedure) -> bool:
    return procedure.procedure_type in DIRECT_TYPES


@transaction.atomic
def procedure_direct_award(
    *,
    procedure: Procedure,
    by: Any,
    bidder: str,
    price: Decimal,
    price_comparison: str = "",
    justification: str = "",
    now: datetime | None = None,
) -> Procedure:
    """The municipality awards a direct contract and the Vergabevermerk is written (one step, one audit trail)."""
    now = now_or(now)
    procedure, _lot = step_guard(
        procedure,
        by=by,
        statuses=(S.TYPE_CHOSEN,),
        capability="request_procurement",
        message=_("Einen Direktauftrag vergibt die Kommune selbst."),
    )
    if not is_direct(procedure):
        raise ValidationError(_("Dieser Schritt gilt nur für einen Direktauftrag."))
    errors = {}
    if not bidder.strip():
        errors["bidder"] = _("Bitte den Auftragnehmer angeben.")
    try:
        price = Decimal(price)
    except (InvalidOperation, TypeError, ValueError):
        price = Decimal("0")
    if not price.is_finite() or price <= 0:
        errors["price"] = _("Bitte einen Preis über 0 EUR angeben.")
    if not price_comparison.strip() and not justification.strip():
        errors["price_comparison"] = _(
            "Bitte den Preisvergleich dokumentieren oder begründen, warum kein Vergleich möglich war."
        )
    if errors:
        raise ValidationError(errors)
    admissible = procedure_types_admissible(
        kind=procedure.kind, estimated_value=price, on=local_day(now), housing=procedure.housing
    )
    if procedure.procedure_type not in {t.procedure_type for t in admissible.types}:
        raise ValidationError(
            {
                "price": _(
                    "Der Preis liegt über der Wertgrenze für einen Direktauftrag; "
                    "bitte ein förmliches Verfahren wählen."
                )
            }
        )
    lot = procedure.lots.select_for_update().get(number=1)
    offer = Offer.objects.create(
        procedure=procedure,
        lot=lot,
        bidder=bidder.strip(),
        price=price,
        received_at=now,
        formally_admitted=True,
        recorded_by=by,
    )
    lot.decided_offer = offer
    lot.decided_by = by
    lot.decided_at = now
    lot.awarded_at = now
    lot.awarded_by = by
    lot.save()
    procedure.direct_price_comparison = price_comparison.strip()
    procedure.direct_justification = justification.strip()
    procedure.status = S.AWARDED
    procedure.save()
    audit(
        procedure=procedure,
        by=by,
        action="procedure.direct_awarded",
        subject=lot,
        changes={"bidder": offer.bidder, "price": price, "limit_checked_on": local_day(now)},
        note=procedure.direct_price_comparison or procedure.direct_justification,
    )
    return record_store(procedure=procedure, by=by, now=now)
