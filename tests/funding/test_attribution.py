"""A grant is attributed only to the participating municipalities, split by their share, lowering their plan
contributions; no one else's contribution changes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from costs.calculation import plan_compute
from costs.models import CostCentre
from funding.models import Application, Attribution, Decision
from funding.services import applications as svc
from projects.models import Municipality
from tests.funding.conftest import prepare

pytestmark = pytest.mark.django_db
GRANT = Decimal("75000")


@pytest.fixture
def ozg_centre():
    return CostCentre.objects.get(code="ozg", dkz__slug="dkz-mkk")


def submitted(ikz, mkk, officer, partners):
    application = svc.application_create(
        by=officer,
        programme=ikz,
        county=mkk,
        title="OZG-Zentrum Prozessdesigner",
        partners=list(partners),
        duration_years=5,
    )
    application = prepare(application, officer, dt.date(2024, 2, 1))
    application = svc.application_review_start(application=application, by=officer)
    return svc.application_submit(application=application, by=officer, submitted_on=dt.date(2024, 2, 15))


def plan_by_name(centre, year):
    return {row.municipality.name: row for row in plan_compute(centre=centre, year=year).rows}


def test_ozg_grant_reduces_exactly_the_participants_contributions_by_their_share_of_ozg_services(
    ikz, mkk, users, ozg_partners, ozg_centre
):
    officer = users["foerderung.mkk"]
    others = [c for c in CostCentre.objects.filter(dkz__slug="dkz-mkk") if c != ozg_centre]
    before = plan_by_name(ozg_centre, 2024)
    before_others = {c.code: plan_by_name(c, 2024) for c in others}
    application = submitted(ikz, mkk, officer, ozg_partners)

    decision = svc.decision_record(
        application=application,
        by=officer,
        outcome=Decision.Outcome.GRANT,
        decided_on=dt.date(2024, 5, 2),
        amount=GRANT,
        first_year=2024,
        key_source=Decision.KeySource.COST_CENTRE,
        cost_centre_id=ozg_centre.pk,
    )

    after = plan_by_name(ozg_centre, 2024)
    services_total = sum(ozg_partners.values())
    reductions = {}
    for municipality, services in ozg_partners.items():
        row_before, row_after = before[municipality.name], after[municipality.name]
        assert row_after.amount == row_before.amount  # the plan contribution itself is unchanged
        reductions[municipality.name] = row_before.payable - row_after.payable
        exact = GRANT * services / services_total
        assert abs(reductions[municipality.name] - exact) < Decimal("0.01")
    assert sum(reductions.values()) == GRANT  # rounded parts add up to the grant
    assert reductions["Neuberg"] > reductions["Ronneburg"] > reductions["Großkrotzenburg"]
    assert {name: row.payable for name, row in after.items() if name not in reductions} == {
        name: row.payable for name, row in before.items() if name not in reductions
    }
    for centre in others:  # other cost centres, where the same towns take part, are untouched
        assert {n: r.payable for n, r in plan_by_name(centre, 2024).items()} == {
            n: r.payable for n, r in before_others[centre.code].items()
        }
    attributed = set(Attribution.objects.filter(decision=decision).values_list("municipality__slug", flat=True))
    assert attributed == {m.slug for m in ozg_partners}


def test_key_stated_in_the_notice_splits_the_grant_over_the_years_it_covers(ikz, mkk, users, ozg_partners):
    officer = users["foerderung.mkk"]
    application = submitted(ikz, mkk, officer, ozg_partners)
    decision = svc.decision_record(
        application=application,
        by=officer,
        outcome=Decision.Outcome.GRANT,
        decided_on=dt.date(2024, 5, 2),
        amount=Decimal("100000.01"),
        first_year=2024,
        last_year=2026,
        key=ozg_partners,
    )
    rows = list(decision.attributions.all())
    assert len(rows) == 3 * 3
    assert sum(r.amount for r in rows) == Decimal("100000.01")
    by_year = {y: sum(r.amount for r in rows if r.year == y) for y in (2024, 2025, 2026)}
    assert max(by_year.values()) - min(by_year.values()) <= Decimal("0.01")
    for row in rows:
        share = by_year[row.year] * ozg_partners[row.municipality] / sum(ozg_partners.values())
        assert abs(row.amount - share) < Decimal("0.01")


def test_a_key_naming_a_non_participant_is_refused_and_changes_nothing(ikz, mkk, users, ozg_partners):
    officer = users["foerderung.mkk"]
    application = submitted(ikz, mkk, officer, ozg_partners)
    key = dict(ozg_partners) | {Municipality.objects.get(slug="maintal"): Decimal("50")}
    with pytest.raises(ValidationError) as error:
        svc.decision_record(
            application=application,
            by=officer,
            outcome=Decision.Outcome.GRANT,
            decided_on=dt.date(2024, 5, 2),
            amount=GRANT,
            key=key,
        )
    assert "nicht beteiligt: Maintal" in str(error.value)
    application.refresh_from_db()
    assert application.state == Application.State.SUBMITTED
    assert not Decision.objects.filter(application=application).exists()
    assert not Attribution.objects.filter(municipality__slug="maintal").exists()
