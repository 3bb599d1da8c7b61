"""The steering group's status report: cases per stage, started per year, overdue milestones."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from projects.models import County, Milestone, PortfolioItem, SteeringGroupMember
from projects.services.cases import case_capture
from projects.services.screening_steering import status_report

pytestmark = pytest.mark.django_db


def test_report_counts_a_new_case_and_its_overdue_milestone(users):
    mkk = County.objects.get(slug="mkk")
    today = timezone.localdate()
    before = status_report(county=mkk, today=today)
    case = case_capture(county=mkk, title="Gemeinsamer Bauhof", by=users["pm.mkk"])
    item = PortfolioItem.objects.create(county=mkk, case=case, priority=1)
    late = Milestone.objects.create(item=item, title="Projektauftrag beschlossen", due_on=today - dt.timedelta(days=3))
    Milestone.objects.create(item=item, title="Kick-off", due_on=today - dt.timedelta(days=10), reached_on=today)

    after = status_report(county=mkk, today=today)
    stages_before, stages_after = dict(before.stages), dict(after.stages)
    label = str(case.get_stage_display())
    assert stages_after[label] == stages_before[label] + 1
    assert after.case_count == before.case_count + 1
    assert dict(after.started_per_year)[today.year] == dict(before.started_per_year).get(today.year, 0) + 1
    assert after.overdue_milestones == [late]
    assert [p.case for p in after.portfolio][0] == case


def test_reports_are_per_county(users):
    gg = County.objects.get(slug="gg")
    before = status_report(county=gg, today=timezone.localdate()).case_count
    case_capture(county=County.objects.get(slug="mkk"), title="Nur im MKK", by=users["pm.mkk"])
    report = status_report(county=gg, today=timezone.localdate())
    assert report.case_count == before
    assert all(m.county == gg for m in report.members)
    assert SteeringGroupMember.objects.filter(county=gg).count() == len(report.members) > 0
