"""Funding and cost events at a real HTTP receiver: sent by the domain services, in order, only to those who see."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from api.webhooks.events import SUBSCRIBABLE
from costs.services import (
    actual_cost_book,
    cost_centre_ensure,
    plan_quantity_set,
    time_entry_book,
    year_plan_publish,
    year_plan_set,
    year_settle,
)
from funding.models import Programme
from funding.services import applications as funding
from projects.models import Institution, Municipality
from tests.api.test_webhook_events import check_signed_and_documented, event_schemas, subscribe
from tests.funding import conftest as funding_setup

pytestmark = pytest.mark.django_db

# the funding tests' set-up: a transferred case of Main-Kinzig and its OZG partners
mkk, ozg_partners, transferred_case = funding_setup.mkk, funding_setup.ozg_partners, funding_setup.transferred_case


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    def run(step):
        with django_capture_on_commit_callbacks(execute=True):
            return step()

    return run


def received(receiver, path):
    return [json.loads(r["body"]) for r in receiver.at(path)]


def test_a_funding_application_from_submission_to_revocation_reaches_the_partner_town_only(
    login,
    receiver,
    eager_jobs,
    committed,
    users,
    transferred_case,
    ozg_partners,
):
    funding_events = [e for e in SUBSCRIBABLE if e.startswith("funding.")]
    subscribe(login("bm.ronneburg"), receiver.url("/ronneburg"), funding_events)  # a partner
    subscribe(login("bm.maintal"), receiver.url("/maintal"), funding_events)
    officer = users["foerderung.mkk"]
    programme = Programme.objects.get(code="ikz-hessen")

    application = committed(
        lambda: funding_setup.granted_application(programme, transferred_case, officer, ozg_partners)
    )
    committed(
        lambda: funding.drawdown_record(
            application=application,
            by=officer,
            amount=Decimal("10000"),
            requested_on=dt.date(2026, 2, 1),
            needed_on=dt.date(2026, 2, 20),
            paid_on=dt.date(2026, 2, 2),
        )
    )
    committed(
        lambda: funding.application_revoke(
            application=application,
            by=officer,
            revoked_on=dt.date(2027, 1, 15),
            principal=Decimal("10000"),
            base_rate_percent=Decimal("1.27"),
            interest_from=dt.date(2026, 2, 2),
            due_on=dt.date(2027, 2, 2),
            reason="Zweck verfehlt",
        )
    )

    check_signed_and_documented(receiver, event_schemas(login("bm.ronneburg")))
    assert receiver.at("/maintal") == []
    bodies = received(receiver, "/ronneburg")
    assert {b["data"]["application"]["id"] for b in bodies} == {application.pk}
    changes = [(b["data"]["old"], b["data"]["new"]) for b in bodies if b["event"].endswith("state_changed")]
    assert changes == [
        ("idea", "prepared"),
        ("prepared", "in_review"),
        ("in_review", "submitted"),
        ("submitted", "granted"),
        ("granted", "revoked"),
    ]
    named = [b["event"] for b in bodies if not b["event"].endswith("state_changed")]
    assert named == [
        "funding.application.submitted",
        "funding.application.granted",
        "funding.drawdown.recorded",
        "funding.application.revoked",
    ]
    drawdown = next(b["data"]["drawdown"] for b in bodies if b["event"] == "funding.drawdown.recorded")
    assert (drawdown["amount"], drawdown["needed_on"], drawdown["paid_on"]) == ("10000.00", "2026-02-20", "2026-02-02")


def test_a_published_plan_and_a_settled_year_reach_the_members_of_the_cost_centre_only(
    login, receiver, eager_jobs, committed, users
):
    cost_events = ["costs.plan.published", "costs.year.settled"]
    subscribe(login("bm.ronneburg"), receiver.url("/ronneburg"), cost_events)  # a member
    subscribe(login("bm.maintal"), receiver.url("/maintal"), cost_events)
    controller = users["controlling.mkk"]
    members = [Municipality.objects.get(name=name) for name in ("Ronneburg", "Neuberg", "Hasselroth")]
    year = 2026
    centre = cost_centre_ensure(
        dkz=Institution.objects.get(slug="dkz-mkk"),
        code="test-vergabe",
        name="Test-Vergabezentrum",
        members=members,
        allocation_key="hours",
        valid_from=dt.date(year, 1, 1),
        sockel_share_percent=Decimal("25"),
        sockel_minimum=Decimal("3000"),
        by=controller,
    )
    year_plan_set(centre=centre, year=year, budget=Decimal("200000"), by=controller)
    for municipality, hours in zip(members, (100, 60, 40), strict=True):
        plan_quantity_set(
            centre=centre, year=year, municipality=municipality, key="hours:uvgo", quantity=hours, by=controller
        )
    committed(lambda: year_plan_publish(centre=centre, year=year, by=controller))
    for municipality, hours in zip(members, ("50", "90", "10"), strict=True):
        time_entry_book(
            centre=centre,
            municipality=municipality,
            hours=Decimal(hours),
            activity="Vergabeverfahren",
            booked_by=users["vergabe.mkk"],
            source_type="procedure",
            source_id=f"p-{municipality.pk}",
            on=dt.date(year, 6, 1),
        )
    actual_cost_book(centre=centre, year=year, amount=Decimal("180000"), description="Personal", by=controller)
    settlement = committed(lambda: year_settle(centre=centre, year=year, by=controller, today=dt.date(year + 1, 2, 15)))

    check_signed_and_documented(receiver, event_schemas(login("bm.ronneburg")))
    assert receiver.at("/maintal") == []
    published, settled = received(receiver, "/ronneburg")
    assert published["event"] == "costs.plan.published"
    assert published["data"] == {
        "cost_centre": {"id": centre.pk, "code": "test-vergabe", "name": "Test-Vergabezentrum"},
        "year": year,
    }
    assert settled["event"] == "costs.year.settled"
    assert settled["data"]["settlement"] == {
        "id": settlement.pk,
        "version": 1,
        "actual_total": "180000.00",
        "charged_total": f"{settlement.charged_total:.2f}",
    }
