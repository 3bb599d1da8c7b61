"""Attribution: a granted amount is split over the participating municipalities and the plan years it covers.

The split uses the key stated in the grant notice (or the cost centre's allocation key) with largest-remainder
rounding, so the parts add up to the grant exactly. Non-participants never receive a row.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from funding.models import Attribution, Decision
from projects.money import allocate_largest_remainder
from projects.services.audit import audit_record


def _cost_centre(decision: Decision):
    from costs.models import CostCentre

    centre = (
        CostCentre.objects.filter(pk=decision.cost_centre_id, dkz__counties=decision.application.county_id).first()
        if decision.cost_centre_id is not None
        else None
    )
    if centre is None:
        raise ValidationError({"cost_centre_id": _("Die Kostenstelle gibt es in diesem Landkreis nicht.")})
    return centre


def _weights(decision: Decision, year: int) -> dict[Any, Decimal]:
    """Weights per participating municipality: the notice's key, or the cost centre's key of the year."""
    application = decision.application
    partners = {
        row.municipality_id: row.municipality for row in application.partner_rows.select_related("municipality")
    }
    if decision.key_source == Decision.KeySource.NOTICE:
        rows = list(decision.key_rows.select_related("municipality").order_by("municipality__name"))
        if not rows:
            raise ValidationError({"key": _("Bitte den Verteilschlüssel laut Bescheid angeben.")})
        strangers = [str(r.municipality) for r in rows if r.municipality_id not in partners]
        if strangers:
            raise ValidationError(
                {
                    "key": _("Zurechnung nur an beteiligte Kommunen; nicht beteiligt: {names}.").format(
                        names=", ".join(strangers)
                    )
                }
            )
        return {r.municipality: r.weight for r in rows}
    if decision.cost_centre_id is None:
        raise ValidationError({"cost_centre_id": _("Bitte die Kostenstelle angeben, deren Schlüssel gilt.")})
    from costs.calculation import plan_compute

    split = plan_compute(centre=_cost_centre(decision), year=year)
    weights = {r.municipality: r.weight for r in split.rows if r.municipality.pk in partners and r.weight > 0}
    if not weights:
        raise ValidationError(
            {
                "cost_centre_id": _(
                    "Keine beteiligte Kommune hat im Jahr {year} einen Anteil an der Kostenstelle."
                ).format(year=year)
            }
        )
    return weights


@transaction.atomic
def decision_attribute(*, decision: Decision, by: Any) -> list[Attribution]:
    """Split the granted amount over the years covered, then over the participants by the key."""
    if decision.outcome != Decision.Outcome.GRANT:
        return []
    if decision.first_year is None or decision.last_year is None:
        raise ValidationError(_("Erstes und letztes gefördertes Planjahr sind anzugeben."))
    years = list(range(decision.first_year, decision.last_year + 1))
    per_year = allocate_largest_remainder(decision.amount, [(year, Decimal(1)) for year in years])
    decision.attributions.all().delete()
    rows = []
    for year in years:
        weights = _weights(decision, year)
        parts = allocate_largest_remainder(per_year[year], list(weights.items()))
        rows += [
            Attribution(decision=decision, municipality=m, year=year, weight=weights[m], amount=amount)
            for m, amount in parts.items()
        ]
    Attribution.objects.bulk_create(rows)
    if decision.cost_centre_id is not None:
        _credit_cost_centre(decision, rows, by)
    audit_record(
        actor=by,
        action="funding.grant.attributed",
        subject=decision.application,
        county=decision.application.county,
        changes={
            "amount": decision.amount,
            "parts": [{"municipality": str(r.municipality), "year": r.year, "amount": r.amount} for r in rows],
        },
        note=_("Größte-Reste-Rundung: die Anteile ergeben zusammen genau den bewilligten Betrag."),
    )
    return rows


def _credit_cost_centre(decision: Decision, rows: list[Attribution], by: Any) -> None:
    """Book each part as a funding credit of the cost centre: it lowers that member's plan contribution."""
    from costs.services import funding_credit_record

    centre = _cost_centre(decision)
    for row in rows:
        funding_credit_record(
            centre=centre,
            year=row.year,
            municipality=row.municipality,
            amount=row.amount,
            source_type="funding.decision",
            source_id=str(decision.pk),
            by=by,
        )
