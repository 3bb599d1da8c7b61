"""Screening: reference data (catalogue, ideas, default criteria), rounds and interest declarations."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from projects.models import (
    BundleComplexity,
    BundleRankDecision,
    Case,
    CooperationArea,
    County,
    IkzIdea,
    InterestDeclaration,
    Municipality,
    ScoringCriterion,
    ScreeningRound,
    TaskArea,
    TaskBundle,
)
from projects.selectors import has_capability
from projects.selectors_screening import can_manage_screening
from projects.services.audit import audit_record, field_changes
from projects.services.cases import case_capture, case_participants_set
from projects.services.reference import read_fixture
from projects.services.screening_analysis import bundle_row


@transaction.atomic
def task_catalogue_load(*, path: str = "task_catalogue.json") -> dict[str, int]:
    """Cooperation areas, bundles and task areas from the reference file (update or create by code)."""
    data = read_fixture(path)
    areas = {}
    for row in data["cooperation_areas"]:
        areas[row["code"]], _created = CooperationArea.objects.update_or_create(
            code=row["code"], defaults={"name": row["name"], "position": row.get("position", 0)}
        )
    bundles = {}
    for row in data["bundles"]:
        bundles[row["code"]], _created = TaskBundle.objects.update_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "position": row.get("position", 0),
                "description": row.get("description", ""),
            },
        )
    for row in data["task_areas"]:
        TaskArea.objects.update_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "office": row.get("office", ""),
                "bundle": bundles[row["bundle"]],
                "cooperation_area": areas.get(row.get("cooperation_area")),
                "description": row.get("description", ""),
            },
        )
    return {"bundles": len(bundles), "task_areas": TaskArea.objects.count()}


@transaction.atomic
def ikz_ideas_load(*, path: str = "ikz_ideas.json") -> int:
    """The IKZ idea database from the reference file (update or create by key)."""
    rows = read_fixture(path)["ideas"]
    codes = {row["task_area"] for row in rows if row.get("task_area")}
    task_areas = {a.code: a for a in TaskArea.objects.filter(code__in=codes)}
    for row in rows:
        IkzIdea.objects.update_or_create(
            key=row["key"],
            defaults={
                "title": row["title"],
                "description": row.get("description", ""),
                "region": row.get("region", "Hessen"),
                "origin": row.get("origin", ""),
                "task_area": task_areas.get(row.get("task_area")),
            },
        )
    return len(rows)


@dataclass(frozen=True)
class CriteriaDefaults:
    county_wide_share: Decimal
    weights: dict[str, Decimal]
    ease_offset: Decimal  # ease = ease_offset − average complexity
    source: str


def default_criteria(*, on: dt.date) -> CriteriaDefaults:
    """The dated defaults valid on ``on`` (fixtures/screening_criteria.json): county-wide share, criterion weights
    and the complexity-to-ease mapping, with their source. The latest version that has begun wins."""
    versions = [
        v
        for v in read_fixture("screening_criteria.json")["versions"]
        if dt.date.fromisoformat(v["valid_from"]) <= on
        and (not v.get("valid_to") or on <= dt.date.fromisoformat(v["valid_to"]))
    ]
    if not versions:
        raise ValidationError(_("Für dieses Datum sind keine Vorgaben der Nutzwertanalyse hinterlegt."))
    version = max(versions, key=lambda v: v["valid_from"])
    return CriteriaDefaults(
        county_wide_share=Decimal(version["county_wide_share"]),
        weights={row["key"]: Decimal(row["weight"]) for row in version["criteria"]},
        ease_offset=Decimal(version["ease_offset"]),
        source=version.get("source", ""),
    )


@transaction.atomic
def round_create(
    *,
    county: County,
    name: str,
    starts_on: dt.date,
    ends_on: dt.date,
    survey_partners: list[Municipality],
    by: Any,
    grouping: str = ScreeningRound.Grouping.BUNDLE,
    county_wide_share: Decimal | None = None,
) -> ScreeningRound:
    """Open a screening round of a county with its survey partners and the default criteria."""
    if by is not None and not can_manage_screening(user=by, county=county):
        raise PermissionDenied(_("Nur das DKZ-Projektmanagement des Landkreises legt Screening-Runden an."))
    errors: dict[str, str] = {}
    if not (name or "").strip():
        errors["name"] = _("Bitte eine Bezeichnung angeben.")
    elif ScreeningRound.objects.filter(county=county, name=name.strip()).exists():
        errors["name"] = _("Eine Runde mit dieser Bezeichnung gibt es im Landkreis bereits.")
    if ends_on < starts_on:
        errors["ends_on"] = _("Das Ende darf nicht vor dem Beginn liegen.")
    if any(m.county_id != county.pk for m in survey_partners):
        errors["survey_partners"] = _("Untersuchungspartner müssen zum Landkreis gehören.")
    if errors:
        raise ValidationError(errors)
    defaults = default_criteria(on=starts_on)
    share, weights = defaults.county_wide_share, defaults.weights
    screening_round = ScreeningRound.objects.create(
        county=county,
        name=name.strip(),
        starts_on=starts_on,
        ends_on=ends_on,
        grouping=grouping,
        county_wide_share=county_wide_share if county_wide_share is not None else share,
        ease_offset=defaults.ease_offset,
        created_by=by,
    )
    screening_round.survey_partners.set(survey_partners)
    ScoringCriterion.objects.bulk_create(
        ScoringCriterion(round=screening_round, key=key, weight=weight) for key, weight in weights.items()
    )
    audit_record(
        actor=by,
        action="screening.round_created",
        subject=screening_round,
        county=county,
        changes={"name": screening_round.name, "survey_partners": sorted(m.name for m in survey_partners)},
    )
    return screening_round


@transaction.atomic
def round_settings_update(
    *, screening_round: ScreeningRound, by: Any, weights: dict[str, Any], county_wide_share: Any
) -> ScreeningRound:
    """The steering group (DKZ project management) changes the criteria weights and the county-wide share."""
    if not can_manage_screening(user=by, county=screening_round.county):
        raise PermissionDenied(_("Nur das DKZ-Projektmanagement ändert die Kriterien der Nutzwertanalyse."))
    errors: dict[str, str] = {}
    parsed: dict[str, Decimal] = {}
    for key, raw in weights.items():
        if key not in ScoringCriterion.Key.values:
            errors[key] = _("Unbekanntes Kriterium.")
            continue
        try:
            parsed[key] = Decimal(str(raw).replace(",", "."))
        except InvalidOperation:
            errors[key] = _("Das Gewicht muss eine Zahl sein.")
            continue
        if parsed[key] < 0:
            errors[key] = _("Das Gewicht darf nicht negativ sein.")
    try:
        share = Decimal(str(county_wide_share).replace(",", "."))
        if not Decimal("0.01") <= share <= Decimal("1"):
            errors["county_wide_share"] = _("Der Anteil muss zwischen 0,01 und 1 liegen.")
    except InvalidOperation:
        errors["county_wide_share"] = _("Der Anteil muss eine Zahl sein.")
    if not errors and not any(parsed.values()):
        errors["weights"] = _("Mindestens ein Gewicht muss größer als null sein.")
    if errors:
        raise ValidationError(errors)
    before = {c.key: c.weight for c in screening_round.criteria.all()}
    before["county_wide_share"] = screening_round.county_wide_share
    for key, weight in parsed.items():
        ScoringCriterion.objects.update_or_create(round=screening_round, key=key, defaults={"weight": weight})
    screening_round.county_wide_share = share
    screening_round.save(update_fields=["county_wide_share"])
    after = {**parsed, "county_wide_share": share}
    audit_record(
        actor=by,
        action="screening.criteria_changed",
        subject=screening_round,
        county=screening_round.county,
        changes=field_changes(before, {**before, **after}),
    )
    return screening_round


@transaction.atomic
def bundle_rank_decide(
    *, screening_round: ScreeningRound, code: str, decided_rank: Any, reason: str, by: Any
) -> BundleRankDecision:
    """The steering group (DKZ project management) fixes the decided rank of a bundle with its reason; the
    computed rank of the utility analysis stays beside it. A new decision replaces the earlier one (audited)."""
    if not can_manage_screening(user=by, county=screening_round.county):
        raise PermissionDenied(_("Nur das DKZ-Projektmanagement legt den entschiedenen Rang fest."))
    try:
        row = bundle_row(screening_round=screening_round, code=code)
    except LookupError:
        raise ValidationError({"code": _("Für dieses Aufgabenbündel liegt kein Interesse vor.")}) from None
    errors: dict[str, str] = {}
    try:
        rank = int(str(decided_rank).strip())
        if rank < 1:
            raise ValueError
    except ValueError:
        errors["decided_rank"] = _("Der Rang muss eine ganze Zahl ab 1 sein.")
    if not (reason or "").strip():
        errors["reason"] = _("Bitte den entschiedenen Rang begründen (z. B. Beschluss der Lenkungsgruppe).")
    if errors:
        raise ValidationError(errors)
    decision = BundleRankDecision.objects.filter(round=screening_round, code=code).first()
    before = {"decided_rank": decision.decided_rank, "reason": decision.reason} if decision else {}
    if decision is None:
        decision = BundleRankDecision(round=screening_round, code=code)
    decision.decided_rank, decision.reason, decision.decided_by = rank, reason.strip(), by
    decision.save()
    audit_record(
        actor=by,
        action="screening.rank_decided",
        subject=screening_round,
        county=screening_round.county,
        changes=field_changes(before, {"computed_rank": row.rank, "decided_rank": rank, "reason": decision.reason}),
    )
    return decision


@transaction.atomic
def bundle_complexity_set(
    *, screening_round: ScreeningRound, code: str, complexity: Any, by: Any, note: str = ""
) -> BundleComplexity:
    """The steering group (DKZ project management) enters the complexity score (1–10) of a bundle; the utility
    analysis uses it in place of the declarations' average. A new score replaces the earlier one (audited)."""
    if not can_manage_screening(user=by, county=screening_round.county):
        raise PermissionDenied(_("Nur das DKZ-Projektmanagement legt die Komplexität eines Aufgabenbündels fest."))
    try:
        row = bundle_row(screening_round=screening_round, code=code)
    except LookupError:
        raise ValidationError({"code": _("Für dieses Aufgabenbündel liegt kein Interesse vor.")}) from None
    try:
        value = int(str(complexity).strip())
        if not 1 <= value <= 10:
            raise ValueError
    except ValueError:
        raise ValidationError({"complexity": _("Die Komplexität muss eine ganze Zahl von 1 bis 10 sein.")}) from None
    entry = BundleComplexity.objects.filter(round=screening_round, code=code).first()
    before = {"complexity": entry.complexity, "note": entry.note} if entry else {}
    if entry is None:
        entry = BundleComplexity(round=screening_round, code=code)
    entry.complexity, entry.note, entry.entered_by = value, (note or "").strip(), by
    entry.save()
    audit_record(
        actor=by,
        action="screening.complexity_set",
        subject=screening_round,
        county=screening_round.county,
        changes=field_changes(before, {"complexity": value, "note": entry.note}),
        note=_("%(bundle)s (Ø der Interessenbekundungen: %(average)s)")
        % {"bundle": row.name, "average": row.average_complexity if row.average_complexity is not None else "–"},
    )
    return entry


def may_declare_for(*, user: Any, municipality: Municipality) -> bool:
    """The municipality's clerk (declare_interest) or the DKZ project management (manage_screening)."""
    return has_capability(user=user, capability="declare_interest", municipality=municipality) or has_capability(
        user=user, capability="manage_screening", municipality=municipality
    )


def declaration_problems(*, interested: bool, urgency: Any, complexity: Any) -> dict[str, str]:
    """The rules of one answer, shared by the portal form and the XLSX import."""
    problems: dict[str, str] = {}
    for field, value, label in (("urgency", urgency, _("Dringlichkeit")), ("complexity", complexity, _("Komplexität"))):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            problems[field] = _("%(label)s muss eine ganze Zahl von 1 bis 10 sein (gefunden: „%(value)s“).") % {
                "label": label,
                "value": value,
            }
        elif not 1 <= value <= 10:
            problems[field] = _("%(label)s muss zwischen 1 und 10 liegen (gefunden: %(value)s).") % {
                "label": label,
                "value": value,
            }
    return problems


def declaration_record(
    *,
    screening_round: ScreeningRound,
    municipality: Municipality,
    task_area: TaskArea,
    interested: bool,
    urgency: int | None,
    complexity: int | None,
    proposals: str,
    idea: IkzIdea | None,
    by: Any,
    source: str,
) -> InterestDeclaration:
    """Write one declaration with its audit entry. Callers check the permission first (portal, import, demo)."""
    existing = InterestDeclaration.objects.filter(
        round=screening_round, municipality=municipality, task_area=task_area
    ).first()
    fields = {
        "interested": interested,
        "urgency": urgency if interested else None,
        "complexity": complexity,
        "proposals": proposals.strip(),
        "idea": idea,
    }
    before = {k: getattr(existing, k) for k in fields} if existing else {}
    declaration, _created = InterestDeclaration.objects.update_or_create(
        round=screening_round,
        municipality=municipality,
        task_area=task_area,
        defaults={**fields, "source": source, "entered_by": by if getattr(by, "is_authenticated", False) else None},
    )
    changes = field_changes(before, fields)
    if changes:
        audit_record(
            actor=by,
            action="screening.declaration_saved",
            subject=declaration,
            county=screening_round.county,
            municipality=municipality,
            changes=changes,
            note=f"{task_area.code} ({source})",
        )
    return declaration


@transaction.atomic
def declaration_save(
    *,
    screening_round: ScreeningRound,
    municipality: Municipality,
    task_area: TaskArea,
    interested: bool,
    by: Any,
    urgency: int | None = None,
    complexity: int | None = None,
    proposals: str = "",
    idea: IkzIdea | None = None,
) -> InterestDeclaration:
    """A municipality declares (or withdraws) interest in one task area of an open round."""
    if not may_declare_for(user=by, municipality=municipality):
        raise PermissionDenied(_("Sie dürfen für diese Kommune keine Interessen bekunden."))
    if municipality.county_id != screening_round.county_id:
        raise ValidationError({"municipality": _("Die Kommune gehört nicht zum Landkreis der Runde.")})
    if screening_round.status != ScreeningRound.Status.OPEN:
        raise ValidationError(_("Die Screening-Runde ist abgeschlossen."))
    problems = declaration_problems(interested=interested, urgency=urgency, complexity=complexity)
    if problems:
        raise ValidationError(problems)
    return declaration_record(
        screening_round=screening_round,
        municipality=municipality,
        task_area=task_area,
        interested=interested,
        urgency=urgency,
        complexity=complexity,
        proposals=proposals,
        idea=idea,
        by=by,
        source=InterestDeclaration.Source.PORTAL,
    )


@transaction.atomic
def screening_case_start(
    *,
    screening_round: ScreeningRound,
    bundle_code: str,
    by: Any,
    municipalities: list[Municipality] | None = None,
    lead: Municipality | None = None,
) -> Case:
    """Capture an IKZ case from a ranked bundle; participants default to the interested municipalities.

    The flow itself is started by the caller (portal) with ``workflows.case.case_start``.
    """
    if not can_manage_screening(user=by, county=screening_round.county):
        raise PermissionDenied(_("Nur das DKZ-Projektmanagement startet Vorgänge aus dem Screening."))
    try:
        row = bundle_row(screening_round=screening_round, code=bundle_code)
    except LookupError:
        raise ValidationError(_("Für dieses Aufgabenbündel liegt kein Interesse vor.")) from None
    if municipalities is None:
        municipalities = list(Municipality.objects.filter(pk__in=row.municipality_ids).order_by("name"))
    if lead is None:
        county_itself = [m for m in municipalities if m.kind == Municipality.Kind.LANDKREIS]
        lead = county_itself[0] if county_itself and row.route == "county_wide" else municipalities[0]
    names = ", ".join(m.name for m in municipalities)
    case = case_capture(
        county=screening_round.county,
        title=row.name,
        by=by,
        description=_(
            "Aus der Screening-Runde „%(round)s“: Rang %(rank)d, %(total)d interessierte Kommunen, "
            "Ø Dringlichkeit %(urgency)s, Punktwert %(score)s, Wegvorschlag %(route)s. Interessiert: %(names)s."
        )
        % {
            "round": screening_round.name,
            "rank": row.rank,
            "total": row.total,
            "urgency": row.average_urgency if row.average_urgency is not None else "–",
            "score": row.score,
            "route": row.route_label,
            "names": names,
        },
        task_area=row.name,
        source=Case.Source.SCREENING,
    )
    case_participants_set(case=case, municipalities=municipalities, lead=lead, by=by)
    audit_record(
        actor=by,
        action="screening.case_started",
        subject=screening_round,
        county=screening_round.county,
        changes={"bundle": row.name, "case": case.number, "participants": [m.name for m in municipalities]},
    )
    return case
