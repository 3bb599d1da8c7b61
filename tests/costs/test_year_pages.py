"""The controller's year pages: create and publish the plan, book, settle, correct after the lock, re-settle."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from costs.calculation import statement_compute
from costs.models import ActualCost, Prepayment, Quantity, Settlement, TimeEntry, YearPlan
from costs.services import cost_centre_ensure
from projects.models import AuditEntry, Institution

pytestmark = pytest.mark.django_db

YEAR = 2025  # over: it can be settled


@pytest.fixture
def new_centre(muni, users):
    """A cost centre as the task transfer creates it: members and agreement (hours key), no plan yet."""
    return cost_centre_ensure(
        dkz=Institution.objects.get(slug="dkz-mkk"),
        code="test-bauhof",
        name="Gemeinsamer Bauhof",
        members=[muni("Ronneburg"), muni("Neuberg")],
        allocation_key="hours",
        valid_from=datetime.date(YEAR, 1, 1),
        sockel_share_percent=Decimal("25"),
        by=None,
    )


def _url(name, centre, year=YEAR):
    return reverse(f"costs:{name}", args=[centre.pk, year])


def _plan_post(client, centre, muni, budget="100.000,00", ronneburg="60", neuberg="40"):
    key = "hours"
    return client.post(
        _url("plan_edit", centre),
        {
            "budget": budget,
            "note": "Wirtschaftsplan",
            f"q_{muni('Ronneburg').pk}_{key}": ronneburg,
            f"q_{muni('Neuberg').pk}_{key}": neuberg,
        },
    )


def test_a_new_cost_centres_year_page_offers_the_controller_to_create_the_plan(client, users, new_centre):
    client.force_login(users["controlling.mkk"])
    page = client.get(_url("plan", new_centre))
    assert page.status_code == 200
    text = page.content.decode()
    assert "noch keine Vorkalkulation angelegt" in text and "Vorkalkulation anlegen" in text
    client.force_login(users["bm.ronneburg"])
    member = client.get(_url("plan", new_centre))
    assert member.status_code == 200 and "Vorkalkulation anlegen" not in member.content.decode()


def test_controller_creates_the_plan_and_members_see_it_only_after_publication(client, users, muni, new_centre):
    client.force_login(users["controlling.mkk"])
    form = client.get(_url("plan_edit", new_centre))
    assert form.status_code == 200 and "nach Stunden" in form.content.decode()
    assert _plan_post(client, new_centre, muni).status_code == 302
    plan = YearPlan.objects.get(centre=new_centre, year=YEAR)
    assert plan.budget == Decimal("100000.00") and plan.published_at is None
    assert Quantity.objects.get(centre=new_centre, municipality=muni("Ronneburg")).quantity == 60

    bm = client.__class__()
    bm.force_login(users["bm.ronneburg"])
    draft = bm.get(_url("plan", new_centre)).content.decode()
    assert "noch nicht veröffentlicht" in draft and "60.000,00" not in draft
    api = bm.get("/api/v1/costs/plans/", {"year": YEAR, "centre": new_centre.pk})
    assert api.status_code == 404
    assert "Gemeinsamer Bauhof" not in [
        line.centre.name
        for line in bm.get(reverse("costs:statement", args=[YEAR, muni("Ronneburg").pk])).context["statement"].lines
    ]

    assert client.post(_url("plan_publish", new_centre)).status_code == 302
    plan.refresh_from_db()
    assert plan.published_at is not None and plan.published_by == users["controlling.mkk"]
    assert AuditEntry.objects.filter(action="costs.plan_published", subject_id=str(plan.pk)).exists()
    published = bm.get(_url("plan", new_centre)).content.decode()
    assert "60.000,00" in published and "40.000,00" not in published  # only its own row
    rows = bm.get("/api/v1/costs/plans/", {"year": YEAR, "centre": new_centre.pk}).json()["rows"]
    assert [(r["municipality"]["name"], r["contribution"]) for r in rows] == [("Ronneburg", "60000.00")]


def test_plan_form_refuses_bad_input_in_german_and_saves_nothing(client, users, muni, new_centre):
    client.force_login(users["controlling.mkk"])
    before = AuditEntry.objects.count()
    bad_number = _plan_post(client, new_centre, muni, budget="hundert")
    assert bad_number.status_code == 400 and "ist keine Zahl" in bad_number.content.decode()
    no_budget = _plan_post(client, new_centre, muni, budget="")
    assert no_budget.status_code == 400 and "PLAN-Budget anzugeben" in no_budget.content.decode()
    no_inputs = _plan_post(client, new_centre, muni, ronneburg="", neuberg="")
    assert no_inputs.status_code == 400 and "Schlüsselgrößen" in no_inputs.content.decode()
    negative = _plan_post(client, new_centre, muni, ronneburg="-5")
    assert negative.status_code == 400 and "nicht negativ" in negative.content.decode()
    assert not YearPlan.objects.filter(centre=new_centre).exists()
    assert not Quantity.objects.filter(centre=new_centre).exists()
    assert AuditEntry.objects.count() == before


def test_only_the_controller_opens_the_plan_form_bookings_and_settlement(client, users, new_centre):
    for name in ("plan_edit", "bookings", "settle"):
        for username, expected in (
            ("controlling.mkk", 200),
            ("vergabe.mkk", 403),
            ("bm.ronneburg", 403),
            ("controlling.gg", 404),
            ("bm.maintal", 404),
        ):
            client.force_login(users[username])
            assert client.get(_url(name, new_centre)).status_code == expected, (name, username)
    client.force_login(users["bm.ronneburg"])
    assert client.post(_url("plan_publish", new_centre)).status_code == 403


def test_bookings_settlement_correction_and_resettlement_through_the_pages(client, users, muni, new_centre):
    ronneburg, neuberg = muni("Ronneburg"), muni("Neuberg")
    client.force_login(users["controlling.mkk"])
    _plan_post(client, new_centre, muni)
    client.post(_url("plan_publish", new_centre))
    bookings = _url("bookings", new_centre)

    def post(action, **data):
        return client.post(bookings, {"action": action, **{f"{action}-{k}": v for k, v in data.items()}})

    assert post("cost", amount="50.000,00", description="Personal und Sachkosten").status_code == 302
    assert post("time", municipality=ronneburg.pk, on="2025-05-02", hours="30", activity="UVgO").status_code == 302
    assert post("time", municipality=neuberg.pk, on="2025-06-03", hours="20", activity="VgV").status_code == 302
    assert post("prepayment", municipality=ronneburg.pk, amount="15000", received_on="2025-03-01").status_code == 302
    wrong_year = post("time", municipality=neuberg.pk, on="2024-06-03", hours="2", activity="VgV")
    assert wrong_year.status_code == 400 and "nicht im Jahr 2025" in wrong_year.content.decode()
    assert ActualCost.objects.get(centre=new_centre).amount == Decimal("50000.00")
    assert TimeEntry.objects.filter(centre=new_centre).count() == 2
    assert Prepayment.objects.get(centre=new_centre).amount == Decimal("15000.00")

    settle = _url("settle", new_centre)
    preview = client.get(settle).content.decode()
    assert "30.000,00" in preview and "15.000,00" in preview  # Ronneburg's share and balance shown before deciding
    unconfirmed = client.post(settle, {})
    assert unconfirmed.status_code == 400 and not Settlement.objects.filter(centre=new_centre).exists()
    assert client.post(settle, {"confirm": "on"}).status_code == 302
    first = Settlement.objects.get(centre=new_centre, year=YEAR)
    assert first.version == 1 and first.lines.get(municipality=ronneburg).balance == Decimal("15000.00")

    locked = post("time", municipality=neuberg.pk, on="2025-07-01", hours="2", activity="VgV")
    assert locked.status_code == 400 and "gesperrt" in locked.content.decode()
    nothing_yet = client.post(settle, {"reason": "Nachtrag"})
    assert nothing_yet.status_code == 400 and "keine Korrekturbuchungen" in nothing_yet.content.decode()

    entry = TimeEntry.objects.get(centre=new_centre, municipality=ronneburg)
    assert post("correction", entry=entry.pk, hours="10", reason="Nachtrag Mai").status_code == 302
    no_reason = client.post(settle, {"reason": " "})
    assert no_reason.status_code == 400 and Settlement.objects.filter(centre=new_centre).count() == 1
    assert client.post(settle, {"reason": "Nachtrag Mai"}).status_code == 302

    second = Settlement.objects.get(centre=new_centre, year=YEAR, version=2)
    lines = {line.municipality: line for line in second.lines.all()}
    # 50,000 € by 40 h and 20 h: 33,333.33 € and 16,666.67 € add up to the total
    assert lines[ronneburg].charge == Decimal("33333.33") and lines[neuberg].charge == Decimal("16666.67")
    assert sum(line.charge for line in lines.values()) == second.actual_total == Decimal("50000.00")
    assert lines[ronneburg].balance == Decimal("18333.33") and lines[ronneburg].previous_balance == Decimal("15000")
    assert AuditEntry.objects.filter(action="costs.year_resettled", subject_id=str(second.pk)).exists()

    statement = statement_compute(municipality=ronneburg, year=YEAR, published_only=True)
    line = next(line for line in statement.lines if line.centre == new_centre)
    assert (line.balance, line.version, line.change) == (Decimal("18333.33"), 2, Decimal("3333.33"))
    client.force_login(users["bm.ronneburg"])
    page = client.get(reverse("costs:statement", args=[YEAR, ronneburg.pk])).content.decode()
    assert "18.333,33" in page and "Nachzahlung" in page and "Version 2" in page


AMOUNTS = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["NaN", "sNaN", "Infinity", "-1e999", "1e999", "1.234.567.890.123,45", "12,5,5", "1e-30", "٣"]),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
)


@given(amount=AMOUNTS, hours=AMOUNTS)
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_hostile_amounts_in_the_cost_forms_never_crash_and_a_refusal_changes_nothing(
    client, users, muni, new_centre, amount, hours
):
    client.force_login(users["controlling.mkk"])
    forms = (
        (_url("plan_edit", new_centre), {"budget": amount, f"q_{muni('Ronneburg').pk}_hours": hours}),
        (_url("bookings", new_centre), {"action": "cost", "cost-amount": amount, "cost-description": "x"}),
        (
            _url("bookings", new_centre),
            {
                "action": "time",
                "time-municipality": muni("Neuberg").pk,
                "time-on": "2025-02-01",
                "time-hours": hours,
                "time-activity": "x",
            },
        ),
    )
    for url, data in forms:
        before = (AuditEntry.objects.count(), ActualCost.objects.count(), TimeEntry.objects.count())
        response = client.post(url, data)
        assert response.status_code in (302, 400), (data, response.status_code)
        if response.status_code == 400:
            assert "Bitte prüfen Sie Ihre Eingaben" in response.content.decode()
            assert (AuditEntry.objects.count(), ActualCost.objects.count(), TimeEntry.objects.count()) == before
