"""The controller's API: book actual costs, time entries and prepayments, correct, settle and re-settle."""

import datetime
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from costs.models import ActualCost, Prepayment, Settlement, TimeEntry
from costs.services import cost_centre_ensure, plan_quantity_set, year_plan_publish, year_plan_set
from projects.models import AuditEntry, Institution

pytestmark = pytest.mark.django_db

YEAR = 2025


@pytest.fixture
def api():
    """api("controlling.mkk") → a client sending that user's token (as a finance system would)."""
    cache.clear()

    def _login(username: str) -> APIClient:
        client = APIClient()
        response = client.post("/api/v1/auth/token/", {"username": username, "password": "demo"}, format="json")
        assert response.status_code == 200, response.content
        client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
        return client

    yield _login
    cache.clear()


@pytest.fixture
def planned(muni, users):
    """A centre with a published 2025 plan of 100,000 € by hours 60/40 for Ronneburg and Neuberg."""
    controller = users["controlling.mkk"]
    centre = cost_centre_ensure(
        dkz=Institution.objects.get(slug="dkz-mkk"),
        code="test-api-bauhof",
        name="Bauhof (API)",
        members=[muni("Ronneburg"), muni("Neuberg")],
        allocation_key="hours",
        valid_from=datetime.date(YEAR, 1, 1),
        by=controller,
    )
    year_plan_set(centre=centre, year=YEAR, budget=Decimal("100000"), by=controller)
    for name, hours in (("Ronneburg", 60), ("Neuberg", 40)):
        plan_quantity_set(centre=centre, year=YEAR, municipality=muni(name), key="hours", quantity=hours, by=controller)
    year_plan_publish(centre=centre, year=YEAR, by=controller)
    return centre


def test_controller_books_settles_corrects_and_resettles_through_the_api(api, planned, muni):
    ronneburg, neuberg = muni("Ronneburg"), muni("Neuberg")
    client = api("controlling.mkk")
    cost = client.post(
        "/api/v1/costs/actual-costs/",
        {"centre": planned.pk, "year": YEAR, "amount": "30000.00", "description": "Personal"},
        format="json",
    )
    assert cost.status_code == 201 and cost.json()["amount"] == "30000.00"
    for municipality, hours in ((ronneburg, "20"), (neuberg, "10")):
        booked = client.post(
            "/api/v1/costs/time-entries/",
            {
                "centre": planned.pk,
                "municipality": municipality.pk,
                "on": "2025-04-01",
                "hours": hours,
                "activity": "A",
            },
            format="json",
        )
        assert booked.status_code == 201, booked.content
    paid = client.post(
        "/api/v1/costs/prepayments/",
        {
            "centre": planned.pk,
            "year": YEAR,
            "municipality": neuberg.pk,
            "amount": "12000",
            "received_on": "2025-03-01",
        },
        format="json",
    )
    assert paid.status_code == 201 and paid.json()["municipality"]["name"] == "Neuberg"
    listed = client.get("/api/v1/costs/time-entries/", {"centre": planned.pk, "year": YEAR}).json()
    assert sorted(Decimal(e["hours"]) for e in listed) == [10, 20]

    settled = client.post("/api/v1/costs/settlements/", {"centre": planned.pk, "year": YEAR}, format="json")
    assert settled.status_code == 201
    lines = {line["municipality"]["name"]: line for line in settled.json()["lines"]}
    assert (lines["Ronneburg"]["charge"], lines["Neuberg"]["charge"]) == ("20000.00", "10000.00")
    assert lines["Neuberg"]["balance"] == "-2000.00"  # refund: prepaid 12,000 €, charged 10,000 €

    late = client.post(
        "/api/v1/costs/time-entries/",
        {"centre": planned.pk, "municipality": neuberg.pk, "on": "2025-05-01", "hours": "1", "activity": "B"},
        format="json",
    )
    assert late.status_code == 400 and "gesperrt" in late.json()["detail"]
    entry = TimeEntry.objects.get(centre=planned, municipality=neuberg)
    corrected = client.post(
        f"/api/v1/costs/time-entries/{entry.pk}/correct/", {"hours": "10", "reason": "Nachtrag"}, format="json"
    )
    assert corrected.status_code == 201 and corrected.json()["correction_of"] == entry.pk
    resettled = client.post(
        "/api/v1/costs/settlements/resettle/", {"centre": planned.pk, "year": YEAR, "reason": "Nachtrag"}, format="json"
    )
    assert resettled.status_code == 201 and resettled.json()["version"] == 2
    lines = {line["municipality"]["name"]: line for line in resettled.json()["lines"]}
    assert (lines["Ronneburg"]["charge"], lines["Neuberg"]["charge"]) == ("15000.00", "15000.00")
    assert (lines["Neuberg"]["balance"], lines["Neuberg"]["previous_balance"]) == ("3000.00", "-2000.00")
    assert Settlement.objects.filter(centre=planned, year=YEAR).count() == 2

    statement = api("bm.neuberg").get("/api/v1/costs/statements/", {"year": YEAR, "municipality": neuberg.pk})
    line = next(line for line in statement.json()["statements"][0]["lines"] if line["centre"] == planned.pk)
    assert (line["balance"], line["settled"]) == ("3000.00", True)


def test_only_the_controller_may_book_and_settle_and_a_refusal_changes_nothing(api, planned, muni, users):
    bodies = {
        "/api/v1/costs/actual-costs/": {"centre": planned.pk, "year": YEAR, "amount": "10", "description": "x"},
        "/api/v1/costs/time-entries/": {
            "centre": planned.pk,
            "municipality": muni("Ronneburg").pk,
            "on": "2025-04-01",
            "hours": "1",
            "activity": "x",
        },
        "/api/v1/costs/prepayments/": {
            "centre": planned.pk,
            "year": YEAR,
            "municipality": muni("Ronneburg").pk,
            "amount": "10",
            "received_on": "2025-03-01",
        },
        "/api/v1/costs/settlements/": {"centre": planned.pk, "year": YEAR},
    }
    before = AuditEntry.objects.count()
    for username, expected in (("bm.ronneburg", 403), ("vergabe.mkk", 403), ("controlling.gg", 404)):
        client = api(username)
        for url, body in bodies.items():
            response = client.post(url, body, format="json")
            assert response.status_code == expected, (username, url, response.content)
            assert response.json()["detail"]
    assert AuditEntry.objects.count() == before
    assert not ActualCost.objects.filter(centre=planned).exists()
    assert not TimeEntry.objects.filter(centre=planned).exists()
    assert not Prepayment.objects.filter(centre=planned).exists()
    assert not Settlement.objects.filter(centre=planned).exists()


def test_bad_bookings_are_refused_in_german(api, planned, muni):
    client = api("controlling.mkk")
    foreign = client.post(
        "/api/v1/costs/prepayments/",
        {
            "centre": planned.pk,
            "year": YEAR,
            "municipality": muni("Maintal").pk,
            "amount": "5",
            "received_on": "2025-01-01",
        },
        format="json",
    )
    assert foreign.status_code == 400 and "nicht beteiligt" in str(foreign.json()["errors"])
    negative = client.post(
        "/api/v1/costs/actual-costs/",
        {"centre": planned.pk, "year": YEAR, "amount": "-5", "description": "Gutschrift"},
        format="json",
    )
    assert negative.status_code == 400 and "als Korrektur" in negative.json()["detail"]
    this_year = timezone.localdate().year
    early = client.post("/api/v1/costs/settlements/", {"centre": planned.pk, "year": this_year}, format="json")
    assert early.status_code == 400 and "nach Ablauf des Jahres" in early.json()["detail"]
    not_settled = client.post(
        "/api/v1/costs/settlements/resettle/", {"centre": planned.pk, "year": YEAR, "reason": "x"}, format="json"
    )
    assert not_settled.status_code == 400 and "noch nicht abgerechnet" in not_settled.json()["detail"]
    assert not ActualCost.objects.filter(centre=planned).exists() and not Prepayment.objects.filter(centre=planned)
