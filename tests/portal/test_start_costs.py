"""The municipality's start page shows its own costs (plan contributions of the services it uses), no one else's."""

from __future__ import annotations

import pytest

from costs.calculation import statement_compute
from portal.templatetags.portal_tags import euro
from projects.models import Municipality

pytestmark = pytest.mark.django_db


def test_municipality_start_page_shows_our_plan_contributions_and_not_those_of_others(client, users):
    ronneburg = Municipality.objects.get(slug="ronneburg")
    neuberg = Municipality.objects.get(slug="neuberg")
    client.force_login(users["sb.ronneburg"])
    page = client.get("/portal/").content.decode()
    assert "Unsere Kosten" in page
    ours = statement_compute(municipality=ronneburg, year=2024)
    theirs = statement_compute(municipality=neuberg, year=2024)
    assert ours.lines, "the demo plans of 2024 include Ronneburg"
    for line in ours.lines:
        assert line.centre.name in page
        assert str(euro(line.plan_contribution)) in page
    shared = {line.centre.pk for line in ours.lines}
    for line in theirs.lines:
        if line.centre.pk in shared and line.plan_contribution != next(
            o.plan_contribution for o in ours.lines if o.centre.pk == line.centre.pk
        ):
            assert str(euro(line.plan_contribution)) not in page


def test_a_draft_plan_of_a_later_year_does_not_replace_our_published_costs(client, users):
    from decimal import Decimal

    from django.utils import timezone

    from costs.models import YearPlan

    ronneburg = Municipality.objects.get(slug="ronneburg")
    published = YearPlan.objects.filter(
        centre__memberships__municipality=ronneburg, published_at__isnull=False
    ).order_by("-year")
    assert published.exists(), "the demo publishes its 2024 plans"
    latest = published.first()
    draft_year = timezone.localdate().year
    assert draft_year > latest.year
    YearPlan.objects.create(centre=latest.centre, year=draft_year, budget=Decimal("999999.00"))

    client.force_login(users["sb.ronneburg"])
    page = client.get("/portal/").content.decode()

    ours = statement_compute(municipality=ronneburg, year=latest.year)
    assert any(str(euro(line.plan_contribution)) in page for line in ours.lines if line.plan_contribution)
    assert str(euro(Decimal("999999.00"))) not in page
