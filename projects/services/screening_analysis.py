"""Utility analysis (Nutzwertanalyse) of a screening round: aggregation per bundle, score, ranking, route.

Definitions (issue 5, seed 000 "Schritt 2"):
- survey-partner count / other count = distinct municipalities with at least one interested declaration in the
  bundle, split by whether they are survey partners ("U-Kommunen") of the round; total = their sum;
- average urgency = mean over all interested declarations of the bundle that state an urgency (a municipality
  may declare several task areas of one bundle), rounded half up to two decimals; average complexity likewise
  over the given values;
- complexity used = the steering group's score of the bundle (BundleComplexity) where entered, else the
  declarations' average complexity, else none; each row names its source;
- criterion values on a 0–10 scale: reach = total / municipalities of the county × 10, urgency = average urgency,
  ease = the round's ease offset (dated defaults, 11) − complexity used (left out when there is none);
  score = weighted mean of the available criteria with the round's weights (dated defaults in
  fixtures/screening_criteria.json), two decimals;
- rank by score, then total, then name; the steering group's decided rank stands beside the computed one;
- route: county-wide when total / municipalities of the county ≥ the round's share (default 50 %); below it
  bilateral only for "few but urgent" bundles (share ≥ the dated rule's minimum and average urgency ≥ its
  minimum, fixtures/screening_bilateral_rule.json, the version valid at the start of the round), otherwise
  not pursued now; before the rule's first version every bundle below the share goes bilateral. Each row says why.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Q
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Font

from projects.models import (
    BundleComplexity,
    BundleRankDecision,
    InterestDeclaration,
    Municipality,
    ScreeningRound,
    TaskArea,
)
from projects.services.reference import read_fixture

TWO = Decimal("0.01")
TEN = Decimal(10)
COUNTY_WIDE = "county_wide"
BILATERAL = "bilateral"
NOT_PURSUED = "not_pursued"
ROUTE_LABELS = {
    COUNTY_WIDE: gettext_lazy("kreisweit"),
    BILATERAL: gettext_lazy("bilateral"),
    NOT_PURSUED: gettext_lazy("derzeit nicht verfolgt"),
}
FROM_STEERING = "steering_group"
FROM_DECLARATIONS = "declarations"
NO_COMPLEXITY = "none"
COMPLEXITY_SOURCE_LABELS = {
    FROM_STEERING: gettext_lazy("Lenkungsgruppe"),
    FROM_DECLARATIONS: gettext_lazy("Ø der Interessenbekundungen"),
    NO_COMPLEXITY: gettext_lazy("keine Angabe"),
}
BILATERAL_RULE = "screening_bilateral_rule.json"


def _round2(value: Decimal) -> Decimal:
    return value.quantize(TWO, rounding=ROUND_HALF_UP)


def _mean(values: list[int]) -> Decimal | None:
    return _round2(Decimal(sum(values)) / len(values)) if values else None


@dataclass
class BundleRow:
    code: str
    name: str
    survey_partner_count: int
    other_count: int
    total: int
    declaration_count: int
    average_urgency: Decimal | None
    average_complexity: Decimal | None  # the declarations' average
    reach: Decimal
    complexity: Decimal | None = None  # the value used for ease: the steering group's score, else the average
    complexity_source: str = NO_COMPLEXITY
    complexity_note: str = ""
    ease: Decimal | None = None
    score: Decimal = Decimal(0)
    rank: int = 0
    decided_rank: int | None = None  # the steering group's decision, shown beside the computed rank
    decided_reason: str = ""
    route: str = BILATERAL
    route_reason: str = ""
    municipality_ids: list[int] = field(default_factory=list)

    @property
    def route_label(self) -> str:
        return str(ROUTE_LABELS[self.route])

    @property
    def complexity_source_label(self) -> str:
        return str(COMPLEXITY_SOURCE_LABELS[self.complexity_source])


@dataclass(frozen=True)
class BilateralRule:
    """The dated "few but urgent" rule of the bilateral route (an agreed rule of the steering group, not law)."""

    min_share: Decimal
    min_average_urgency: Decimal
    valid_from: dt.date
    source: str


def bilateral_rule(*, on: dt.date) -> BilateralRule | None:
    """The version of the rule valid on ``on`` (the latest that has begun), or None before the first one."""
    versions = [
        v
        for v in read_fixture(BILATERAL_RULE)["versions"]
        if dt.date.fromisoformat(v["valid_from"]) <= on
        and (not v.get("valid_to") or on <= dt.date.fromisoformat(v["valid_to"]))
    ]
    if not versions:
        return None
    version = max(versions, key=lambda v: v["valid_from"])
    return BilateralRule(
        min_share=Decimal(version["min_share"]),
        min_average_urgency=Decimal(version["min_average_urgency"]),
        valid_from=dt.date.fromisoformat(version["valid_from"]),
        source=version["source"],
    )


def _percent(value: Decimal) -> str:
    return number_format((value * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP), decimal_pos=1)


def _decimal(value: Decimal) -> str:
    return number_format(value, decimal_pos=2)


def bundle_route(
    *,
    total: int,
    county_size: int,
    average_urgency: Decimal | None,
    county_wide_share: Decimal,
    rule: BilateralRule | None,
) -> tuple[str, str]:
    """The route of a bundle and why (German): county-wide, bilateral (few but urgent) or not pursued now."""
    share = Decimal(total) / county_size if county_size else Decimal(0)
    figures = {
        "total": total,
        "size": county_size,
        "share": _percent(share),
        "threshold": _percent(county_wide_share),
    }
    if share >= county_wide_share:
        return COUNTY_WIDE, _(
            "%(total)d von %(size)d Kommunen (%(share)s %%) – mindestens %(threshold)s %%: kreisweiter Weg."
        ) % figures
    below = _("%(total)d von %(size)d Kommunen (%(share)s %%) – unter %(threshold)s %%.") % figures
    if rule is None:
        return BILATERAL, below + " " + _(
            "Zum Beginn der Runde gilt keine Regel für wenige, aber dringliche Bündel: bilateraler Weg."
        )
    figures.update(
        min_share=_percent(rule.min_share),
        urgency=_decimal(average_urgency) if average_urgency is not None else "–",
        min_urgency=_decimal(rule.min_average_urgency),
    )
    if share >= rule.min_share and average_urgency is not None and average_urgency >= rule.min_average_urgency:
        return BILATERAL, below + " " + _(
            "Wenige, aber dringlich (Anteil mindestens %(min_share)s %%, Ø Dringlichkeit %(urgency)s "
            "mindestens %(min_urgency)s): bilateraler Weg."
        ) % figures
    return NOT_PURSUED, below + " " + _(
        "Nicht wenige, aber dringlich (verlangt: Anteil mindestens %(min_share)s %% und Ø Dringlichkeit "
        "mindestens %(min_urgency)s; hier %(share)s %% und %(urgency)s): derzeit nicht verfolgt."
    ) % figures


def county_municipality_count(*, screening_round: ScreeningRound) -> int:
    """Municipalities of the county at the start of the round (the county itself counts as one)."""
    return (
        Municipality.objects.filter(county_id=screening_round.county_id)
        .filter(Q(left_county_on__isnull=True) | Q(left_county_on__gt=screening_round.starts_on))
        .count()
    )


def _group_of(screening_round: ScreeningRound) -> tuple[str, str]:
    if screening_round.grouping == ScreeningRound.Grouping.COOPERATION_AREA:
        return "task_area__cooperation_area__code", "task_area__cooperation_area__name"
    return "task_area__bundle__code", "task_area__bundle__name"


def bundle_analysis(*, screening_round: ScreeningRound) -> list[BundleRow]:
    """The ranked table of the round, one row per bundle (or field) with at least one interested municipality."""
    code_key, name_key = _group_of(screening_round)
    rows = (
        InterestDeclaration.objects.filter(round=screening_round, interested=True)
        .exclude(**{f"{code_key}__isnull": True})
        .values_list(code_key, name_key, "municipality_id", "urgency", "complexity")
    )
    partners = set(screening_round.survey_partners.values_list("pk", flat=True))
    county_size = county_municipality_count(screening_round=screening_round)
    weights = {c.key: c.weight for c in screening_round.criteria.all()}
    rule = bilateral_rule(on=screening_round.starts_on)
    entered = {c.code: c for c in BundleComplexity.objects.filter(round=screening_round)}
    names: dict[str, str] = {}
    municipalities: dict[str, set[int]] = defaultdict(set)
    urgencies: dict[str, list[int]] = defaultdict(list)
    declarations: dict[str, int] = defaultdict(int)
    complexities: dict[str, list[int]] = defaultdict(list)
    for code, name, municipality_id, urgency, complexity in rows:
        names[code] = name
        municipalities[code].add(municipality_id)
        if urgency is not None:
            urgencies[code].append(urgency)
        declarations[code] += 1
        if complexity is not None:
            complexities[code].append(complexity)
    result = []
    for code, name in names.items():
        ids = municipalities[code]
        in_partners = len(ids & partners)
        average_urgency, average_complexity = _mean(urgencies[code]), _mean(complexities[code])
        row = BundleRow(
            code=code,
            name=name,
            survey_partner_count=in_partners,
            other_count=len(ids) - in_partners,
            total=len(ids),
            declaration_count=declarations[code],
            average_urgency=average_urgency,
            average_complexity=average_complexity,
            reach=_round2(Decimal(len(ids)) / county_size * TEN) if county_size else Decimal(0),
            municipality_ids=sorted(ids),
        )
        if steering := entered.get(code):
            row.complexity, row.complexity_source = Decimal(steering.complexity), FROM_STEERING
            row.complexity_note = steering.note
        elif average_complexity is not None:
            row.complexity, row.complexity_source = average_complexity, FROM_DECLARATIONS
        if row.complexity is not None:
            row.ease = screening_round.ease_offset - row.complexity
        row.score = bundle_score(row=row, weights=weights, ease_offset=screening_round.ease_offset)
        row.route, row.route_reason = bundle_route(
            total=len(ids),
            county_size=county_size,
            average_urgency=average_urgency,
            county_wide_share=screening_round.county_wide_share,
            rule=rule,
        )
        result.append(row)
    result.sort(key=lambda r: (-r.score, -r.total, r.name))
    decisions = {d.code: d for d in BundleRankDecision.objects.filter(round=screening_round)}
    for position, row in enumerate(result, start=1):
        row.rank = position
        if decision := decisions.get(row.code):
            row.decided_rank, row.decided_reason = decision.decided_rank, decision.reason
    return result


def bundle_score(*, row: BundleRow, weights: dict[str, Decimal], ease_offset: Decimal) -> Decimal:
    """Weighted mean of the available criterion values (each 0–10); ease = ease_offset − complexity used (the
    steering group's score of the bundle, else the declarations' average)."""
    values: dict[str, Decimal] = {"reach": row.reach}
    if row.average_urgency is not None:
        values["urgency"] = row.average_urgency
    if row.complexity is not None:
        values["ease"] = ease_offset - row.complexity
    used = {key: weights.get(key, Decimal(0)) for key in values}
    total_weight = sum(used.values())
    if not total_weight:
        return Decimal(0)
    return _round2(sum(values[key] * weight for key, weight in used.items()) / total_weight)


def bundle_row(*, screening_round: ScreeningRound, code: str) -> BundleRow:
    for row in bundle_analysis(screening_round=screening_round):
        if row.code == code:
            return row
    raise LookupError(code)


def bundle_task_areas(*, code: str) -> list[TaskArea]:
    return list(TaskArea.objects.filter(bundle__code=code).order_by("code"))


def analysis_as_dicts(*, rows: list[BundleRow]) -> list[dict[str, Any]]:
    """The rows as plain data (API, exports)."""
    return [
        {
            "bundle": {"code": r.code, "name": r.name},
            "survey_partner_count": r.survey_partner_count,
            "other_count": r.other_count,
            "total": r.total,
            "declaration_count": r.declaration_count,
            "average_urgency": r.average_urgency,
            "average_complexity": r.average_complexity,
            "complexity": r.complexity,
            "complexity_source": r.complexity_source,
            "ease": r.ease,
            "score": r.score,
            "rank": r.rank,
            "decided_rank": r.decided_rank,
            "decided_reason": r.decided_reason,
            "route": r.route,
            "route_reason": r.route_reason,
        }
        for r in rows
    ]


def analysis_xlsx(*, screening_round: ScreeningRound, rows: list[BundleRow]) -> bytes:
    """The ranked table as a workbook, with the criteria used."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Nutzwertanalyse"
    sheet.append([str(screening_round), str(screening_round.county)])
    sheet.append(
        [
            "Rang",
            "Aufgabenbündel",
            "# U-Kommunen",
            "# Nicht-U-Kommunen",
            "Σ Kommunen",
            "Ø Dringlichkeit",
            "Ø Komplexität",
            "Punktwert",
            "Wegvorschlag",
            "Komplexität (verwendet)",
            "Quelle der Komplexität",
            "Rang (entschieden)",
            "Begründung des Wegs",
        ]
    )
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for r in rows:
        sheet.append(
            [
                r.rank,
                r.name,
                r.survey_partner_count,
                r.other_count,
                r.total,
                r.average_urgency,
                r.average_complexity,
                r.score,
                r.route_label,
                r.complexity,
                r.complexity_source_label,
                r.decided_rank,
                r.route_reason,
            ]
        )
    criteria = book.create_sheet("Kriterien")
    criteria.append(["Kriterium", "Gewicht"])
    for criterion in screening_round.criteria.all():
        criteria.append([str(criterion.get_key_display()), criterion.weight])
    criteria.append(["Anteil für kreisweiten Weg", screening_round.county_wide_share])
    criteria.append(["Kommunen im Landkreis", county_municipality_count(screening_round=screening_round)])
    if rule := bilateral_rule(on=screening_round.starts_on):
        criteria.append(["Bilateral: Mindestanteil der Kommunen", rule.min_share])
        criteria.append(["Bilateral: Mindest-Ø Dringlichkeit", rule.min_average_urgency])
        criteria.append(["Quelle der Regel", rule.source])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@dataclass
class ChartBar:
    row: BundleRow
    y: int
    width: Decimal
    label_y: int


CHART_WIDTH = 420  # px for a score of 10
CHART_BAR = 18
CHART_GAP = 8


def chart_bars(*, rows: list[BundleRow]) -> tuple[list[ChartBar], int]:
    """Geometry of the horizontal bar chart (bars by score); returns the bars and the chart height."""
    bars = []
    for index, row in enumerate(rows):
        y = index * (CHART_BAR + CHART_GAP)
        width = (row.score / TEN * CHART_WIDTH).quantize(Decimal("0.1"))
        bars.append(ChartBar(row=row, y=y, width=width, label_y=y + CHART_BAR - 5))
    return bars, len(rows) * (CHART_BAR + CHART_GAP)
