"""Read-only calculations: plan (Vorkalkulation), actual split, statement lines. No permission checks here;
callers go through :mod:`costs.selectors`.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from costs.keys import ZERO, KeyContext, fmt, key_get
from costs.models import (
    ActualCost,
    Agreement,
    CostCentre,
    FundingCredit,
    PayGroupRate,
    PersonnelCost,
    Prepayment,
    Quantity,
    Settlement,
    TimeEntry,
    YearPlan,
)
from projects.models import Municipality
from projects.money import allocate_largest_remainder, to_cents

TEUR_UNIT = Decimal("100")  # 0.1 T€
ROUNDING_RULE = (
    "Beträge in Euro und Cent; Anteile nach dem Verfahren der größten Reste (Hare-Niemeyer) "
    "auf Cent verteilt, "
    "so dass die gerundeten Anteile genau die Summe ergeben. Die T€-Anzeige verteilt ebenso auf 0,1 T€."
)


def agreement_for(*, centre: CostCentre, year: int) -> Agreement:
    """The agreement version in force in ``year`` (latest version whose term covers the year)."""
    first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    agreement = (
        centre.agreements.filter(valid_from__lte=last)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=first))
        .order_by("-version")
        .first()
    )
    if agreement is None:
        raise ValidationError(
            _("Für „{centre}“ gibt es im Jahr {year} keine Tätigkeits- und Budgetvereinbarung.").format(
                centre=centre, year=year
            )
        )
    return agreement


def rate_for(*, pay_group: str, year: int) -> PayGroupRate | None:
    if not pay_group:
        return None
    day = datetime.date(year, 7, 1)
    return (
        PayGroupRate.objects.filter(pay_group=pay_group, valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
        .order_by("-valid_from")
        .first()
    )


def personnel_cost_for(*, pay_group: str, step: int | None, year: int) -> PersonnelCost | None:
    """The personnel cost of a position of the pay group and step valid in the middle of the year."""
    if not pay_group or step is None:
        return None
    day = datetime.date(year, 7, 1)
    return (
        PersonnelCost.objects.filter(pay_group=pay_group, step=step, valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
        .order_by("-valid_from")
        .first()
    )


def is_locked(*, centre: CostCentre, year: int) -> bool:
    return Settlement.objects.filter(centre=centre, year=year).exists()


def settlement_latest(*, centre: CostCentre, year: int) -> Settlement | None:
    """The settlement in force: the newest version (a re-settlement replaces the earlier ones)."""
    return Settlement.objects.filter(centre=centre, year=year).order_by("-version").first()


def members_of(*, centre: CostCentre) -> list[Municipality]:
    return list(centre.members.order_by("name"))


def _quantities(*, centre: CostCentre, year: int, basis: str) -> dict[int, dict[str, Decimal]]:
    result: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for row in Quantity.objects.filter(centre=centre, year=year, basis=basis):
        result[row.municipality_id][row.key] = row.quantity
    return result


def booked_hours(*, centre: CostCentre, year: int) -> dict[int, Decimal]:
    rows = TimeEntry.objects.filter(centre=centre, on__year=year).values("municipality_id").annotate(total=Sum("hours"))
    return {row["municipality_id"]: row["total"] for row in rows}


def _sum_by_member(model, *, centre: CostCentre, year: int) -> dict[int, Decimal]:
    rows = model.objects.filter(centre=centre, year=year).values("municipality_id").annotate(total=Sum("amount"))
    return {row["municipality_id"]: row["total"] for row in rows}


def teur_display(amounts: dict[Any, Decimal]) -> dict[Any, Decimal]:
    """T€ with one decimal, largest remainder so that the shown parts add up to the shown total."""
    total = sum(amounts.values(), ZERO)
    shown_total = (total / TEUR_UNIT).quantize(Decimal("1"), rounding=ROUND_HALF_UP) * TEUR_UNIT
    if not amounts or total == 0:
        return {k: ZERO.quantize(Decimal("0.1")) for k in amounts}
    parts = allocate_largest_remainder(shown_total, amounts, unit=TEUR_UNIT)
    return {k: (v / 1000).quantize(Decimal("0.1")) for k, v in parts.items()}


@dataclass
class Row:
    municipality: Municipality
    inputs: dict[str, Decimal]
    weight: Decimal
    amount: Decimal = ZERO
    explanation: str = ""
    sockel: Decimal = ZERO
    sockel_explanation: str = ""
    funding: Decimal = ZERO
    prepayments: Decimal = ZERO
    amount_teur: Decimal = ZERO

    @property
    def payable(self) -> Decimal:
        return self.amount - self.funding


@dataclass
class Split:
    centre: CostCentre
    year: int
    agreement: Agreement
    basis: str
    total: Decimal
    rows: list[Row] = field(default_factory=list)
    note: str = ""

    @property
    def key(self):
        return key_get(self.agreement.allocation_key)

    def row_for(self, municipality_id: int) -> Row:
        """The row of a member of the plan (every member has one)."""
        for row in self.rows:
            if row.municipality.pk == municipality_id:
                return row
        raise LookupError(f"Kommune {municipality_id} hat keine Zeile in diesem Plan.")

    @property
    def weight_total(self) -> Decimal:
        return sum((r.weight for r in self.rows), ZERO)

    @property
    def sockel_total(self) -> Decimal:
        return sum((r.sockel for r in self.rows), ZERO)

    @property
    def funding_total(self) -> Decimal:
        return sum((r.funding for r in self.rows), ZERO)

    @property
    def payable_total(self) -> Decimal:
        return sum((r.payable for r in self.rows), ZERO)

    @property
    def total_teur(self) -> Decimal:
        return sum((r.amount_teur for r in self.rows), ZERO)

    rounding_rule = ROUNDING_RULE


def _split(*, centre, year, agreement, ctx: KeyContext, total: Decimal | None) -> Split:
    key = key_get(agreement.allocation_key)
    rows = []
    for municipality in members_of(centre=centre):
        inputs = key.inputs(ctx=ctx, municipality=municipality)
        rows.append(Row(municipality=municipality, inputs=inputs, weight=key.weight(ctx=ctx, inputs=inputs)))
    weights = {row.municipality.pk: row.weight for row in rows}
    weight_total = sum(weights.values(), ZERO)
    if total is None:
        if key.proportional:
            raise ValidationError(_("Für „{centre}“ {year} fehlt das PLAN-Budget.").format(centre=centre, year=year))
        total = weight_total
    total = to_cents(total)
    try:
        amounts = allocate_largest_remainder(total, weights)
    except ValueError:
        raise ValidationError(
            _(
                "„{centre}“ {year}: Es sind keine Schlüsselgrößen erfasst; {total} € können nicht verteilt werden."
            ).format(centre=centre, year=year, total=fmt(total))
        ) from None
    for row in rows:
        row.amount = amounts.get(row.municipality.pk, ZERO)
        row.explanation = str(
            key.explain(
                weight=row.weight,
                total_weight=weight_total,
                total=total,
                amount=row.amount,
                inputs=row.inputs,
            )
        )
    for row, shown in zip(rows, teur_display({r.municipality.pk: r.amount for r in rows}).values(), strict=True):
        row.amount_teur = shown
    return Split(centre=centre, year=year, agreement=agreement, basis=ctx.basis, total=total, rows=rows)


def sockel_for(*, agreement: Agreement, contribution: Decimal) -> tuple[Decimal, str]:
    """Base prepayment: share of the plan contribution, at least the minimum."""
    if not agreement.sockel_share_percent and not agreement.sockel_minimum:
        return ZERO, ""
    share = to_cents(contribution * agreement.sockel_share_percent / Decimal(100))
    if share >= agreement.sockel_minimum:
        return share, _("{p} % von {c} € = {s} €").format(
            p=fmt(agreement.sockel_share_percent), c=fmt(contribution), s=fmt(share)
        )
    return to_cents(agreement.sockel_minimum), _("{p} % von {c} € = {s} € < Mindestbetrag {m} €").format(
        p=fmt(agreement.sockel_share_percent),
        c=fmt(contribution),
        s=fmt(share),
        m=fmt(agreement.sockel_minimum),
    )


def plan_compute(*, centre: CostCentre, year: int) -> Split:
    """Vorkalkulation: the plan budget split by the agreement's key, with Sockelbetrag and funding."""
    agreement = agreement_for(centre=centre, year=year)
    plan = YearPlan.objects.filter(centre=centre, year=year).first()
    ctx = KeyContext(
        agreement=agreement,
        basis="plan",
        quantities=_quantities(centre=centre, year=year, basis="plan"),
        rate=rate_for(pay_group=agreement.rate_pay_group, year=year),
        personnel_cost=personnel_cost_for(
            pay_group=agreement.rate_pay_group, step=agreement.effort_pay_step, year=year
        ),
    )
    split = _split(centre=centre, year=year, agreement=agreement, ctx=ctx, total=plan.budget if plan else None)
    funding = _sum_by_member(FundingCredit, centre=centre, year=year)
    prepayments = _sum_by_member(Prepayment, centre=centre, year=year)
    for row in split.rows:
        row.sockel, row.sockel_explanation = sockel_for(agreement=agreement, contribution=row.amount)
        row.funding = funding.get(row.municipality.pk, ZERO)
        row.prepayments = prepayments.get(row.municipality.pk, ZERO)
    return split


def actual_total_for(*, centre: CostCentre, year: int, agreement: Agreement) -> tuple[Decimal, str]:
    """Actual cost of the year: booked costs, plus booked hours valued at the full-cost rate if agreed."""
    costs = ActualCost.objects.filter(centre=centre, year=year).aggregate(s=Sum("amount"))["s"] or ZERO
    text = _("gebuchte Ist-Kosten {c} €").format(c=fmt(costs))
    if agreement.rate_pay_group:
        rate = rate_for(pay_group=agreement.rate_pay_group, year=year)
        hours = sum(booked_hours(centre=centre, year=year).values(), ZERO)
        if hours and rate is None:
            raise ValidationError(
                _("Für die Entgeltgruppe „{g}“ ist im Jahr {y} kein Vollkostensatz hinterlegt.").format(
                    g=agreement.rate_pay_group, y=year
                )
            )
        if hours and rate is not None:
            valued = to_cents(hours * rate.hourly_rate)
            text += _(" + {h} Std. × {r} €/Std. ({g}) = {v} €").format(
                h=fmt(hours), r=fmt(rate.hourly_rate), g=agreement.rate_pay_group, v=fmt(valued)
            )
            costs += valued
    return to_cents(costs), text


def actual_compute(*, centre: CostCentre, year: int) -> Split:
    """The actual cost of the year split by the key on actual quantities (booked hours for the hours key;
    measured quantities where recorded, otherwise the plan quantities)."""
    agreement = agreement_for(centre=centre, year=year)
    actual_q = _quantities(centre=centre, year=year, basis="actual")
    ctx = KeyContext(
        agreement=agreement,
        basis="actual",
        quantities=actual_q or _quantities(centre=centre, year=year, basis="plan"),
        booked_hours=booked_hours(centre=centre, year=year),
        rate=rate_for(pay_group=agreement.rate_pay_group, year=year),
        personnel_cost=personnel_cost_for(
            pay_group=agreement.rate_pay_group, step=agreement.effort_pay_step, year=year
        ),
    )
    total, text = actual_total_for(centre=centre, year=year, agreement=agreement)
    split = _split(centre=centre, year=year, agreement=agreement, ctx=ctx, total=total)
    split.note = (
        text
        if actual_q or key_get(agreement.allocation_key).code == "hours"
        else text + _(" (verteilt nach Plan-Mengen, keine Ist-Mengen erfasst)")
    )
    return split


@dataclass
class SettlementLineResult:
    municipality: Municipality
    weight: Decimal
    plan_contribution: Decimal
    actual_share: Decimal
    charge: Decimal
    prepayments: Decimal
    funding: Decimal
    balance: Decimal
    previous_balance: Decimal | None
    explanation: str

    @property
    def change(self) -> Decimal | None:
        return None if self.previous_balance is None else self.balance - self.previous_balance


@dataclass
class SettlementResult:
    """The settlement of a year as computed from the bookings as they stand (shown before it is stored)."""

    agreement: Agreement
    actual_total: Decimal
    startup_year: bool
    note: str
    lines: list[SettlementLineResult]

    @property
    def charged_total(self) -> Decimal:
        return sum((line.charge for line in self.lines), ZERO)

    @property
    def balance_total(self) -> Decimal:
        return sum((line.balance for line in self.lines), ZERO)


def settlement_compute(*, centre: CostCentre, year: int, previous: Settlement | None = None) -> SettlementResult:
    """Nachkalkulation: actual cost split by the key − prepayments − funding = balance per member.

    In start-up years of the agreement only costs actually incurred are charged, at most the plan contribution.
    With ``previous`` (a re-settlement) each line also carries the balance of the previous version.
    """
    plan = plan_compute(centre=centre, year=year)
    actual = actual_compute(centre=centre, year=year)
    startup = year in (plan.agreement.startup_years or [])
    before = {line.municipality_id: line.balance for line in previous.lines.all()} if previous else {}
    lines = []
    for actual_row in actual.rows:
        plan_row = plan.row_for(actual_row.municipality.pk)
        charge = min(actual_row.amount, plan_row.amount) if startup else actual_row.amount
        balance = charge - plan_row.prepayments - plan_row.funding
        if startup:
            charge_text = _("Anlaufjahr: Ist-Anteil, höchstens PLAN {p} € → {c} €").format(
                p=fmt(plan_row.amount), c=fmt(charge)
            )
        else:
            charge_text = _("abgerechnet {c} €").format(c=fmt(charge))
        direction = _("Nachzahlung") if balance > 0 else _("Erstattung") if balance < 0 else _("ausgeglichen")
        explanation = _("Ist: {a}; {ct}; − Vorauszahlungen {pp} € − Förderung {f} € = {b} € ({d})").format(
            a=actual_row.explanation,
            ct=charge_text,
            pp=fmt(plan_row.prepayments),
            f=fmt(plan_row.funding),
            b=fmt(balance),
            d=direction,
        )
        previous_balance = None
        if previous is not None:
            previous_balance = before.get(actual_row.municipality.pk, ZERO)
            explanation += _("; Neuabrechnung Version {v}: bisher {p} €, Änderung {d} €").format(
                v=previous.version + 1, p=fmt(previous_balance), d=fmt(balance - previous_balance)
            )
        lines.append(
            SettlementLineResult(
                municipality=actual_row.municipality,
                weight=actual_row.weight,
                plan_contribution=plan_row.amount,
                actual_share=actual_row.amount,
                charge=charge,
                prepayments=plan_row.prepayments,
                funding=plan_row.funding,
                balance=balance,
                previous_balance=previous_balance,
                explanation=explanation,
            )
        )
    return SettlementResult(
        agreement=plan.agreement, actual_total=actual.total, startup_year=startup, note=actual.note, lines=lines
    )


@dataclass
class StatementLine:
    centre: CostCentre
    key_label: str
    plan_contribution: Decimal
    sockel: Decimal
    prepayments: Decimal
    actual: Decimal | None
    funding: Decimal
    balance: Decimal
    settled: bool
    explanation: str
    version: int = 0  # of the settlement, 0 = not settled
    previous_balance: Decimal | None = None  # balance of the previous settlement version

    @property
    def direction(self) -> str:
        """What the balance means for the member."""
        if self.balance > 0:
            return _("Nachzahlung") if self.settled else _("offen")
        if self.balance < 0:
            return _("Erstattung")
        return _("ausgeglichen")

    @property
    def change(self) -> Decimal | None:
        return None if self.previous_balance is None else self.balance - self.previous_balance


@dataclass
class Statement:
    municipality: Municipality
    year: int
    lines: list[StatementLine]

    def total(self, attribute: str) -> Decimal:
        return sum((getattr(line, attribute) or ZERO for line in self.lines), ZERO)

    @property
    def totals(self) -> dict[str, Decimal]:
        names = ("plan_contribution", "sockel", "prepayments", "actual", "funding", "balance")
        return {name: self.total(name) for name in names}


def statement_compute(
    *, municipality: Municipality, year: int, cache: dict | None = None, published_only: bool = False
) -> Statement:
    """All cost centres the member takes part in, with plan, prepayments, actuals, funding and balance.

    ``cache`` (centre id -> plan) lets a list of statements compute each centre's plan once. ``published_only``
    (what a member sees): only centres whose plan of the year has been published to the members.
    """
    cache = {} if cache is None else cache
    lines = []
    centres = CostCentre.objects.filter(memberships__municipality=municipality)
    if published_only:
        centres = centres.filter(plans__year=year, plans__published_at__isnull=False)
    for centre in centres.order_by("name"):
        if centre.pk not in cache:
            try:
                cache[centre.pk] = plan_compute(centre=centre, year=year)
            except ValidationError:
                cache[centre.pk] = None  # no agreement or plan for this year
        plan = cache[centre.pk]
        if plan is None:
            continue
        row = plan.row_for(municipality.pk)
        settlement = settlement_latest(centre=centre, year=year)
        settled_line = settlement.lines.filter(municipality=municipality).first() if settlement else None
        if settled_line is not None:
            actual, balance = settled_line.charge, settled_line.balance
            explanation = _("Plan: {p} | Abrechnung: {s}").format(p=row.explanation, s=settled_line.explanation)
        else:
            actual, balance = None, row.amount - row.prepayments - row.funding
            explanation = _("Plan: {p} | noch nicht abgerechnet: offen = Plan − Vorauszahlungen − Förderung").format(
                p=row.explanation
            )
        lines.append(
            StatementLine(
                centre=centre,
                key_label=str(plan.key.label),
                plan_contribution=row.amount,
                sockel=row.sockel,
                prepayments=row.prepayments,
                actual=actual,
                funding=row.funding,
                balance=balance,
                settled=settled_line is not None,
                explanation=explanation,
                version=settlement.version if settlement is not None and settled_line is not None else 0,
                previous_balance=settled_line.previous_balance if settled_line is not None else None,
            )
        )
    return Statement(municipality=municipality, year=year, lines=lines)
