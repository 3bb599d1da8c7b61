"""Steering group (seed 002 "Lenkungsgruppe"): members, portfolio and the status report of the IKZ process."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from projects.models import AuditEntry, Case, County, Milestone, Municipality, PortfolioItem, SteeringGroupMember

CLOSED_STAGES = {Case.Stage.TRANSFERRED, Case.Stage.REJECTED}

# Demo members: (county, username, function, municipality name)
DEMO_MEMBERS = [
    ("gg", "pm.gg", "IKZ-Geschäftsstelle / Projektmanagement", None),
    ("gg", "bm.raunheim", "Bürgermeister/in der Geschäftsstellen-Kommune", "Raunheim"),
    ("gg", "bm.kreis-gross-gerau", "Kreis als „15. Kommune“", "Kreis Groß-Gerau"),
    ("gg", "bm.ruesselsheim-am-main", "Vertretung der Städte", "Rüsselsheim am Main"),
    ("mkk", "pm.mkk", "IKZ-Projektmanagement DKZ", None),
    ("mkk", "vorstand.mkk", "Vorstand DKZ Main-Kinzig AöR", None),
    ("mkk", "bm.main-kinzig-kreis", "Landrat/Landrätin", "Main-Kinzig-Kreis"),
]


@transaction.atomic
def steering_demo_members() -> int:
    """The demo steering groups of both counties (idempotent by county and user)."""
    users = {u.username: u for u in get_user_model().objects.filter(username__in=[m[1] for m in DEMO_MEMBERS])}
    created = 0
    for position, (county_slug, username, function, municipality_name) in enumerate(DEMO_MEMBERS, start=1):
        user = users.get(username)
        if user is None:
            continue
        county = County.objects.get(slug=county_slug)
        municipality = Municipality.objects.filter(name=municipality_name).first() if municipality_name else None
        _member, new = SteeringGroupMember.objects.get_or_create(
            county=county,
            user=user,
            defaults={
                "name": user.get_full_name() or username,
                "function": function,
                "municipality": municipality,
                "position": position,
            },
        )
        created += int(new)
    return created


@dataclass
class StatusReport:
    county: County
    today: dt.date
    stages: list[tuple[str, int]]
    started_per_year: list[tuple[int, int]]
    completed_per_year: list[tuple[int, int]]
    overdue_cases: list[Case]
    overdue_milestones: list[Milestone]
    portfolio: list[PortfolioItem]
    members: list[SteeringGroupMember] = field(default_factory=list)
    # overdue items and portfolio entries of cases the viewer may not see: counted, not named
    hidden_overdue: int = 0
    hidden_portfolio: int = 0

    @property
    def case_count(self) -> int:
        return sum(count for _label, count in self.stages)


def status_report(*, county: County, today: dt.date, viewer: Any = None) -> StatusReport:
    """Cases per stage, started and completed per year, overdue deadlines and milestones of a county.

    With ``viewer``, cases are named (number, title, milestones, portfolio entries) only where the viewer may see
    the case (``case_list_for_user``); of the others the report gives numbers only.
    """
    cases = list(
        Case.objects.filter(county=county).only(
            "pk", "stage", "created_at", "updated_at", "next_due", "number", "title"
        )
    )
    per_stage = Counter(case.stage for case in cases)
    stages = [(str(label), per_stage.get(value, 0)) for value, label in Case.Stage.choices]
    started = Counter(case.created_at.year for case in cases)
    transferred_at = {
        int(e.subject_id): e.created_at
        for e in AuditEntry.objects.filter(
            subject_type="projects.case",
            action="case.stage_changed",
            changes__stage__new=Case.Stage.TRANSFERRED,
            county=county,
        )
    }
    completed = Counter(
        transferred_at.get(case.pk, case.updated_at).year for case in cases if case.stage == Case.Stage.TRANSFERRED
    )
    overdue_cases = sorted(
        (c for c in cases if c.next_due and c.next_due < today and c.stage not in CLOSED_STAGES),
        key=lambda c: c.next_due or today,
    )
    overdue_milestones = list(
        Milestone.objects.filter(item__county=county, reached_on__isnull=True, due_on__lt=today)
        .select_related("item__case")
        .order_by("due_on")
    )
    portfolio = list(PortfolioItem.objects.filter(county=county).select_related("case").prefetch_related("milestones"))
    hidden_overdue = hidden_portfolio = 0
    if viewer is not None:
        from projects.selectors import case_list_for_user

        visible = set(case_list_for_user(user=viewer).filter(county=county).values_list("pk", flat=True))
        named_cases = [c for c in overdue_cases if c.pk in visible]
        named_milestones = [m for m in overdue_milestones if m.item.case_id in visible]
        named_portfolio = [item for item in portfolio if item.case_id in visible]
        hidden_overdue = len(overdue_cases) - len(named_cases) + len(overdue_milestones) - len(named_milestones)
        hidden_portfolio = len(portfolio) - len(named_portfolio)
        overdue_cases, overdue_milestones, portfolio = named_cases, named_milestones, named_portfolio
    return StatusReport(
        county=county,
        today=today,
        stages=stages,
        started_per_year=sorted(started.items()),
        completed_per_year=sorted(completed.items()),
        overdue_cases=overdue_cases,
        overdue_milestones=overdue_milestones,
        portfolio=portfolio,
        members=list(SteeringGroupMember.objects.filter(county=county).select_related("municipality")),
        hidden_overdue=hidden_overdue,
        hidden_portfolio=hidden_portfolio,
    )
