"""The API's gaps for integrators, closed: a drawdown paid out and used and a repayment received (funding officer),
the actual costs and prepayments of a year (each viewer what it may see), a screening round opened by the project
management. Refusals answer in German and change nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from costs.models import CostCentre, Prepayment
from funding.demo import GG_TITLE
from funding.models import Application, Deadline
from projects.models import AuditEntry, Municipality, ScreeningRound
from tests.api.test_webhook_events import check_signed_and_documented, event_schemas, subscribe

pytestmark = pytest.mark.django_db


def _granted() -> Application:
    return Application.objects.get(title=GG_TITLE, state=Application.State.GRANTED)


def _unpaid_drawdown(officer, application: Application) -> dict:
    response = officer.post(
        "/api/v1/funding/drawdowns/",
        {"application": application.pk, "amount": "10000", "requested_on": "2026-01-20", "needed_on": "2026-02-15"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["paid_on"] is None
    return response.json()


def test_funding_officer_records_a_drawdown_paid_out_then_used_and_its_use_deadline_follows(login):
    officer = login("foerderung.gg")
    application = _granted()
    drawdown = _unpaid_drawdown(officer, application)
    base = f"/api/v1/funding/applications/{application.pk}/drawdowns/{drawdown['id']}"
    audit = AuditEntry.objects.count()

    not_paid = officer.post(f"{base}/used/", {"used_on": "2026-02-10"}, format="json")
    assert not_paid.status_code == 400
    assert "noch nicht ausgezahlt" in not_paid.json()["detail"]
    assert AuditEntry.objects.count() == audit

    paid = officer.post(f"{base}/paid/", {"paid_on": "2026-01-25"}, format="json")
    assert paid.status_code == 200, paid.content
    body = paid.json()
    assert (body["paid_on"], body["use_due_on"], body["used_on"]) == ("2026-01-25", "2026-03-25", None)
    assert officer.post(f"{base}/paid/", {"paid_on": "2026-01-26"}, format="json").status_code == 400

    too_early = officer.post(f"{base}/used/", {"used_on": "2026-01-24"}, format="json")
    assert too_early.status_code == 400 and "used_on" in too_early.json()["errors"]
    used = officer.post(f"{base}/used/", {"used_on": "2026-02-10"}, format="json")
    assert used.status_code == 200, used.content
    assert used.json()["used_on"] == "2026-02-10"
    again = officer.post(f"{base}/used/", {"used_on": "2026-02-11"}, format="json")
    assert again.status_code == 400 and "bereits erfasst" in again.json()["detail"]

    deadline = Deadline.objects.get(drawdown_id=drawdown["id"], kind=Deadline.Kind.DRAWDOWN_USE)
    assert deadline.done_on == dt.date(2026, 2, 10)
    actions = list(
        AuditEntry.objects.filter(action__in=["funding.drawdown.paid", "funding.drawdown.used"])
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions[-2:] == ["funding.drawdown.paid", "funding.drawdown.used"]


def test_only_the_funding_officer_of_the_county_records_payments_and_others_change_nothing(login):
    application = _granted()
    drawdown = _unpaid_drawdown(login("foerderung.gg"), application)
    url = f"/api/v1/funding/applications/{application.pk}/drawdowns/{drawdown['id']}/paid/"
    audit = AuditEntry.objects.count()
    assert login("pm.gg").post(url, {"paid_on": "2026-01-25"}, format="json").status_code == 403
    assert login("foerderung.mkk").post(url, {"paid_on": "2026-01-25"}, format="json").status_code == 404
    assert AuditEntry.objects.count() == audit
    missing = f"/api/v1/funding/applications/{application.pk}/drawdowns/999999/paid/"
    assert login("foerderung.gg").post(missing, {"paid_on": "2026-01-25"}, format="json").status_code == 404


def test_funding_officer_records_the_receipt_of_a_repayment_once(login):
    officer = login("foerderung.gg")
    application = _granted()
    revoked = officer.post(
        f"/api/v1/funding/applications/{application.pk}/revoke/",
        {
            "revoked_on": "2026-03-01",
            "principal": "5000",
            "base_rate_percent": "1.27",
            "interest_from": "2026-01-01",
            "due_on": "2026-04-01",
            "reason": "Zweck teilweise verfehlt",
        },
        format="json",
    )
    assert revoked.status_code == 201, revoked.content
    repayment = revoked.json()["repayment"]
    url = f"/api/v1/funding/applications/{application.pk}/repayments/{repayment['id']}/paid/"

    before = officer.post(url, {"paid_on": "2026-02-01"}, format="json")
    assert before.status_code == 400 and "paid_on" in before.json()["errors"]
    assert login("pm.gg").post(url, {"paid_on": "2026-03-20"}, format="json").status_code == 403

    paid = officer.post(url, {"paid_on": "2026-03-20"}, format="json")
    assert paid.status_code == 200, paid.content
    assert paid.json()["paid_on"] == "2026-03-20" and paid.json()["total"] == repayment["total"]
    assert not Deadline.objects.filter(
        application=application, kind=Deadline.Kind.REPAYMENT, done_on__isnull=True
    ).exists()
    again = officer.post(url, {"paid_on": "2026-03-21"}, format="json")
    assert again.status_code == 400 and "bereits erfasst" in again.json()["detail"]


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    def run(step):
        with django_capture_on_commit_callbacks(execute=True):
            return step()

    return run


def test_payments_after_the_grant_reach_a_partner_town_s_webhook_signed_and_as_documented(
    login, receiver, eager_jobs, committed
):
    events = ["funding.drawdown.paid", "funding.drawdown.used", "funding.repayment.paid"]
    subscribe(login("bm.gernsheim"), receiver.url("/gernsheim"), events)  # a partner of the application
    subscribe(login("bm.trebur"), receiver.url("/trebur"), events)  # not a partner
    officer = login("foerderung.gg")
    application = _granted()
    drawdown = committed(lambda: _unpaid_drawdown(officer, application))
    base = f"/api/v1/funding/applications/{application.pk}/drawdowns/{drawdown['id']}"
    committed(lambda: officer.post(f"{base}/paid/", {"paid_on": "2026-01-25"}, format="json"))
    committed(lambda: officer.post(f"{base}/used/", {"used_on": "2026-02-10"}, format="json"))
    revoked = committed(
        lambda: officer.post(
            f"/api/v1/funding/applications/{application.pk}/revoke/",
            {
                "revoked_on": "2026-03-01",
                "principal": "5000",
                "base_rate_percent": "1.27",
                "interest_from": "2026-01-01",
                "due_on": "2026-04-01",
                "reason": "Zweck teilweise verfehlt",
            },
            format="json",
        )
    ).json()
    repayment = revoked["repayment"]
    committed(
        lambda: officer.post(
            f"/api/v1/funding/applications/{application.pk}/repayments/{repayment['id']}/paid/",
            {"paid_on": "2026-03-20"},
            format="json",
        )
    )

    bodies = check_signed_and_documented(receiver, event_schemas(login("bm.gernsheim")))
    assert receiver.at("/trebur") == []
    assert [body["event"] for _path, body in bodies] == events
    paid, used, received = (body["data"] for _path, body in bodies)
    assert (paid["drawdown"]["id"], paid["drawdown"]["paid_on"]) == (drawdown["id"], "2026-01-25")
    assert used["used_on"] == "2026-02-10"
    assert (received["repayment"]["total"], received["repayment"]["paid_on"]) == (repayment["total"], "2026-03-20")


def _ozg() -> CostCentre:
    return CostCentre.objects.get(code="ozg", dkz__slug="dkz-mkk")


YEAR = 2031  # an open year of the centre, booked by the test


def _booked(login) -> tuple[CostCentre, Municipality]:
    controller = login("controlling.mkk")
    centre = _ozg()
    neuberg = centre.members.get(slug="neuberg")
    cost = controller.post(
        "/api/v1/costs/actual-costs/",
        {"centre": centre.pk, "year": YEAR, "amount": "1200.00", "description": "Lizenzen"},
        format="json",
    )
    assert cost.status_code == 201, cost.content
    payment = controller.post(
        "/api/v1/costs/prepayments/",
        {
            "centre": centre.pk,
            "year": YEAR,
            "municipality": neuberg.pk,
            "amount": "500.00",
            "received_on": "2031-03-01",
        },
        format="json",
    )
    assert payment.status_code == 201, payment.content
    return centre, neuberg


def test_dkz_staff_list_the_actual_costs_and_prepayments_of_a_year_in_pages(login):
    centre, neuberg = _booked(login)
    for username in ("controlling.mkk", "pm.mkk"):
        client = login(username)
        costs = client.get("/api/v1/costs/actual-costs/", {"year": YEAR, "centre": centre.pk}).json()
        assert [(c["description"], c["amount"]) for c in costs["results"]] == [("Lizenzen", "1200.00")]
        payments = client.get("/api/v1/costs/prepayments/", {"year": YEAR}).json()
        assert [(p["municipality"]["id"], p["amount"]) for p in payments["results"]] == [(neuberg.pk, "500.00")]
    page = login("controlling.mkk").get("/api/v1/costs/actual-costs/", {"year": YEAR, "page_size": 1}).json()
    assert set(page) == {"count", "next", "previous", "results"} and len(page["results"]) == 1


def test_a_municipality_sees_its_own_prepayments_and_actual_costs_only_once_the_year_is_settled(login):
    centre, neuberg = _booked(login)
    mayor = login("bm.neuberg")
    own = mayor.get("/api/v1/costs/prepayments/", {"year": YEAR}).json()
    assert [p["municipality"]["id"] for p in own["results"]] == [neuberg.pk]
    assert mayor.get("/api/v1/costs/actual-costs/", {"year": YEAR}).json()["count"] == 0  # not settled yet
    other_member = login("bm.ronneburg")
    assert other_member.get("/api/v1/costs/prepayments/", {"year": YEAR}).json()["count"] == 0
    assert login("pm.gg").get("/api/v1/costs/prepayments/", {"year": YEAR}).json()["count"] == 0
    assert login("pm.gg").get("/api/v1/costs/prepayments/", {"year": YEAR, "centre": centre.pk}).status_code == 404


def test_the_bookings_of_a_year_need_the_year_and_follow_updated_since(login):
    _booked(login)
    client = login("controlling.mkk")
    missing = client.get("/api/v1/costs/prepayments/")
    assert missing.status_code == 400 and "year" in missing.json()["errors"]
    later = client.get("/api/v1/costs/actual-costs/", {"year": YEAR, "updated_since": "2099-01-01T00:00:00Z"})
    assert later.status_code == 200 and later.json()["count"] == 0
    since = client.get("/api/v1/costs/prepayments/", {"year": YEAR, "updated_since": "2020-01-01T00:00:00Z"})
    assert since.json()["count"] == Prepayment.objects.filter(year=YEAR).count() == 1


def _round_body(**changes) -> dict:
    body = {
        "county": "mkk",
        "name": "MKK 2027",
        "starts_on": "2027-01-15",
        "ends_on": "2027-04-30",
        "survey_partners": list(
            Municipality.objects.filter(slug__in=["neuberg", "ronneburg"]).values_list("ags", flat=True)
        ),
    }
    return {**body, **changes}


def test_project_management_opens_a_screening_round_with_the_valid_default_criteria(login):
    client = login("pm.mkk")
    response = client.post("/api/v1/screening/rounds/", _round_body(), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["name"], body["county"], body["status"], body["grouping"]) == ("MKK 2027", "mkk", "open", "bundle")
    created = ScreeningRound.objects.get(pk=body["id"])
    assert created.criteria.exists() and created.survey_partners.count() == 2
    assert AuditEntry.objects.filter(action="screening.round_created", subject_id=str(created.pk)).exists()
    listed = client.get("/api/v1/screening/rounds/").json()["results"]
    assert body["id"] in [r["id"] for r in listed]


def test_a_screening_round_with_bad_input_or_by_another_role_is_refused_in_german_and_nothing_is_created(login):
    client = login("pm.mkk")
    rounds, audit = ScreeningRound.objects.count(), AuditEntry.objects.count()
    backwards = client.post("/api/v1/screening/rounds/", _round_body(ends_on="2026-12-31"), format="json")
    assert backwards.status_code == 400 and "ends_on" in backwards.json()["errors"]
    foreign = Municipality.objects.filter(county__slug="gg", kind="gemeinde").values_list("ags", flat=True)[0]
    outside = client.post("/api/v1/screening/rounds/", _round_body(survey_partners=[foreign]), format="json")
    assert outside.status_code == 400 and "survey_partners" in outside.json()["errors"]
    unknown = client.post("/api/v1/screening/rounds/", _round_body(survey_partners=["00000000"]), format="json")
    assert unknown.status_code == 400 and "Gemeindeschlüssel" in unknown.json()["errors"]["survey_partners"][0]
    assert login("sb.neuberg").post("/api/v1/screening/rounds/", _round_body(), format="json").status_code == 403
    assert login("pm.gg").post("/api/v1/screening/rounds/", _round_body(), format="json").status_code == 403
    assert (ScreeningRound.objects.count(), AuditEntry.objects.count()) == (rounds, audit)
