"""What a user may see of the costs domain.

DKZ staff see the cost centres and plans of their county; the controller (capability ``control_costs``)
sees every member's statement of the county. A member (mayor, clerk) sees the centres it takes part in, its own
plan rows and its own statement only. Anything else is a 404, so other counties' data is not even confirmed to exist.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from costs.calculation import Split, Statement, plan_compute, statement_compute
from costs.models import CostCentre
from projects.models import Municipality
from projects.selectors import (
    dkz_county_ids_of,
    has_capability,
    municipalities_with_capability,
    municipality_ids_of,
)


def cost_centre_list_for_user(*, user: Any) -> QuerySet[CostCentre]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return CostCentre.objects.none()
    return (
        CostCentre.objects.filter(
            Q(dkz__counties__in=dkz_county_ids_of(user=user))
            | Q(memberships__municipality_id__in=municipality_ids_of(user=user))
        )
        .distinct()
        .select_related("dkz")
        .order_by("dkz__name", "name")
    )


def cost_centre_for_user(*, user: Any, pk: int) -> CostCentre:
    centre = cost_centre_list_for_user(user=user).filter(pk=pk).first()
    if centre is None:
        raise Http404("Kostenstelle nicht gefunden.")
    return centre


def is_cost_controller(*, user: Any, municipality: Municipality) -> bool:
    return has_capability(user=user, capability="control_costs", municipality=municipality)


def statement_municipality_list_for_user(*, user: Any) -> QuerySet[Municipality]:
    """Municipalities whose statements the user may open: its own, or all of the county for the controller."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Municipality.objects.none()
    controlled = municipalities_with_capability(user=user, capability="control_costs").filter(
        county_id__in=dkz_county_ids_of(user=user)
    )
    return Municipality.objects.filter(
        Q(pk__in=municipality_ids_of(user=user)) | Q(pk__in=controlled.values("pk"))
    ).order_by("name")


def statement_for_user(*, user: Any, municipality_pk: int, year: int) -> Statement:
    municipality = statement_municipality_list_for_user(user=user).filter(pk=municipality_pk).first()
    if municipality is None:
        raise Http404("Abrechnung nicht gefunden.")
    return statement_compute(municipality=municipality, year=year)


def statement_list_for_user(*, user: Any, year: int) -> list[Statement]:
    """Statements of every municipality the user may see (the controller: the whole county)."""
    cache: dict = {}
    return [
        statement_compute(municipality=m, year=year, cache=cache)
        for m in statement_municipality_list_for_user(user=user)
    ]


def plan_for_user(*, user: Any, centre_pk: int, year: int) -> Split:
    """The plan of a centre: DKZ staff of the county see every row, a member only its own (``total`` stays the
    centre's plan total)."""
    centre = cost_centre_for_user(user=user, pk=centre_pk)
    split = plan_compute(centre=centre, year=year)
    if not set(centre.dkz.counties.values_list("pk", flat=True)) & dkz_county_ids_of(user=user):
        own = municipality_ids_of(user=user)
        split.rows = [row for row in split.rows if row.municipality.pk in own]
    return split


def joinable_centres_for_user(*, user: Any) -> list[tuple[Municipality, CostCentre, bool]]:
    """Services of the user's DKZ that the user's municipality does not use yet: (municipality, centre, requested)."""
    from costs.models import JoinRequest
    from projects.selectors import municipality_ids_of

    own = municipality_ids_of(user=user)
    if not own:
        return []
    centres = (
        CostCentre.objects.filter(dkz__members__municipality_id__in=own)
        .prefetch_related("memberships")
        .distinct()
        .order_by("name")
    )
    requested = set(JoinRequest.objects.filter(municipality_id__in=own).values_list("centre_id", "municipality_id"))
    municipalities = {m.pk: m for m in Municipality.objects.filter(pk__in=own)}
    rows = []
    for centre in centres:
        members = {m.municipality_id for m in centre.memberships.all()}
        for pk in sorted(own - members):
            rows.append((municipalities[pk], centre, (centre.pk, pk) in requested))
    return rows


def join_request_list_for_user(*, user: Any):
    """Open join requests of the DKZ's county, for its staff."""
    from costs.models import JoinRequest
    from projects.selectors import dkz_county_ids_of

    return (
        JoinRequest.objects.filter(centre__dkz__counties__in=dkz_county_ids_of(user=user))
        .select_related("centre", "municipality", "requested_by")
        .distinct()
    )
