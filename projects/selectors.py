"""What a user may see. Every list and lookup takes the viewer, so no view can forget to filter."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from projects.models import Anstaltstraeger, County, Institution, Membership, Municipality
from projects.roles import DKZ_ROLES, MUNICIPAL_ROLES, SUPERVISORY_ROLES, Role, perm


def memberships_of(*, user: Any) -> list[Membership]:
    """The user's memberships, cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, "_ikz_memberships", None)
    if cached is None:
        cached = list(
            Membership.objects.filter(user=user)
            .select_related("municipality", "municipality__county", "institution")
            .prefetch_related("institution__counties")
        )
        user._ikz_memberships = cached
    return cached


def municipality_ids_of(*, user: Any) -> set[int]:
    """Municipalities the user works for (not those a DKZ user serves)."""
    return {m.municipality_id for m in memberships_of(user=user) if m.role in MUNICIPAL_ROLES and m.municipality_id}


def dkz_county_ids_of(*, user: Any) -> set[int]:
    """Counties whose DKZ the user works for."""
    return {
        c.pk
        for m in memberships_of(user=user)
        if m.role in DKZ_ROLES and m.institution is not None
        for c in m.institution.counties.all()
    }


def supervised_county_ids_of(*, user: Any) -> set[int]:
    return {
        c.pk
        for m in memberships_of(user=user)
        if m.role in SUPERVISORY_ROLES and m.institution is not None
        for c in m.institution.counties.all()
    }


def county_ids_of(*, user: Any) -> set[int]:
    """Every county the user belongs to in any role."""
    ids = dkz_county_ids_of(user=user) | supervised_county_ids_of(user=user)
    ids |= {m.municipality.county_id for m in memberships_of(user=user) if m.municipality and m.municipality.county_id}
    return ids


def is_dkz_staff(*, user: Any, county: County | None = None) -> bool:
    ids = dkz_county_ids_of(user=user)
    return bool(ids) if county is None else county.pk in ids


def is_supervisor(*, user: Any) -> bool:
    return bool(supervised_county_ids_of(user=user))


def roles_of(*, user: Any) -> set[str]:
    return {m.role for m in memberships_of(user=user)}


def municipality_list_for_user(*, user: Any) -> QuerySet[Municipality]:
    """Municipalities visible to the user: their own; for DKZ staff and supervisors their counties'."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Municipality.objects.none()
    county_ids = dkz_county_ids_of(user=user) | supervised_county_ids_of(user=user)
    own = municipality_ids_of(user=user)
    from django.db.models import Q

    return Municipality.objects.filter(Q(pk__in=own) | Q(county_id__in=county_ids)).select_related("county")


def municipality_people_for_user(*, user: Any, pk: Any) -> tuple[Municipality, list[Membership]]:
    """The municipality and the memberships of the people who act for it (its mayor and clerks, with their
    substitutes): visible to its own members and to the DKZ staff of its county; anyone else gets a 404."""
    from django.http import Http404

    try:
        municipality = Municipality.objects.select_related("county").get(pk=int(pk))
    except (TypeError, ValueError, Municipality.DoesNotExist) as exc:
        raise Http404("Kommune nicht gefunden.") from exc
    if municipality.pk not in municipality_ids_of(user=user) and municipality.county_id not in dkz_county_ids_of(
        user=user
    ):
        raise Http404("Kommune nicht gefunden.")
    people = list(
        Membership.objects.filter(municipality=municipality, role__in=MUNICIPAL_ROLES, user__is_active=True)
        .select_related("user", "substitute")
        .order_by("role", "user__username")
    )
    return municipality, people


def institution_list_for_user(*, user: Any) -> QuerySet[Institution]:
    return Institution.objects.filter(counties__in=county_ids_of(user=user)).distinct()


def has_capability(*, user: Any, capability: str, municipality: Municipality) -> bool:
    """Object capability check through guardian (never a global grant)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.has_perm(perm(capability), municipality)


def municipalities_with_capability(*, user: Any, capability: str) -> QuerySet[Municipality]:
    from guardian.shortcuts import get_objects_for_user

    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Municipality.objects.none()
    return get_objects_for_user(user, perm(capability), klass=Municipality, accept_global_perms=False)


# --- IKZ cases ------------------------------------------------------------------------------------------------
SUPERVISOR_STAGES = ("supervision", "transfer", "transferred")
STATUTE_STAGES = ("statute", "supervision", "transfer", "transferred")


def case_list_for_user(*, user: Any):
    """Cases the user may see: DKZ staff their county's; municipalities those they take part in or proposed;
    the supervisory authority those that reached it."""
    from django.db.models import Exists, OuterRef, Q

    from projects.models import Case, CaseParticipant

    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Case.objects.none()
    own = municipality_ids_of(user=user)
    condition = Q(county_id__in=dkz_county_ids_of(user=user))
    condition |= Q(county_id__in=supervised_county_ids_of(user=user), stage__in=SUPERVISOR_STAGES)
    if own:
        participates = CaseParticipant.objects.filter(case=OuterRef("pk"), municipality_id__in=own)
        condition |= Q(proposing_municipality_id__in=own) | Q(Exists(participates))
        # Every Anstaltsträger must consent to a statute amendment: from that stage on, the members of the DKZ
        # see the county-wide case they are asked to consent to.
        member_counties = Anstaltstraeger.objects.filter(municipality_id__in=own).values("dkz__counties")
        condition |= Q(route=Case.Route.COUNTY_WIDE, stage__in=STATUTE_STAGES, county_id__in=member_counties)
    return Case.objects.filter(condition).select_related("county", "proposing_municipality")


# DKZ roles that work on cases; the board (Vorstand) reads only
CONTRIBUTING_DKZ_ROLES = {Role.PROJECT_MANAGER, Role.PROCUREMENT, Role.FUNDING, Role.CONTROLLING}


def case_contribution_allowed(*, user: Any, case: Any) -> bool:
    """Who may comment on a case and add documents to it (docs/architecture.md, "Comments and documents"):
    the DKZ staff of the case's county who work on cases (not the board), and mayors and clerks of a municipality
    that takes part in the case or proposed it. Everyone else who may see the case reads only: the supervisory
    authority, the board, and a member municipality that sees a county-wide case only to consent to the statute."""
    from projects.models import CaseParticipant

    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    memberships = memberships_of(user=user)
    if any(
        m.role in CONTRIBUTING_DKZ_ROLES
        and m.institution is not None
        and case.county_id in {c.pk for c in m.institution.counties.all()}
        for m in memberships
    ):
        return True
    own = municipality_ids_of(user=user)
    if not own:
        return False
    if case.proposing_municipality_id in own:
        return True
    return CaseParticipant.objects.filter(case=case, municipality_id__in=own).exists()


def case_for_user(*, user: Any, pk: int):
    """The case if the user may see it; otherwise Http404 (never reveal that it exists)."""
    from django.http import Http404

    from projects.models import Case

    try:
        return case_list_for_user(user=user).get(pk=pk)
    except (Case.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("Vorgang nicht gefunden") from exc
