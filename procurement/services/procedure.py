"""Every step of a procurement procedure, with the municipality and the centre kept apart.

The municipality ("Herr des Verfahrens") writes the need, chooses the type, writes and approves the
specification, evaluates the offers technically and decides the award (its mayor). The centre (DKZ staff with
``run_procurement``) prepares the documents, publishes, answers questions, opens, checks, proposes, informs the
bidders and transmits the award. Neither can take the other's steps.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from procurement.models import (
    AwardCriterion,
    BidderQuestion,
    CentreStep,
    Lot,
    Offer,
    OfferScore,
    PlanningItem,
    Procedure,
)
from procurement.models.choices import FORMALITY, TWO_STAGE_TYPES, Kind
from procurement.services.common import (
    audit,
    book_centre_hours,
    local_day,
    locked,
    now_or,
    offer_deadline_of,
    require_capability,
    require_centre,
    require_status,
    step_guard,
)
from procurement.services.rules import (
    offer_deadline_check,
    participation_deadline_check,
    procedure_types_admissible,
    standstill_end,
)
from projects.models import Municipality
from projects.selectors import has_capability, municipality_ids_of
from projects.services.uploads import upload_check

S = Procedure.Status
HUNDRED = Decimal("100")
POINTS = Decimal("0.01")


def next_reference(year: int) -> str:
    prefix = f"VGZ-{year}-"
    last = Procedure.objects.filter(reference__startswith=prefix).order_by("-reference").first()
    number = int(last.reference.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{number:04d}"


def apply_admissibility(procedure: Procedure, *, now: datetime, lots=None):
    result = procedure_types_admissible(
        kind=procedure.kind,
        estimated_value=procedure.estimated_value,
        on=local_day(now),
        housing=procedure.housing,
        lots=lots,  # trade lots: works limits apply per Fachlos (§ 12 HVTG)
    )
    procedure.eu = result.eu
    procedure.proposed_type = result.proposed.procedure_type
    procedure.admissible_types = result.as_dict()["types"]
    return result


def _validate_need(*, subject: str, kind: str, estimated_value: Decimal) -> Decimal:
    errors = {}
    if not subject.strip():
        errors["subject"] = _("Bitte den Gegenstand der Beschaffung angeben.")
    if kind not in Kind.values:
        errors["kind"] = _("Bitte eine gültige Leistungsart wählen.")
    try:
        value = Decimal(estimated_value)
    except Exception:  # noqa: BLE001
        value = Decimal("-1")
    if value <= 0:
        errors["estimated_value"] = _("Der geschätzte Auftragswert muss größer als 0 EUR sein.")
    if errors:
        raise ValidationError(errors)
    return value


@transaction.atomic
def procedure_request(
    *,
    municipality: Municipality,
    by: Any,
    subject: str,
    kind: str,
    estimated_value: Decimal,
    need: str = "",
    housing: bool = False,
    openers_from: str = Procedure.Openers.CENTRE,
    planning_item: PlanningItem | None = None,
    now: datetime | None = None,
) -> Procedure:
    """The municipality hands a procedure to the centre: need and estimated value (whole term, all lots)."""
    now = now_or(now)
    require_capability(
        user=by,
        capability="request_procurement",
        municipality=municipality,
        message=_("Nur die Kommune selbst kann ein Vergabeverfahren beauftragen."),
    )
    value = _validate_need(subject=subject, kind=kind, estimated_value=estimated_value)
    if openers_from not in Procedure.Openers.values:
        raise ValidationError({"openers_from": _("Bitte wählen, wessen Beschäftigte die Angebote öffnen.")})
    if municipality.county_id is None:
        raise ValidationError(_("Die Kommune gehört keinem Landkreis mit Vergabezentrum an."))
    procedure = Procedure(
        reference=next_reference(now.year),
        county_id=municipality.county_id,
        municipality=municipality,
        planning_item=planning_item,
        subject=subject.strip(),
        need=need,
        kind=kind,
        housing=housing,
        estimated_value=value,
        openers_from=openers_from,
        created_by=by,
        status=S.NEED,
    )
    apply_admissibility(procedure, now=now)
    procedure.save()
    Lot.objects.create(
        procedure=procedure,
        number=1,
        municipality=municipality,
        title=procedure.subject,
        estimated_value=value,
        planning_item=planning_item,
        confirmed_by=by,
        confirmed_at=now,
    )
    audit(
        procedure=procedure,
        by=by,
        action="procedure.requested",
        changes={
            "subject": procedure.subject,
            "kind": kind,
            "estimated_value": value,
            "eu": procedure.eu,
            "proposed_type": procedure.proposed_type,
        },
    )
    return procedure


@transaction.atomic
def procedure_type_choose(
    *, procedure: Procedure, by: Any, procedure_type: str, reason: str = "", now: datetime | None = None
) -> Procedure:
    """The municipality confirms the proposed type or chooses a stricter admissible one, with a reason."""
    now = now_or(now)
    procedure, _lot = step_guard(
        procedure,
        by=by,
        statuses=(S.NEED, S.TYPE_CHOSEN),
        capability="request_procurement",
        message=_("Die Verfahrensart wählt die Kommune, nicht das Vergabezentrum."),
    )
    result = apply_admissibility(procedure, now=now)
    chosen = next((t for t in result.types if t.procedure_type == procedure_type), None)
    if chosen is None:
        raise ValidationError(
            {
                "procedure_type": _(
                    "Diese Verfahrensart ist für %(value)s EUR netto nicht zulässig. Zulässig: %(list)s."
                )
                % {"value": procedure.estimated_value, "list": ", ".join(t.label for t in result.types)}
            }
        )
    needs_reason = chosen.condition or FORMALITY[procedure_type] != FORMALITY[result.proposed.procedure_type]
    if needs_reason and not reason.strip():
        raise ValidationError(
            {
                "reason": _(
                    "Bitte begründen, warum nicht die vorgeschlagene Verfahrensart „%(proposed)s“ gewählt wird."
                )
                % {"proposed": result.proposed.label}
            }
        )
    before = procedure.procedure_type
    procedure.procedure_type = procedure_type
    procedure.type_reason = reason.strip()
    procedure.type_chosen_by = by
    procedure.type_chosen_at = now
    procedure.status = S.TYPE_CHOSEN
    procedure.save()
    audit(
        procedure=procedure,
        by=by,
        action="procedure.type_chosen",
        changes={
            "procedure_type": {"old": before, "new": procedure_type},
            "legal_basis": chosen.legal_basis,
            "eu": result.eu,
        },
        note=procedure.type_reason,
    )
    return procedure


@transaction.atomic
def procedure_specification_write(*, procedure: Procedure, by: Any, text: str) -> Procedure:
    """Only the municipality writes the specification (Leistungsbeschreibung)."""
    procedure, _lot = step_guard(
        procedure,
        by=by,
        statuses=(S.TYPE_CHOSEN,),
        capability="write_specification",
        message=_("Die Leistungsbeschreibung schreibt und verantwortet die Kommune."),
    )
    if not text.strip():
        raise ValidationError({"text": _("Die Leistungsbeschreibung darf nicht leer sein.")})
    before = procedure.specification
    procedure.specification = text.strip()
    procedure.specification_written_by = by
    procedure.save(update_fields=["specification", "specification_written_by"])
    audit(
        procedure=procedure,
        by=by,
        action="procedure.specification_written",
        changes={"specification_length": {"old": len(before), "new": len(procedure.specification)}},
    )
    return procedure


def may_release_specification(*, user: Any, procedure: Procedure) -> bool:
    """The mayor, or another clerk of the municipality than the author, releases the specification."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if procedure.specification_written_by_id == user.pk:
        return False
    return has_capability(user=user, capability="decide_award", municipality=procedure.municipality) or has_capability(
        user=user, capability="write_specification", municipality=procedure.municipality
    )


@transaction.atomic
def procedure_specification_approve(*, procedure: Procedure, by: Any, now: datetime | None = None) -> Procedure:
    """Four-eyes: the specification is released by another person than its author (the mayor or another clerk)."""
    now = now_or(now)
    procedure = locked(procedure)
    if procedure.specification_written_by_id is not None and procedure.specification_written_by_id == by.pk:
        raise PermissionDenied(
            _(
                "Die Leistungsbeschreibung gibt eine andere Person frei als die, die sie geschrieben hat "
                "(Vier-Augen-Prinzip)."
            )
        )
    if not may_release_specification(user=by, procedure=procedure):
        raise PermissionDenied(_("Die Leistungsbeschreibung gibt nur die Kommune frei."))
    require_status(procedure, S.TYPE_CHOSEN)
    if not procedure.specification:
        raise ValidationError(_("Es gibt noch keine Leistungsbeschreibung zum Freigeben."))
    procedure.specification_approved_by = by
    procedure.specification_approved_at = now
    procedure.status = S.SPECIFIED
    procedure.save()
    audit(
        procedure=procedure,
        by=by,
        action="procedure.specification_approved",
        changes={
            "author": procedure.specification_written_by.get_username() if procedure.specification_written_by else ""
        },
    )
    return procedure


@transaction.atomic
def procedure_documents_prepare(
    *,
    procedure: Procedure,
    by: Any,
    tender_documents: str,
    criteria: list[dict],
    suitability_criteria: str = "",
    hours: Decimal | None = None,
    now: datetime | None = None,
) -> Procedure:
    """The centre writes the tender documents and the award criteria with weights (adding up to 100 %)."""
    now = now_or(now)
    procedure, _lot = step_guard(
        procedure,
        by=by,
        statuses=(S.SPECIFIED, S.DOCUMENTS_READY),
    )
    if not tender_documents.strip():
        raise ValidationError({"tender_documents": _("Bitte die Vergabeunterlagen beschreiben.")})
    if not criteria:
        raise ValidationError({"criteria": _("Mindestens ein Zuschlagskriterium ist anzugeben.")})
    weights = [Decimal(str(c["weight"])) for c in criteria]
    if any(w <= 0 for w in weights) or sum(weights) != HUNDRED:
        raise ValidationError(
            {"criteria": _("Die Gewichte der Zuschlagskriterien müssen positiv sein und 100 % ergeben.")}
        )
    if sum(1 for c in criteria if c.get("is_price")) != 1:
        raise ValidationError({"criteria": _("Genau ein Kriterium muss der Preis sein.")})
    procedure.criteria.all().delete()
    for item, weight in zip(criteria, weights, strict=True):
        AwardCriterion.objects.create(
            procedure=procedure, name=item["name"], weight=weight, is_price=bool(item.get("is_price"))
        )
    procedure.tender_documents = tender_documents.strip()
    procedure.suitability_criteria = suitability_criteria.strip()
    procedure.status = S.DOCUMENTS_READY
    procedure.save()
    audit(
        procedure=procedure,
        by=by,
        action="procedure.documents_prepared",
        changes={"criteria": [{"name": c["name"], "weight": w} for c, w in zip(criteria, weights, strict=True)]},
    )
    book_centre_hours(procedure=procedure, step=CentreStep.TENDER_DOCUMENTS, by=by, now=now, hours=hours)
    return procedure


def has_participation_stage(procedure: Procedure) -> bool:
    """EU restricted and negotiated procedures start with a participation competition (§§ 16, 17 VgV)."""
    return procedure.procedure_type in TWO_STAGE_TYPES


@transaction.atomic
def procedure_publish(
    *,
    procedure: Procedure,
    by: Any,
    offer_deadline: datetime | None = None,
    participation_deadline: datetime | None = None,
    electronic: bool = True,
    medium: str = "",
    hours: Decimal | None = None,
    now: datetime | None = None,
    urgency_reason: str = "",
) -> Procedure:
    """Publish with a deadline no shorter than the legal minimum period of the type (dated data); a shortened
    urgent period only with a recorded justification.

    One-stage types get their offer deadline here. EU restricted and negotiated procedures open the participation
    competition instead: the participation deadline (30 days, 15 if urgent, § 16 Abs. 2, § 17 Abs. 2 VgV); the
    offer deadline is set when the selected candidates are invited (``procedure_candidates_invite``).
    """
    now = now_or(now)
    procedure, _lot = step_guard(procedure, by=by, statuses=(S.DOCUMENTS_READY,))
    two_stage = has_participation_stage(procedure)
    if two_stage:
        if participation_deadline is None:
            raise ValidationError(
                {"participation_deadline": _("Bitte die Teilnahmefrist angeben (Verfahren mit Teilnahmewettbewerb).")}
            )
        period = participation_deadline_check(
            procedure_type=procedure.procedure_type,
            now=now,
            participation_deadline=participation_deadline,
            urgency_reason=urgency_reason,
        )
    else:
        if offer_deadline is None:
            raise ValidationError({"offer_deadline": _("Bitte die Angebotsfrist angeben.")})
        period = offer_deadline_check(
            procedure_type=procedure.procedure_type,
            eu=procedure.eu,
            electronic=electronic,
            now=now,
            offer_deadline=offer_deadline,
            urgency_reason=urgency_reason,
        )
    procedure.urgency_reason = urgency_reason.strip()
    procedure.electronic = electronic
    procedure.publication_medium = medium or (_("TED und HAD") if procedure.eu else _("HAD"))
    procedure.published_at = now
    if two_stage:
        procedure.participation_deadline = participation_deadline
        procedure.status = S.PARTICIPATION
    else:
        procedure.offer_deadline = offer_deadline
        procedure.status = S.PUBLISHED
    procedure.save()
    audit(
        procedure=procedure,
        by=by,
        action="procedure.published",
        changes={
            "participation_deadline" if two_stage else "offer_deadline": (
                participation_deadline if two_stage else offer_deadline
            ),
            "minimum_days": period.days,
            "urgency_reason": procedure.urgency_reason,
            "electronic": electronic,
            "medium": procedure.publication_medium,
        },
    )
    book_centre_hours(procedure=procedure, step=CentreStep.PUBLICATION, by=by, now=now, hours=hours)
    return procedure


@transaction.atomic
def procedure_candidates_invite(
    *,
    procedure: Procedure,
    by: Any,
    candidates: str,
    offer_deadline: datetime,
    now: datetime | None = None,
) -> Procedure:
    """After the participation deadline the centre names the selected candidates and invites them to offer; the
    offer deadline is checked against the offer period of the type (urgent only with the recorded reason)."""
    now = now_or(now)
    procedure, _lot = step_guard(procedure, by=by, statuses=(S.PARTICIPATION,))
    if procedure.participation_deadline and now < procedure.participation_deadline:
        raise ValidationError(
            _("Die Teilnahmefrist läuft noch bis %(end)s; erst danach werden Bewerber ausgewählt.")
            % {"end": date_format(timezone.localtime(procedure.participation_deadline), "DATETIME_FORMAT")}
        )
    names = [line.strip() for line in (candidates or "").splitlines() if line.strip()]
    if not names:
        raise ValidationError({"candidates": _("Bitte mindestens einen ausgewählten Bewerber angeben.")})
    period = offer_deadline_check(
        procedure_type=procedure.procedure_type,
        eu=procedure.eu,
        electronic=procedure.electronic,
        now=now,
        offer_deadline=offer_deadline,
        urgency_reason=procedure.urgency_reason,
    )
    procedure.candidates = "\n".join(names)
    procedure.candidates_invited_at = now
    procedure.offer_deadline = offer_deadline
    procedure.status = S.PUBLISHED
    procedure.save()
    audit(
        procedure=procedure,
        by=by,
        action="procedure.candidates_invited",
        changes={"candidates": names, "offer_deadline": offer_deadline, "minimum_days": period.days},
    )
    return procedure


@transaction.atomic
def question_record(*, procedure: Procedure, by: Any, question: str, now: datetime | None = None) -> BidderQuestion:
    """The centre records a bidder's question (bidders write to the centre, never to the municipality)."""
    now = now_or(now)
    procedure, _lot = step_guard(procedure, by=by, statuses=(S.PUBLISHED,))
    if not question.strip():
        raise ValidationError({"question": _("Die Frage darf nicht leer sein.")})
    if now >= offer_deadline_of(procedure):
        raise ValidationError(_("Nach Ablauf der Angebotsfrist werden keine Bieterfragen mehr angenommen."))
    item = BidderQuestion.objects.create(procedure=procedure, question=question.strip(), asked_at=now)
    audit(procedure=procedure, by=by, action="procedure.question_recorded", changes={"question": item.question})
    return item


@transaction.atomic
def question_answer(
    *, question: BidderQuestion, by: Any, answer: str, hours: Decimal | None = None, now: datetime | None = None
) -> BidderQuestion:
    """The centre answers; the answer goes to all bidders of the procedure (see ``procedure_answers_public``)."""
    now = now_or(now)
    procedure = locked(question.procedure)
    require_centre(user=by, procedure=procedure)
    require_status(procedure, S.PUBLISHED)
    question = BidderQuestion.objects.select_for_update().get(pk=question.pk)
    if not answer.strip():
        raise ValidationError({"answer": _("Die Antwort darf nicht leer sein.")})
    if question.answered_at:
        raise ValidationError(_("Diese Frage ist bereits beantwortet."))
    question.answer = answer.strip()
    question.answered_by = by
    question.answered_at = now
    question.save()
    audit(
        procedure=procedure,
        by=by,
        action="procedure.question_answered",
        subject=question,
        changes={"answer": question.answer},
    )
    book_centre_hours(procedure=procedure, step=CentreStep.QUESTIONS, by=by, now=now, hours=hours)
    return question


def procedure_answers_public(*, procedure: Procedure) -> list[dict]:
    """Questions and answers as every bidder of the procedure sees them (no bidder names)."""
    return [
        {"question": q.question, "answer": q.answer, "answered_at": q.answered_at}
        for q in procedure.questions.filter(answered_at__isnull=False)
    ]


LATE_NOTE = "Nach Ablauf der Angebotsfrist eingegangen (%(received)s, Frist %(deadline)s); ausgeschlossen."


@transaction.atomic
def offer_receive(
    *,
    procedure: Procedure,
    by: Any,
    bidder: str,
    price: Decimal,
    lot: Lot | None = None,
    document: Any = None,
    now: datetime | None = None,
) -> Offer:
    """The centre records an offer as received now; the receipt time is the server's, never taken from a request.

    An offer received after the deadline is recorded as late and excluded with the reason (never silently timely).
    Nobody sees an offer's content before the opening. ``now`` is for tests and the scheduler, not for callers that
    relay a request.
    """
    now = now_or(now)
    procedure, _lot = step_guard(procedure, by=by, statuses=(S.PUBLISHED,))
    if procedure.opening_started_at:
        raise ValidationError(_("Die Öffnung hat begonnen; Angebote können nicht mehr erfasst werden."))
    lot = lot or procedure.lots.get(number=1)
    if lot.procedure_id != procedure.pk:
        raise ValidationError({"lot": _("Das Los gehört nicht zu diesem Verfahren.")})
    try:
        price = Decimal(price)
    except (InvalidOperation, TypeError, ValueError):
        price = Decimal("0")
    if not price.is_finite() or price <= 0 or not bidder.strip():
        raise ValidationError(_("Bitte Bieter und einen Angebotspreis über 0 EUR angeben."))
    late = now > offer_deadline_of(procedure)
    note = ""
    if late:
        note = _(LATE_NOTE) % {
            "received": date_format(timezone.localtime(now), "DATETIME_FORMAT"),
            "deadline": date_format(timezone.localtime(procedure.offer_deadline), "DATETIME_FORMAT"),
        }
    offer = Offer(
        procedure=procedure,
        lot=lot,
        bidder=bidder.strip(),
        price=price,
        received_at=now,
        is_late=late,
        formally_admitted=False if late else None,
        formal_note=note,
        recorded_by=by,
    )
    if document is not None:
        upload_check(upload=document)
        offer.document = document
    offer.save()
    audit(
        procedure=procedure,
        by=by,
        action="procedure.offer_late" if late else "procedure.offer_received",
        subject=offer,
        changes={"lot": lot.number, "received_at": now, "late": late},
        note=note,
    )
    return offer


def _may_open(*, user: Any, procedure: Procedure, side: str | None = None) -> bool:
    if (side or procedure.openers_from) == Procedure.Openers.MUNICIPALITY:
        return procedure.municipality_id in municipality_ids_of(user=user) and has_capability(
            user=user, capability="evaluate_offers", municipality=procedure.municipality
        )
    return has_capability(user=user, capability="run_procurement", municipality=procedure.municipality)


def opener_candidates(*, procedure: Procedure, side: str | None = None):
    """Active users who may be designated to open the offers on the given side (default: the procedure's)."""
    from django.contrib.auth import get_user_model

    side = side or procedure.openers_from
    candidates = get_user_model().objects.filter(is_active=True).order_by("username")
    return [u for u in candidates if _may_open(user=u, procedure=procedure, side=side)]


@transaction.atomic
def procedure_openers_designate(
    *, procedure: Procedure, by: Any, openers_from: str, openers: list[Any], now: datetime | None = None
) -> Procedure:
    """The municipality chooses whose staff open the offers and designates at least two persons of that side."""
    procedure, _lot = step_guard(
        procedure,
        by=by,
        statuses=(S.NEED, S.TYPE_CHOSEN, S.SPECIFIED, S.DOCUMENTS_READY),
        capability="request_procurement",
        message=_("Die Personen für die Angebotsöffnung bestimmt die Kommune."),
    )
    if openers_from not in Procedure.Openers.values:
        raise ValidationError({"openers_from": _("Bitte wählen, wessen Beschäftigte die Angebote öffnen.")})
    people = {u.pk: u for u in openers if u is not None}
    if len(people) < 2:
        raise ValidationError({"openers": _("Bitte mindestens zwei verschiedene Personen für die Öffnung bestimmen.")})
    outside = [u for u in people.values() if not _may_open(user=u, procedure=procedure, side=openers_from)]
    if outside:
        raise ValidationError(
            {
                "openers": _("Nicht alle bestimmten Personen gehören zur gewählten Seite (%(side)s).")
                % {"side": Procedure.Openers(openers_from).label}
            }
        )
    before = sorted(procedure.openers.values_list("username", flat=True))
    procedure.openers_from = openers_from
    procedure.save(update_fields=["openers_from"])
    procedure.openers.set(people.values())
    audit(
        procedure=procedure,
        by=by,
        action="procedure.openers_designated",
        changes={
            "openers_from": openers_from,
            "openers": {"old": before, "new": sorted(u.get_username() for u in people.values())},
        },
    )
    return procedure


def is_designated_opener(*, user: Any, procedure: Procedure) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return procedure.openers.filter(pk=user.pk).exists() and _may_open(user=user, procedure=procedure)


def _require_opener(*, user: Any, procedure: Procedure) -> None:
    if not is_designated_opener(user=user, procedure=procedure):
        raise PermissionDenied(
            _("Die Angebote öffnen nur die von der Kommune dafür bestimmten Personen (%(side)s).")
            % {"side": procedure.get_openers_from_display()}
        )


@transaction.atomic
def procedure_opening_start(
    *, procedure: Procedure, by: Any, hours: Decimal | None = None, now: datetime | None = None
) -> Procedure:
    """The first designated person opens after the deadline; the opening is done only when a second confirms."""
    now = now_or(now)
    procedure = locked(procedure)
    _require_opener(user=by, procedure=procedure)
    require_status(procedure, S.PUBLISHED)
    if procedure.opening_started_at:
        raise ValidationError(_("Die Öffnung ist bereits begonnen; sie wartet auf die Bestätigung der zweiten Person."))
    if now <= offer_deadline_of(procedure):
        raise ValidationError(
            _("Die Angebote dürfen erst nach Ablauf der Angebotsfrist (%(deadline)s) geöffnet werden.")
            % {"deadline": date_format(timezone.localtime(procedure.offer_deadline), "DATETIME_FORMAT")}
        )
    procedure.opening_started_at = now
    procedure.opened_by_first = by
    procedure.save(update_fields=["opening_started_at", "opened_by_first"])
    audit(procedure=procedure, by=by, action="procedure.opening_started")
    if procedure.openers_from == Procedure.Openers.CENTRE:
        book_centre_hours(procedure=procedure, step=CentreStep.OPENING, by=by, now=now, hours=hours)
    return procedure


@transaction.atomic
def procedure_opening_confirm(*, procedure: Procedure, by: Any, now: datetime | None = None) -> Procedure:
    """The second designated person confirms the opening in their own session; only then are the offers opened."""
    now = now_or(now)
    procedure = locked(procedure)
    _require_opener(user=by, procedure=procedure)
    require_status(procedure, S.PUBLISHED)
    if not procedure.opening_started_at:
        raise ValidationError(_("Die Öffnung ist noch nicht begonnen."))
    if procedure.opened_by_first_id == by.pk:
        raise PermissionDenied(
            _(
                "Die Öffnung bestätigt eine zweite Person in ihrer eigenen Anmeldung; "
                "wer die Öffnung begonnen hat, kann sie nicht selbst bestätigen."
            )
        )
    procedure.opened_at = now
    procedure.opened_by_second = by
    procedure.status = S.OPENED
    procedure.save(update_fields=["opened_at", "opened_by_second", "status"])
    offers = list(procedure.offers.select_related("lot").order_by("lot__number", "pk"))
    audit(
        procedure=procedure,
        by=by,
        action="procedure.opened",
        changes={
            "persons": [procedure.opened_by_first.get_username(), by.get_username()],
            "offers": [{"lot": o.lot.number, "bidder": o.bidder, "price": o.price, "late": o.is_late} for o in offers],
        },
    )
    return procedure


@transaction.atomic
def offer_formal_check(
    *,
    procedure: Procedure,
    by: Any,
    results: dict[int, tuple[bool, str]],
    hours: Decimal | None = None,
    now: datetime | None = None,
) -> Procedure:
    """Formal, suitability and price check by the centre: for every offer admitted or excluded, with a note."""
    now = now_or(now)
    procedure, _lot = step_guard(procedure, by=by, statuses=(S.OPENED,))
    offers = {o.pk: o for o in procedure.offers.all()}
    late = {pk for pk, o in offers.items() if o.is_late}
    results = dict(results)
    if any(results.get(pk, (False, ""))[0] for pk in late):
        raise ValidationError(_("Ein verspätet eingegangenes Angebot kann nicht zugelassen werden."))
    for pk in late:  # late offers stay excluded with the reason recorded at receipt
        results[pk] = (False, offers[pk].formal_note or _("Nach Ablauf der Angebotsfrist eingegangen."))
    if set(results) != set(offers):
        raise ValidationError(_("Bitte für jedes Angebot das Ergebnis der formalen Prüfung angeben."))
    for pk, (admitted, note) in results.items():
        if not admitted and not note.strip():
            raise ValidationError(
                _("Ein Ausschluss muss begründet werden (%(bidder)s).") % {"bidder": offers[pk].bidder}
            )
        offers[pk].formally_admitted = bool(admitted)
        offers[pk].formal_note = note.strip()
        offers[pk].save(update_fields=["formally_admitted", "formal_note"])
    procedure.status = S.CHECKED
    procedure.save(update_fields=["status"])
    audit(
        procedure=procedure,
        by=by,
        action="procedure.formally_checked",
        changes={offers[pk].bidder: {"admitted": a, "note": n} for pk, (a, n) in results.items()},
    )
    book_centre_hours(procedure=procedure, step=CentreStep.FORMAL_CHECK, by=by, now=now, hours=hours)
    return procedure


def _score_offers(lot: Lot, criteria: list[AwardCriterion]) -> None:
    """Price points: lowest admitted price / price × 100; total = Σ weight × points / 100."""
    admitted = list(lot.offers.filter(formally_admitted=True).prefetch_related("scores"))
    if not admitted:
        return
    lowest = min(o.price for o in admitted)
    for offer in admitted:
        points = {s.criterion_id: s.points for s in offer.scores.all()}
        total = Decimal("0")
        for criterion in criteria:
            value = lowest / offer.price * HUNDRED if criterion.is_price else points[criterion.pk]
            total += criterion.weight * value / HUNDRED
        offer.total_points = total.quantize(POINTS, rounding=ROUND_HALF_UP)
        offer.save(update_fields=["total_points"])


def _advance_after_last_lot(procedure: Procedure, *, done_at: str, status: str) -> None:
    """Lots are evaluated and awarded one by one; the procedure reaches ``status`` with the last of them."""
    if not procedure.lots.filter(**{f"{done_at}__isnull": True}).exists():
        procedure.status = status
        procedure.save(update_fields=["status"])


@transaction.atomic
def lot_evaluate(*, lot: Lot, by: Any, scores: dict[int, dict[int, Decimal]], now: datetime | None = None) -> Lot:
    """The lot's municipality evaluates the admitted offers technically (0–100 points per non-price criterion)."""
    now = now_or(now)
    procedure, lot = step_guard(
        lot.procedure,
        by=by,
        statuses=(S.CHECKED,),
        capability="evaluate_offers",
        message=_("Die fachliche Bewertung nimmt die Kommune vor, nicht das Vergabezentrum."),
        lot=lot,
    )
    if lot.evaluated_at:
        raise ValidationError(_("Dieses Los ist bereits fachlich bewertet."))
    criteria = list(procedure.criteria.all())
    technical = [c for c in criteria if not c.is_price]
    admitted = {o.pk: o for o in lot.offers.filter(formally_admitted=True)}
    if set(scores) != set(admitted):
        raise ValidationError(_("Bitte jedes zugelassene Angebot dieses Loses bewerten."))
    for offer_pk, by_criterion in scores.items():
        if set(by_criterion) != {c.pk for c in technical}:
            raise ValidationError(_("Bitte jedes fachliche Kriterium bewerten."))
        for criterion_pk, points in by_criterion.items():
            try:
                points = Decimal(str(points))
            except (InvalidOperation, ValueError) as exc:
                raise ValidationError(_("Punkte müssen eine Zahl zwischen 0 und 100 sein.")) from exc
            if not points.is_finite() or not Decimal("0") <= points <= HUNDRED:
                raise ValidationError(_("Punkte müssen zwischen 0 und 100 liegen."))
            OfferScore.objects.update_or_create(
                offer_id=offer_pk, criterion_id=criterion_pk, defaults={"points": points}
            )
    _score_offers(lot, criteria)
    lot.evaluated_by = by
    lot.evaluated_at = now
    lot.save(update_fields=["evaluated_by", "evaluated_at"])
    _advance_after_last_lot(procedure, done_at="evaluated_at", status=S.EVALUATED)
    audit(
        procedure=procedure,
        by=by,
        action="procedure.lot_evaluated",
        subject=lot,
        municipality=lot.municipality,
        changes={admitted[pk].bidder: {str(c): str(p) for c, p in s.items()} for pk, s in scores.items()},
    )
    return lot


@transaction.atomic
def procedure_award_propose(
    *, procedure: Procedure, by: Any, hours: Decimal | None = None, now: datetime | None = None
) -> Procedure:
    """The centre proposes per lot the admitted offer with the most points (ties: lower price, earlier offer)."""
    now = now_or(now)
    procedure, _lot = step_guard(procedure, by=by, statuses=(S.EVALUATED,))
    proposals = {}
    for lot in procedure.lots.all():
        best = lot.offers.filter(formally_admitted=True).order_by("-total_points", "price", "received_at").first()
        if best is None:
            raise ValidationError(
                _("Für Los %(number)s liegt kein zuschlagsfähiges Angebot vor; das Verfahren ist aufzuheben.")
                % {"number": lot.number}
            )
        lot.proposed_offer = best
        lot.proposal_note = _("Wirtschaftlichstes Angebot: %(points)s Punkte.") % {"points": best.total_points}
        lot.save(update_fields=["proposed_offer", "proposal_note"])
        proposals[f"Los {lot.number}"] = {"bidder": best.bidder, "price": best.price, "points": best.total_points}
    procedure.status = S.PROPOSED
    procedure.save(update_fields=["status"])
    audit(procedure=procedure, by=by, action="procedure.award_proposed", changes=proposals)
    book_centre_hours(procedure=procedure, step=CentreStep.AWARD_PROPOSAL, by=by, now=now, hours=hours)
    return procedure


@transaction.atomic
def lot_award_decide(
    *, lot: Lot, by: Any, offer: Offer | None = None, note: str = "", now: datetime | None = None
) -> Lot:
    """The mayor of the lot's municipality decides the award (the proposal, or another admitted offer with reasons)."""
    now = now_or(now)
    procedure, lot = step_guard(
        lot.procedure,
        by=by,
        statuses=(S.PROPOSED,),
        capability="decide_award",
        message=_("Die Zuschlagsentscheidung trifft die Bürgermeisterin oder der Bürgermeister der Kommune."),
        lot=lot,
    )
    if lot.decided_at:
        raise ValidationError(_("Für dieses Los ist die Zuschlagsentscheidung bereits getroffen."))
    offer = offer or lot.proposed_offer
    if offer is None or offer.lot_id != lot.pk or not offer.formally_admitted:
        raise ValidationError({"offer": _("Bitte ein zugelassenes Angebot dieses Loses wählen.")})
    if offer.pk != lot.proposed_offer_id and not note.strip():
        raise ValidationError({"note": _("Eine Abweichung vom Vergabevorschlag ist zu begründen.")})
    lot.decided_offer = offer
    lot.decision_note = note.strip()
    lot.decided_by = by
    lot.decided_at = now
    lot.save()
    audit(
        procedure=procedure,
        by=by,
        action="procedure.award_decided",
        subject=lot,
        municipality=lot.municipality,
        changes={"lot": lot.number, "bidder": offer.bidder, "price": offer.price},
        note=lot.decision_note,
    )
    return lot


def _information_letters_store(*, procedure: Procedure, lot: Lot, now: datetime) -> None:
    """One § 134 GWB letter per unsuccessful bidder of the lot, as one PDF kept on the lot."""
    from weasyprint import HTML

    assert lot.standstill_ends_on is not None  # the information starts the standstill
    html = render_to_string(
        "procurement/bieterinformation.html",
        {
            "procedure": procedure,
            "lot": lot,
            "lots_count": procedure.lots.count(),
            "losers": list(lot.offers.exclude(pk__in=[lot.decided_offer_id]).order_by("pk")),
            "sent_on": local_day(now),
            "earliest": lot.standstill_ends_on + timedelta(days=1),
        },
    )
    pdf = HTML(string=html).write_pdf()
    lot.information_pdf.save(
        f"{procedure.reference}-los{lot.number}-bieterinformation.pdf", ContentFile(pdf), save=False
    )
    lot.save(update_fields=["information_pdf"])


@transaction.atomic
def lot_bidders_inform(
    *, lot: Lot, by: Any, electronic: bool = True, hours: Decimal | None = None, now: datetime | None = None
) -> Lot:
    """EU only: § 134 GWB information of the unsuccessful bidders; starts the standstill (dated period)."""
    now = now_or(now)
    procedure, lot = step_guard(lot.procedure, by=by, statuses=(S.PROPOSED,), lot=lot)
    if not procedure.eu:
        raise ValidationError(_("Die Vorabinformation nach § 134 GWB gilt nur für EU-Verfahren."))
    if not lot.decided_at:
        raise ValidationError(_("Die Bieter werden erst nach der Zuschlagsentscheidung informiert."))
    if lot.information_sent_at:
        raise ValidationError(_("Die Bieter dieses Loses sind bereits informiert."))
    period, standstill = standstill_end(sent_at=now, electronic=electronic)
    lot.information_sent_at = now
    lot.information_electronic = electronic
    lot.standstill_ends_on = standstill.end
    lot.save()
    losers = list(lot.offers.exclude(pk__in=[lot.decided_offer_id]).values_list("bidder", flat=True))
    _information_letters_store(procedure=procedure, lot=lot, now=now)
    audit(
        procedure=procedure,
        by=by,
        action="procedure.bidders_informed",
        subject=lot,
        municipality=lot.municipality,
        changes={
            "lot": lot.number,
            "informed": losers,
            "electronic": electronic,
            "days": period.days,
            "standstill_ends_on": lot.standstill_ends_on,
            "standstill_counted": standstill.explanation,
        },
    )
    book_centre_hours(procedure=procedure, step=CentreStep.BIDDER_INFORMATION, by=by, now=now, hours=hours, lots=[lot])
    return lot


@transaction.atomic
def lot_award(*, lot: Lot, by: Any, hours: Decimal | None = None, now: datetime | None = None) -> Lot:
    """The centre transmits the award as decided; in EU procedures only after the standstill has ended."""
    now = now_or(now)
    procedure, lot = step_guard(lot.procedure, by=by, statuses=(S.PROPOSED,), lot=lot)
    if not lot.decided_at or lot.decided_offer is None:
        raise ValidationError(_("Ohne Zuschlagsentscheidung der Kommune kann kein Zuschlag erteilt werden."))
    if lot.awarded_at:
        raise ValidationError(_("Der Zuschlag für dieses Los ist bereits erteilt."))
    if procedure.eu:
        if not lot.information_sent_at or lot.standstill_ends_on is None:
            raise ValidationError(_("Vor dem Zuschlag sind die unterlegenen Bieter nach § 134 GWB zu informieren."))
        if local_day(now) <= lot.standstill_ends_on:
            raise ValidationError(
                _(
                    "Die Wartefrist nach § 134 GWB läuft bis einschließlich %(day)s; ein vorher geschlossener Vertrag "
                    "wäre unwirksam. Der Zuschlag ist frühestens am %(next)s möglich."
                )
                % {
                    "day": date_format(lot.standstill_ends_on),
                    "next": date_format(lot.standstill_ends_on + timedelta(days=1)),
                }
            )
    lot.awarded_at = now
    lot.awarded_by = by
    lot.save(update_fields=["awarded_at", "awarded_by"])
    _advance_after_last_lot(procedure, done_at="awarded_at", status=S.AWARDED)
    audit(
        procedure=procedure,
        by=by,
        action="procedure.awarded",
        subject=lot,
        municipality=lot.municipality,
        changes={"lot": lot.number, "bidder": lot.decided_offer.bidder, "price": lot.decided_offer.price},
    )
    book_centre_hours(procedure=procedure, step=CentreStep.AWARD, by=by, now=now, hours=hours, lots=[lot])
    return lot


@transaction.atomic
def procedure_cancel(*, procedure: Procedure, by: Any, reason: str, now: datetime | None = None) -> Procedure:
    """Aufhebung with reason at any stage before the award; a decision of the (lead) municipality's mayor."""
    now = now_or(now)
    procedure = locked(procedure)
    require_capability(
        user=by,
        capability="decide_award",
        municipality=procedure.municipality,
        message=_("Über die Aufhebung entscheidet die Bürgermeisterin oder der Bürgermeister der Kommune."),
    )
    if (
        procedure.status in (S.CANCELLED, S.AWARDED, S.DOCUMENTED)
        or procedure.lots.filter(awarded_at__isnull=False).exists()
    ):
        raise ValidationError(_("Ein aufgehobenes oder bereits bezuschlagtes Verfahren kann nicht aufgehoben werden."))
    if not reason.strip():
        raise ValidationError({"reason": _("Bitte den Grund der Aufhebung angeben.")})
    before = procedure.status
    procedure.status = S.CANCELLED
    procedure.cancelled_at = now
    procedure.cancelled_by = by
    procedure.cancel_reason = reason.strip()
    procedure.save()
    audit(
        procedure=procedure,
        by=by,
        action="procedure.cancelled",
        changes={"status": {"old": before, "new": S.CANCELLED}},
        note=procedure.cancel_reason,
    )
    return procedure
