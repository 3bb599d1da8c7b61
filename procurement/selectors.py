"""What a user may see in the procurement centre. Every function takes the viewer."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from procurement.models import PlanningItem, PlanningTalk, Procedure, StepTime
from projects.selectors import dkz_county_ids_of, has_capability, municipality_ids_of


def procedure_list_for_user(*, user: Any) -> QuerySet[Procedure]:
    """Own procedures and joint ones with a lot of the user's municipality; DKZ staff: their county's.

    The supervisory authority sees nothing here.
    """
    own = municipality_ids_of(user=user)
    counties = dkz_county_ids_of(user=user)
    if not own and not counties:
        return Procedure.objects.none()
    visible = Procedure.objects.filter(
        Q(pk__in=Procedure.objects.filter(lots__municipality_id__in=own).values("pk"))
        | Q(municipality_id__in=own)
        | Q(county_id__in=counties)
    )
    return visible.select_related("municipality", "county")


def procedure_for_user(*, user: Any, pk: Any) -> Procedure:
    """The procedure if the user may see it; otherwise 404 (also for other members and other counties)."""
    try:
        return procedure_list_for_user(user=user).get(pk=pk)
    except (Procedure.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("Vergabeverfahren nicht gefunden.") from exc


def planning_talk_list_for_user(*, user: Any) -> QuerySet[PlanningTalk]:
    own = municipality_ids_of(user=user)
    counties = dkz_county_ids_of(user=user)
    return PlanningTalk.objects.filter(Q(municipality_id__in=own) | Q(county_id__in=counties)).select_related(
        "municipality"
    )


def planning_talk_for_user(*, user: Any, pk: Any) -> PlanningTalk:
    try:
        return planning_talk_list_for_user(user=user).get(pk=pk)
    except (PlanningTalk.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("Planungsgespräch nicht gefunden.") from exc


def agreed_items(*, county_id: int, year: int) -> QuerySet[PlanningItem]:
    return PlanningItem.objects.filter(
        talk__county_id=county_id, talk__year=year, talk__status=PlanningTalk.Status.AGREED
    ).select_related("talk__municipality")


def bundle_candidates(*, user: Any, year: int) -> list[dict]:
    """Similar agreed needs of at least two members (same category, kind and quarter): proposals for bundling.

    Only for DKZ staff of the county; items already in a procedure are left out.
    """
    groups: dict[tuple, list[PlanningItem]] = defaultdict(list)
    for county_id in dkz_county_ids_of(user=user):
        for item in agreed_items(county_id=county_id, year=year).filter(procedures__isnull=True):
            key = (county_id, item.category.strip().lower(), item.kind, item.quarter)
            groups[key].append(item)
    candidates = []
    for (_county, _category, kind, quarter), items in groups.items():
        if len({item.talk.municipality_id for item in items}) < 2:
            continue
        candidates.append(
            {
                "category": items[0].category,
                "kind": kind,
                "quarter": quarter,
                "items": items,
                "combined_value": sum((item.estimated_value for item in items), Decimal("0")),
            }
        )
    return sorted(candidates, key=lambda c: (c["quarter"], c["category"]))


def planned_hours_by_municipality(*, county_id: int, year: int) -> dict[int, dict[str, Decimal]]:
    """Estimated hours of the agreed plans per municipality, split national (UVgO/VOB) and EU (VgV).

    The basis of the plan cost contribution of the Vergabezentrum (costs issue).
    """
    result: dict[int, dict[str, Decimal]] = defaultdict(lambda: {"national": Decimal("0"), "eu": Decimal("0")})
    for item in agreed_items(county_id=county_id, year=year):
        result[item.talk.municipality_id]["eu" if item.eu else "national"] += item.estimated_hours
    return dict(result)


def step_hours_by_municipality(*, county_id: int, year: int) -> dict[int, Decimal]:
    """Hours the centre actually booked per municipality in a year (the basis of the settlement)."""
    result: dict[int, Decimal] = defaultdict(Decimal)
    for row in StepTime.objects.filter(procedure__county_id=county_id, worked_on__year=year):
        result[row.municipality_id] += row.hours
    return dict(result)


def procurement_calendar_for_user(*, user: Any, years: list[int], today: Any, horizon_days: int = 30) -> dict:
    """The centre's calendar: agreed planned procedures per year and quarter (count, value, hours, EU), and the
    offer deadlines of running procedures in the next ``horizon_days`` days. DKZ staff of the county only."""
    import datetime as dt

    from django.db.models import Count, Q, Sum

    from projects.selectors import dkz_county_ids_of

    counties = dkz_county_ids_of(user=user)
    quarters = (
        PlanningItem.objects.filter(
            talk__county_id__in=counties, talk__year__in=years, talk__status=PlanningTalk.Status.AGREED
        )
        .values("talk__year", "quarter")
        .annotate(
            count=Count("pk"),
            value=Sum("estimated_value"),
            hours=Sum("estimated_hours"),
            eu=Count("pk", filter=Q(eu=True)),
        )
        .order_by("talk__year", "quarter")
    )
    until = today + dt.timedelta(days=horizon_days)
    deadlines = (
        procedure_list_for_user(user=user)
        .filter(offer_deadline__date__gte=today, offer_deadline__date__lte=until)
        .order_by("offer_deadline")[:10]
        if counties
        else Procedure.objects.none()
    )
    return {
        "quarters": [
            {
                "year": q["talk__year"],
                "quarter": q["quarter"],
                "count": q["count"],
                "value": q["value"],
                "hours": q["hours"],
                "eu": q["eu"],
            }
            for q in quarters
        ],
        "deadlines": list(deadlines),
        "until": until,
    }


def procedure_summary(*, user: Any, procedure: Procedure) -> dict:
    """What a page about a procedure (or a decision on it) shows to a viewer who may see it: lots, criteria, the
    designated openers and the offers, only after the opening, with their weighted points and ranking."""
    lots = list(procedure.lots.select_related("municipality", "proposed_offer", "decided_offer").order_by("number"))
    opened = procedure.opened_at is not None or (
        procedure.status in (Procedure.Status.AWARDED, Procedure.Status.DOCUMENTED)
    )
    offers = []
    if opened:
        for lot in lots:
            ranked = sorted(
                lot.offers.all(),
                key=lambda o: (
                    o.formally_admitted is not True,
                    -(o.total_points if o.total_points is not None else -1),
                    o.price,
                    o.pk,
                ),
            )
            rank = 0
            for offer in ranked:
                if offer.formally_admitted and offer.total_points is not None:
                    rank += 1
                    offer.rank = rank
                else:
                    offer.rank = None
                offers.append(offer)
    return {
        "procedure": procedure,
        "lots": lots,
        "criteria": list(procedure.criteria.all()),
        "offers": offers,
        "offers_received": procedure.offers.count(),
        "openers": list(procedure.openers.order_by("username")),
        "may_record_offer": procedure.status == Procedure.Status.PUBLISHED
        and not procedure.opening_started_at
        and has_capability(user=user, capability="run_procurement", municipality=procedure.municipality),
    }


def procedure_award_notice_due(*, procedure: Procedure):
    """EU procedures after an award: the day the EU award notice is due (§ 39 VgV), counted from the first award,
    with the counting explained; None before the award or below the threshold."""
    from django.utils import timezone

    from procurement.services.rules import award_notice_due

    if not procedure.eu:
        return None
    awarded = [lot.awarded_at for lot in procedure.lots.all() if lot.awarded_at]
    if not awarded:
        return None
    _period, end = award_notice_due(awarded_on=timezone.localdate(min(awarded)))
    return end
