"""Allocation keys (Verteilungsschlüssel): a small registry, each key explains its own calculation.

A key turns the inputs of a member (hours, units, effort, population) into a weight. Proportional keys
split a total in proportion to the weights (largest remainder, cents); the key "Grundkosten + Aufwand" charges
each member its own weight (base amount + effort), so the plan total is the sum of the parts. To add a key, subclass
:class:`AllocationKey` and decorate it with :func:`register`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from projects.formats import number
from projects.money import to_cents

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

ZERO = Decimal("0")


@dataclass
class KeyContext:
    """Everything a key may read for one cost centre, year and basis (plan or actual)."""

    agreement: Any
    basis: str  # "plan" or "actual"
    quantities: dict[int, dict[str, Decimal]]  # municipality id -> key -> quantity
    booked_hours: dict[int, Decimal] = field(default_factory=dict)
    rate: Any = None  # PayGroupRate or None
    personnel_cost: Any = None  # PersonnelCost of the agreed pay group and step, or None


def _family(values: dict[str, Decimal], prefix: str) -> dict[str, Decimal]:
    return {k: v for k, v in values.items() if k == prefix or k.startswith(prefix + ":")}


def fmt(value: Decimal) -> str:
    """Number in the active language (projects.formats): 1.234,56 (decimals of whole numbers dropped)."""
    return number(value, trim=True)


def _fte(value: Decimal) -> str:
    """A target FTE with the decimals it has (0,04 or 0,0375), at least two."""
    exponent = value.normalize().as_tuple().exponent
    return number(value, places=max(2, -exponent if isinstance(exponent, int) else 2))


class AllocationKey:
    code: ClassVar[str]
    label: ClassVar[StrOrPromise]
    description: ClassVar[StrOrPromise]
    proportional: ClassVar[bool] = True

    def inputs(self, *, ctx: KeyContext, municipality: Any) -> dict[str, Decimal]:
        raise NotImplementedError

    def weight(self, *, ctx: KeyContext, inputs: dict[str, Decimal]) -> Decimal:
        raise NotImplementedError

    def unit(self) -> str:
        return ""

    def explain(
        self,
        *,
        weight: Decimal,
        total_weight: Decimal,
        total: Decimal,
        amount: Decimal,
        inputs: dict[str, Decimal],
    ) -> str:
        return _("{w} {u} von {tw} {u} × {t} € = {a} €").format(
            w=fmt(weight), tw=fmt(total_weight), u=self.unit(), t=fmt(total), a=fmt(amount)
        )


REGISTRY: dict[str, AllocationKey] = {}


def register(cls: type[AllocationKey]) -> type[AllocationKey]:
    REGISTRY[cls.code] = cls()
    return cls


def key_get(code: str) -> AllocationKey:
    try:
        return REGISTRY[code]
    except KeyError:
        raise ValidationError(_("Unbekannter Verteilungsschlüssel „{code}“.").format(code=code)) from None


def key_choices() -> list[tuple[str, str]]:
    return [(k.code, str(k.label)) for k in REGISTRY.values()]


@register
class ByHours(AllocationKey):
    code = "hours"
    label = _("nach Stunden (Leistungsentnahme)")
    description = _(
        "Plan: geschätzte Stunden aus dem Planungsgespräch (z. B. UVgO + VgV); Ist: gebuchte Zeiten. "
        "Anteil = Stunden der Kommune ÷ Stunden aller Beteiligten × Gesamtbetrag."
    )

    def unit(self) -> str:
        return "Std."

    def inputs(self, *, ctx, municipality):
        if ctx.basis == "actual":
            return {"hours:booked": ctx.booked_hours.get(municipality.pk, ZERO)}
        return _family(ctx.quantities.get(municipality.pk, {}), "hours")

    def weight(self, *, ctx, inputs):
        return sum(inputs.values(), ZERO)


@register
class ByUnits(AllocationKey):
    code = "units"
    label = _("nach Mengen (z. B. umzusetzende OZG-Leistungen)")
    description = _("Anteil = Mengen der Kommune ÷ Mengen aller Beteiligten × Gesamtbetrag.")

    def unit(self) -> str:
        return str(_("Einh."))

    def inputs(self, *, ctx, municipality):
        return _family(ctx.quantities.get(municipality.pk, {}), "units")

    def weight(self, *, ctx, inputs):
        return sum(inputs.values(), ZERO)


@register
class ByPopulation(AllocationKey):
    code = "population"
    label = _("nach Einwohnern")
    description = _("Anteil = Einwohner der Kommune ÷ Einwohner aller Beteiligten × Gesamtbetrag.")

    def unit(self) -> str:
        return str(_("Einw."))

    def inputs(self, *, ctx, municipality):
        own = ctx.quantities.get(municipality.pk, {}).get("population")
        value = own if own is not None else Decimal(municipality.population or 0)
        return {"population": value}

    def weight(self, *, ctx, inputs):
        return inputs["population"]


@register
class BaseAndEffort(AllocationKey):
    code = "base_effort"
    label = _("Grundkosten + Aufwand (Soll-VZÄ × Personalkosten)")
    description = _(
        "Beitrag = feste Grundkosten je Kommune (größenunabhängig) + externer Aufwand. Der Aufwand ist "
        "Soll-VZÄ × Personalkosten einer Stelle der vereinbarten Entgeltgruppe und Stufe im Jahr; die Soll-VZÄ folgen "
        "aus der Zahl der Beschäftigten nach der Regel der Vereinbarung (oder sind erfasst). Nur ohne Soll-VZÄ gilt "
        "ein als Betrag erfasster Aufwand. Der Gesamtbetrag ist die Summe der Beiträge."
    )
    proportional = False

    def _target_fte(self, *, ctx, municipality, values) -> Decimal | None:
        rule = ctx.agreement.staff_per_fte
        if rule and municipality.staff_count is not None:
            return (Decimal(municipality.staff_count) / rule).quantize(Decimal("0.0001"))
        return values.get("fte")

    def inputs(self, *, ctx, municipality):
        values = ctx.quantities.get(municipality.pk, {})
        inputs = {"base": ctx.agreement.base_amount}
        fte = self._target_fte(ctx=ctx, municipality=municipality, values=values)
        if fte is not None:
            if ctx.personnel_cost is None:
                raise ValidationError(
                    _("Für „{g}“ Stufe {s} sind im Jahr keine Personalkosten je Stelle hinterlegt.").format(
                        g=ctx.agreement.rate_pay_group or "—", s=ctx.agreement.effort_pay_step or "—"
                    )
                )
            inputs["fte"] = fte
            inputs["position_cost"] = ctx.personnel_cost.annual_cost
            inputs["effort"] = to_cents(fte * ctx.personnel_cost.annual_cost)
        elif "effort" in values:
            inputs["effort"] = values["effort"]
        else:
            inputs["effort"] = ZERO
        if "printed_effort" in values:  # the figure a seed table printed, shown beside the computed one
            inputs["printed_effort"] = values["printed_effort"]
        return inputs

    def weight(self, *, ctx, inputs):
        return to_cents(inputs["base"] + inputs["effort"])

    def explain(self, *, weight, total_weight, total, amount, inputs):
        # The effort carries its own unit: an amount ("3.066,79 €") or its derivation from the target FTE, so that
        # the sentence around it reads in every language ("effort 0.04 target FTE × 76,669.75 € = 3,066.79 €").
        effort = _("{e} €").format(e=fmt(inputs["effort"]))
        if "fte" in inputs:
            effort = _("{f} Soll-VZÄ × {c} € = {e}").format(
                f=_fte(inputs["fte"]), c=fmt(inputs["position_cost"]), e=effort
            )
        if total == total_weight:
            text = _("Grundkosten {b} € + Aufwand {e} = {a} €").format(b=fmt(inputs["base"]), e=effort, a=fmt(amount))
        else:
            text = _("(Grundkosten {b} € + Aufwand {e}) = {w} € von {tw} € × {t} € = {a} €").format(
                b=fmt(inputs["base"]),
                e=effort,
                w=fmt(weight),
                tw=fmt(total_weight),
                t=fmt(total),
                a=fmt(amount),
            )
        if "printed_effort" in inputs:
            text += _(" (Vorlage: Aufwand {p} €)").format(p=fmt(inputs["printed_effort"]))
        return text
