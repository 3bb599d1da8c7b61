"""The funding officer's dashboard, an application's page and the XLSX export, with membership visibility."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import BytesIO

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from funding.models import Application
from funding.services import applications as svc
from tests.funding.conftest import granted_application, notify

pytestmark = pytest.mark.django_db


@pytest.fixture
def granted(ikz, transferred_case, users, ozg_partners):
    officer = users["foerderung.mkk"]
    application = granted_application(ikz, transferred_case, officer, ozg_partners)
    svc.drawdown_record(
        application=application,
        by=officer,
        amount=Decimal("30000"),
        requested_on=dt.date(2026, 2, 1),
        needed_on=dt.date(2026, 3, 1),
        paid_on=dt.date(2026, 2, 3),
    )
    return application


def login(client, users, username):
    client.force_login(users[username])
    return client


def test_missed_proof_of_use_is_escalated_and_marked_overdue_on_the_dashboard(client, users, granted):
    officer = users["foerderung.mkk"]
    today = timezone.localdate()
    svc.drawdown_use_confirm(drawdown=granted.drawdowns.get(), by=officer, used_on=dt.date(2026, 2, 20))
    svc.application_purpose_fulfilled(
        application=granted,
        by=officer,
        fulfilled_on=today - dt.timedelta(days=40),
        due_on=today - dt.timedelta(days=10),
    )
    notices = notify(granted, now=timezone.now())
    assert [n.kind for n in notices] == ["escalation"]

    page = login(client, users, "foerderung.mkk").get("/funding/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "1 Frist ist überschritten." in html
    assert "Überfällig seit 10 Tagen" in html
    assert "eskaliert" in html
    assert "OZG Prozessdesigner" in html


def test_dashboard_shows_pipeline_amounts_and_chart(client, users, granted):
    html = login(client, users, "foerderung.mkk").get("/funding/").content.decode()
    assert "Bewilligt" in html and "Interne Prüfung" in html
    assert "75.000,00" in html  # granted amount of the year 2026
    assert "30.000,00" in html  # drawn
    assert "<svg" in html and "Bewilligte und abgerufene Mittel je Jahr" in html


def test_participants_see_their_application_others_get_404(client, users, granted):
    url = f"/funding/applications/{granted.pk}/"
    assert login(client, users, "foerderung.mkk").get(url).status_code == 200
    page = login(client, users, "bm.ronneburg").get(url)
    assert page.status_code == 200
    assert "Zurechnung an die beteiligten Kommunen" in page.content.decode()
    assert login(client, users, "bm.maintal").get(url).status_code == 404
    assert login(client, users, "foerderung.gg").get(url).status_code == 404
    assert "OZG Prozessdesigner" not in login(client, users, "foerderung.gg").get("/funding/").content.decode()


def test_xlsx_export_holds_applications_figures_and_deadlines(client, users, granted):
    response = login(client, users, "foerderung.mkk").get("/funding/export.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(BytesIO(response.content))
    assert workbook.sheetnames == ["Anträge", "Summen", "Fristen"]
    titles = [row[1] for row in workbook["Anträge"].iter_rows(min_row=2, values_only=True)]
    assert "OZG Prozessdesigner" in titles
    sums = {(r[0], r[1]): r for r in workbook["Summen"].iter_rows(min_row=2, values_only=True)}
    row = sums[(granted.programme.name, 2026)]
    assert (Decimal(str(row[3])), Decimal(str(row[4]))) == (Decimal("75000"), Decimal("30000"))
    gg = load_workbook(BytesIO(login(client, users, "foerderung.gg").get("/funding/export.xlsx").content))
    assert "OZG Prozessdesigner" not in [r[1] for r in gg["Anträge"].iter_rows(min_row=2, values_only=True)]


def test_anonymous_visitor_is_sent_to_login(client):
    assert client.get("/funding/").status_code == 302


def test_demo_application_of_the_ozg_centre_is_prepared():
    demo = Application.objects.get(title="OZG-Zentrum: Prozessdesigner (KIKZ)")
    assert demo.state == Application.State.PREPARED
    assert demo.eligible_amount == Decimal("75000")


def test_demo_seed_is_idempotent_and_the_granted_example_adds_up():
    from funding.demo import GG_TITLE, funding_demo_seed
    from funding.models import Attribution, Deadline, Drawdown

    def snapshot():
        return (
            Application.objects.count(),
            Drawdown.objects.count(),
            Attribution.objects.count(),
            Deadline.objects.count(),
        )

    before = snapshot()
    funding_demo_seed()
    assert snapshot() == before
    example = Application.objects.get(title=GG_TITLE)
    assert example.state == Application.State.GRANTED
    assert sum(a.amount for a in example.decision.attributions.all()) == example.decision.amount
    assert {a.municipality.county.slug for a in example.decision.attributions.all()} == {"gg"}
