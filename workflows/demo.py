"""Demo cases in different stages, driven through the real flow as the demo users (idempotent)."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.utils import timezone

from projects.models import Case, County, Municipality
from projects.services.cases import case_capture
from workflows import engine
from workflows.case import CaseFlow, case_start
from workflows.selectors import tasks_of_case

DEMO_CASES = [
    # (title, task area, participants, how far to go)
    ("Gemeinsamer Datenschutzbeauftragter", "Datenschutz", ["ronneburg", "neuberg", "hammersbach"], "approval"),
    ("Interkommunales Archiv", "Archiv", ["gelnhausen", "linsengericht", "biebergemuend"], "screening"),
    ("Gemeinsamer Ordnungsbehördenbezirk", "Ordnungswesen", ["schoeneck", "niederdorfelden"], "resolutions"),
    ("OZG-Digitalisierungszentrum", "EDV & Digitalisierung", ["grosskrotzenburg", "ronneburg", "neuberg"], "statute"),
]


def _user(name):
    return get_user_model().objects.get(username=name)


def _complete(case, node, username, municipality=None, **data):
    from viewflow.workflow import STATUS

    tasks = tasks_of_case(case=case).filter(flow_task=getattr(CaseFlow, node), status__in=[STATUS.NEW, STATUS.ASSIGNED])
    for task in tasks:
        if municipality is None or task.data.get("municipality_id") == municipality.pk:
            engine.task_complete(task=task, user=_user(username), data=data)


def cases_demo_seed() -> None:
    county = County.objects.get(slug="mkk")
    pm = _user("pm.mkk")
    today = timezone.localdate()
    for title, area, slugs, until in DEMO_CASES:
        if Case.objects.filter(county=county, title=title).exists():
            continue
        members = [Municipality.objects.get(slug=s) for s in slugs]
        case = case_capture(
            county=county,
            title=title,
            task_area=area,
            by=pm,
            description=f"IKZ-Idee aus dem Screening: {area}",
            source=Case.Source.SCREENING,
        )
        case_start(case=case)
        if until == "screening":
            continue
        route = "bilateral" if len(members) == 2 else "county_wide"
        _complete(
            case,
            "screening",
            "pm.mkk",
            decision="pursue",
            route=route,
            agreement_form="mandate" if route == "bilateral" else "",
        )
        _complete(
            case,
            "development",
            "pm.mkk",
            participants=[m.pk for m in members],
            lead=members[0].pk,
            decision_rule="unanimous",
            goals=f"{area} gemeinsam und rechtssicher erledigen",
            results="Vereinbarung, Stellenplan, Kostenschätzung",
            start_date=today.isoformat(),
            end_date=(today + dt.timedelta(days=540)).isoformat(),
            costs="Personal- und Sachkosten",
            cost_estimate="95000.00",
            expected_saving="18000.00",
            project_lead="DKZ Projektmanagement",
            project_group="Hauptämter der Beteiligten",
            information_management="Monatlicher Bericht",
        )
        if until == "approval":
            continue
        for m in members:
            _complete(case, "approve_project_order", f"bm.{m.slug}", municipality=m, decision="approved")
        if until == "resolutions":
            continue
        for m in members:
            _complete(
                case,
                "record_resolution",
                f"sb.{m.slug}",
                municipality=m,
                body=m.council_body,
                session_date=today.isoformat(),
                outcome="adopted",
                minute_reference="TOP 7",
            )
        _complete(case, "funding_decision", "pm.mkk", apply="yes", note="KIKZ-Förderung prüfen")
