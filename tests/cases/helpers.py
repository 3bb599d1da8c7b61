"""Driving the case flow as the real demo users, through the same engine the portal and API use."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.utils import timezone
from viewflow.workflow import STATUS

from projects.models import County, Municipality
from projects.services.cases import case_capture
from workflows import engine
from workflows.case import CaseFlow, case_start
from workflows.selectors import tasks_of_case

User = get_user_model()


def user(name):
    return User.objects.get(username=name)


def muni(slug):
    return Municipality.objects.get(slug=slug)


def open_tasks(case, node=None):
    tasks = tasks_of_case(case=case).filter(status__in=[STATUS.NEW, STATUS.ASSIGNED])
    if node is not None:
        tasks = tasks.filter(flow_task=getattr(CaseFlow, node))
    return list(tasks)


def task_of(case, node, municipality=None):
    tasks = open_tasks(case, node)
    if municipality is not None:
        tasks = [t for t in tasks if t.data.get("municipality_id") == municipality.pk]
    assert len(tasks) == 1, f"expected one open {node} task, found {len(tasks)}"
    return tasks[0]


def complete(case, node, username, municipality=None, **data):
    task = task_of(case, node, municipality)
    return engine.task_complete(task=task, user=user(username), data=data)


def new_case(title="Gemeinsamer Datenschutzbeauftragter", county="mkk", by="pm.mkk", **kwargs):
    case = case_capture(
        county=County.objects.get(slug=county),
        title=title,
        by=user(by),
        task_area=kwargs.pop("task_area", "Datenschutz"),
        **kwargs,
    )
    case_start(case=case)
    return case


def order_data(participants, lead, **overrides):
    today = timezone.localdate()
    data = {
        "participants": [m.pk for m in participants],
        "lead": lead.pk,
        "decision_rule": "unanimous",
        "goals": "Gemeinsame Aufgabenerfüllung",
        "results": "Satzung, Vereinbarung, Stellenplan",
        "start_date": today.isoformat(),
        "end_date": (today + dt.timedelta(days=365)).isoformat(),
        "costs": "Personal- und Sachkosten",
        "cost_estimate": "120000.00",
        "expected_saving": "25000.00",
        "project_lead": "DKZ Projektmanagement",
        "project_group": "Hauptämter",
        "information_management": "Monatlich",
    }
    data.update(overrides)
    return data


def approve_all(case, participants, decision="approved"):
    for m in participants:
        complete(
            case,
            "approve_project_order",
            f"bm.{m.slug}",
            municipality=m,
            decision=decision,
            reason="" if decision == "approved" else "Begründung",
        )


def resolve_all(case, participants, outcome="adopted"):
    for m in participants:
        complete(
            case,
            "record_resolution",
            f"sb.{m.slug}",
            municipality=m,
            body="Gemeindevertretung",
            session_date=timezone.localdate().isoformat(),
            outcome=outcome,
        )


# The economic check before the transfer (seed 000): 1,200 hours a year at the full-cost rate of EG 11 valid in 2026,
# software licences on top, against a market inquiry with three quotes.
ECONOMIC_CHECK = {
    "year": 2026,
    "hours_per_year": "1200",
    "pay_group": "EG 11",
    "extra_material_cost": "5000",
    "extra_material_source": "Angebot Fachsoftware Datenschutzmanagement 2026",
    "market_source": "inquiry",
    "market_price": "110000",
    "quotes_count": 3,
    "market_note": "Drei externe Datenschutzbeauftragte im Oktober angefragt; günstigstes Angebot 110.000 € je Jahr",
    "decision": "own",
    "reason": "Die Eigenerledigung ist günstiger und hält das Wissen in der DKZ.",
}


def check_economy(case, username="controlling.mkk", **overrides):
    """The DKZ controlling records the economic check (the step right before the task transfer)."""
    return complete(case, "economic_check", username, **{**ECONOMIC_CHECK, **overrides})
