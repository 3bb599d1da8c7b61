"""/api/v1/funding/: programmes, applications with their eligible amount and rule, decisions, drawdowns."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from tests.funding.conftest import granted_application

pytestmark = pytest.mark.django_db


@pytest.fixture
def granted(ikz, transferred_case, users, ozg_partners):
    return granted_application(ikz, transferred_case, users["foerderung.mkk"], ozg_partners)


def api(users, username):
    client = APIClient()
    client.force_authenticate(users[username])
    return client


def ids(response):
    return {row["id"] for row in response.json()["results"]}


def test_programmes_list_their_dated_rules_and_tiers(users):
    rows = api(users, "sb.neuberg").get("/api/v1/funding/programmes/").json()["results"]
    ikz = next(p for p in rows if p["code"] == "ikz-hessen")
    tiers = ikz["rules"][0]["tiers"]
    assert [(t["partners_from"], t["amount"], t["exception_only"]) for t in tiers] == [
        (2, "50000.00", True),
        (3, "75000.00", False),
        (4, "100000.00", False),
    ]


def test_application_shows_eligible_amount_and_the_rule_that_gave_it(users, granted):
    data = api(users, "foerderung.mkk").get(f"/api/v1/funding/applications/{granted.pk}/").json()
    assert data["eligible_amount"] == "75000.00"
    assert data["eligible_rule"]["version"] == "Rahmenvereinbarung IKZ"
    assert "3 Kommunen: 75.000 €; ab 4 Kommunen wären es 100.000 €." in data["eligibility_reasons"]


def test_lists_are_filtered_by_membership(users, granted):
    assert granted.pk in ids(api(users, "foerderung.mkk").get("/api/v1/funding/applications/"))
    assert granted.pk in ids(api(users, "bm.neuberg").get("/api/v1/funding/applications/"))
    assert granted.pk not in ids(api(users, "bm.maintal").get("/api/v1/funding/applications/"))
    assert granted.pk not in ids(api(users, "foerderung.gg").get("/api/v1/funding/applications/"))
    assert api(users, "foerderung.gg").get(f"/api/v1/funding/applications/{granted.pk}/").status_code == 404
    assert granted.decision.pk in ids(api(users, "bm.neuberg").get("/api/v1/funding/decisions/"))
    assert not ids(api(users, "foerderung.gg").get("/api/v1/funding/decisions/")) & {granted.decision.pk}


def test_drawdown_too_early_is_refused_in_german_and_a_valid_one_is_recorded(users, granted):
    client = api(users, "foerderung.mkk")
    early = client.post(
        "/api/v1/funding/drawdowns/",
        {"application": granted.pk, "amount": "10000", "requested_on": "2026-02-01", "needed_on": "2026-05-01"},
        format="json",
    )
    assert early.status_code == 400
    assert "binnen 2 Monaten" in str(early.json()["errors"]["needed_on"])
    ok = client.post(
        "/api/v1/funding/drawdowns/",
        {"application": granted.pk, "amount": "10000", "requested_on": "2026-02-01", "needed_on": "2026-03-01"},
        format="json",
    )
    assert ok.status_code == 201
    assert granted.drawdowns.get().needed_on == dt.date(2026, 3, 1)


def test_only_the_funding_officer_may_write(users, granted, ozg_partners):
    body = {"application": granted.pk, "amount": "10", "requested_on": "2026-02-01", "needed_on": "2026-03-01"}
    assert api(users, "bm.ronneburg").post("/api/v1/funding/drawdowns/", body, format="json").status_code == 403
    # an application of the other county is refused exactly like one that does not exist (no enumeration)
    invisible = api(users, "foerderung.gg").post("/api/v1/funding/drawdowns/", body, format="json")
    unknown = api(users, "foerderung.gg").post(
        "/api/v1/funding/drawdowns/", {**body, "application": 999999}, format="json"
    )
    assert invisible.status_code == unknown.status_code == 400
    assert str(invisible.json()).replace(str(granted.pk), "<id>") == str(unknown.json()).replace("999999", "<id>")
    new = {
        "title": "Standesamt",
        "programme": "ikz-hessen",
        "county": "mkk",
        "partners": [m.ags for m in ozg_partners],
        "duration_years": 5,
    }
    created = api(users, "foerderung.mkk").post("/api/v1/funding/applications/", new, format="json")
    assert created.status_code == 201
    assert created.json()["state"] == "idea"
    assert api(users, "bm.ronneburg").post("/api/v1/funding/applications/", new, format="json").status_code == 403
