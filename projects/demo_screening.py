"""Demo content of the screening (idempotent).

The declarations are derived from target figures (fixtures/screening_demo_targets.json, taken from the seeds):
for each bundle the generator picks the wanted number of survey partners and other municipalities, the smallest
number of declarations whose mean urgency can round to the target (a municipality may declare several task areas
of one bundle), and spreads the urgency sum over them. The aggregation is then done by the product's service.
The MKK round also carries the steering group's complexity score per bundle and the seed's decided ranking.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.db import transaction

from projects.models import (
    BundleComplexity,
    BundleRankDecision,
    County,
    InterestDeclaration,
    Municipality,
    ScreeningRound,
    TaskArea,
)
from projects.services.reference import read_fixture
from projects.services.screening import (
    bundle_complexity_set,
    bundle_rank_decide,
    declaration_record,
    ikz_ideas_load,
    round_create,
    task_catalogue_load,
)
from projects.services.screening_inventory import inventory_load_reference
from projects.services.screening_steering import steering_demo_members

TARGETS = "screening_demo_targets.json"


@dataclass(frozen=True)
class PlannedDeclaration:
    municipality: str
    task_area: str
    urgency: int | None


def urgency_plan(*, municipalities: int, average: Decimal, max_per_municipality: int) -> list[int]:
    """Urgencies (1–10) of the fewest declarations, at least one per municipality, whose mean rounds to average."""
    for count in range(municipalities, municipalities * max_per_municipality + 1):
        for total in (int(average * count), int(average * count) + 1):
            mean = (Decimal(total) / count).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            if mean == average and count <= total <= 10 * count:
                base, extra = divmod(total, count)
                return [base + 1] * extra + [base] * (count - extra)
    raise ValueError(f"Ø {average} ist mit {municipalities} Kommunen nicht erreichbar.")


def _rotate(items: list[str], start: int, count: int) -> list[str]:
    if count > len(items):
        raise ValueError(f"{count} Kommunen verlangt, nur {len(items)} vorhanden.")
    return [items[(start + k) % len(items)] for k in range(count)]


def plan_bundle(
    *,
    index: int,
    partners: list[str],
    others: list[str],
    partner_count: int,
    other_count: int,
    average: Decimal,
    task_areas: list[str],
) -> list[PlannedDeclaration]:
    """Declarations of one bundle: who declares which task area with which urgency."""
    chosen = _rotate(partners, index * 3, partner_count) + _rotate(others, index * 2, other_count)
    urgencies = urgency_plan(municipalities=len(chosen), average=average, max_per_municipality=len(task_areas))
    per_municipality = [1] * len(chosen)
    for k in range(len(urgencies) - len(chosen)):
        per_municipality[k % len(chosen)] += 1
    planned: list[PlannedDeclaration] = []
    values = iter(urgencies)
    for position, (name, count) in enumerate(zip(chosen, per_municipality, strict=True)):
        for t in range(count):
            area = task_areas[(position + t) % len(task_areas)]
            planned.append(PlannedDeclaration(name, area, next(values)))
    return planned


def plan_mkk(targets: dict, county_names: list[str], areas_by_bundle: dict[str, list[str]]):
    partners = list(targets["survey_partners"])
    others = [n for n in county_names if n not in partners]
    planned: list[PlannedDeclaration] = []
    for index, row in enumerate(targets["bundles"]):
        planned += plan_bundle(
            index=index,
            partners=partners,
            others=others,
            partner_count=row["survey_partners"],
            other_count=row["others"],
            average=Decimal(row["average_urgency"]),
            task_areas=areas_by_bundle[row["bundle"]],
        )
    return planned


def plan_gg(targets: dict, county_names: list[str], areas_by_field: dict[str, list[str]]):
    """One interested declaration (no urgency asked in 2013) per municipality and field."""
    planned: list[PlannedDeclaration] = []
    for index, row in enumerate(targets["cooperation_areas"]):
        areas = areas_by_field[row["area"]]
        for position, name in enumerate(_rotate(county_names, index * 4, row["municipalities"])):
            planned.append(PlannedDeclaration(name, areas[position % len(areas)], None))
    return planned


def _seed_round(*, spec: dict, grouping: str, planned: list[PlannedDeclaration], partners: list[str]):
    county = County.objects.get(slug=spec["county"])
    by_name = {m.name: m for m in Municipality.objects.filter(county=county)}
    screening_round = ScreeningRound.objects.filter(county=county, name=spec["round"]).first()
    if screening_round is None:
        screening_round = round_create(
            county=county,
            name=spec["round"],
            starts_on=dt.date.fromisoformat(spec["starts_on"]),
            ends_on=dt.date.fromisoformat(spec["ends_on"]),
            survey_partners=[by_name[n] for n in partners],
            grouping=grouping,
            by=None,
        )
    areas = {a.code: a for a in TaskArea.objects.all()}
    for item in planned:
        municipality = by_name[item.municipality]
        declaration_record(
            screening_round=screening_round,
            municipality=municipality,
            task_area=areas[item.task_area],
            interested=True,
            urgency=item.urgency,
            complexity=None,
            proposals="",
            idea=None,
            by=None,
            source=InterestDeclaration.Source.DEMO,
        )
    return screening_round


SEED_DECISION = "Seed 000 „Schritt 2“: Rangfolge der Lenkungsgruppe (mit Komplexitätswerten entschieden)"


def _seed_decided_ranks(*, screening_round: ScreeningRound, spec: dict) -> None:
    """The seed's ranking was a steering decision: the demo round carries it as the decided rank of each bundle."""
    manager = get_user_model().objects.filter(username=f"pm.{spec['county']}").first()
    if manager is None:
        return
    decided = dict(BundleRankDecision.objects.filter(round=screening_round).values_list("code", "decided_rank"))
    for bundle in spec["bundles"]:
        if "seed_rank" in bundle and decided.get(bundle["bundle"]) != bundle["seed_rank"]:
            bundle_rank_decide(
                screening_round=screening_round,
                code=bundle["bundle"],
                decided_rank=bundle["seed_rank"],
                reason=SEED_DECISION,
                by=manager,
            )


def _seed_complexities(*, screening_round: ScreeningRound, spec: dict) -> None:
    """The seed ranked with complexity scores of the steering group: the demo round carries one per bundle."""
    manager = get_user_model().objects.filter(username=f"pm.{spec['county']}").first()
    if manager is None:
        return
    entered = dict(BundleComplexity.objects.filter(round=screening_round).values_list("code", "complexity"))
    for bundle in spec["bundles"]:
        if "complexity" in bundle and entered.get(bundle["bundle"]) != bundle["complexity"]:
            bundle_complexity_set(
                screening_round=screening_round,
                code=bundle["bundle"],
                complexity=bundle["complexity"],
                note=spec.get("complexity_note", ""),
                by=manager,
            )


@transaction.atomic
def screening_demo_seed() -> None:
    """Catalogue, ideas, the MKK 2023 round, the Groß-Gerau 2013 round, inventory and steering group."""
    task_catalogue_load()
    ikz_ideas_load()
    targets = read_fixture(TARGETS)
    areas_by_bundle: dict[str, list[str]] = {}
    areas_by_field: dict[str, list[str]] = {}
    for area in TaskArea.objects.select_related("bundle", "cooperation_area").order_by("code"):
        areas_by_bundle.setdefault(area.bundle.code, []).append(area.code)
        if area.cooperation_area:
            areas_by_field.setdefault(area.cooperation_area.code, []).append(area.code)
    for key, grouping in (("mkk", ScreeningRound.Grouping.BUNDLE), ("gg", ScreeningRound.Grouping.COOPERATION_AREA)):
        spec = targets[key]
        names = list(
            Municipality.objects.filter(county__slug=spec["county"]).order_by("ags").values_list("name", flat=True)
        )
        if key == "mkk":
            planned, partners = plan_mkk(spec, names, areas_by_bundle), spec["survey_partners"]
        else:
            planned, partners = plan_gg(spec, names, areas_by_field), names
        screening_round = _seed_round(spec=spec, grouping=grouping, planned=planned, partners=partners)
        if key == "mkk":
            _seed_complexities(screening_round=screening_round, spec=spec)
            _seed_decided_ranks(screening_round=screening_round, spec=spec)
    inventory_load_reference()
    steering_demo_members()
