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
