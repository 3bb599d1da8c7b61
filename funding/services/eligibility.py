"""Eligibility against a programme's rule version in force, and the saving calculation. Pure: no writes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from django.utils.translation import gettext as _

from funding.models import Application, Programme, ProgrammeRule
from projects.formats import money
from projects.money import to_cents


def euro(amount: Decimal) -> str:
    """Money in the active language (projects.formats): 75.000 €, 1.234,50 €."""
    return money(to_cents(Decimal(amount)), trim=True, space=" ")


def percent(value: Decimal) -> str:
    text = f"{Decimal(value).normalize():f}"
    return text.replace(".", ",") + " %"


@dataclass
class Eligibility:
    eligible: bool
    amount: Decimal | None
    rule: ProgrammeRule | None
    reasons: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def fail(self, text: str) -> None:
        self.eligible = False
        self.problems.append(text)
        self.reasons.append(text)


@dataclass(frozen=True)
class Saving:
    previous_total: Decimal
    joint_total: Decimal
    saving: Decimal
    percent: Decimal | None


def saving_calculate(
    *, previous: Iterable[tuple[Decimal, Decimal]], joint_personnel: Decimal, joint_material: Decimal
) -> Saving:
    """Annual saving: previous personnel + material costs of every municipality vs those of the joint unit.

    The percentage is rounded down to two places: a saving is never shown as reaching a threshold it misses.
    """
    previous_total = sum((Decimal(p) + Decimal(m) for p, m in previous), Decimal(0))
    joint_total = Decimal(joint_personnel) + Decimal(joint_material)
    saving = previous_total - joint_total
    share = None
    if previous_total > 0:
        share = (saving * 100 / previous_total).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    return Saving(to_cents(previous_total), to_cents(joint_total), to_cents(saving), share)


def _count(partners: Sequence | int) -> int:
    return partners if isinstance(partners, int) else len({getattr(p, "pk", p) for p in partners})


def funding_eligibility_check(
    *,
    programme: Programme,
    partners: Sequence | int,
    duration_years: int | None,
    saving_percent: Decimal | None,
    on: dt.date,
    exception_reason: str = "",
    form: str = Application.Form.COOPERATION,
    eligible_cost: Decimal | None = None,
    gvv_members: int = 0,
    merged_fire_brigades: int = 0,
) -> Eligibility:
    """Check an application against the rule version in force on ``on``; the reasons say why, in German."""
    rule = programme.rule_on(on)
    result = Eligibility(eligible=True, amount=None, rule=rule)
    if rule is None:
        result.fail(
            _("Für „{programme}“ gilt am {on} keine Richtlinienfassung.").format(
                programme=programme.name, on=on.strftime("%d.%m.%Y")
            )
        )
        return result
    result.reasons.append(
        _("Angewandt: {version} (gültig ab {start}).").format(
            version=rule.version, start=rule.valid_from.strftime("%d.%m.%Y")
        )
    )
    count = _count(partners)
    if rule.method == ProgrammeRule.Method.PARTNER_TIERS:
        amount = _partner_amount(rule, result, count, form, exception_reason, gvv_members, merged_fire_brigades)
    else:
        amount = _cost_share_amount(rule, result, eligible_cost)
    _check_duration(rule, result, duration_years)
    if rule.min_saving_percent is not None:
        if saving_percent is None:
            result.fail(_("Einsparberechnung fehlt (bisherige Kosten je Kommune, Kosten der gemeinsamen Einheit)."))
        elif Decimal(saving_percent) < rule.min_saving_percent:
            result.fail(
                _("Einsparung {value}: gefordert sind mindestens {minimum} jährlich – nicht förderfähig.").format(
                    value=percent(saving_percent), minimum=percent(rule.min_saving_percent)
                )
            )
        else:
            result.reasons.append(
                _("Einsparung {value} (mindestens {minimum}): erfüllt.").format(
                    value=percent(saving_percent), minimum=percent(rule.min_saving_percent)
                )
            )
    if result.eligible:
        result.amount = amount
    return result


def _partner_amount(rule, result, count, form, exception_reason, gvv_members, merged_fire_brigades):
    if form == Application.Form.GVV:
        members = gvv_members or count
        if rule.amount_per_gvv_member is None:
            result.fail(_("Diese Richtlinienfassung fördert keine Gemeindeverwaltungsverbände."))
            return None
        amount = rule.amount_per_gvv_member * members
        result.reasons.append(
            _("Gemeindeverwaltungsverband mit {n} Mitgliedern: {n} × {each} = {total}.").format(
                n=members, each=euro(rule.amount_per_gvv_member), total=euro(amount)
            )
        )
        return to_cents(amount)
    if form == Application.Form.FIRE_BRIGADE:
        if rule.amount_per_fire_brigade is None or merged_fire_brigades < 1:
            result.fail(_("Bitte die Zahl der zusammengelegten Freiwilligen Feuerwehren angeben."))
            return None
        amount = rule.amount_per_fire_brigade * merged_fire_brigades
        result.reasons.append(
            _("{n} zusammengelegte Freiwillige Feuerwehr(en): {n} × {each} = {total}.").format(
                n=merged_fire_brigades, each=euro(rule.amount_per_fire_brigade), total=euro(amount)
            )
        )
        return to_cents(amount)
    tiers = list(rule.tiers.order_by("partners_from"))
    tier = next((t for t in tiers if t.covers(count)), None)
    if tier is None:
        lowest = min((t.partners_from for t in tiers), default=rule.exception_min_partners or rule.min_partners)
        result.fail(
            _("{n} Kommunen: gefördert werden Zusammenschlüsse ab {minimum} Kommunen – nicht förderfähig.").format(
                n=count, minimum=lowest
            )
        )
        return None
    needs_exception = tier.exception_only or (rule.min_partners is not None and count < rule.min_partners)
    following = next((t for t in tiers if t.partners_from > count), None)
    outlook = ""
    if following is not None:
        outlook = _("; ab {n} Kommunen wären es {amount}").format(
            n=following.partners_from, amount=euro(following.amount)
        )
    if needs_exception and not exception_reason.strip():
        result.fail(
            _(
                "{n} Kommunen: {amount} nur ausnahmsweise (Regel: ab {rule_min} Kommunen); "
                "bitte die Ausnahme begründen{outlook}."
            ).format(n=count, amount=euro(tier.amount), rule_min=rule.min_partners, outlook=outlook)
        )
        return None
    text = _("{n} Kommunen: {amount}{outlook}.").format(n=count, amount=euro(tier.amount), outlook=outlook)
    if needs_exception:
        text = _("{n} Kommunen: {amount} als Ausnahme, begründet mit: {reason}{outlook}.").format(
            n=count, amount=euro(tier.amount), reason=exception_reason.strip(), outlook=outlook
        )
    result.reasons.append(text)
    if form == Application.Form.FEASIBILITY and rule.feasibility_repayable:
        result.reasons.append(
            _("Machbarkeitsstudie: die Förderung ist zurückzuzahlen, wenn keine Zusammenarbeit folgt.")
        )
    return tier.amount


def _cost_share_amount(rule, result, eligible_cost):
    if eligible_cost is None or Decimal(eligible_cost) <= 0:
        result.fail(_("Bitte die förderfähigen Kosten angeben."))
        return None
    share = to_cents(Decimal(eligible_cost) * (rule.max_rate_percent or Decimal(100)) / 100)
    amount = share
    text = _("{rate} von {cost} = {share}").format(
        rate=percent(rule.max_rate_percent or Decimal(100)), cost=euro(eligible_cost), share=euro(share)
    )
    if rule.amount_max is not None and share > rule.amount_max:
        amount = rule.amount_max
        text += _("; begrenzt auf den Höchstbetrag {maximum}").format(maximum=euro(rule.amount_max))
    result.reasons.append(text + ".")
    if rule.amount_min is not None and amount < rule.amount_min:
        result.fail(
            _("Die Zuwendung von {amount} liegt unter dem Mindestbetrag von {minimum} – nicht förderfähig.").format(
                amount=euro(amount), minimum=euro(rule.amount_min)
            )
        )
    return amount


def _check_duration(rule, result, duration_years):
    if rule.min_duration_years is not None:
        if duration_years is None or duration_years < rule.min_duration_years:
            result.fail(
                _("Laufzeit {years} Jahre: gefordert sind mindestens {minimum} Jahre – nicht förderfähig.").format(
                    years=duration_years if duration_years is not None else "–",
                    minimum=rule.min_duration_years,
                )
            )
        else:
            result.reasons.append(
                _("Laufzeit {years} Jahre (mindestens {minimum}): erfüllt.").format(
                    years=duration_years, minimum=rule.min_duration_years
                )
            )
    if rule.max_duration_years is not None and duration_years is not None and duration_years > rule.max_duration_years:
        result.fail(
            _("Laufzeit {years} Jahre: höchstens {maximum} Jahre förderfähig.").format(
                years=duration_years, maximum=rule.max_duration_years
            )
        )
