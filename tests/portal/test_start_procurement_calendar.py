"""The DKZ start page carries the procurement calendar: the agreed planned procedures per quarter of this and the
next year (from the planning talks) and the coming offer deadlines; another county's plans never appear."""

from __future__ import annotations

import pytest
from django.utils import timezone

from procurement.models import PlanningItem, PlanningTalk

pytestmark = pytest.mark.django_db


def _agreed(county_slug):
    year = timezone.localdate().year
    return PlanningItem.objects.filter(
        talk__county__slug=county_slug, talk__year__in=[year, year + 1], talk__status=PlanningTalk.Status.AGREED
    )


def test_dkz_start_page_shows_each_planned_quarter_of_its_county(client, users):
    items = list(_agreed("mkk"))
    assert items, "the demo seeds agreed planning talks for Main-Kinzig"
    client.force_login(users["vergabe.mkk"])
    page = client.get("/portal/").content.decode()
    assert "Vergabekalender" in page
    for year, quarter in {(i.talk.year, i.quarter) for i in items}:
        count = sum(1 for i in items if (i.talk.year, i.quarter) == (year, quarter))
        assert f'<td>Q{quarter}/{year}</td><td class="ikz-num">{count}</td>' in page


def test_another_countys_centre_sees_none_of_these_plans(client, users):
    client.force_login(users["vergabe.gg"])
    page = client.get("/portal/").content.decode()
    mkk_quarters = {(i.talk.year, i.quarter) for i in _agreed("mkk")}
    gg_quarters = {(i.talk.year, i.quarter) for i in _agreed("gg")}
    assert mkk_quarters - gg_quarters, "the demo plans of the two counties differ in at least one quarter"
    for year, quarter in mkk_quarters - gg_quarters:
        assert f"<td>Q{quarter}/{year}</td>" not in page
