"""The economic check before the DKZ takes a task over (Wirtschaftlichkeitsprüfung, seed 000, issue 18 item 14).

``economic_check_record(*, case, by, ...)`` computes the DKZ's own full cost of a year from the dated full-cost rate
of a pay group (``PayGroupRate``, valid in the reference year) and compares it with the market price. The decision
(Eigenerledigung or Fremdvergabe) is the person's, with a reason; the comparison (difference, cheaper option) is
the service's. The cost centre created at the transfer carries the chosen basis (``cost_centre_ensure``).

A procedure of the procurement centre is taken by its reference (Vergabenummer) only: procurement imports costs,
so costs must not import procurement; the flow's form resolves the procedure and passes its reference on.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from costs.calculation import rate_for
from costs.models import EconomicCheck
from projects.models import Case
from projects.money import to_cents
from projects.selectors import has_capability
from projects.services.audit import audit_record, field_changes

# the highest figures the fields hold (model precision), refused in German beyond them
MAX_HOURS = Decimal("9999999.99")
MAX_MONEY = Decimal("999999999999.99")
CAPABILITY = "control_costs"
MIN_YEAR, MAX_YEAR = 1990, 2099  # the calendar of daily administration (as the task forms accept it)

FIGURES = (
    "year",
    "hours_per_year",
    "hourly_rate",
    "personnel_share",
    "material_share",
    "overhead_share",
    "time_cost",
    "extra_material_cost",
    "extra_material_source",
    "own_cost",
    "market_source",
    "market_price",
    "quotes_count",
    "procedure_reference",
    "market_note",
    "difference",
    "cheaper",
    "decision",
    "reason",
)


def economic_check_of(case: Case) -> EconomicCheck | None:
    """The case's recorded check, or None."""
    try:
        return case.economic_check  # the reverse one-to-one of EconomicCheck.case
    except ObjectDoesNotExist:
        return None


def _require_controller(*, by: Any, case: Case) -> None:
    """The DKZ's controlling does the check: it owns the full-cost rates and later plans the cost centre."""
    participant = case.participants.select_related("municipality").order_by("municipality__ags").first()
    if participant is None or not has_capability(user=by, capability=CAPABILITY, municipality=participant.municipality):
        raise PermissionDenied(_("Nur das Controlling der DKZ darf die Wirtschaftlichkeit prüfen."))


def _amount(value: Any, *, field: str, label: str, errors: dict[str, str], maximum: Decimal) -> Decimal:
    try:
        amount = Decimal(str(value if value not in (None, "") else "0"))
    except ArithmeticError:
        errors[field] = _("{label}: bitte eine Zahl angeben.").format(label=label)
        return Decimal(0)
    if not amount.is_finite() or amount < 0 or amount > maximum:
        errors[field] = _("{label}: bitte eine Zahl zwischen 0 und {maximum} angeben.").format(
            label=label, maximum=maximum
        )
        return Decimal(0)
    return amount


def comparison(*, own_cost: Decimal, market_price: Decimal) -> tuple[Decimal, str]:
    """Market price minus own full cost, and which option is cheaper."""
    difference = market_price - own_cost
    if difference > 0:
        return difference, EconomicCheck.Cheaper.OWN
    if difference < 0:
        return difference, EconomicCheck.Cheaper.BUY
    return difference, EconomicCheck.Cheaper.EQUAL


@transaction.atomic
def economic_check_record(
    *,
    case: Case,
    by: Any,
    year: int,
    hours_per_year: Decimal,
    pay_group: str,
    market_source: str,
    market_price: Decimal,
    decision: str,
    reason: str,
    extra_material_cost: Decimal = Decimal(0),
    extra_material_source: str = "",
    quotes_count: int | None = None,
    procedure_reference: str = "",
    market_note: str = "",
) -> EconomicCheck:
    """Record (or, before the cost centre exists, correct) the case's economic check.

    Own full cost = hours × the full-cost rate of ``pay_group`` valid in ``year`` (personnel, workplace material and
    overhead as the rate defines them) + task-specific material cost (with its source). Market price: a market
    inquiry (number of quotes and a note) or a procedure of the procurement centre (its reference).
    """
    _require_controller(by=by, case=case)
    existing = economic_check_of(case)
    if existing is not None and existing.cost_centres.exists():
        raise ValidationError(
            _("Die Kostenstelle ist bereits auf Grundlage dieser Prüfung angelegt; die Prüfung bleibt unverändert.")
        )
    errors: dict[str, str] = {}
    if not isinstance(year, int) or not MIN_YEAR <= year <= MAX_YEAR:
        errors["year"] = _("Bitte ein Bezugsjahr zwischen {a} und {b} angeben.").format(a=MIN_YEAR, b=MAX_YEAR)
        year = 0
    hours = _amount(
        hours_per_year, field="hours_per_year", label=_("Stunden je Jahr"), errors=errors, maximum=MAX_HOURS
    )
    hours = hours.quantize(Decimal("0.01"))
    if "hours_per_year" not in errors and hours <= 0:
        errors["hours_per_year"] = _("Bitte die Stunden je Jahr angeben (mehr als 0).")
    extra = to_cents(
        _amount(
            extra_material_cost,
            field="extra_material_cost",
            label=_("Zusätzliche Sachkosten"),
            errors=errors,
            maximum=MAX_MONEY,
        )
    )
    extra_source = (extra_material_source or "").strip()
    if extra > 0 and not extra_source:
        errors["extra_material_source"] = _("Bitte die Quelle der zusätzlichen Sachkosten angeben.")
    price = to_cents(
        _amount(market_price, field="market_price", label=_("Marktpreis"), errors=errors, maximum=MAX_MONEY)
    )
    if "market_price" not in errors and price <= 0:
        errors["market_price"] = _("Bitte den Marktpreis je Jahr angeben (mehr als 0 €).")
    note = (market_note or "").strip()
    reference = (procedure_reference or "").strip()
    if market_source == EconomicCheck.MarketSource.INQUIRY:
        if quotes_count is None or quotes_count < 1:
            errors["quotes_count"] = _("Bitte die Anzahl der eingeholten Angebote angeben (mindestens eins).")
        if not note:
            errors["market_note"] = _("Bitte die Markterkundung beschreiben (wer wurde wann angefragt).")
        reference = ""
    elif market_source == EconomicCheck.MarketSource.PROCEDURE:
        if not reference:
            errors["procedure"] = _("Bitte das Vergabeverfahren des Vergabezentrums auswählen.")
        quotes_count = None
    else:
        errors["market_source"] = _("Bitte angeben, woher der Marktpreis stammt.")
    if decision not in EconomicCheck.Decision.values:
        errors["decision"] = _("Bitte Eigenerledigung oder Fremdvergabe wählen.")
    if not (reason or "").strip():
        errors["reason"] = _("Bitte die Entscheidung begründen.")
    rate = rate_for(pay_group=pay_group, year=year) if pay_group and year else None
    if rate is None and year:
        errors["pay_group"] = _(
            "Für die Entgeltgruppe „{group}“ ist im Jahr {year} kein Vollkostensatz hinterlegt."
        ).format(group=pay_group or "–", year=year)
    if errors:
        raise ValidationError(errors)
    assert rate is not None

    # the rate's parts, in cents; the personnel part takes the rounding so that the parts add up to the time cost
    time_cost = to_cents(hours * rate.hourly_rate)
    material_share = to_cents(hours * rate.material_cost / rate.annual_hours)
    overhead_share = to_cents(hours * rate.overhead_cost / rate.annual_hours)
    personnel_share = time_cost - material_share - overhead_share
    own_cost = time_cost + extra
    difference, cheaper = comparison(own_cost=own_cost, market_price=price)
    values: dict[str, Any] = {
        "year": year,
        "hours_per_year": hours,
        "rate": rate,
        "hourly_rate": rate.hourly_rate,
        "rate_explanation": f"{rate.pay_group}: {rate.explanation} ({rate.source})"
        if rate.source
        else rate.explanation,
        "personnel_share": personnel_share,
        "material_share": material_share,
        "overhead_share": overhead_share,
        "time_cost": time_cost,
        "extra_material_cost": extra,
        "extra_material_source": extra_source,
        "own_cost": own_cost,
        "market_source": market_source,
        "market_price": price,
        "quotes_count": quotes_count,
        "procedure_reference": reference,
        "market_note": note,
        "difference": difference,
        "cheaper": cheaper,
        "decision": decision,
        "reason": reason.strip(),
        "recorded_by": by,
    }
    before = {name: getattr(existing, name) for name in FIGURES} if existing is not None else {}
    if existing is None:
        check = EconomicCheck.objects.create(case=case, **values)
    else:
        check = existing
        for name, value in values.items():
            setattr(check, name, value)
        check.save()
    audit_record(
        actor=by,
        action="economic_check.recorded" if existing is None else "economic_check.changed",
        subject=case,
        county=case.county,
        changes=field_changes(before, {name: values[name] for name in FIGURES}),
    )
    return check
