"""Services of the costs domain: the money base that procurement, funding and the case flow call.

Every service is keyword-only, runs in one transaction, writes an audit entry and rejects bad input with a
German ``ValidationError`` without changing anything. Services for other apps:

- ``cost_centre_ensure(*, dkz, code, name, members, allocation_key, valid_from, ..., by)``: at task
  transfer; idempotent: creates the centre, adds missing members, writes a new agreement version only if the
  terms changed.
  ``economic_check=``: the case's Wirtschaftlichkeitsprüfung (costs.economic), whose chosen basis the centre carries.
- ``time_entry_book(*, centre, municipality, hours, activity, booked_by, source_type="", source_id="",
  on=None)``: from procurement steps or manual booking; idempotent on (source_type, source_id, activity).
- ``plan_quantity_set(*, centre, year, municipality, key, quantity, by, basis="plan")``: key inputs such as
  ``hours:uvgo`` (planning talk), ``units:ozg`` (OZG services), ``effort`` (EUR), ``fte``, ``population``.
- ``funding_credit_record(*, centre, year, municipality, amount, source_type, source_id, by)``: funding
  attributed to a member; reduces its payable amount; idempotent on the source.

For the controller: ``year_plan_set``, ``plan_quantity_set``, ``year_plan_publish`` (members see the plan from
then on), ``actual_cost_book``, ``prepayment_record``, ``time_entry_book``, ``year_settle`` (locks the year), the
correction entries ``time_entry_correct`` / ``actual_cost_book(..., is_correction=True)`` and ``year_resettle``
(a new settlement version from the corrections booked after the lock).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from costs.calculation import agreement_for, is_locked, plan_compute, settlement_compute
from costs.keys import ZERO, fmt, key_get
from costs.models import (
    ActualCost,
    Agreement,
    CostCentre,
    CostCentreMember,
    EconomicCheck,
    FundingCredit,
    Prepayment,
    Quantity,
    Settlement,
    SettlementLine,
    TimeEntry,
    YearPlan,
)
from costs.signals import plan_published, year_settled
from projects.models import Institution, Municipality
from projects.money import to_cents
from projects.selectors import has_capability
from projects.services.audit import audit_record, field_changes

AGREEMENT_TERMS = (
    "valid_from",
    "valid_to",
    "allocation_key",
    "rate_pay_group",
    "effort_pay_step",
    "staff_per_fte",
    "base_amount",
    "sockel_share_percent",
    "sockel_minimum",
    "startup_years",
)


def _decimal(value: Any, label: str) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError(_("{label}: „{value}“ ist keine Zahl.").format(label=label, value=value)) from None


def _county(centre: CostCentre):
    return centre.dkz.counties.first()


def _audit(*, by, action: str, subject, centre: CostCentre, changes=None, municipality=None, note: str = ""):
    audit_record(
        actor=by,
        action=action,
        subject=subject,
        changes=changes,
        county=_county(centre),
        municipality=municipality,
        note=note,
    )


def _require_member(*, centre: CostCentre, municipality: Municipality) -> None:
    if not CostCentreMember.objects.filter(centre=centre, municipality=municipality).exists():
        raise ValidationError(_("{m} ist an der Kostenstelle „{c}“ nicht beteiligt.").format(m=municipality, c=centre))


def _require_unlocked(*, centre: CostCentre, year: int) -> None:
    if is_locked(centre=centre, year=year):
        raise ValidationError(
            _(
                "Das Jahr {year} ist für „{c}“ abgerechnet und gesperrt; Änderungen nur als neue Korrekturbuchung."
            ).format(year=year, c=centre)
        )


def _require_controller(*, by: Any, centre: CostCentre) -> None:
    """``by=None`` is the system (seed, command); a person needs the capability control_costs."""
    if by is None:
        return
    member = centre.members.first()
    if member is None or not has_capability(user=by, capability="control_costs", municipality=member):
        raise PermissionDenied(_("Nur das Controlling der DKZ darf Kosten planen und abrechnen."))


@transaction.atomic
def cost_centre_ensure(
    *,
    dkz: Institution,
    code: str,
    name: str,
    members: Iterable[Municipality],
    allocation_key: str,
    valid_from: datetime.date,
    valid_to: datetime.date | None = None,
    rate_pay_group: str = "",
    effort_pay_step: int | None = None,
    staff_per_fte: Decimal | None = None,
    base_amount: Decimal = ZERO,
    sockel_share_percent: Decimal = ZERO,
    sockel_minimum: Decimal = ZERO,
    startup_years: Iterable[int] = (),
    note: str = "",
    by: Any = None,
    economic_check: EconomicCheck | None = None,
) -> CostCentre:
    """The cost centre of a transferred task with its members and its current agreement (idempotent).

    ``economic_check``: the case's Wirtschaftlichkeitsprüfung; the centre carries its chosen basis (own full cost or
    market price) from then on.
    """
    if dkz.kind != Institution.Kind.DKZ:
        raise ValidationError(_("Kostenstellen gehören zu einer DKZ."))
    key_get(allocation_key)
    if valid_to is not None and valid_to < valid_from:
        raise ValidationError(_("Das Laufzeitende liegt vor dem Laufzeitbeginn."))
    members = list(members)
    county_ids = set(dkz.counties.values_list("pk", flat=True))
    foreign = [m for m in members if m.county_id not in county_ids]
    if foreign:
        raise ValidationError(
            _("Nicht im Landkreis der DKZ: {names}.").format(names=", ".join(str(m) for m in foreign))
        )
    centre, created = CostCentre.objects.get_or_create(dkz=dkz, code=code, defaults={"name": name})
    if created:
        _audit(by=by, action="costs.centre_created", subject=centre, centre=centre, changes={"name": name})
    if economic_check is not None and centre.economic_check_id != economic_check.pk:
        centre.economic_check = economic_check
        centre.save(update_fields=["economic_check"])
        _audit(
            by=by,
            action="costs.centre_basis",
            subject=centre,
            centre=centre,
            changes={
                "basis": economic_check.basis_label,
                "amount": economic_check.basis_amount,
                "decision": economic_check.decision,
            },
        )
    for municipality in members:
        _member, added = CostCentreMember.objects.get_or_create(
            centre=centre, municipality=municipality, defaults={"joined_on": valid_from}
        )
        if added:
            _audit(
                by=by,
                action="costs.member_added",
                subject=centre,
                centre=centre,
                municipality=municipality,
                changes={"member": municipality},
            )
    terms = {
        "valid_from": valid_from,
        "valid_to": valid_to,
        "allocation_key": allocation_key,
        "rate_pay_group": rate_pay_group,
        "effort_pay_step": effort_pay_step,
        "staff_per_fte": _decimal(staff_per_fte, _("Beschäftigte je Soll-VZÄ")) if staff_per_fte is not None else None,
        "base_amount": to_cents(_decimal(base_amount, _("Grundkosten"))),
        "sockel_share_percent": _decimal(sockel_share_percent, _("Sockelbetrag-Anteil")),
        "sockel_minimum": to_cents(_decimal(sockel_minimum, _("Sockelbetrag-Minimum"))),
        "startup_years": sorted(int(y) for y in startup_years),
    }
    current = centre.agreements.order_by("-version").first()
    before = {k: getattr(current, k) for k in AGREEMENT_TERMS} if current else {}
    if current is None or field_changes(before, terms):
        agreement = Agreement.objects.create(
            centre=centre, version=(current.version + 1) if current else 1, note=note, created_by=by, **terms
        )
        _audit(
            by=by,
            action="costs.agreement_version",
            subject=agreement,
            centre=centre,
            changes=field_changes(before, terms),
        )
    return centre


@transaction.atomic
def year_plan_set(*, centre: CostCentre, year: int, budget: Decimal | None, by: Any, note: str = "") -> YearPlan:
    """The plan budget of the year (Wirtschaftsplan); ``None`` where the total is the sum of the parts."""
    _require_controller(by=by, centre=centre)
    _require_unlocked(centre=centre, year=year)
    if budget is not None:
        budget = to_cents(_decimal(budget, _("PLAN-Budget")))
        if budget < 0:
            raise ValidationError(_("Das PLAN-Budget darf nicht negativ sein."))
    plan = YearPlan.objects.filter(centre=centre, year=year).first()
    if plan is not None and plan.budget == budget and plan.note == note:
        return plan
    before = {"budget": plan.budget, "note": plan.note} if plan else {}
    if plan is None:
        plan = YearPlan(centre=centre, year=year)
    plan.budget, plan.note = budget, note
    plan.save()
    _audit(
        by=by,
        action="costs.plan_set",
        subject=plan,
        centre=centre,
        changes=field_changes(before, {"budget": budget, "note": note}),
    )
    return plan


@transaction.atomic
def year_plan_save(
    *,
    centre: CostCentre,
    year: int,
    budget: Decimal | None,
    quantities: dict[tuple[Municipality, str], Decimal],
    by: Any,
    note: str = "",
) -> YearPlan:
    """Create or edit the plan of a year in one step: budget and key inputs per member (from the plan form).

    The key is the one of the agreement in force in ``year``. The plan must be computable afterwards (a
    proportional key needs a budget and at least one input above zero); otherwise nothing is saved.
    """
    _require_controller(by=by, centre=centre)
    _require_unlocked(centre=centre, year=year)
    key = key_get(agreement_for(centre=centre, year=year).allocation_key)
    if budget is None and key.proportional:
        raise ValidationError(_("Beim Schlüssel „{key}“ ist das PLAN-Budget anzugeben.").format(key=key.label))
    plan = year_plan_set(centre=centre, year=year, budget=budget, by=by, note=note)
    for (municipality, quantity_key), quantity in quantities.items():
        plan_quantity_set(
            centre=centre, year=year, municipality=municipality, key=quantity_key, quantity=quantity, by=by
        )
    split = plan_compute(centre=centre, year=year)
    if split.total > 0 and split.weight_total == 0:
        raise ValidationError(_("Bitte für mindestens eine Kommune eine Schlüsselgröße über null angeben."))
    return plan


@transaction.atomic
def year_plan_publish(*, centre: CostCentre, year: int, by: Any) -> YearPlan:
    """Publish the plan of the year to the members: from now on they see their plan contribution."""
    _require_controller(by=by, centre=centre)
    plan = YearPlan.objects.select_for_update().filter(centre=centre, year=year).first()
    if plan is None:
        raise ValidationError(_("Für {year} gibt es noch keine Vorkalkulation.").format(year=year))
    if plan.published_at is not None:
        raise ValidationError(
            _("Die Vorkalkulation {year} ist bereits seit {when} veröffentlicht.").format(
                year=year, when=timezone.localtime(plan.published_at).strftime("%d.%m.%Y")
            )
        )
    split = plan_compute(centre=centre, year=year)  # refuses a plan that cannot be split (German message)
    if split.total <= 0:
        raise ValidationError(_("Eine Vorkalkulation ohne Betrag kann nicht veröffentlicht werden."))
    plan.published_at, plan.published_by = timezone.now(), by
    plan.save(update_fields=["published_at", "published_by"])
    _audit(
        by=by,
        action="costs.plan_published",
        subject=plan,
        centre=centre,
        changes={
            "year": year,
            "total": split.total,
            "members": {row.municipality.name: row.amount for row in split.rows},
        },
    )
    plan_published.send(sender=YearPlan, plan=plan, by=by)
    return plan


@transaction.atomic
def plan_quantity_set(
    *,
    centre: CostCentre,
    year: int,
    municipality: Municipality,
    key: str,
    quantity: Decimal,
    by: Any,
    basis: str = Quantity.Basis.PLAN,
    note: str = "",
) -> Quantity:
    """Set one key input of a member (idempotent: same value, no change)."""
    _require_member(centre=centre, municipality=municipality)
    _require_unlocked(centre=centre, year=year)
    quantity = _decimal(quantity, key)
    if quantity < 0:
        raise ValidationError(_("Die Menge „{key}“ darf nicht negativ sein.").format(key=key))
    row = Quantity.objects.filter(centre=centre, year=year, municipality=municipality, basis=basis, key=key).first()
    if row is not None and row.quantity == quantity:
        return row
    before = {"quantity": row.quantity} if row else {}
    if row is None:
        row = Quantity(centre=centre, year=year, municipality=municipality, basis=basis, key=key)
    row.quantity, row.note = quantity, note
    row.save()
    _audit(
        by=by,
        action="costs.quantity_set",
        subject=row,
        centre=centre,
        municipality=municipality,
        changes={"key": key, "basis": basis, **field_changes(before, {"quantity": quantity})},
    )
    return row


@transaction.atomic
def time_entry_book(
    *,
    centre: CostCentre,
    municipality: Municipality,
    hours: Decimal,
    activity: str,
    booked_by: Any,
    source_type: str = "",
    source_id: str = "",
    on: datetime.date | None = None,
) -> TimeEntry:
    """Book working time for a member; idempotent on (source_type, source_id, activity)."""
    on = on or timezone.localdate()
    hours = _decimal(hours, _("Stunden"))
    if hours <= 0:
        raise ValidationError(_("Die Stunden müssen größer als null sein."))
    if not activity.strip():
        raise ValidationError(_("Bitte die Tätigkeit angeben."))
    if bool(source_type) != bool(source_id):
        raise ValidationError(_("Quelle: Art und ID gehören zusammen."))
    _require_member(centre=centre, municipality=municipality)
    if source_type:
        existing = TimeEntry.objects.filter(
            source_type=source_type, source_id=str(source_id), activity=activity, is_correction=False
        ).first()
        if existing is not None:
            if existing.hours != hours:
                _require_unlocked(centre=existing.centre, year=existing.year)
                before = existing.hours
                existing.hours = hours
                existing.save(update_fields=["hours"])
                _audit(
                    by=booked_by,
                    action="costs.time_changed",
                    subject=existing,
                    centre=centre,
                    municipality=municipality,
                    changes=field_changes({"hours": before}, {"hours": hours}),
                )
            return existing
    _require_unlocked(centre=centre, year=on.year)
    entry = TimeEntry.objects.create(
        centre=centre,
        municipality=municipality,
        on=on,
        hours=hours,
        activity=activity,
        booked_by=booked_by,
        source_type=source_type,
        source_id=str(source_id),
    )
    _audit(
        by=booked_by,
        action="costs.time_booked",
        subject=entry,
        centre=centre,
        municipality=municipality,
        changes={"hours": hours, "on": on, "activity": activity, "source": f"{source_type}:{source_id}"},
    )
    return entry


@transaction.atomic
def time_entry_correct(*, entry: TimeEntry, hours: Decimal, reason: str, by: Any) -> TimeEntry:
    """A correction of a booking (also in a settled year): a new entry with the difference in hours."""
    _require_controller(by=by, centre=entry.centre)
    hours = _decimal(hours, _("Stunden"))
    if hours == 0:
        raise ValidationError(_("Eine Korrektur um null Stunden ändert nichts."))
    if not reason.strip():
        raise ValidationError(_("Bitte den Grund der Korrektur angeben."))
    if entry.is_correction:
        raise ValidationError(_("Korrigiert wird die ursprüngliche Buchung, nicht eine Korrekturbuchung."))
    corrected = entry.hours + (entry.corrections.aggregate(s=Sum("hours"))["s"] or ZERO)
    if corrected + hours < 0:
        raise ValidationError(
            _("Die Buchung hat {h} Stunden; sie kann nicht unter null korrigiert werden.").format(h=fmt(corrected))
        )
    correction = TimeEntry.objects.create(
        centre=entry.centre,
        municipality=entry.municipality,
        on=entry.on,
        hours=hours,
        activity=_("Korrektur: {reason}").format(reason=reason),
        booked_by=by,
        is_correction=True,
        correction_of=entry,
    )
    _audit(
        by=by,
        action="costs.time_corrected",
        subject=correction,
        centre=entry.centre,
        municipality=entry.municipality,
        changes={"hours": hours, "correction_of": entry.pk},
        note=reason,
    )
    return correction


@transaction.atomic
def actual_cost_book(
    *, centre: CostCentre, year: int, amount: Decimal, description: str, by: Any, is_correction: bool = False
) -> ActualCost:
    """Book an actual cost of the centre (in a settled year only as a correction entry)."""
    _require_controller(by=by, centre=centre)
    amount = to_cents(_decimal(amount, _("Betrag")))
    if not description.strip():
        raise ValidationError(_("Bitte die Kosten beschreiben."))
    if is_correction and amount == 0:
        raise ValidationError(_("Eine Korrektur um null Euro ändert nichts."))
    if not is_correction:
        _require_unlocked(centre=centre, year=year)
        if amount <= 0:
            raise ValidationError(_("Ist-Kosten müssen größer als null sein; Minderungen als Korrektur buchen."))
    cost = ActualCost.objects.create(
        centre=centre,
        year=year,
        amount=amount,
        description=description,
        booked_by=by,
        is_correction=is_correction,
    )
    _audit(
        by=by,
        action="costs.actual_booked",
        subject=cost,
        centre=centre,
        changes={"year": year, "amount": amount, "description": description, "correction": is_correction},
    )
    return cost


@transaction.atomic
def prepayment_record(
    *,
    centre: CostCentre,
    year: int,
    municipality: Municipality,
    amount: Decimal,
    received_on: datetime.date,
    by: Any,
) -> Prepayment:
    """A prepayment received from a member (Sockelbetrag or instalment) in an open year."""
    _require_controller(by=by, centre=centre)
    _require_member(centre=centre, municipality=municipality)
    _require_unlocked(centre=centre, year=year)
    amount = to_cents(_decimal(amount, _("Betrag")))
    if amount <= 0:
        raise ValidationError(_("Eine Vorauszahlung muss größer als null sein."))
    payment = Prepayment.objects.create(
        centre=centre,
        year=year,
        municipality=municipality,
        amount=amount,
        received_on=received_on,
        booked_by=by,
    )
    _audit(
        by=by,
        action="costs.prepayment_recorded",
        subject=payment,
        centre=centre,
        municipality=municipality,
        changes={"year": year, "amount": amount},
    )
    return payment


@transaction.atomic
def funding_credit_record(
    *,
    centre: CostCentre,
    year: int,
    municipality: Municipality,
    amount: Decimal,
    source_type: str,
    source_id: str,
    by: Any,
) -> FundingCredit:
    """Funding attributed to a member; idempotent on the source, a changed amount updates an open year."""
    _require_member(centre=centre, municipality=municipality)
    amount = to_cents(_decimal(amount, _("Betrag")))
    if amount < 0:
        raise ValidationError(_("Eine Fördermittel-Gutschrift darf nicht negativ sein."))
    if not source_type or not source_id:
        raise ValidationError(_("Fördermittel-Gutschriften brauchen ihre Quelle (Art und ID)."))
    credit = FundingCredit.objects.filter(
        centre=centre,
        year=year,
        municipality=municipality,
        source_type=source_type,
        source_id=str(source_id),
        is_correction=False,
    ).first()
    if credit is not None and credit.amount == amount:
        return credit
    _require_unlocked(centre=centre, year=year)
    before = {"amount": credit.amount} if credit else {}
    if credit is None:
        credit = FundingCredit(
            centre=centre,
            year=year,
            municipality=municipality,
            source_type=source_type,
            source_id=str(source_id),
            booked_by=by,
        )
    credit.amount = amount
    credit.save()
    _audit(
        by=by,
        action="costs.funding_credited",
        subject=credit,
        centre=centre,
        municipality=municipality,
        changes={"source": f"{source_type}:{source_id}", **field_changes(before, {"amount": amount})},
    )
    return credit


def _settlement_create(
    *, centre: CostCentre, year: int, by: Any, version: int, reason: str = "", previous: Settlement | None = None
) -> Settlement:
    """Compute the settlement of the year from the bookings as they stand and store it as ``version``."""
    result = settlement_compute(centre=centre, year=year, previous=previous)
    settlement = Settlement.objects.create(
        centre=centre,
        year=year,
        version=version,
        reason=reason,
        agreement=result.agreement,
        actual_total=result.actual_total,
        charged_total=result.charged_total,
        startup_year=result.startup_year,
        settled_by=by,
    )
    SettlementLine.objects.bulk_create(
        SettlementLine(
            settlement=settlement,
            municipality=line.municipality,
            weight=line.weight,
            plan_contribution=line.plan_contribution,
            actual_share=line.actual_share,
            charge=line.charge,
            prepayments=line.prepayments,
            funding=line.funding,
            balance=line.balance,
            previous_balance=line.previous_balance,
            explanation=line.explanation,
        )
        for line in result.lines
    )
    changes = {
        "year": year,
        "version": version,
        "actual_total": result.actual_total,
        "charged_total": result.charged_total,
        "startup_year": result.startup_year,
    }
    if previous is not None:
        changes["previous_actual_total"] = previous.actual_total
        changes["previous_charged_total"] = previous.charged_total
    _audit(
        by=by,
        action="costs.year_resettled" if previous else "costs.year_settled",
        subject=settlement,
        centre=centre,
        changes=changes,
        note=reason or result.note,
    )
    year_settled.send(sender=Settlement, settlement=settlement, by=by)
    return settlement


def _lock_centre(centre: CostCentre) -> None:
    """Serialise settlements of one centre (two controllers pressing the button at once)."""
    CostCentre.objects.select_for_update().filter(pk=centre.pk).first()


@transaction.atomic
def year_settle(*, centre: CostCentre, year: int, by: Any, today: datetime.date | None = None) -> Settlement:
    """Nachkalkulation: actual cost by the key − prepayments − funding = balance per member; locks the year.

    In start-up years of the agreement only costs actually incurred are charged, at most the plan
    contribution.
    """
    _require_controller(by=by, centre=centre)
    today = today or timezone.localdate()
    if today <= datetime.date(year, 12, 31):
        raise ValidationError(
            _("Die Nachkalkulation {year} ist erst nach Ablauf des Jahres möglich.").format(year=year)
        )
    _lock_centre(centre)
    _require_unlocked(centre=centre, year=year)
    return _settlement_create(centre=centre, year=year, by=by, version=1)


def corrections_since(*, settlement: Settlement) -> dict[str, list]:
    """Correction entries of the settled year booked after ``settlement`` (time entries and actual costs)."""
    time = TimeEntry.objects.filter(
        centre=settlement.centre,
        on__year=settlement.year,
        is_correction=True,
        booked_at__gt=settlement.settled_at,
    ).select_related("municipality")
    costs = ActualCost.objects.filter(
        centre=settlement.centre, year=settlement.year, is_correction=True, booked_at__gt=settlement.settled_at
    )
    return {"time_entries": list(time.order_by("pk")), "actual_costs": list(costs.order_by("pk"))}


@transaction.atomic
def year_resettle(*, centre: CostCentre, year: int, reason: str, by: Any) -> Settlement:
    """Neuabrechnung of a settled year after correction entries: a new settlement version, the old one stays.

    Each member's line shows its new balance and the change against the previous version.
    """
    _require_controller(by=by, centre=centre)
    if not reason.strip():
        raise ValidationError(_("Bitte den Grund der Neuabrechnung angeben."))
    _lock_centre(centre)
    previous = Settlement.objects.filter(centre=centre, year=year).order_by("-version").first()
    if previous is None:
        raise ValidationError(
            _("Das Jahr {year} ist noch nicht abgerechnet; eine Neuabrechnung setzt eine Abrechnung voraus.").format(
                year=year
            )
        )
    found = corrections_since(settlement=previous)
    if not found["time_entries"] and not found["actual_costs"]:
        raise ValidationError(
            _(
                "Seit der Abrechnung (Version {v}) wurden keine Korrekturbuchungen erfasst; "
                "eine Neuabrechnung ergäbe dasselbe."
            ).format(v=previous.version)
        )
    return _settlement_create(
        centre=centre, year=year, by=by, version=previous.version + 1, reason=reason.strip(), previous=previous
    )


@transaction.atomic
def cost_centre_join_request(*, centre: CostCentre, municipality: Municipality, by: Any, note: str = ""):
    """A member asks to join a service of its DKZ (cafeteria principle). The mayor asks; asking twice is refused."""
    from django.db import IntegrityError

    from costs.models import JoinRequest

    if not has_capability(user=by, capability="agree_planning_talk", municipality=municipality):
        raise PermissionDenied(_("Nur die Bürgermeisterin oder der Bürgermeister kann einen Beitritt anfragen."))
    if not centre.dkz.members.filter(municipality=municipality).exists():
        raise PermissionDenied(_("Die Kommune ist nicht Trägerin dieses DKZ."))
    if centre.memberships.filter(municipality=municipality).exists():
        raise ValidationError(_("Die Kommune nutzt diese Leistung bereits."))
    try:
        with transaction.atomic():
            request = JoinRequest.objects.create(centre=centre, municipality=municipality, note=note, requested_by=by)
    except IntegrityError as exc:
        raise ValidationError(_("Der Beitritt wurde bereits angefragt.")) from exc
    audit_record(
        actor=by,
        action="cost_centre.join_requested",
        subject=centre,
        municipality=municipality,
        changes={"municipality": municipality.name},
        note=note,
    )
    return request
