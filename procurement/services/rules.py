"""Pure rules over the dated reference data: admissible procedure types, minimum periods, default hours."""

from __future__ import annotations

import calendar
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from procurement.models import EUThreshold, LegalPeriod, ProcedureTypeHours, Regime, ValueLimit
from procurement.models.choices import FORMALITY, Kind, KindGroup, ProcedureType, kind_group_of
from projects.services import periods


@dataclass(frozen=True)
class AdmissibleType:
    procedure_type: str
    label: str
    legal_basis: str
    condition: str = ""
    max_value: Decimal | None = None
    value_basis: str = ""  # which value the limit was checked against (whole contract or each trade lot)


@dataclass(frozen=True)
class LotValue:
    """One part of a procedure for the value limits: a trade lot (Fachlos) with its value and housing flag."""

    label: str
    value: Decimal
    housing: bool = False


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
    lot_basis: str = ""
    lots: list[LotValue] = field(default_factory=list)

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
            "lot_basis": self.lot_basis,
            "lots": [{"label": lot.label, "value": str(lot.value), "housing": lot.housing} for lot in self.lots],
            "types": [
                {**asdict(t), "max_value": None if t.max_value is None else str(t.max_value)} for t in self.types
            ],
        }


def _within(limit: ValueLimit, value: Decimal) -> bool:
    if limit.max_value is None:
        return True
    return value <= limit.max_value if limit.max_inclusive else value < limit.max_value


def threshold_group_of(kind: str) -> str:
    """The column of the EU threshold table: social and other specific services have their own threshold; freelance
    services count as services (§ 106 GWB)."""
    if kind == Kind.SOCIAL_SERVICES:
        return KindGroup.SOCIAL_SERVICES
    return KindGroup.WORKS if kind == Kind.WORKS else KindGroup.SUPPLIES_SERVICES


def eu_threshold_on(*, kind: str, on: date) -> EUThreshold:
    threshold = EUThreshold.objects.valid_on(on).filter(kind_group=threshold_group_of(kind)).first()
    if threshold is None:
        raise ValidationError(
            _("Für den %(day)s ist kein EU-Schwellenwert hinterlegt. Bitte in den Stammdaten ergänzen.")
            % {"day": date_format(on)}
        )
    return threshold


def _money(value: Decimal) -> str:
    return number_format(value, decimal_pos=2, force_grouping=True) + " EUR"


def procedure_types_admissible(
    *,
    kind: str,
    estimated_value: Decimal,
    on: date,
    housing: bool = False,
    lots: list[LotValue] | None = None,
) -> Admissibility:
    """Which procedure types the law admits for this kind and estimated net value on that day.

    EU threshold reached or exceeded by the whole value (§ 106 GWB, § 3 VgV) → the EU types; below it the HVTG § 12
    value limits. For every type the newest limit version valid on ``on`` counts. A limit marked ``per_trade_lot``
    (works: "je Fachlos", § 12 Abs. 2 Nr. 1 b, c and Abs. 3 Nr. 1 b HVTG) is checked against each trade lot in
    ``lots`` (the housing limit only for housing lots); other limits against the whole value ("je Auftrag"). Without
    ``lots`` the whole procedure is one lot with the ``housing`` flag.
    """
    if kind not in Kind.values:
        raise ValidationError(_("Unbekannte Leistungsart: %(kind)s") % {"kind": kind})
    value = Decimal(estimated_value)
    if value < 0:
        raise ValidationError(_("Der geschätzte Auftragswert darf nicht negativ sein."))
    parts = list(lots) if lots else [LotValue(label=str(_("Gesamtauftrag")), value=value, housing=housing)]
    threshold = eu_threshold_on(kind=kind, on=on)
    eu = value >= threshold.amount
    group = KindGroup.SOCIAL_SERVICES if eu and kind == Kind.SOCIAL_SERVICES else kind_group_of(kind)
    rows = ValueLimit.objects.valid_on(on).filter(regime=Regime.EU if eu else Regime.NATIONAL, kind_group=group)
    general: dict[str, ValueLimit] = {}
    for_housing: dict[str, ValueLimit] = {}
    for row in rows:  # newest first
        (for_housing if row.housing else general).setdefault(row.procedure_type, row)

    def limit_of(code: str, is_housing: bool) -> ValueLimit | None:
        special = for_housing.get(code) if is_housing else None
        plain = general.get(code)
        if special is not None and (plain is None or special.valid_from >= plain.valid_from):
            return special
        return plain

    whole_housing = all(part.housing for part in parts)
    per_lot_basis = _("je Fachlos (§ 12 HVTG): %(lots)s") % {
        "lots": "; ".join(
            f"{part.label} {_money(part.value)}" + (f" ({_('Wohnungsbau')})" if part.housing else "") for part in parts
        )
    }
    whole_basis = _("Gesamtauftragswert %(value)s") % {"value": _money(value)}
    types: list[AdmissibleType] = []
    any_per_lot = False
    for code in sorted(set(general) | set(for_housing), key=lambda c: (FORMALITY[c], ProcedureType.values.index(c))):
        headline = limit_of(code, whole_housing)
        if headline is None:
            continue
        if headline.per_trade_lot:
            checks = [(limit_of(code, part.housing), part.value) for part in parts]
            basis = per_lot_basis
            any_per_lot = True
        else:
            checks = [(headline, value)]
            basis = whole_basis
        if all(limit is not None and _within(limit, amount) for limit, amount in checks):
            types.append(
                AdmissibleType(
                    procedure_type=code,
                    label=str(ProcedureType(code).label),
                    legal_basis=headline.legal_basis,
                    condition=headline.condition,
                    max_value=headline.max_value,
                    value_basis=str(basis),
                )
            )
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
        lot_basis=str(per_lot_basis if any_per_lot else whole_basis),
        lots=parts,
    )


def _period(
    *, purpose: str, procedure_type: str, electronic: bool | None, on: date, urgent: bool = False
) -> LegalPeriod:
    rows = LegalPeriod.objects.valid_on(on).filter(purpose=purpose, procedure_type=procedure_type, urgent=urgent)
    if electronic is not None:
        rows = rows.filter(electronic=electronic)
    period = rows.first()
    if period is None:
        if urgent:
            raise ValidationError(
                {
                    "urgency_reason": _(
                        "Für diese Verfahrensart ist keine verkürzte Frist wegen Dringlichkeit vorgesehen."
                    )
                }
            )
        raise ValidationError(_("Für diese Verfahrensart ist keine Mindestfrist hinterlegt."))
    return period


def offer_period_minimum(*, procedure_type: str, electronic: bool, on: date, urgent: bool = False) -> LegalPeriod:
    return _period(
        purpose=LegalPeriod.Purpose.OFFER, procedure_type=procedure_type, electronic=electronic, on=on, urgent=urgent
    )


def standstill_period(*, electronic: bool, on: date) -> LegalPeriod:
    return _period(purpose=LegalPeriod.Purpose.STANDSTILL, procedure_type="", electronic=electronic, on=on)


def _chosen_deadline_check(
    *, period: LegalPeriod, eu: bool, now: datetime, deadline: datetime, field: str, label: str
) -> None:
    on = timezone.localdate(now)
    minimum = periods.period_end(
        start=on,
        days=period.days,
        regime=periods.EU if eu else periods.NATIONAL,
        moves_to_working_day=period.moves_to_working_day,
    )
    if deadline <= now:
        raise ValidationError({field: _("Die %(label)s muss in der Zukunft liegen.") % {"label": label}})
    chosen = timezone.localdate(deadline)
    if chosen < minimum.end:
        raise ValidationError(
            {
                field: _(
                    "Die %(label)s ist zu kurz: mindestens %(days)s Kalendertage (%(basis)s), also frühestens "
                    "bis %(earliest)s. %(explanation)s"
                )
                % {
                    "label": label,
                    "days": period.days,
                    "basis": period.legal_basis,
                    "earliest": date_format(minimum.end),
                    "explanation": minimum.explanation,
                }
            }
        )
    periods.chosen_deadline_check(chosen=chosen, minimum=minimum, field=field, label=label)


def _urgent(urgency_reason: str) -> bool:
    """A shortened period needs a recorded justification (hinreichend begründete Dringlichkeit)."""
    return bool(urgency_reason and urgency_reason.strip())


def offer_deadline_check(
    *,
    procedure_type: str,
    eu: bool,
    electronic: bool,
    now: datetime,
    offer_deadline: datetime,
    urgency_reason: str = "",
) -> LegalPeriod:
    """A chosen offer deadline: in the future, not shorter than the dated minimum period counted by the period
    calculator (EU: § 82 VgV / VO 1182/71; national: §§ 187 ff. BGB), and on a working day in Hessen. With an
    urgency justification the shortened urgent period of the type counts (EU: open 15, restricted/negotiated 10).

    Returns the minimum period row; raises a German message on the field ``offer_deadline``.
    """
    period = offer_period_minimum(
        procedure_type=procedure_type, electronic=electronic, on=timezone.localdate(now), urgent=_urgent(urgency_reason)
    )
    _chosen_deadline_check(
        period=period, eu=eu, now=now, deadline=offer_deadline, field="offer_deadline", label=_("Angebotsfrist")
    )
    return period


def participation_deadline_check(
    *, procedure_type: str, now: datetime, participation_deadline: datetime, urgency_reason: str = ""
) -> LegalPeriod:
    """EU restricted and negotiated procedures: the participation period (30 days, 15 if urgent with a reason)."""
    period = _period(
        purpose=LegalPeriod.Purpose.PARTICIPATION,
        procedure_type=procedure_type,
        electronic=None,
        on=timezone.localdate(now),
        urgent=_urgent(urgency_reason),
    )
    _chosen_deadline_check(
        period=period,
        eu=True,
        now=now,
        deadline=participation_deadline,
        field="participation_deadline",
        label=_("Teilnahmefrist"),
    )
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


def award_notice_due(*, awarded_on: date) -> tuple[LegalPeriod, periods.PeriodEnd]:
    """EU procedures: the award notice is due within the dated period after the award (§ 39 VgV, 30 days)."""
    period = _period(purpose=LegalPeriod.Purpose.AWARD_NOTICE, procedure_type="", electronic=None, on=awarded_on)
    end = periods.period_end(
        start=awarded_on, days=period.days, regime=periods.EU, moves_to_working_day=period.moves_to_working_day
    )
    return period, end


def record_retained_until(*, awarded_on: date) -> tuple[LegalPeriod, date]:
    """The last day the procurement record must be kept (§ 8 Abs. 4 VgV: at least 3 years from the award day;
    the end by § 188 Abs. 2 BGB: the day of the last year with the award day's number, or the month's last day)."""
    period = _period(purpose=LegalPeriod.Purpose.RECORD_RETENTION, procedure_type="", electronic=None, on=awarded_on)
    if period.unit == LegalPeriod.Unit.YEARS:
        year = awarded_on.year + period.days
        day = min(awarded_on.day, calendar.monthrange(year, awarded_on.month)[1])
        return period, date(year, awarded_on.month, day)
    return period, awarded_on + timedelta(days=period.days)


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
