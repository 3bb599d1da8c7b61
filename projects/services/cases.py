"""Services of the IKZ case: every business step of seeds 000/002 as one function.

The case flow (workflows/case.py) calls these; so do the API, the portal and the demo. Each checks the actor's
capability on the right municipality, validates, writes the change and its audit entry in one transaction.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from projects.models import (
    Anstaltstraeger,
    Approval,
    Case,
    CaseComment,
    CaseDocument,
    CaseParticipant,
    Consent,
    CouncilResolution,
    County,
    Institution,
    Municipality,
    ProjectOrder,
    ResolutionDeferral,
    StatuteAmendment,
    StatuteTask,
    SupervisoryDecision,
    TaskTransfer,
)
from projects.selectors import has_capability
from projects.services import deadlines
from projects.services.audit import audit_record, field_changes
from projects.services.supervision import require_competent_supervisor
from projects.services.uploads import DOCUMENT_TYPES, upload_check
from projects.signals import case_created, case_stage_changed, decision_recorded

ALLOWED_DOCUMENT_TYPES = DOCUMENT_TYPES  # type -> extension; the type is detected from the content (uploads.py)


class TaskAlreadyDecided(ValidationError):
    """Someone already recorded this decision (a second click, a stale form or a lost race)."""


# --- helpers ----------------------------------------------------------------------------------------------------
def county_anchor(county: County) -> Municipality:
    """The county itself as a member: the object DKZ and supervisory capabilities are checked on."""
    return Municipality.objects.get(county=county, kind=Municipality.Kind.LANDKREIS)


def county_dkz(county: County) -> Institution:
    return Institution.objects.get(kind=Institution.Kind.DKZ, counties=county)


def county_dkz_or_none(county: County) -> Institution | None:
    """The county's IKZ organisation (its form is data), or None while none is recorded."""
    return (
        Institution.objects.filter(kind=Institution.Kind.DKZ, counties=county)
        .select_related("host_municipality")
        .first()
    )


def _require(user: Any, capability: str, municipality: Municipality, message: str) -> None:
    if not has_capability(user=user, capability=capability, municipality=municipality):
        raise PermissionDenied(message)


def _require_dkz(user: Any, case: Case) -> None:
    _require(
        user,
        "manage_case",
        county_anchor(case.county),
        _("Nur das DKZ-Projektmanagement des Landkreises darf diesen Schritt ausführen."),
    )


def _set_stage(case: Case, stage: str, by: Any, note: str = "") -> None:
    if case.stage == stage:
        return
    old = case.stage
    case.stage = stage
    case.save(update_fields=["stage", "updated_at"])
    audit_record(
        actor=by,
        action="case.stage_changed",
        subject=case,
        county=case.county,
        changes={"stage": {"old": old, "new": stage}},
        note=note,
    )
    case_stage_changed.send(sender=Case, case=case, old=old, new=stage, by=by)


def active_participants(case: Case):
    return case.participants.filter(status=CaseParticipant.Status.ACTIVE).select_related("municipality")


def _next_number(county: County) -> str:
    year = timezone.localdate().year
    prefix = f"IKZ-{county.slug.upper()}-{year}-"
    last = Case.objects.filter(number__startswith=prefix).aggregate(m=Max("number"))["m"]
    seq = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{seq:04d}"


def _check_text_fields(model, **values: str) -> None:
    """Refuse in German what the database would refuse with an error: NUL characters and over-long texts."""
    errors = {}
    for name, value in values.items():
        limit = model._meta.get_field(name).max_length
        if "\x00" in value:
            errors[name] = _("Der Text enthält unzulässige Steuerzeichen.")
        elif limit and len(value) > limit:
            errors[name] = _("Höchstens %(limit)d Zeichen erlaubt.") % {"limit": limit}
    if errors:
        raise ValidationError(errors)


# --- 1. idea ----------------------------------------------------------------------------------------------------
@transaction.atomic
def case_capture(
    *,
    county: County,
    title: str,
    by: Any,
    description: str = "",
    task_area: str = "",
    proposing_municipality: Municipality | None = None,
    source: str = Case.Source.OWN_IDEA,
) -> Case:
    """Record an IKZ idea: by the DKZ project management, or by a municipality from the portal."""
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": _("Bitte einen Titel angeben.")})
    _check_text_fields(Case, title=title, description=description or "", task_area=task_area or "")
    if proposing_municipality is not None:
        if proposing_municipality.county_id != county.pk:
            raise ValidationError({"proposing_municipality": _("Die Kommune gehört nicht zu diesem Landkreis.")})
        allowed = has_capability(
            user=by, capability="propose_case", municipality=proposing_municipality
        ) or has_capability(user=by, capability="manage_case", municipality=proposing_municipality)
    else:
        allowed = has_capability(user=by, capability="manage_case", municipality=county_anchor(county))
    if not allowed:
        raise PermissionDenied(_("Sie dürfen für diese Kommune keine IKZ-Idee erfassen."))
    if source not in Case.Source.values:
        raise ValidationError({"source": _("Unbekannte Herkunft.")})
    for _attempt in range(3):
        try:
            with transaction.atomic():
                case = Case.objects.create(
                    county=county,
                    number=_next_number(county),
                    title=title,
                    description=description,
                    task_area=task_area,
                    source=source,
                    proposing_municipality=proposing_municipality,
                    stage=Case.Stage.SCREENING,
                    created_by=by,
                )
            break
        except IntegrityError:  # two ideas captured at the same moment drew the same number
            continue
    else:
        raise ValidationError(_("Das Aktenzeichen konnte nicht vergeben werden. Bitte erneut versuchen."))
    audit_record(
        actor=by,
        action="case.captured",
        subject=case,
        county=county,
        municipality=proposing_municipality,
        changes={"title": title, "source": source, "task_area": task_area},
    )
    case_created.send(sender=Case, case=case, by=by)
    return case


# --- 2. screening -----------------------------------------------------------------------------------------------
@transaction.atomic
def case_screen(
    *,
    case: Case,
    decision: str,
    by: Any,
    route: str = "",
    agreement_form: str = "",
    recheck_on: dt.date | None = None,
    reason: str = "",
) -> str:
    """Pursue (with a route), park (with a re-check date) or reject (with a reason)."""
    _require_dkz(by, case)
    errors: dict[str, str] = {}
    if decision == "pursue":
        if route not in Case.Route.values:
            errors["route"] = _("Bitte den Weg wählen: kreisweit oder bilateral.")
        elif route == Case.Route.COUNTY_WIDE and not county_dkz(case.county).is_joint_institution:
            errors["route"] = _(
                "%(org)s ist keine gemeinsame kommunale Anstalt: Aufgaben können nicht per Satzungsänderung "
                "übertragen werden. Bitte den Weg über eine öffentlich-rechtliche Vereinbarung wählen."
            ) % {"org": county_dkz(case.county)}
        if route == Case.Route.BILATERAL and agreement_form not in Case.AgreementForm.values:
            errors["agreement_form"] = _("Bitte die Form der Vereinbarung wählen (Delegation oder Mandat).")
    elif decision == "park":
        if recheck_on is None or recheck_on <= timezone.localdate():
            errors["recheck_on"] = _("Bitte ein Wiedervorlagedatum in der Zukunft angeben.")
    elif decision == "reject":
        if not reason.strip():
            errors["reason"] = _("Bitte die Ablehnung begründen.")
    else:
        errors["decision"] = _("Bitte fortführen, zurückstellen oder ablehnen.")
    if errors:
        raise ValidationError(errors)
    before = {"route": case.route, "agreement_form": case.agreement_form, "recheck_on": case.recheck_on}
    if decision == "pursue":
        case.route, case.agreement_form, case.recheck_on = (
            route,
            agreement_form if route == "bilateral" else "",
            None,
        )
        stage = Case.Stage.DEVELOPMENT
    elif decision == "park":
        case.recheck_on = recheck_on
        stage = Case.Stage.PARKED
    else:
        case.rejection_reason = reason
        stage = Case.Stage.REJECTED
    case.save()
    after = {"route": case.route, "agreement_form": case.agreement_form, "recheck_on": case.recheck_on}
    audit_record(
        actor=by,
        action=f"case.screened.{decision}",
        subject=case,
        county=case.county,
        changes=field_changes(before, after),
        note=reason,
    )
    _set_stage(case, stage, by)
    return decision


@transaction.atomic
def case_recheck(*, case: Case) -> None:
    """A parked case is due again (fired by its timer)."""
    _set_stage(case, Case.Stage.SCREENING, None, note=_("Wiedervorlage fällig"))


# --- 3. development ---------------------------------------------------------------------------------------------
@transaction.atomic
def case_participants_set(
    *,
    case: Case,
    municipalities: list[Municipality],
    lead: Municipality,
    by: Any,
    decision_rule: str = Case.DecisionRule.UNANIMOUS,
    quorum: int | None = None,
) -> list[CaseParticipant]:
    _require_dkz(by, case)
    ids = {m.pk for m in municipalities}
    if len(ids) < case.min_participants:
        raise ValidationError(
            {"municipalities": _("Mindestens %(n)d Kommunen müssen beteiligt sein.") % {"n": case.min_participants}}
        )
    if any(m.county_id != case.county_id for m in municipalities):
        raise ValidationError({"municipalities": _("Alle Beteiligten müssen zum Landkreis des Vorgangs gehören.")})
    if lead.pk not in ids:
        raise ValidationError({"lead": _("Die federführende Kommune muss beteiligt sein.")})
    if decision_rule == Case.DecisionRule.QUORUM and not (quorum and case.min_participants <= quorum <= len(ids)):
        raise ValidationError(
            {"quorum": _("Das Quorum muss zwischen der Mindestzahl und der Zahl der Beteiligten liegen.")}
        )
    before = sorted(case.participants.values_list("municipality__name", flat=True))
    case.participants.exclude(municipality_id__in=ids).delete()
    result = []
    for municipality in municipalities:
        participant, _created = CaseParticipant.objects.update_or_create(
            case=case,
            municipality=municipality,
            defaults={"is_lead": False, "status": CaseParticipant.Status.ACTIVE},
        )
        result.append(participant)
    CaseParticipant.objects.filter(case=case, municipality=lead).update(is_lead=True)
    case.decision_rule, case.quorum = (
        decision_rule,
        quorum if decision_rule == Case.DecisionRule.QUORUM else None,
    )
    case.save(update_fields=["decision_rule", "quorum", "updated_at"])
    audit_record(
        actor=by,
        action="case.participants_set",
        subject=case,
        county=case.county,
        changes={
            "participants": {"old": before, "new": sorted(m.name for m in municipalities)},
            "lead": lead.name,
            "decision_rule": decision_rule,
            "quorum": quorum,
        },
    )
    return result


@transaction.atomic
def project_order_save(*, case: Case, by: Any, **sections: Any) -> ProjectOrder:
    """Save the project order as a new version (earlier versions stay for comparison)."""
    _require_dkz(by, case)
    previous = case.current_order
    data = previous.snapshot() if previous else {}
    unknown = set(sections) - set(ProjectOrder.SECTIONS)
    if unknown:
        raise ValidationError(_("Unbekannte Abschnitte: %(names)s") % {"names": ", ".join(sorted(unknown))})
    data.update(sections)
    errors = {}
    for required in ("goals", "results", "start_date", "end_date", "project_lead", "cost_estimate"):
        if data.get(required) in (None, ""):
            errors[required] = _("Dieser Abschnitt des Projektauftrags fehlt.")
    if not errors and data["end_date"] < data["start_date"]:
        errors["end_date"] = _("Das Ende darf nicht vor dem Beginn liegen.")
    for money in ("cost_estimate", "expected_saving"):
        if data.get(money) not in (None, "") and Decimal(data[money]) < 0:
            errors[money] = _("Der Betrag darf nicht negativ sein.")
    if errors:
        raise ValidationError(errors)
    order = ProjectOrder.objects.create(
        case=case, version=(previous.version + 1) if previous else 1, created_by=by, **data
    )
    audit_record(
        actor=by,
        action="project_order.saved",
        subject=case,
        county=case.county,
        changes=field_changes(previous.snapshot() if previous else {}, order.snapshot()),
        note=f"Version {order.version}",
    )
    return order


@transaction.atomic
def case_submit_for_approval(*, case: Case, by: Any) -> ProjectOrder:
    _require_dkz(by, case)
    order = case.current_order
    errors = {}
    if order is None:
        errors["order"] = _("Es gibt noch keinen Projektauftrag.")
    if active_participants(case).count() < case.min_participants:
        errors["participants"] = _("Mindestens %(n)d Kommunen müssen beteiligt sein.") % {"n": case.min_participants}
    if not case.route:
        errors["route"] = _("Der Weg (kreisweit oder bilateral) ist nicht gewählt.")
    if errors:
        raise ValidationError(errors)
    assert order is not None  # a missing order is one of the errors above
    _set_stage(case, Case.Stage.APPROVAL, by, note=f"Projektauftrag Version {order.version}")
    return order


# --- 4. approval by each participant ----------------------------------------------------------------------------
@transaction.atomic
def project_order_decide(
    *,
    case: Case,
    municipality: Municipality,
    decision: str,
    by: Any,
    reason: str = "",
    order: ProjectOrder | None = None,
) -> Approval:
    """One participant approves, rejects (with reason) or asks for changes, for the current version."""
    _require(
        by,
        "approve_project_order",
        municipality,
        _("Nur die Bürgermeisterin oder der Bürgermeister der Kommune darf den Projektauftrag freigeben."),
    )
    if not active_participants(case).filter(municipality=municipality).exists():
        raise PermissionDenied(_("Die Kommune ist an diesem Vorgang nicht beteiligt."))
    current = case.current_order
    order = order or current
    if order is None or current is None or order.pk != current.pk:
        raise TaskAlreadyDecided(_("Der Projektauftrag wurde inzwischen geändert. Bitte die neue Version prüfen."))
    if decision not in Approval.Decision.values:
        raise ValidationError({"decision": _("Bitte freigeben, ablehnen oder Änderungen erbitten.")})
    if decision != Approval.Decision.APPROVED and not reason.strip():
        raise ValidationError({"reason": _("Bitte die Entscheidung begründen.")})
    try:
        with transaction.atomic():
            approval = Approval.objects.create(
                order=order, municipality=municipality, decision=decision, reason=reason, decided_by=by
            )
    except IntegrityError as exc:
        raise TaskAlreadyDecided(_("Für %(m)s wurde bereits entschieden.") % {"m": municipality.name}) from exc
    audit_record(
        actor=by,
        action=f"project_order.{decision}",
        subject=case,
        county=case.county,
        municipality=municipality,
        changes={"version": order.version, "decision": decision},
        note=reason,
    )
    decision_recorded.send(
        sender=Approval, case=case, kind="approval", decision=approval, municipality=municipality, by=by
    )
    return approval


def _rule_met(case: Case, yes: int, remaining: int) -> bool:
    if case.decision_rule == Case.DecisionRule.QUORUM:
        return yes >= (case.quorum or case.min_participants)
    return yes == remaining and remaining >= case.min_participants


@transaction.atomic
def approvals_conclude(*, case: Case) -> str:
    """After every participant decided: 'approved', 'changes' (back to development) or 'rejected'.

    Unanimous rule: a rejecting participant is dropped when the rest still meets the minimum.
    """
    order = case.current_order
    if order is None:
        raise ValidationError(_("Es gibt noch keinen Projektauftrag."))
    decisions = {a.municipality_id: a.decision for a in order.approvals.all()}
    if any(d == Approval.Decision.CHANGES for d in decisions.values()):
        _set_stage(case, Case.Stage.DEVELOPMENT, None, note=_("Änderungen am Projektauftrag erbeten"))
        return "changes"
    rejecting = [mid for mid, d in decisions.items() if d == Approval.Decision.REJECTED]
    yes = sum(1 for d in decisions.values() if d == Approval.Decision.APPROVED)
    remaining = active_participants(case).count() - len(rejecting)
    if _rule_met(case, yes, remaining):
        if rejecting:
            case.participants.filter(municipality_id__in=rejecting).update(status=CaseParticipant.Status.DROPPED)
            audit_record(
                actor=None,
                action="case.participants_dropped",
                subject=case,
                county=case.county,
                changes={"dropped": list(Municipality.objects.filter(pk__in=rejecting).values_list("name", flat=True))},
            )
        _set_stage(case, Case.Stage.RESOLUTIONS, None)
        return "approved"
    case.rejection_reason = _("Der Projektauftrag wurde nicht von genügend Kommunen freigegeben.")
    case.save(update_fields=["rejection_reason", "updated_at"])
    _set_stage(case, Case.Stage.REJECTED, None)
    return "rejected"


# --- 5. council resolutions -------------------------------------------------------------------------------------
@transaction.atomic
def council_resolution_record(
    *,
    case: Case,
    municipality: Municipality,
    body: str,
    session_date: dt.date,
    outcome: str,
    by: Any,
    minute_reference: str = "",
    document: CaseDocument | None = None,
    next_session_date: dt.date | None = None,
) -> CouncilResolution | ResolutionDeferral:
    """The council's resolution (HGO § 51); its body follows the member's kind. A deferral ("Vertagt") is not a
    decision: the member stays in the case, with the next session date as the new due date and a reminder, and the
    project management is told (``resolution_defer``)."""
    _require(
        by,
        "record_council_resolution",
        municipality,
        _("Nur die Kommune selbst darf ihren Gremienbeschluss erfassen."),
    )
    if not active_participants(case).filter(municipality=municipality).exists():
        raise PermissionDenied(_("Die Kommune ist an diesem Vorgang nicht beteiligt."))
    errors = {}
    body = (body or "").strip() or municipality.council_body
    if session_date is None or session_date > timezone.localdate():
        errors["session_date"] = _("Das Sitzungsdatum darf nicht in der Zukunft liegen.")
    if outcome not in CouncilResolution.Outcome.values:
        errors["outcome"] = _("Bitte das Ergebnis angeben.")
    if outcome == CouncilResolution.Outcome.POSTPONED and not errors:
        return resolution_defer(
            case=case,
            municipality=municipality,
            body=body,
            session_date=session_date,
            next_session_date=next_session_date,
            minute_reference=minute_reference,
            by=by,
        )
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            resolution = CouncilResolution.objects.create(
                case=case,
                municipality=municipality,
                body=body,
                session_date=session_date,
                outcome=outcome,
                minute_reference=minute_reference,
                document=document,
                recorded_by=by,
            )
    except IntegrityError as exc:
        raise TaskAlreadyDecided(_("Der Beschluss von %(m)s ist bereits erfasst.") % {"m": municipality.name}) from exc
    audit_record(
        actor=by,
        action="council_resolution.recorded",
        subject=case,
        county=case.county,
        municipality=municipality,
        changes={"body": body, "session_date": session_date, "outcome": outcome},
    )
    decision_recorded.send(
        sender=CouncilResolution,
        case=case,
        kind="council_resolution",
        decision=resolution,
        municipality=municipality,
        by=by,
    )
    return resolution


def resolution_defer(
    *,
    case: Case,
    municipality: Municipality,
    body: str,
    session_date: dt.date,
    next_session_date: dt.date | None,
    minute_reference: str,
    by: Any,
) -> ResolutionDeferral:
    if next_session_date is None or next_session_date <= session_date:
        raise ValidationError(
            {"next_session_date": _("Bei einer Vertagung bitte den Termin der nächsten Sitzung angeben (nach dieser).")}
        )
    deferral = ResolutionDeferral.objects.create(
        case=case,
        municipality=municipality,
        body=body,
        session_date=session_date,
        next_session_date=next_session_date,
        minute_reference=minute_reference,
        recorded_by=by,
    )
    audit_record(
        actor=by,
        action="council_resolution.deferred",
        subject=case,
        county=case.county,
        municipality=municipality,
        changes={"body": body, "session_date": session_date, "next_session_date": next_session_date},
    )
    # the project management is told (notification module, like a deadline notice)
    deadlines.deadline_notify(
        case=case,
        municipality=municipality,
        kind="reminder",
        due=next_session_date,
        topic="council_resolution_deferred",
    )
    return deferral


def resolution_due_of(*, case: Case, municipality: Municipality | None) -> dt.date | None:
    """The due date of a member's resolution: its next session after a deferral, else the case's deadline."""
    if municipality is not None:
        deferral = (
            ResolutionDeferral.objects.filter(case=case, municipality=municipality).order_by("-recorded_at").first()
        )
        if deferral is not None and not case.resolutions.filter(municipality=municipality).exists():
            return deferral.next_session_date
    return case.resolution_due


@transaction.atomic
def resolutions_conclude(*, case: Case) -> str:
    adopted = set(
        case.resolutions.filter(outcome=CouncilResolution.Outcome.ADOPTED).values_list("municipality_id", flat=True)
    )
    active = set(active_participants(case).values_list("municipality_id", flat=True))
    not_adopted = active - adopted
    if not not_adopted:
        _set_stage(case, Case.Stage.FUNDING, None)
        return "adopted"
    if len(active) - len(not_adopted) >= case.min_participants:
        case.participants.filter(municipality_id__in=not_adopted).update(status=CaseParticipant.Status.DROPPED)
        audit_record(
            actor=None,
            action="case.participants_dropped",
            subject=case,
            county=case.county,
            changes={"dropped": sorted(Municipality.objects.filter(pk__in=not_adopted).values_list("name", flat=True))},
        )
        _set_stage(case, Case.Stage.FUNDING, None)
        return "adopted"
    case.rejection_reason = _("Zu wenige Gremien haben zugestimmt.")
    case.save(update_fields=["rejection_reason", "updated_at"])
    _set_stage(case, Case.Stage.REJECTED, None)
    return "rejected"


# --- 6. funding decision ----------------------------------------------------------------------------------------
@transaction.atomic
def case_funding_decide(*, case: Case, apply: bool, by: Any, note: str = "") -> None:
    _require_dkz(by, case)
    case.apply_for_funding, case.funding_note = apply, note
    case.save(update_fields=["apply_for_funding", "funding_note", "updated_at"])
    audit_record(
        actor=by,
        action="case.funding_decided",
        subject=case,
        county=case.county,
        changes={"apply_for_funding": apply},
        note=note,
    )
    _set_stage(case, Case.Stage.STATUTE if case.route == Case.Route.COUNTY_WIDE else Case.Stage.AGREEMENT, by)


# --- 7. statute amendment or agreement --------------------------------------------------------------------------
def consent_parties(case: Case) -> list[Municipality]:
    """Who must consent: every Anstaltsträger (county-wide) or every active participant (bilateral)."""
    if case.route == Case.Route.COUNTY_WIDE:
        dkz = county_dkz(case.county)
        return [
            m.municipality
            for m in Anstaltstraeger.objects.filter(dkz=dkz)
            .select_related("municipality")
            .order_by("municipality__ags")
        ]
    return [p.municipality for p in active_participants(case).order_by("municipality__ags")]


@transaction.atomic
def statute_amendment_open(*, case: Case) -> StatuteAmendment:
    """Open the amendment; approval or notification is a property of the DKZ's statute (§ 29a KGG: notification
    by law, the statute may require approval)."""
    dkz = county_dkz(case.county)
    supervision = dkz.statute_amendment_supervision
    amendment, created = StatuteAmendment.objects.get_or_create(
        case=case,
        defaults={"dkz": dkz, "supervision": supervision, "board_first": dkz.verwaltungsrat_resolves_first},
    )
    if created:
        audit_record(
            actor=None,
            action="statute_amendment.opened",
            subject=case,
            county=case.county,
            changes={"supervision": supervision, "board_first": amendment.board_first},
        )
    return amendment


def statute_board_resolution_due(case: Case) -> bool:
    """The DKZ's statute lets its Verwaltungsrat resolve first, and it has not yet resolved on this amendment."""
    amendment = StatuteAmendment.objects.filter(case=case).first()
    return amendment is not None and amendment.board_first and amendment.board_adopted is None


@transaction.atomic
def statute_board_resolution_record(
    *,
    case: Case,
    by: Any,
    adopted: bool,
    session_date: dt.date | None,
    minute_reference: str = "",
    note: str = "",
) -> StatuteAmendment:
    """The Verwaltungsrat's resolution on the statute amendment, recorded by the DKZ before the members consent
    (where the DKZ's statute says so). A rejection ends the amendment: the case is rejected with the reason."""
    _require_dkz(by, case)
    amendment = StatuteAmendment.objects.select_for_update().filter(case=case).first()
    if amendment is None or case.route != Case.Route.COUNTY_WIDE:
        raise ValidationError(_("Für diesen Vorgang gibt es keine Satzungsänderung."))
    if amendment.board_adopted is not None:
        raise TaskAlreadyDecided(_("Der Beschluss des Verwaltungsrats ist bereits erfasst."))
    errors = {}
    if session_date is None:
        errors["session_date"] = _("Bitte das Sitzungsdatum des Verwaltungsrats angeben.")
    elif session_date > timezone.localdate():
        errors["session_date"] = _("Das Sitzungsdatum darf nicht in der Zukunft liegen.")
    if not minute_reference.strip():
        errors["minute_reference"] = _("Bitte die Niederschrift oder Vorlage des Verwaltungsrats angeben.")
    if not adopted and not note.strip():
        errors["note"] = _("Bitte die Ablehnung begründen.")
    if errors:
        raise ValidationError(errors)
    amendment.board_adopted = adopted
    amendment.board_session_date = session_date
    amendment.board_minute_reference = minute_reference.strip()
    amendment.board_recorded_by = by
    if not adopted:
        amendment.status = StatuteAmendment.Status.FAILED
    amendment.save()
    audit_record(
        actor=by,
        action="statute_amendment.board_resolved",
        subject=case,
        county=case.county,
        changes={
            "adopted": adopted,
            "session_date": session_date,
            "minute_reference": amendment.board_minute_reference,
        },
        note=note,
    )
    if not adopted:
        case.rejection_reason = _("Der Verwaltungsrat hat die Satzungsänderung abgelehnt: %(note)s") % {"note": note}
        case.save(update_fields=["rejection_reason", "updated_at"])
        _set_stage(case, Case.Stage.REJECTED, by, note=note)
    return amendment


@transaction.atomic
def consent_record(
    *,
    case: Case,
    municipality: Municipality,
    agreed: bool,
    by: Any,
    note: str = "",
    council_session_date: dt.date | None = None,
    council_minute_reference: str = "",
) -> Consent:
    """An Anstaltsträger consents to the statute amendment, or a participant signs the agreement.

    The mayor declares what the member's council resolved (HGO § 51): the consent records the council body (by
    the member's kind), the session date and the minute reference. Without them, the council resolution already
    recorded in this case is the basis; without either, the consent is refused with a German message.
    """
    kind = Consent.Kind.STATUTE if case.route == Case.Route.COUNTY_WIDE else Consent.Kind.AGREEMENT
    capability = "consent_statute_amendment" if kind == Consent.Kind.STATUTE else "sign_agreement"
    _require(
        by,
        capability,
        municipality,
        _("Nur die Bürgermeisterin oder der Bürgermeister der Kommune darf zustimmen."),
    )
    if municipality not in consent_parties(case):
        raise PermissionDenied(_("Die Kommune muss hier nicht zustimmen."))
    if kind == Consent.Kind.STATUTE and statute_board_resolution_due(case):
        raise ValidationError(
            _(
                "Laut Satzung der Anstalt beschließt zuerst der Verwaltungsrat über die Satzungsänderung; "
                "die Zustimmung der Anstaltsträger folgt danach."
            )
        )
    if not agreed and not note.strip():
        raise ValidationError({"note": _("Bitte die Ablehnung begründen.")})
    body = municipality.council_body
    if council_session_date is None:
        basis = case.resolutions.filter(municipality=municipality).first()
        if basis is None:
            raise ValidationError(
                {
                    "council_session_date": _(
                        "Die Erklärung beruht auf einem %(resolution)s (§ 51 HGO): bitte Sitzungsdatum und "
                        "Niederschrift angeben."
                    )
                    % {"resolution": municipality.council_resolution}
                }
            )
        body, council_session_date = basis.body, basis.session_date
        council_minute_reference = council_minute_reference or basis.minute_reference
    elif council_session_date > timezone.localdate():
        raise ValidationError({"council_session_date": _("Das Sitzungsdatum darf nicht in der Zukunft liegen.")})
    try:
        with transaction.atomic():
            consent = Consent.objects.create(
                case=case,
                kind=kind,
                municipality=municipality,
                agreed=agreed,
                note=note,
                decided_by=by,
                council_body=body,
                council_session_date=council_session_date,
                council_minute_reference=council_minute_reference,
            )
    except IntegrityError as exc:
        raise TaskAlreadyDecided(_("%(m)s hat bereits entschieden.") % {"m": municipality.name}) from exc
    audit_record(
        actor=by,
        action=f"consent.{kind}",
        subject=case,
        county=case.county,
        municipality=municipality,
        changes={"agreed": agreed, "council_body": body, "council_session_date": council_session_date},
        note=note,
    )
    decision_recorded.send(
        sender=Consent, case=case, kind="consent", decision=consent, municipality=municipality, by=by
    )
    return consent


@transaction.atomic
def consents_conclude(*, case: Case) -> str:
    kind = Consent.Kind.STATUTE if case.route == Case.Route.COUNTY_WIDE else Consent.Kind.AGREEMENT
    refused = case.consents.filter(kind=kind, agreed=False).exists()
    if refused:
        if kind == Consent.Kind.STATUTE:
            StatuteAmendment.objects.filter(case=case).update(status=StatuteAmendment.Status.FAILED)
        case.rejection_reason = _("Nicht alle erforderlichen Zustimmungen liegen vor.")
        case.save(update_fields=["rejection_reason", "updated_at"])
        _set_stage(case, Case.Stage.REJECTED, None)
        return "refused"
    if kind == Consent.Kind.STATUTE:
        StatuteAmendment.objects.filter(case=case).update(status=StatuteAmendment.Status.SUPERVISION)
    _set_stage(case, Case.Stage.SUPERVISION, None)
    return "agreed"


def supervision_mode(case: Case) -> str:
    """'approval' or 'notification', as configured per amendment or by the form of the agreement."""
    if case.route == Case.Route.COUNTY_WIDE:
        return case.statute_amendment.supervision
    return "approval" if case.agreement_form == Case.AgreementForm.DELEGATION else "notification"


@transaction.atomic
def supervisory_decide(*, case: Case, outcome: str, by: Any, note: str = "") -> SupervisoryDecision:
    _require(by, "supervise", county_anchor(case.county), _("Nur die Aufsichtsbehörde darf hier entscheiden."))
    authority = require_competent_supervisor(user=by, case=case)
    mode = supervision_mode(case)
    allowed = {"approval": {"approved", "refused"}, "notification": {"acknowledged", "refused"}}[mode]
    if outcome not in allowed:
        raise ValidationError(
            {
                "outcome": _("Bei einer Anzeige ist nur Kenntnisnahme oder Beanstandung möglich.")
                if mode == "notification"
                else _("Bitte genehmigen oder versagen.")
            }
        )
    if outcome == "refused" and not note.strip():
        raise ValidationError({"note": _("Bitte die Versagung begründen.")})
    subject = "statute" if case.route == Case.Route.COUNTY_WIDE else "agreement"
    try:
        with transaction.atomic():
            decision = SupervisoryDecision.objects.create(
                case=case, subject=subject, outcome=outcome, note=note, decided_by=by
            )
    except IntegrityError as exc:
        raise TaskAlreadyDecided(_("Die Aufsicht hat bereits entschieden.")) from exc
    if subject == "statute":
        StatuteAmendment.objects.filter(case=case).update(
            status=StatuteAmendment.Status.FAILED if outcome == "refused" else StatuteAmendment.Status.IN_FORCE
        )
    audit_record(
        actor=by,
        action=f"supervision.{outcome}",
        subject=case,
        county=case.county,
        changes={"subject": subject, "mode": mode, "authority": authority.name},
        note=note,
    )
    decision_recorded.send(
        sender=SupervisoryDecision,
        case=case,
        kind="supervisory_decision",
        decision=decision,
        municipality=None,
        by=by,
    )
    if outcome == "refused":
        case.rejection_reason = note
        case.save(update_fields=["rejection_reason", "updated_at"])
        _set_stage(case, Case.Stage.REJECTED, by)
    else:
        _set_stage(case, Case.Stage.TRANSFER, by)
    return decision


# --- 8. task transfer -------------------------------------------------------------------------------------------
@transaction.atomic
def task_transfer_record(
    *,
    case: Case,
    effective_date: dt.date,
    term_years: int,
    allocation_key: str,
    by: Any,
    agreement_note: str = "",
) -> TaskTransfer:
    _require_dkz(by, case)
    # seed 000: the DKZ takes the task over only after the economic check of doing it itself (costs records it;
    # the reverse relation is read here so that projects does not import costs)
    if not Case.objects.filter(pk=case.pk, economic_check__isnull=False).exists():
        raise ValidationError(
            _("Die Aufgabe kann erst nach der Prüfung der Wirtschaftlichkeit der Eigenerledigung übertragen werden.")
        )
    errors = {}
    if effective_date is None:
        errors["effective_date"] = _("Bitte das Datum angeben, ab dem die Übertragung wirkt.")
    if not term_years or term_years < 1:
        errors["term_years"] = _("Die Laufzeit muss mindestens ein Jahr betragen.")
    if not (allocation_key or "").strip():
        errors["allocation_key"] = _("Bitte den Verteilungsschlüssel angeben.")
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            transfer = TaskTransfer.objects.create(
                case=case,
                effective_date=effective_date,
                term_years=term_years,
                allocation_key=allocation_key,
                agreement_note=agreement_note,
                recorded_by=by,
            )
    except IntegrityError as exc:
        raise TaskAlreadyDecided(_("Die Übertragung ist bereits erfasst.")) from exc
    if case.route == Case.Route.COUNTY_WIDE:
        StatuteTask.objects.get_or_create(
            case=case,
            defaults={
                "dkz": county_dkz(case.county),
                "name": case.task_area or case.title,
                "since": effective_date,
            },
        )
    audit_record(
        actor=by,
        action="task.transferred",
        subject=case,
        county=case.county,
        changes={
            "effective_date": effective_date,
            "term_years": term_years,
            "allocation_key": allocation_key,
        },
    )
    _set_stage(case, Case.Stage.TRANSFERRED, by)
    return transfer


def task_transfer_link_cost_centre(*, transfer: TaskTransfer, code: str) -> None:
    if transfer.cost_centre_code != code:
        transfer.cost_centre_code = code
        transfer.save(update_fields=["cost_centre_code"])


# --- comments and documents -------------------------------------------------------------------------------------
@transaction.atomic
def _contribution_check(*, case: Case, by: Any) -> None:
    from projects.selectors import case_contribution_allowed

    if not case_contribution_allowed(user=by, case=case):
        raise PermissionDenied(_("Sie können diesen Vorgang einsehen, aber nichts beitragen (nur Lesezugriff)."))


def case_comment_add(*, case: Case, text: str, by: Any) -> CaseComment:
    import re

    from django.contrib.auth import get_user_model

    from projects.selectors import memberships_of

    _contribution_check(case=case, by=by)
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Der Kommentar ist leer.")})
    comment = CaseComment.objects.create(case=case, author=by, text=text)
    names = set(re.findall(r"@([\w.\-]+)", text))
    if names:
        my_orgs = {(m.municipality_id, m.institution_id) for m in memberships_of(user=by)}
        colleagues = [
            u
            for u in get_user_model().objects.filter(username__in=names, is_active=True)
            if {(m.municipality_id, m.institution_id) for m in memberships_of(user=u)} & my_orgs
        ]
        comment.mentions.set(colleagues)
    audit_record(
        actor=by,
        action="case.commented",
        subject=case,
        county=case.county,
        changes={"mentions": [u.username for u in comment.mentions.all()]},
    )
    return comment


@transaction.atomic
def case_document_add(*, case: Case, upload: Any, title: str, by: Any) -> CaseDocument:
    """Attach a document. Its type is detected from the content (PDF, DOCX, XLSX, ODT, TXT) and must agree with the
    declared type and the extension; size limit and a sanitised name as in :func:`upload_check`."""
    _contribution_check(case=case, by=by)
    content_type = upload_check(upload=upload, allowed=ALLOWED_DOCUMENT_TYPES)
    document = CaseDocument.objects.create(
        case=case,
        title=title or upload.name,
        file=upload,
        content_type=content_type,
        size=upload.size,
        uploaded_by=by,
    )
    audit_record(
        actor=by,
        action="case.document_added",
        subject=case,
        county=case.county,
        changes={"title": document.title, "size": document.size},
    )
    return document
