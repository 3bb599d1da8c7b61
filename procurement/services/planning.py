"""The annual planning talk and bundling of similar needs into joint procedures."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from procurement.models import Kind, Lot, PlanningItem, PlanningTalk, Procedure
from procurement.services.common import audit, now_or, require_capability
from procurement.services.procedure import apply_admissibility, next_reference
from procurement.services.rules import LotValue, procedure_hours_default, procedure_types_admissible
from projects.models import Municipality
from projects.selectors import has_capability
from projects.services.audit import audit_record

T = PlanningTalk.Status


def _may_edit(*, user: Any, municipality: Municipality) -> bool:
    return has_capability(user=user, capability="request_procurement", municipality=municipality) or has_capability(
        user=user, capability="run_procurement", municipality=municipality
    )


def _require_edit(*, user: Any, talk: PlanningTalk) -> None:
    if not _may_edit(user=user, municipality=talk.municipality):
        raise PermissionDenied(_("Das Planungsgespräch führen nur die Kommune und das Vergabezentrum."))
    if talk.status != T.DRAFT:
        raise ValidationError(_("Diese Fassung ist bestätigt; Änderungen erfolgen in einer neuen Fassung."))


def _audit(talk: PlanningTalk, by: Any, action: str, changes: dict | None = None, note: str = "") -> None:
    audit_record(
        actor=by,
        action=action,
        subject=talk,
        changes=changes,
        note=note,
        county=talk.county,
        municipality=talk.municipality,
    )


@transaction.atomic
def planning_talk_open(*, municipality: Municipality, year: int, by: Any) -> PlanningTalk:
    if not _may_edit(user=by, municipality=municipality):
        raise PermissionDenied(_("Das Planungsgespräch führen nur die Kommune und das Vergabezentrum."))
    if PlanningTalk.objects.filter(municipality=municipality, year=year).exists():
        raise ValidationError(
            _("Für %(year)s gibt es bereits ein Planungsgespräch; bitte eine neue Fassung anlegen.") % {"year": year}
        )
    if municipality.county_id is None:
        raise ValidationError(_("Planungsgespräche gibt es nur für Kommunen eines Landkreises."))
    talk = PlanningTalk.objects.create(county_id=municipality.county_id, municipality=municipality, year=year)
    _audit(talk, by, "planning_talk.opened", {"year": year})
    return talk


@transaction.atomic
def planning_item_add(
    *,
    talk: PlanningTalk,
    by: Any,
    subject: str,
    kind: str,
    category: str,
    estimated_value: Decimal,
    quarter: int,
    housing: bool = False,
    on: date | None = None,
) -> PlanningItem:
    """Add an expected procedure; EU flag, expected type and hours follow from the reference data."""
    talk = PlanningTalk.objects.select_for_update().get(pk=talk.pk)
    _require_edit(user=by, talk=talk)
    errors = {}
    if not subject.strip():
        errors["subject"] = _("Bitte den Gegenstand angeben.")
    if not category.strip():
        errors["category"] = _("Bitte eine Kategorie angeben (für die Bündelung).")
    if quarter not in (1, 2, 3, 4):
        errors["quarter"] = _("Das Quartal muss zwischen 1 und 4 liegen.")
    if kind not in Kind.values:
        errors["kind"] = _("Bitte eine gültige Leistungsart wählen.")
    if Decimal(estimated_value) <= 0:
        errors["estimated_value"] = _("Der geschätzte Auftragswert muss größer als 0 EUR sein.")
    if errors:
        raise ValidationError(errors)
    on = on or date(talk.year, 1, 1)
    result = procedure_types_admissible(kind=kind, estimated_value=Decimal(estimated_value), on=on, housing=housing)
    item = PlanningItem.objects.create(
        talk=talk,
        subject=subject.strip(),
        kind=kind,
        category=category.strip(),
        estimated_value=Decimal(estimated_value),
        quarter=quarter,
        housing=housing,
        eu=result.eu,
        procedure_type=result.proposed.procedure_type,
        estimated_hours=procedure_hours_default(procedure_type=result.proposed.procedure_type, on=on),
    )
    _audit(
        talk,
        by,
        "planning_talk.item_added",
        {
            "subject": item.subject,
            "estimated_value": item.estimated_value,
            "eu": item.eu,
            "hours": item.estimated_hours,
        },
    )
    return item


@transaction.atomic
def planning_item_remove(*, item: PlanningItem, by: Any) -> None:
    talk = PlanningTalk.objects.select_for_update().get(pk=item.talk_id)
    _require_edit(user=by, talk=talk)
    _audit(talk, by, "planning_talk.item_removed", {"subject": item.subject})
    item.delete()


@transaction.atomic
def planning_talk_agree(*, talk: PlanningTalk, by: Any, now: datetime | None = None) -> PlanningTalk:
    """The mayor agrees for the municipality, DKZ staff for the centre; both → agreed (previous version superseded)."""
    now = now_or(now)
    talk = PlanningTalk.objects.select_for_update().get(pk=talk.pk)
    if talk.status != T.DRAFT:
        raise ValidationError(_("Diese Fassung ist nicht mehr in Abstimmung."))
    if has_capability(user=by, capability="agree_planning_talk", municipality=talk.municipality):
        talk.mayor_agreed_by, talk.mayor_agreed_at = by, now
        side = "municipality"
    elif has_capability(user=by, capability="run_procurement", municipality=talk.municipality):
        talk.centre_agreed_by, talk.centre_agreed_at = by, now
        side = "centre"
    else:
        raise PermissionDenied(
            _("Das Planungsgespräch bestätigen die Bürgermeisterin oder der Bürgermeister und das Vergabezentrum.")
        )
    if talk.mayor_agreed_at and talk.centre_agreed_at:
        talk.status = T.AGREED
        if talk.previous_id:
            PlanningTalk.objects.filter(pk=talk.previous_id).update(status=T.SUPERSEDED)
    talk.save()
    _audit(talk, by, "planning_talk.agreed", {"side": side, "status": talk.status})
    return talk


@transaction.atomic
def planning_talk_revise(*, talk: PlanningTalk, by: Any, reason: str) -> PlanningTalk:
    """A change during the year: a new draft version with the items copied; the agreed one stays valid until then."""
    talk = PlanningTalk.objects.select_for_update().get(pk=talk.pk)
    if not _may_edit(user=by, municipality=talk.municipality):
        raise PermissionDenied(_("Das Planungsgespräch führen nur die Kommune und das Vergabezentrum."))
    if talk.status != T.AGREED or hasattr(talk, "next_version"):
        raise ValidationError(_("Nur die aktuelle bestätigte Fassung kann fortgeschrieben werden."))
    if not reason.strip():
        raise ValidationError({"reason": _("Bitte den Grund der Änderung angeben.")})
    new = PlanningTalk.objects.create(
        county_id=talk.county_id,
        municipality=talk.municipality,
        year=talk.year,
        version=talk.version + 1,
        previous=talk,
        change_reason=reason.strip(),
    )
    for item in talk.items.all():
        item.pk = None
        item.talk = new
        item.save()
    _audit(new, by, "planning_talk.revised", {"version": new.version}, note=new.change_reason)
    return new


@transaction.atomic
def joint_procedure_propose(
    *, items: list[PlanningItem], by: Any, subject: str, now: datetime | None = None
) -> Procedure:
    """The centre proposes one procedure for similar needs of several members; one lot per need.

    The legal limits apply to the combined value. Participants confirm their lots (``joint_procedure_confirm``).
    """
    now = now_or(now)
    items = list(PlanningItem.objects.filter(pk__in=[i.pk for i in items]).select_related("talk__municipality"))
    municipalities = [item.talk.municipality for item in items]
    if len({m.pk for m in municipalities}) < 2:
        raise ValidationError(_("Eine gemeinsame Beschaffung braucht mindestens zwei Kommunen."))
    if len({item.kind for item in items}) != 1 or len({m.county_id for m in municipalities}) != 1:
        raise ValidationError(_("Gebündelt werden nur gleichartige Bedarfe von Kommunen eines Landkreises."))
    for municipality in municipalities:
        require_capability(
            user=by,
            capability="run_procurement",
            municipality=municipality,
            message=_("Gemeinsame Verfahren schlägt nur das Vergabezentrum vor."),
        )
    if any(item.talk.status != T.AGREED for item in items):
        raise ValidationError(_("Gebündelt werden nur Bedarfe aus bestätigten Planungsgesprächen."))
    if Lot.objects.filter(planning_item__in=items).exists():
        raise ValidationError(_("Ein Bedarf ist bereits einem Verfahren zugeordnet."))
    lead = municipalities[0]
    if lead.county_id is None:
        raise ValidationError(_("Gebündelt werden nur gleichartige Bedarfe von Kommunen eines Landkreises."))
    procedure = Procedure(
        reference=next_reference(now.year),
        county_id=lead.county_id,
        municipality=lead,
        is_joint=True,
        subject=subject.strip() or items[0].subject,
        kind=items[0].kind,
        housing=all(item.housing for item in items),
        estimated_value=sum((item.estimated_value for item in items), Decimal("0")),
        status=Procedure.Status.PROPOSED_JOINT,
        created_by=by,
    )
    apply_admissibility(procedure, now=now, lots=trade_lots_of(items))
    procedure.save()
    for number, item in enumerate(items, start=1):
        Lot.objects.create(
            procedure=procedure,
            number=number,
            municipality=item.talk.municipality,
            title=f"{item.subject} ({item.talk.municipality})",
            estimated_value=item.estimated_value,
            planning_item=item,
        )
    audit(
        procedure=procedure,
        by=by,
        action="procedure.joint_proposed",
        changes={
            "lots": [m.name for m in municipalities],
            "estimated_value": procedure.estimated_value,
            "eu": procedure.eu,
        },
    )
    return procedure


@transaction.atomic
def joint_procedure_confirm(*, lot: Lot, by: Any, now: datetime | None = None) -> Lot:
    """A participant confirms its lot; when all have confirmed, the procedure starts (need recorded)."""
    now = now_or(now)
    procedure = Procedure.objects.select_for_update().get(pk=lot.procedure_id)
    lot = Lot.objects.select_for_update().select_related("municipality").get(pk=lot.pk)
    require_capability(
        user=by,
        capability="request_procurement",
        municipality=lot.municipality,
        message=_("Die Teilnahme bestätigt nur die Kommune des Loses."),
    )
    if procedure.status != Procedure.Status.PROPOSED_JOINT or lot.confirmed_at:
        raise ValidationError(_("Die Teilnahme ist bereits bestätigt oder das Verfahren läuft schon."))
    lot.confirmed_by, lot.confirmed_at = by, now
    lot.save(update_fields=["confirmed_by", "confirmed_at"])
    if not procedure.lots.filter(confirmed_at__isnull=True).exists():
        procedure.status = Procedure.Status.NEED
        procedure.save(update_fields=["status"])
    audit(
        procedure=procedure,
        by=by,
        action="procedure.joint_confirmed",
        subject=lot,
        municipality=lot.municipality,
        changes={"lot": lot.number},
    )
    return lot


def bundle_admissibility(*, items: list[PlanningItem], on: date):
    """The admissible types for the combined value of several needs (what bundling changes legally)."""
    kinds = {item.kind for item in items}
    if len(kinds) != 1:
        raise ValidationError(_("Gebündelt werden nur gleichartige Bedarfe."))
    return procedure_types_admissible(
        kind=kinds.pop(),
        estimated_value=sum((i.estimated_value for i in items), Decimal("0")),
        on=on,
        housing=all(i.housing for i in items),
        lots=trade_lots_of(items),
    )


def trade_lots_of(items: list[PlanningItem]) -> list[LotValue]:
    """The trade lots (Fachlose) of bundled needs: the needs of one category (trade) form one trade lot, whose
    value is their sum; it counts as housing only if all its needs are housing (the housing limit of § 12 HVTG
    is for Bauleistungen für Wohnzwecke, not for a bundle that merely contains one)."""
    groups: dict[str, list[PlanningItem]] = {}
    for item in items:
        groups.setdefault(item.category.strip().casefold(), []).append(item)
    return [
        LotValue(
            label=group[0].category.strip(),
            value=sum((i.estimated_value for i in group), Decimal("0")),
            housing=all(i.housing for i in group),
        )
        for group in groups.values()
    ]
