"""Daily work in a real browser (issue 9): the pages people use are accessible, and the main steps work."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.e2e.conftest import axe_check, login, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_no_serious_or_critical_accessibility_violation_on_the_main_pages(page, axe_source):
    from projects.models import Case

    case = Case.objects.get(county__slug="mkk", title="Gemeinsamer Datenschutzbeauftragter")
    problems = {}
    page.goto("/accounts/login/")
    problems["Anmeldung"] = axe_check(page, axe_source, "Anmeldung")
    screenshot(page, "anmeldung")
    for username, label in (
        ("bm.ronneburg", "Kommune"),
        ("pm.mkk", "DKZ"),
        ("aufsicht.rpda", "Aufsicht"),
    ):
        login(page, username)
        page.goto("/portal/")
        problems[f"Startseite {label}"] = axe_check(page, axe_source, f"Startseite {label} ({username})")
        screenshot(page, f"startseite-{label.lower()}")
        if username != "aufsicht.rpda":
            page.goto("/portal/aufgaben/")
            problems[f"Aufgaben {label}"] = axe_check(page, axe_source, f"Aufgaben {label}")
            screenshot(page, f"aufgaben-{label.lower()}")
            page.goto(f"/portal/vorgaenge/{case.pk}/")
            problems[f"Vorgang {label}"] = axe_check(page, axe_source, f"Vorgang {label}")
            screenshot(page, f"vorgang-{label.lower()}")
    serious = {name: [v["id"] for v in found] for name, found in problems.items() if found}
    assert not serious, f"serious or critical accessibility violations: {serious}"


def test_the_main_steps_of_daily_work(page, axe_source):
    from funding.models import Deadline
    from projects.models import Approval, Case, InterestDeclaration, Municipality, ScreeningRound, TaskArea

    ronneburg = Municipality.objects.get(slug="ronneburg")
    approval_case = Case.objects.get(county__slug="mkk", title="Gemeinsamer Datenschutzbeauftragter")

    # 1. The mayor of Ronneburg finds the approval in the inbox and approves the project order.
    login(page, "bm.ronneburg")
    page.goto("/portal/aufgaben/")
    page.get_by_label("Suche nach Titel oder Aktenzeichen").fill(approval_case.number)
    page.get_by_role("button", name="Anwenden").click()
    page.get_by_role("link", name="Projektauftrag freigeben").first.click()
    page.get_by_role("heading", name="Aufgabe: Projektauftrag freigeben").wait_for()
    problems = axe_check(page, axe_source, "Aufgabe Projektauftrag freigeben")
    screenshot(page, "aufgabe-freigabe")
    page.get_by_label("Entscheidung").select_option("approved")
    page.get_by_role("button", name="Absenden und erledigen").click()
    page.get_by_text("Erledigt: Projektauftrag freigeben").first.wait_for()
    assert Approval.objects.filter(
        order=approval_case.current_order, municipality=ronneburg, decision="approved"
    ).exists()
    assert not problems, [v["id"] for v in problems]

    # 2. The clerk of Ronneburg declares interest in the open screening round.
    screening_round = ScreeningRound.objects.filter(county__slug="mkk", status="open").order_by("-pk").first()
    login(page, "sb.ronneburg")
    page.goto(reverse("screening:declarations", args=[screening_round.pk]))
    declared = InterestDeclaration.objects.filter(round=screening_round, municipality=ronneburg)
    area = TaskArea.objects.filter(is_active=True).exclude(pk__in=declared.values("task_area")).first()
    page.locator("#id_municipality").select_option(str(ronneburg.pk))
    page.locator("#id_task_area").select_option(str(area.pk))
    page.get_by_label("ja", exact=True).check()
    page.get_by_role("button", name="Speichern").click()
    page.wait_for_load_state("networkidle")
    assert declared.filter(task_area=area, interested=True).exists()

    # 3. The DKZ project manager advances a case from the screening to its development.
    archive = Case.objects.get(county__slug="mkk", title="Interkommunales Archiv")
    login(page, "pm.mkk")
    page.goto(f"/portal/vorgaenge/{archive.pk}/")
    page.locator("main#main").get_by_role("link", name="Screening").first.click()  # not the menu entry
    page.get_by_label("Entscheidung").select_option("pursue")
    page.get_by_label("Weg", exact=True).select_option("county_wide")
    page.get_by_role("button", name="Absenden und erledigen").click()
    page.get_by_text("Erledigt: Screening").first.wait_for()
    archive.refresh_from_db()
    assert archive.stage == Case.Stage.DEVELOPMENT
    page.goto(f"/portal/vorgaenge/{archive.pk}/")
    assert "Entwicklung zur Beschlussreife" in page.locator("main#main").inner_text()

    # 4. The funding officer of Main-Kinzig sees an overdue deadline on the funding dashboard.
    from funding.models import Application

    today = timezone.localdate()
    overdue = Deadline.objects.filter(done_on__isnull=True, due_on__lt=today, application__county__slug="mkk").first()
    if overdue is None:  # the demo world's deadlines may all lie ahead: let one pass
        application = Application.objects.filter(county__slug="mkk").order_by("pk").first()
        overdue = Deadline.objects.create(
            application=application,
            kind=Deadline.Kind.PROOF_OF_USE,
            label="Verwendungsnachweis (Test)",
            due_on=today - dt.timedelta(days=3),
            remind_on=today - dt.timedelta(days=30),
        )
    login(page, "foerderung.mkk")
    page.goto(reverse("funding:index"))
    main = page.locator("body").inner_text()
    assert overdue.label in main
    assert "überschritten" in main or "Überfällig" in main
    screenshot(page, "foerderung-fristen")
    page.goto("/portal/")
    assert "überfällig" in page.locator("main#main").inner_text()
