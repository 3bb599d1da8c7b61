"""The application lifecycle: idea → prepared → internal review → submitted → decision → drawdowns →
proof of use → closed, or revocation with repayment. Each step checks the actor, validates, writes the change,
its deadlines and its audit entry in one transaction.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from funding.models import (
    Application,
    ApplicationDocument,
    ApplicationPartner,
    Deadline,
    Decision,
    Drawdown,
    NoticeKey,
    Programme,
    ProofOfUse,
    Repayment,
)
from funding.selectors import county_anchor
from funding.services.eligibility import euro, funding_eligibility_check, saving_calculate
from funding.signals import (
    application_state_changed,
    drawdown_payout_recorded,
    drawdown_recorded,
    drawdown_use_recorded,
    repayment_receipt_recorded,
)
from projects.models import Case, County, Municipality
from projects.money import to_cents
from projects.selectors import has_capability
from projects.services.audit import audit_record, field_changes
from projects.services.uploads import upload_check

State = Application.State


def add_months(day: dt.date, months: int) -> dt.date:
    """Same day ``months`` later; the month's last day if it is shorter."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _require_officer(by: Any, county: County) -> None:
    if not has_capability(user=by, capability="manage_funding", municipality=county_anchor(county)):
        raise PermissionDenied(_("Nur die Fördermittelstelle des DKZ dieses Landkreises darf das tun."))


def _require_state(application: Application, *states: str) -> None:
    if application.state not in states:
        allowed = ", ".join(str(State(s).label) for s in states)
        raise ValidationError(
            _("Der Antrag steht auf „{state}“; dieser Schritt ist nur im Stand {allowed} möglich.").format(
                state=application.get_state_display(), allowed=allowed
            )
        )


def _set_state(application: Application, state: str, by: Any, note: str = "", **changes: Any) -> None:
    before = application.state
    application.state = state
    application.save()
    audit_record(
        actor=by,
        action=f"funding.application.{state}",
        subject=application,
        county=application.county,
        changes={"state": {"old": before, "new": state}, **changes},
        note=note,
    )
    application_state_changed.send(sender=Application, application=application, old=before, new=state, by=by)


def _lock(application: Application) -> Application:
    return Application.objects.select_for_update().get(pk=application.pk)


def _officer_step(application: Application, *, by: Any, states: tuple[str, ...]) -> Application:
    """The start of an officer's step: the capability on the county, then the row locked and its state checked."""
    _require_officer(by, application.county)
    application = _lock(application)
    _require_state(application, *states)
    return application


def _deadline(application: Application, kind: str, label: str, due_on: dt.date, **extra: Any) -> Deadline:
    lead = dt.timedelta(days=application.programme.reminder_lead_days)
    return Deadline.objects.create(
        application=application, kind=kind, label=label, due_on=due_on, remind_on=due_on - lead, **extra
    )


def _close_deadlines(application: Application, kind: str, on: dt.date, **filters: Any) -> None:
    Deadline.objects.filter(application=application, kind=kind, done_on__isnull=True, **filters).update(done_on=on)


# --- idea ----------------------------------------
@transaction.atomic
def application_create(
    *,
    by: Any,
    programme: Programme,
    title: str,
    county: County | None = None,
    partners: Sequence[Municipality] = (),
    case: Case | None = None,
    form: str = Application.Form.COOPERATION,
    duration_years: int | None = None,
    eligible_cost: Decimal | None = None,
    exception_reason: str = "",
) -> Application:
    """A new application (an idea), on its own or from an IKZ case (partners default to its participants)."""
    if case is not None:
        county = county or case.county
        if not partners:
            partners = [
                p.municipality for p in case.participants.filter(status="active").select_related("municipality")
            ]
    errors: dict[str, str] = {}
    if county is None:
        errors["county"] = _("Bitte den Landkreis angeben.")
    if not (title or "").strip():
        errors["title"] = _("Bitte einen Titel angeben.")
    if not partners:
        errors["partners"] = _("Bitte mindestens eine beteiligte Kommune angeben.")
    elif county is not None and any(p.county_id != county.pk for p in partners):
        errors["partners"] = _("Alle beteiligten Kommunen müssen zum Landkreis {county} gehören.").format(county=county)
    if case is not None and county is not None and case.county_id != county.pk:
        errors["case"] = _("Der IKZ-Vorgang gehört zu einem anderen Landkreis.")
    if errors:
        raise ValidationError(errors)
    assert county is not None  # a missing county is one of the errors above
    _require_officer(by, county)
    application = Application.objects.create(
        county=county,
        programme=programme,
        case=case,
        title=title.strip(),
        form=form,
        duration_years=duration_years,
        eligible_cost=eligible_cost,
        exception_reason=exception_reason,
        created_by=by,
        channel=programme.channel,
    )
    ApplicationPartner.objects.bulk_create(
        ApplicationPartner(application=application, municipality=m) for m in {p.pk: p for p in partners}.values()
    )
    audit_record(
        actor=by,
        action="funding.application.created",
        subject=application,
        county=county,
        changes={"programme": programme, "partners": [str(p) for p in partners], "case": case},
    )
    return application


@transaction.atomic
def application_saving_record(
    *,
    application: Application,
    by: Any,
    previous: Mapping[Municipality, tuple[Decimal, Decimal]],
    joint_personnel: Decimal,
    joint_material: Decimal,
) -> Decimal | None:
    """Previous personnel and material costs per municipality vs the joint unit; returns the saving %."""
    _require_officer(by, application.county)
    application = _lock(application)
    rows = {row.municipality_id: row for row in application.partner_rows.all()}
    strangers = [str(m) for m in previous if m.pk not in rows]
    if strangers:
        raise ValidationError(_("Nicht am Antrag beteiligt: {names}.").format(names=", ".join(strangers)))
    if any(Decimal(v) < 0 for pair in previous.values() for v in pair) or joint_personnel < 0 or joint_material < 0:
        raise ValidationError(_("Kosten dürfen nicht negativ sein."))
    for municipality, (personnel, material) in previous.items():
        row = rows[municipality.pk]
        row.previous_personnel_cost, row.previous_material_cost = to_cents(personnel), to_cents(material)
        row.save(update_fields=["previous_personnel_cost", "previous_material_cost"])
    result = saving_calculate(
        previous=[(r.previous_personnel_cost, r.previous_material_cost) for r in rows.values()],
        joint_personnel=joint_personnel,
        joint_material=joint_material,
    )
    before = {"saving_percent": application.saving_percent}
    application.joint_personnel_cost, application.joint_material_cost = (
        to_cents(joint_personnel),
        to_cents(joint_material),
    )
    application.saving_percent = result.percent
    application.save()
    audit_record(
        actor=by,
        action="funding.application.saving_recorded",
        subject=application,
        county=application.county,
        changes=field_changes(before, {"saving_percent": result.percent})
        | {"previous_total": result.previous_total, "joint_total": result.joint_total},
    )
    return result.percent


@transaction.atomic
def application_eligibility_update(*, application: Application, by: Any, on: dt.date) -> Application:
    """Run the eligibility check against the rule in force on ``on`` and store amount, rule and reasons."""
    _require_officer(by, application.county)
    application = _lock(application)
    result = funding_eligibility_check(
        programme=application.programme,
        partners=list(application.partners.all()),
        duration_years=application.duration_years,
        saving_percent=application.saving_percent,
        on=on,
        exception_reason=application.exception_reason,
        form=application.form,
        eligible_cost=application.eligible_cost,
        gvv_members=application.gvv_members,
        merged_fire_brigades=application.merged_fire_brigades,
    )
    before = {"eligible": application.eligible, "eligible_amount": application.eligible_amount}
    application.eligible, application.eligible_amount = result.eligible, result.amount
    application.eligible_rule, application.eligibility_reasons = result.rule, result.reasons
    application.checked_on = on
    application.save()
    audit_record(
        actor=by,
        action="funding.application.checked",
        subject=application,
        county=application.county,
        changes=field_changes(before, {"eligible": result.eligible, "eligible_amount": result.amount}),
        note=" ".join(result.reasons),
    )
    return application


# --- documents checklist and preparation ----------------------------------------
@dataclass(frozen=True)
class ChecklistItem:
    label: str
    done: bool
    kind: str = ""
    municipality: Municipality | None = None
    deliverer: str = ""  # who must deliver it while it is missing
    source: str = ""  # where it was found: an uploaded document or a record of the IKZ case


def _require_deliverer(by: Any, application: Application, kind: str, municipality: Municipality | None) -> None:
    from funding.selectors import document_may_deliver

    if not document_may_deliver(user=by, application=application, kind=kind, municipality=municipality):
        raise PermissionDenied(
            _(
                "Diese Unterlage darf nur die Fördermittelstelle des DKZ oder – für ihren eigenen Gremienbeschluss – "
                "die beteiligte Kommune hochladen."
            )
        )


@transaction.atomic
def application_document_add(
    *,
    application: Application,
    by: Any,
    kind: str,
    title: str,
    dated: dt.date,
    municipality: Municipality | None = None,
    reference: str = "",
    file: Any = None,
) -> ApplicationDocument:
    """A document of the checklist, its file checked by its content like a case document."""
    errors: dict[str, str] = {}
    if kind not in ApplicationDocument.Kind.values:
        errors["kind"] = _("Bitte die Art der Unterlage wählen.")
    if not (title or "").strip():
        errors["title"] = _("Bitte eine Bezeichnung angeben.")
    if dated is None:
        errors["dated"] = _("Bitte das Datum der Unterlage angeben.")
    if errors:
        raise ValidationError(errors)
    is_resolution = kind == ApplicationDocument.Kind.COUNCIL_RESOLUTION
    if is_resolution and (
        municipality is None or not application.partner_rows.filter(municipality=municipality).exists()
    ):
        raise ValidationError({"municipality": _("Ein Gremienbeschluss gehört zu einer beteiligten Kommune.")})
    _require_deliverer(by, application, kind, municipality)
    content_type = ""
    if file:
        # the type by its content, the size limit and a safe name, as for case documents
        content_type = upload_check(upload=file)
    document = ApplicationDocument.objects.create(
        application=application,
        kind=kind,
        title=title.strip(),
        dated=dated,
        municipality=municipality if is_resolution else None,
        reference=reference,
        file=file or "",
        content_type=content_type,
        size=file.size if file else 0,
        added_at=timezone.now(),
        added_by=by,
    )
    audit_record(
        actor=by,
        action="funding.document.added",
        subject=application,
        county=application.county,
        municipality=document.municipality,
        changes={"kind": kind, "title": document.title, "dated": dated, "size": document.size},
    )
    return document


@transaction.atomic
def application_document_replace(
    *, document: ApplicationDocument, by: Any, file: Any, dated: dt.date | None = None, reference: str | None = None
) -> ApplicationDocument:
    """A new file for a document of the checklist (e.g. the signed version); the former file is kept in the store
    and named in the audit entry."""
    application = document.application
    _require_deliverer(by, application, document.kind, document.municipality)
    if not file:
        raise ValidationError({"file": _("Bitte eine Datei auswählen.")})
    content_type = upload_check(upload=file)
    before = {"file": document.file.name or "", "version": document.version, "dated": document.dated}
    document.file, document.content_type, document.size = file, content_type, file.size
    document.version += 1
    if dated is not None:
        document.dated = dated
    if reference is not None:
        document.reference = reference
    document.added_at, document.added_by = timezone.now(), by
    document.save()
    audit_record(
        actor=by,
        action="funding.document.replaced",
        subject=application,
        county=application.county,
        municipality=document.municipality,
        changes=field_changes(
            before, {"file": document.file.name, "version": document.version, "dated": document.dated}
        )
        | {"title": document.title},
    )
    return document


def _case_resolutions(application: Application) -> dict[int, Any]:
    """The adopted council resolutions the IKZ case already holds, per municipality."""
    if application.case_id is None:
        return {}
    from projects.models import CouncilResolution

    return {
        r.municipality_id: r
        for r in CouncilResolution.objects.filter(
            case_id=application.case_id, outcome=CouncilResolution.Outcome.ADOPTED
        )
    }


def _case_agreement(application: Application) -> str:
    """The statute amendment in force or the agreement signed by every participant, as the case records it."""
    case = application.case
    if case is None:
        return ""
    from projects.models import Case, Consent, StatuteAmendment

    if case.route == Case.Route.COUNTY_WIDE:
        amendment = StatuteAmendment.objects.filter(case=case, status=StatuteAmendment.Status.IN_FORCE).first()
        return _("Satzungsänderung in Kraft (IKZ-Vorgang {case})").format(case=case.number) if amendment else ""
    needed = set(case.participants.filter(status="active").values_list("municipality_id", flat=True))
    signed = set(
        case.consents.filter(kind=Consent.Kind.AGREEMENT, agreed=True).values_list("municipality_id", flat=True)
    )
    if needed and needed <= signed:
        return _("Vereinbarung von allen Beteiligten unterzeichnet (IKZ-Vorgang {case})").format(case=case.number)
    return ""


def application_checklist(*, application: Application) -> list[ChecklistItem]:
    """Every partner's council resolution, the agreement or statute, the saving calculation: each found in the
    uploaded documents or in the records of the IKZ case; what is missing names who must deliver it."""
    kinds = ApplicationDocument.Kind
    documents = list(application.documents.all())
    uploaded = {d.municipality_id: d for d in documents if d.kind == kinds.COUNCIL_RESOLUTION}
    recorded = _case_resolutions(application)
    officer = _("DKZ-Fördermittelstelle")
    items = []
    for row in application.partner_rows.select_related("municipality").order_by("municipality__name"):
        municipality = row.municipality
        source = ""
        if municipality.pk in uploaded:
            source = _("Unterlage „{title}“ vom {day}").format(
                title=uploaded[municipality.pk].title, day=uploaded[municipality.pk].dated.strftime("%d.%m.%Y")
            )
        elif municipality.pk in recorded:
            resolution = recorded[municipality.pk]
            source = _("Im IKZ-Vorgang erfasst: {body}, Sitzung vom {day}").format(
                body=resolution.body, day=resolution.session_date.strftime("%d.%m.%Y")
            )
        items.append(
            ChecklistItem(
                _("{resolution}: {name}").format(resolution=municipality.council_resolution, name=municipality),
                bool(source),
                kind=kinds.COUNCIL_RESOLUTION,
                municipality=municipality,
                deliverer=_("{name} (Bürgermeister/in oder Sachbearbeitung)").format(name=municipality.name),
                source=source,
            )
        )
    agreement = next((d for d in documents if d.kind == kinds.AGREEMENT), None)
    source = (
        _("Unterlage „{title}“ vom {day}").format(title=agreement.title, day=agreement.dated.strftime("%d.%m.%Y"))
        if agreement
        else _case_agreement(application)
    )
    items.append(ChecklistItem(str(kinds.AGREEMENT.label), bool(source), kinds.AGREEMENT, None, officer, source))
    rule = application.eligible_rule or application.programme.rule_on(application.checked_on or dt.date.today())
    if rule is None or rule.min_saving_percent is not None:
        done = application.saving_percent is not None
        items.append(
            ChecklistItem(
                str(kinds.SAVING_CALCULATION.label),
                done,
                kinds.SAVING_CALCULATION,
                None,
                officer,
                _("Einsparung {percent} % berechnet").format(percent=number_format(application.saving_percent, 2))
                if application.saving_percent is not None
                else "",
            )
        )
    return items


@transaction.atomic
def application_prepare(*, application: Application, by: Any, on: dt.date) -> Application:
    """Idea → prepared: every checklist item present and the eligibility check passed."""
    _require_officer(by, application.county)
    application = application_eligibility_update(application=application, by=by, on=on)
    _require_state(application, State.IDEA)
    missing = [
        _("{item} (liefert: {who})").format(item=item.label, who=item.deliverer) if item.deliverer else item.label
        for item in application_checklist(application=application)
        if not item.done
    ]
    problems = []
    if missing:
        problems.append(_("Es fehlen Unterlagen: {items}.").format(items="; ".join(missing)))
    if not application.eligible:
        problems.append(_("Nicht förderfähig: {reasons}").format(reasons=" ".join(application.eligibility_reasons)))
    if problems:
        raise ValidationError(problems)
    _set_state(application, State.PREPARED, by)
    return application


@transaction.atomic
def application_review_start(*, application: Application, by: Any) -> Application:
    application = _officer_step(application, by=by, states=(State.PREPARED,))
    _set_state(application, State.IN_REVIEW, by)
    return application


@transaction.atomic
def application_review_return(*, application: Application, by: Any, note: str) -> Application:
    """The internal review sends the application back for changes."""
    _require_officer(by, application.county)
    if not (note or "").strip():
        raise ValidationError(_("Bitte angeben, was zu ändern ist."))
    application = _lock(application)
    _require_state(application, State.PREPARED, State.IN_REVIEW)
    _set_state(application, State.IDEA, by, note=note)
    return application


@transaction.atomic
def application_submit(
    *,
    application: Application,
    by: Any,
    submitted_on: dt.date,
    channel: str = "",
    requested_amount: Decimal | None = None,
) -> Application:
    """Submitted to the funder on a date, through the channel (Landkreis → RP → ministry)."""
    application = _officer_step(application, by=by, states=(State.IN_REVIEW,))
    if submitted_on is None:
        raise ValidationError({"submitted_on": _("Bitte das Datum der Einreichung angeben.")})
    if application.case_id and not hasattr(application.case, "transfer"):
        raise ValidationError(
            _(
                "Fördermittel können erst nach der Aufgabenübertragung beantragt werden; "
                "der Vorgang {case} ist noch nicht übertragen."
            ).format(case=application.case)
        )
    requested = to_cents(requested_amount) if requested_amount is not None else application.eligible_amount
    if requested is None or requested <= 0:
        raise ValidationError({"requested_amount": _("Bitte den beantragten Betrag angeben.")})
    application.submitted_on, application.requested_amount = submitted_on, requested
    application.channel = channel or application.channel or application.programme.channel
    _set_state(
        application,
        State.SUBMITTED,
        by,
        submitted_on=submitted_on,
        channel=application.channel,
        requested_amount=requested,
    )
    return application


# --- decision ----------------------------------------
@transaction.atomic
def decision_record(
    *,
    application: Application,
    by: Any,
    outcome: str,
    decided_on: dt.date,
    amount: Decimal = Decimal("0"),
    conditions: str = "",
    earmark_until: dt.date | None = None,
    first_year: int | None = None,
    last_year: int | None = None,
    key: Mapping[Municipality, Decimal] | None = None,
    key_source: str = Decision.KeySource.NOTICE,
    cost_centre_id: int | None = None,
    reference: str = "",
    reason: str = "",
) -> Decision:
    """The grant notice (amount, conditions, earmark period, attribution key) or the rejection."""
    from funding.services.attribution import decision_attribute

    application = _officer_step(application, by=by, states=(State.SUBMITTED,))
    if decided_on is None:
        raise ValidationError({"decided_on": _("Bitte das Datum des Bescheids angeben.")})
    grant = outcome == Decision.Outcome.GRANT
    if grant:
        amount = to_cents(amount or 0)
        if amount <= 0:
            raise ValidationError({"amount": _("Eine Bewilligung braucht einen Betrag über 0 €.")})
        first_year = first_year or decided_on.year
        last_year = last_year or first_year
        if last_year < first_year:
            raise ValidationError({"last_year": _("Das letzte Planjahr liegt vor dem ersten.")})
        if earmark_until is not None and earmark_until < decided_on:
            raise ValidationError({"earmark_until": _("Die Zweckbindung endet vor dem Bescheid.")})
    elif not (reason or "").strip():
        raise ValidationError({"reason": _("Bitte den Ablehnungsgrund angeben.")})
    if Decision.objects.filter(application=application).exists():
        raise ValidationError(_("Für diesen Antrag ist bereits ein Bescheid erfasst."))
    decision = Decision.objects.create(
        application=application,
        outcome=outcome,
        decided_on=decided_on,
        reference=reference,
        amount=amount if grant else Decimal("0"),
        conditions=conditions,
        earmark_until=earmark_until,
        first_year=first_year if grant else None,
        last_year=last_year if grant else None,
        key_source=key_source,
        cost_centre_id=cost_centre_id,
        reason=reason,
        recorded_by=by,
    )
    if grant and key:
        NoticeKey.objects.bulk_create(NoticeKey(decision=decision, municipality=m, weight=w) for m, w in key.items())
    if grant:
        if earmark_until is not None:
            _deadline(application, Deadline.Kind.EARMARK, _("Ende der Zweckbindung"), earmark_until)
        _set_state(application, State.GRANTED, by, amount=decision.amount, decided_on=decided_on)
        decision_attribute(decision=decision, by=by)
    else:
        _set_state(application, State.REJECTED, by, note=reason, decided_on=decided_on)
    return decision


# --- drawdowns ----------------------------------------
def drawn_total(application: Application) -> Decimal:
    return application.drawdowns.aggregate(total=Sum("amount"))["total"] or Decimal("0")


@transaction.atomic
def drawdown_record(
    *,
    application: Application,
    by: Any,
    amount: Decimal,
    requested_on: dt.date,
    needed_on: dt.date,
    paid_on: dt.date | None = None,
    purpose: str = "",
) -> Drawdown:
    """A call for funds; allowed only for payments due within the rule's period (ANBest-P: 2 months)."""
    application = _officer_step(application, by=by, states=(State.GRANTED,))
    rule = application.eligible_rule or application.programme.rule_on(requested_on)
    months = rule.drawdown_months if rule else 2
    amount = to_cents(amount)
    errors: dict[str, str] = {}
    if amount <= 0:
        errors["amount"] = _("Der Betrag muss über 0 € liegen.")
    granted = application.decision.amount
    already = drawn_total(application)
    if amount > granted - already:
        errors["amount"] = _("Abruf {amount} übersteigt die verbleibende Zuwendung von {rest}.").format(
            amount=euro(amount), rest=euro(granted - already)
        )
    if requested_on < application.decision.decided_on:
        errors["requested_on"] = _("Mittel können erst nach dem Bescheid abgerufen werden.")
    latest_need = add_months(requested_on, months)
    if needed_on > latest_need:
        errors["needed_on"] = _(
            "Mittel dürfen nur für Zahlungen abgerufen werden, die binnen {months} Monaten fällig sind "
            "(spätestens am {latest}); benötigt am {needed} ist zu früh abgerufen."
        ).format(months=months, latest=latest_need.strftime("%d.%m.%Y"), needed=needed_on.strftime("%d.%m.%Y"))
    if errors:
        raise ValidationError(errors)
    drawdown = Drawdown.objects.create(
        application=application,
        amount=amount,
        requested_on=requested_on,
        needed_on=needed_on,
        paid_on=paid_on,
        purpose=purpose,
        recorded_by=by,
    )
    if paid_on is not None:
        _drawdown_use_deadline(drawdown, paid_on, months)
    audit_record(
        actor=by,
        action="funding.drawdown.recorded",
        subject=application,
        county=application.county,
        changes={
            "amount": amount,
            "requested_on": requested_on,
            "needed_on": needed_on,
            "paid_on": paid_on,
            "drawn_total": already + amount,
        },
    )
    drawdown_recorded.send(sender=Drawdown, drawdown=drawdown, by=by)
    return drawdown


def _drawdown_use_deadline(drawdown: Drawdown, paid_on: dt.date, months: int) -> None:
    _deadline(
        drawdown.application,
        Deadline.Kind.DRAWDOWN_USE,
        _("Verwendung des Abrufs über {amount}").format(amount=euro(drawdown.amount)),
        add_months(paid_on, months),
        drawdown=drawdown,
    )


@transaction.atomic
def drawdown_paid(*, drawdown: Drawdown, by: Any, paid_on: dt.date) -> Drawdown:
    """The called funds were paid out: the use deadline (the rule's months, e.g. 2) starts."""
    application = drawdown.application
    _require_officer(by, application.county)
    drawdown = Drawdown.objects.select_for_update().get(pk=drawdown.pk)
    if drawdown.paid_on is not None:
        raise ValidationError(_("Die Auszahlung ist bereits erfasst."))
    if paid_on < drawdown.requested_on:
        raise ValidationError({"paid_on": _("Die Auszahlung kann nicht vor dem Abruf liegen.")})
    drawdown.paid_on = paid_on
    drawdown.save(update_fields=["paid_on"])
    rule = application.eligible_rule or application.programme.rule_on(paid_on)
    _drawdown_use_deadline(drawdown, paid_on, rule.drawdown_months if rule else 2)
    audit_record(
        actor=by,
        action="funding.drawdown.paid",
        subject=application,
        county=application.county,
        changes={"drawdown": drawdown.pk, "paid_on": paid_on},
    )
    drawdown_payout_recorded.send(sender=Drawdown, drawdown=drawdown, by=by)
    return drawdown


@transaction.atomic
def drawdown_use_confirm(*, drawdown: Drawdown, by: Any, used_on: dt.date) -> Drawdown:
    """The called funds have been spent: the drawdown's use deadline is met. Only a paid drawdown, once."""
    application = drawdown.application
    _require_officer(by, application.county)
    drawdown = Drawdown.objects.select_for_update().get(pk=drawdown.pk)
    if drawdown.paid_on is None:
        raise ValidationError(_("Der Abruf ist noch nicht ausgezahlt; bitte zuerst die Auszahlung erfassen."))
    if used_on < drawdown.paid_on:
        raise ValidationError({"used_on": _("Die Verwendung kann nicht vor der Auszahlung liegen.")})
    if not Deadline.objects.filter(
        application=application, kind=Deadline.Kind.DRAWDOWN_USE, drawdown=drawdown, done_on__isnull=True
    ).exists():
        raise ValidationError(_("Die Verwendung dieses Abrufs ist bereits erfasst oder seine Frist beendet."))
    _close_deadlines(application, Deadline.Kind.DRAWDOWN_USE, used_on, drawdown=drawdown)
    audit_record(
        actor=by,
        action="funding.drawdown.used",
        subject=application,
        county=application.county,
        changes={"drawdown": drawdown.pk, "used_on": used_on},
    )
    drawdown_use_recorded.send(sender=Drawdown, drawdown=drawdown, used_on=used_on, by=by)
    return drawdown


# --- proof of use, closure ----------------------------------------
@transaction.atomic
def application_purpose_fulfilled(
    *, application: Application, by: Any, fulfilled_on: dt.date, due_on: dt.date | None = None
) -> ProofOfUse:
    """The purpose is fulfilled: the proof of use falls due (default: the rule's months later, e.g. 6)."""
    application = _officer_step(application, by=by, states=(State.GRANTED,))
    if ProofOfUse.objects.filter(application=application).exists():
        raise ValidationError(_("Die Zweckerfüllung ist bereits erfasst."))
    rule = application.eligible_rule or application.programme.rule_on(fulfilled_on)
    due_on = due_on or add_months(fulfilled_on, rule.proof_of_use_months if rule else 6)
    if due_on < fulfilled_on:
        raise ValidationError({"due_on": _("Die Frist kann nicht vor der Zweckerfüllung enden.")})
    application.purpose_fulfilled_on = fulfilled_on
    application.save(update_fields=["purpose_fulfilled_on"])
    proof = ProofOfUse.objects.create(application=application, due_on=due_on)
    _deadline(application, Deadline.Kind.PROOF_OF_USE, _("Verwendungsnachweis"), due_on)
    audit_record(
        actor=by,
        action="funding.application.purpose_fulfilled",
        subject=application,
        county=application.county,
        changes={"fulfilled_on": fulfilled_on, "proof_due_on": due_on},
    )
    return proof


@transaction.atomic
def proof_submit(*, application: Application, by: Any, submitted_on: dt.date, amount_used: Decimal) -> ProofOfUse:
    application = _officer_step(application, by=by, states=(State.GRANTED,))
    proof = ProofOfUse.objects.filter(application=application).first()
    if proof is None:
        raise ValidationError(_("Bitte zuerst die Erfüllung des Zuwendungszwecks erfassen."))
    if amount_used is None or amount_used < 0:
        raise ValidationError({"amount_used": _("Bitte die nachgewiesenen Ausgaben angeben.")})
    proof.submitted_on, proof.amount_used = submitted_on, to_cents(amount_used)
    proof.save()
    _close_deadlines(application, Deadline.Kind.PROOF_OF_USE, submitted_on)
    late = submitted_on > proof.due_on
    _set_state(
        application,
        State.PROOF_SUBMITTED,
        by,
        submitted_on=submitted_on,
        amount_used=proof.amount_used,
        note=_("verspätet eingereicht") if late else "",
    )
    return proof


@transaction.atomic
def application_close(*, application: Application, by: Any, accepted_on: dt.date) -> Application:
    """The funder accepted the proof of use; spent at least what was paid out, nothing to repay."""
    application = _officer_step(application, by=by, states=(State.PROOF_SUBMITTED,))
    proof = application.proof
    drawn = drawn_total(application)
    used = proof.amount_used if proof.amount_used is not None else Decimal("0")
    if used < drawn:
        raise ValidationError(
            _("Nachgewiesen sind {used}, ausgezahlt {drawn}: bitte die Rückforderung erfassen.").format(
                used=euro(used), drawn=euro(drawn)
            )
        )
    proof.accepted_on = accepted_on
    proof.save(update_fields=["accepted_on"])
    Deadline.objects.filter(application=application, done_on__isnull=True).update(done_on=accepted_on)
    _set_state(application, State.CLOSED, by, accepted_on=accepted_on)
    return application


# --- revocation and repayment ----------------------------------------
def repayment_interest(*, principal: Decimal, rate_percent: Decimal, start: dt.date, end: dt.date) -> Decimal:
    """Simple interest per year of 365 days, rounded to cents."""
    days = max((end - start).days, 0)
    return to_cents(Decimal(principal) * Decimal(rate_percent) / 100 * days / 365)


@transaction.atomic
def application_revoke(
    *,
    application: Application,
    by: Any,
    revoked_on: dt.date,
    principal: Decimal,
    base_rate_percent: Decimal,
    interest_from: dt.date,
    due_on: dt.date,
    reason: str,
) -> Repayment:
    """Revoke the grant (wholly or partly): repayment with interest (base rate + the rule's points)."""
    application = _officer_step(application, by=by, states=(State.GRANTED, State.PROOF_SUBMITTED))
    errors: dict[str, str] = {}
    if not (reason or "").strip():
        errors["reason"] = _("Bitte den Grund des Widerrufs angeben.")
    principal = to_cents(principal or 0)
    drawn = drawn_total(application)
    if principal <= 0 or principal > drawn:
        errors["principal"] = _("Der Erstattungsbetrag muss über 0 € liegen und höchstens {drawn} betragen.").format(
            drawn=euro(drawn)
        )
    if due_on < revoked_on:
        errors["due_on"] = _("Die Zahlungsfrist endet vor dem Widerruf.")
    if errors:
        raise ValidationError(errors)
    rule = application.eligible_rule or application.programme.rule_on(revoked_on)
    rate = Decimal(base_rate_percent) + (rule.interest_points_above_base if rule else Decimal("5"))
    repayment = Repayment.objects.create(
        application=application,
        revoked_on=revoked_on,
        principal=principal,
        interest_from=interest_from,
        interest_until=due_on,
        interest_rate_percent=rate,
        due_on=due_on,
        reason=reason,
        interest=repayment_interest(principal=principal, rate_percent=rate, start=interest_from, end=due_on),
    )
    _close_deadlines(application, Deadline.Kind.PROOF_OF_USE, revoked_on)
    _close_deadlines(application, Deadline.Kind.DRAWDOWN_USE, revoked_on)
    _deadline(
        application,
        Deadline.Kind.REPAYMENT,
        _("Rückzahlung {amount}").format(amount=euro(repayment.total)),
        due_on,
    )
    _set_state(
        application,
        State.REVOKED,
        by,
        note=reason,
        principal=principal,
        interest=repayment.interest,
        rate_percent=rate,
    )
    return repayment


@transaction.atomic
def repayment_paid(*, repayment: Repayment, by: Any, paid_on: dt.date) -> Repayment:
    """The repayment (principal and interest) was received: its deadline is met. Recorded once."""
    application = repayment.application
    _require_officer(by, application.county)
    repayment = Repayment.objects.select_for_update().get(pk=repayment.pk)
    if repayment.paid_on is not None:
        raise ValidationError(_("Der Eingang der Rückzahlung ist bereits erfasst."))
    if paid_on < repayment.revoked_on:
        raise ValidationError({"paid_on": _("Die Rückzahlung kann nicht vor dem Widerruf eingegangen sein.")})
    repayment.paid_on = paid_on
    repayment.save(update_fields=["paid_on"])
    _close_deadlines(application, Deadline.Kind.REPAYMENT, paid_on)
    audit_record(
        actor=by,
        action="funding.repayment.paid",
        subject=application,
        county=application.county,
        changes={"paid_on": paid_on, "total": repayment.total},
    )
    repayment_receipt_recorded.send(sender=Repayment, repayment=repayment, by=by)
    return repayment
