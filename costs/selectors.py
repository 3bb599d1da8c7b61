"""What a user may see of the costs domain.

DKZ staff see the cost centres and plans of their county; the controller (capability ``control_costs``)
sees every member's statement of the county. A member (mayor, clerk) sees the centres it takes part in, its own
plan rows and its own statement only. Anything else is a 404, so other counties' data is not even confirmed to exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from costs.calculation import Split, Statement, agreement_for, plan_compute, statement_compute
from costs.keys import key_get
from costs.models import ActualCost, Agreement, CostCentre, Prepayment, Settlement, YearPlan
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
        .select_related("dkz", "economic_check__case")
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
    """A member sees the centres whose plan has been published to it; the controller sees every centre."""
    municipality = statement_municipality_list_for_user(user=user).filter(pk=municipality_pk).first()
    if municipality is None:
        raise Http404("Abrechnung nicht gefunden.")
    controller = is_cost_controller(user=user, municipality=municipality)
    return statement_compute(municipality=municipality, year=year, published_only=not controller)


def statement_list_for_user(*, user: Any, year: int) -> list[Statement]:
    """Statements of every municipality the user may see (the controller: the whole county)."""
    cache: dict = {}
    controlled = set(municipalities_with_capability(user=user, capability="control_costs").values_list("pk", flat=True))
    return [
        statement_compute(municipality=m, year=year, cache=cache, published_only=m.pk not in controlled)
        for m in statement_municipality_list_for_user(user=user)
    ]


def _staff_centres(user: Any) -> QuerySet[CostCentre]:
    return CostCentre.objects.filter(dkz__counties__in=dkz_county_ids_of(user=user))


def actual_cost_list_for_user(*, user: Any, year: int) -> QuerySet[ActualCost]:
    """Actual costs (bookings, corrections included) of a year: DKZ staff of the centre's county see every one; a
    member municipality sees those of the centres it takes part in once the year is settled (its share is then in its
    statement). Anything else: none."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return ActualCost.objects.none()
    member_centres = CostCentre.objects.filter(memberships__municipality_id__in=municipality_ids_of(user=user))
    settled = Settlement.objects.filter(centre_id=OuterRef("centre_id"), year=OuterRef("year"))
    return ActualCost.objects.filter(year=year).filter(
        Q(centre_id__in=_staff_centres(user).values("pk"))
        | (Q(centre_id__in=member_centres.values("pk")) & Exists(settled))
    )


def prepayment_list_for_user(*, user: Any, year: int) -> QuerySet[Prepayment]:
    """Prepayments of a year: DKZ staff of the centre's county see every member's; a municipality its own."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Prepayment.objects.none()
    return Prepayment.objects.filter(year=year).filter(
        Q(centre_id__in=_staff_centres(user).values("pk")) | Q(municipality_id__in=municipality_ids_of(user=user))
    )


def is_dkz_staff_of(*, user: Any, centre: CostCentre) -> bool:
    return bool(set(centre.dkz.counties.values_list("pk", flat=True)) & dkz_county_ids_of(user=user))


def plan_for_user(*, user: Any, centre_pk: int, year: int) -> Split:
    """The plan of a centre: DKZ staff of the county see every row, a member only its own row of a plan that has
    been published to the members (``total`` stays the centre's plan total)."""
    centre = cost_centre_for_user(user=user, pk=centre_pk)
    if not is_dkz_staff_of(user=user, centre=centre):
        if not YearPlan.objects.filter(centre=centre, year=year, published_at__isnull=False).exists():
            raise Http404(_("Die Vorkalkulation {year} ist noch nicht veröffentlicht.").format(year=year))
        split = plan_compute(centre=centre, year=year)
        own = municipality_ids_of(user=user)
        split.rows = [row for row in split.rows if row.municipality.pk in own]
        return split
    return plan_compute(centre=centre, year=year)


def may_control_centre(*, user: Any, centre: CostCentre) -> bool:
    """The controller of the centre's DKZ (capability ``control_costs`` on its members, staff of its county)."""
    member = centre.members.first()
    return (
        member is not None
        and is_dkz_staff_of(user=user, centre=centre)
        and is_cost_controller(user=user, municipality=member)
    )


def centre_for_controller(*, user: Any, pk: int) -> CostCentre:
    """A centre the user controls: 404 if the user does not see it, 403 if the user sees it but does not control
    it."""
    centre = cost_centre_for_user(user=user, pk=pk)
    if not may_control_centre(user=user, centre=centre):
        raise PermissionDenied(_("Nur das Controlling der DKZ darf Kosten planen, buchen und abrechnen."))
    return centre


@dataclass
class PlanPage:
    """What the year page of a cost centre shows to the user."""

    centre: CostCentre
    year: int
    may_control: bool
    agreement: Agreement | None = None
    plan_row: YearPlan | None = None  # the stored plan (budget, publication)
    split: Split | None = None  # the computed plan, where it can be computed and the user may see it
    problem: str = ""  # why there is no plan to show
    settlements: list[Settlement] = field(default_factory=list)  # newest version first

    @property
    def settlement(self) -> Settlement | None:
        return self.settlements[0] if self.settlements else None

    @property
    def key(self):
        return key_get(self.agreement.allocation_key) if self.agreement else None


def plan_page_for_user(*, user: Any, centre_pk: int, year: int) -> PlanPage:
    """The year page: a missing plan is not an error but an offer to the controller to create it."""
    centre = cost_centre_for_user(user=user, pk=centre_pk)
    page = PlanPage(centre=centre, year=year, may_control=may_control_centre(user=user, centre=centre))
    try:
        page.agreement = agreement_for(centre=centre, year=year)
    except ValidationError as error:
        page.problem = " ".join(error.messages)
        return page
    page.plan_row = YearPlan.objects.filter(centre=centre, year=year).select_related("published_by").first()
    staff = is_dkz_staff_of(user=user, centre=centre)
    if page.plan_row is None:
        page.problem = _("Für {year} ist noch keine Vorkalkulation angelegt.").format(year=year)
        return page
    if not staff and page.plan_row.published_at is None:
        page.problem = _("Die Vorkalkulation {year} ist noch nicht veröffentlicht.").format(year=year)
        return page
    try:
        page.split = plan_for_user(user=user, centre_pk=centre_pk, year=year)
    except ValidationError as error:
        page.problem = " ".join(error.messages)
    settlements = Settlement.objects.filter(centre=centre, year=year).order_by("-version")
    page.settlements = list(settlements.prefetch_related("lines__municipality"))
    if not staff:
        own = municipality_ids_of(user=user)
        for settlement in page.settlements:
            settlement.visible_lines = [line for line in settlement.lines.all() if line.municipality_id in own]
    else:
        for settlement in page.settlements:
            settlement.visible_lines = list(settlement.lines.all())
    return page


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
