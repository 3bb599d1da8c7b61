"""What a user may see of the screening: rounds, declarations, inventory, steering group."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from projects.models import County, InterestDeclaration, Municipality, ScreeningRound
from projects.selectors import county_ids_of, dkz_county_ids_of, has_capability, municipality_ids_of


def round_list_for_user(*, user: Any) -> QuerySet[ScreeningRound]:
    """Rounds of the counties the user belongs to (DKZ staff, municipalities, supervisors)."""
    return ScreeningRound.objects.filter(county_id__in=county_ids_of(user=user)).select_related("county")


def round_for_user(*, user: Any, pk: int) -> ScreeningRound:
    """A round the user may see, else 404."""
    try:
        return round_list_for_user(user=user).get(pk=pk)
    except (ScreeningRound.DoesNotExist, ValueError, TypeError):
        raise Http404(_("Screening-Runde nicht gefunden.")) from None


def round_for_analysis(*, user: Any, pk: int) -> ScreeningRound:
    """A round whose utility analysis the user may see: DKZ staff of its county only.

    Outside the county: 404; a municipal user or supervisor of the county: 403.
    """
    screening_round = round_for_user(user=user, pk=pk)
    if screening_round.county_id not in dkz_county_ids_of(user=user):
        raise PermissionDenied(_("Die Nutzwertanalyse sehen nur die DKZ-Beschäftigten des Landkreises."))
    return screening_round


def can_manage_screening(*, user: Any, county: County) -> bool:
    """DKZ project management of the county (capability manage_screening on the county's anchor)."""
    anchor = Municipality.objects.filter(county=county, kind=Municipality.Kind.LANDKREIS).first()
    return anchor is not None and has_capability(user=user, capability="manage_screening", municipality=anchor)


def declaring_municipalities_for_user(*, user: Any, screening_round: ScreeningRound) -> list[Municipality]:
    """Municipalities of the round's county the user may declare for (own municipality as clerk)."""
    own = municipality_ids_of(user=user)
    candidates = Municipality.objects.filter(county=screening_round.county, pk__in=own).order_by("name")
    return [m for m in candidates if has_capability(user=user, capability="declare_interest", municipality=m)]


def declaration_list_for_user(*, user: Any, screening_round: ScreeningRound) -> QuerySet[InterestDeclaration]:
    """DKZ staff of the county see every declaration of the round; a municipality sees its own."""
    qs = InterestDeclaration.objects.filter(round=screening_round).select_related(
        "municipality", "task_area", "task_area__bundle", "idea"
    )
    if screening_round.county_id in dkz_county_ids_of(user=user):
        return qs
    return qs.filter(Q(municipality_id__in=municipality_ids_of(user=user)))


def county_for_user(*, user: Any, slug: str) -> County:
    """A county the user belongs to, else 404."""
    try:
        return County.objects.get(slug=slug, pk__in=county_ids_of(user=user))
    except County.DoesNotExist:
        raise Http404(_("Landkreis nicht gefunden.")) from None
