"""Pure rules over the dated reference data: admissible procedure types, minimum periods, default hours."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from procurement.models import EUThreshold, LegalPeriod, ProcedureTypeHours, Regime, ValueLimit
from procurement.models.choices import FORMALITY, Kind, ProcedureType, kind_group_of
from projects.services import periods


@dataclass(frozen=True)
class AdmissibleType:
    procedure_type: str
    label: str
    legal_basis: str
    condition: str = ""
    max_value: Decimal | None = None


@dataclass(frozen=True)
class Admissibility:
    """The answer for one estimated value: EU or not, the admissible types (most formal first), the proposal."""

    kind: str
    estimated_value: Decimal
    on: date
    eu: bool
    eu_threshold: Decimal
    eu_threshold_basis: str
    types: list[AdmissibleType] = field(default_factory=list)

    @property
    def codes(self) -> list[str]:
        return [t.procedure_type for t in self.types]

    @property
    def proposed(self) -> AdmissibleType:
        """The least formal admissible type without extra conditions (the municipality may choose a stricter one)."""
        unconditional = [t for t in self.types if not t.condition]
        loosest = max(FORMALITY[t.procedure_type] for t in unconditional)
        return next(t for t in unconditional if FORMALITY[t.procedure_type] == loosest)

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "estimated_value": str(self.estimated_value),
            "on": self.on.isoformat(),
            "eu": self.eu,
            "eu_threshold": str(self.eu_threshold),
            "eu_threshold_basis": self.eu_threshold_basis,
            "proposed_type": self.proposed.procedure_type,
            "types": [
                {**asdict(t), "max_value": None if t.max_value is None else str(t.max_value)} for t in self.types
            ],
        }


def _within(limit: ValueLimit, value: Decimal) -> bool:
    if limit.max_value is None:
        return True
    return value <= limit.max_value if limit.max_inclusive else value < limit.max_value


def eu_threshold_on(*, kind: str, on: date) -> EUThreshold:
    threshold = EUThreshold.objects.valid_on(on).filter(kind_group=kind_group_of(kind)).first()
    if threshold is None:
        raise ValidationError(
            _("Für den %(day)s ist kein EU-Schwellenwert hinterlegt. Bitte in den Stammdaten ergänzen.")
            % {"day": date_format(on)}
        )
    return threshold


def procedure_types_admissible(
    *, kind: str, estimated_value: Decimal, on: date, housing: bool = False
) -> Admissibility:
    """Which procedure types the law admits for this kind and estimated net value on that day.

    EU threshold reached or exceeded (§ 106 GWB) → the EU types; below it the HVTG § 12 value limits. For every
    type the newest limit version valid on ``on`` counts; a housing-specific limit replaces the general one when
    ``housing`` is set.
    """
    if kind not in Kind.values:
        raise ValidationError(_("Unbekannte Leistungsart: %(kind)s") % {"kind": kind})
    value = Decimal(estimated_value)
    if value < 0:
        raise ValidationError(_("Der geschätzte Auftragswert darf nicht negativ sein."))
    threshold = eu_threshold_on(kind=kind, on=on)
    eu = value >= threshold.amount
    rows = ValueLimit.objects.valid_on(on).filter(
        regime=Regime.EU if eu else Regime.NATIONAL, kind_group=kind_group_of(kind)
    )
    newest: dict[str, ValueLimit] = {}
    for row in rows:  # newest first
        if row.housing and not housing:
            continue
        current = newest.get(row.procedure_type)
        if current is None or (row.housing and not current.housing and row.valid_from >= current.valid_from):
            newest[row.procedure_type] = row
    types = [
        AdmissibleType(
            procedure_type=code,
            label=str(ProcedureType(code).label),
            legal_basis=limit.legal_basis,
            condition=limit.condition,
            max_value=limit.max_value,
        )
        for code, limit in sorted(
            newest.items(), key=lambda item: (FORMALITY[item[0]], ProcedureType.values.index(item[0]))
        )
        if _within(limit, value)
    ]
    if not [t for t in types if not t.condition]:
        raise ValidationError(_("Für diesen Auftragswert ist keine Verfahrensart hinterlegt."))
    return Admissibility(
        kind=kind,
        estimated_value=value,
        on=on,
        eu=eu,
        eu_threshold=threshold.amount,
        eu_threshold_basis=threshold.legal_basis,
        types=types,
    )


def _period(*, purpose: str, procedure_type: str, electronic: bool, on: date) -> LegalPeriod:
    period = (
        LegalPeriod.objects.valid_on(on)
        .filter(purpose=purpose, procedure_type=procedure_type, electronic=electronic)
        .first()
    )
    if period is None:
        raise ValidationError(_("Für diese Verfahrensart ist keine Mindestfrist hinterlegt."))
    return period


def offer_period_minimum(*, procedure_type: str, electronic: bool, on: date) -> LegalPeriod:
    return _period(purpose=LegalPeriod.Purpose.OFFER, procedure_type=procedure_type, electronic=electronic, on=on)


def standstill_period(*, electronic: bool, on: date) -> LegalPeriod:
    return _period(purpose=LegalPeriod.Purpose.STANDSTILL, procedure_type="", electronic=electronic, on=on)


def offer_deadline_check(
    *, procedure_type: str, eu: bool, electronic: bool, now: datetime, offer_deadline: datetime
) -> LegalPeriod:
    """A chosen offer deadline: in the future, not shorter than the dated minimum period counted by the period
    calculator (EU: § 82 VgV / VO 1182/71; national: §§ 187 ff. BGB), and on a working day in Hessen.

    Returns the minimum period row; raises a German message on the field ``offer_deadline``.
    """
    on = timezone.localdate(now)
    period = offer_period_minimum(procedure_type=procedure_type, electronic=electronic, on=on)
    minimum = periods.period_end(
        start=on,
        days=period.days,
        regime=periods.EU if eu else periods.NATIONAL,
        moves_to_working_day=period.moves_to_working_day,
    )
    if offer_deadline <= now:
        raise ValidationError({"offer_deadline": _("Die Angebotsfrist muss in der Zukunft liegen.")})
    chosen = timezone.localdate(offer_deadline)
    if chosen < minimum.end:
        raise ValidationError(
            {
                "offer_deadline": _(
                    "Die Angebotsfrist ist zu kurz: mindestens %(days)s Kalendertage (%(basis)s), also frühestens "
                    "bis %(earliest)s. %(explanation)s"
                )
                % {
                    "days": period.days,
                    "basis": period.legal_basis,
                    "earliest": date_format(minimum.end),
                    "explanation": minimum.explanation,
                }
            }
        )
    periods.chosen_deadline_check(chosen=chosen, minimum=minimum, field="offer_deadline", label=_("Angebotsfrist"))
    return period


def standstill_end(*, sent_at: datetime, electronic: bool) -> tuple[LegalPeriod, periods.PeriodEnd]:
    """The last day of the § 134 GWB standstill after the information was sent (the day of sending not counted).

    Whether an end on a Saturday, Sunday or holiday moves to the next working day is the dated setting
    ``moves_to_working_day`` of the standstill period (disputed in the courts; on by default).
    """
    on = timezone.localdate(sent_at)
    period = standstill_period(electronic=electronic, on=on)
    end = periods.period_end(
        start=on, days=period.days, regime=periods.NATIONAL, moves_to_working_day=period.moves_to_working_day
    )
    return period, end


def step_hours_default(*, procedure_type: str, step: str, on: date) -> Decimal:
    row = ProcedureTypeHours.objects.valid_on(on).filter(procedure_type=procedure_type).first()
    if row is None:
        return Decimal("0")
    return Decimal(str(row.step_hours.get(step, "0")))


def procedure_hours_default(*, procedure_type: str, on: date) -> Decimal:
    row = ProcedureTypeHours.objects.valid_on(on).filter(procedure_type=procedure_type).first()
    if row is None:
        return Decimal("0")
    return sum((Decimal(str(h)) for h in row.step_hours.values()), Decimal("0"))
