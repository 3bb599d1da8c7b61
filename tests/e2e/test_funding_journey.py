"""Journey (c) of issue 16 in a real browser: a funding application from a transferred case to its closure, walked
by the real roles through the pages, and a second application revoked with repayment.

The demo world's OZG case waits for the consent of every Anstaltsträger of the county; the setup drives it to the
supervisory authority with the case test helpers (the same engine and services the pages use, as the real mayors).
From the task transfer on, every state change is a click or a form in the browser, each role in its own session;
the test reads the database only to assert outcomes.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from tests.e2e.conftest import axe_check, login, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n% Beschluss\n"


def pdf(name: str, content: bytes = PDF) -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": content}


def _case_at_supervision_done():
    """The demo OZG case: every Anstaltsträger consents (its mayor), the supervisory authority acknowledges."""
    from projects.models import Case
    from tests.cases.helpers import check_economy, complete, open_tasks
    from workflows.engine import task_complete

    case = Case.objects.get(county__slug="mkk", title="OZG-Digitalisierungszentrum")
    from django.contrib.auth import get_user_model

    from projects.models import Municipality

    users = get_user_model().objects
    for task in open_tasks(case, "consent_statute_amendment"):
        municipality = Municipality.objects.get(pk=task.data["municipality_id"])
        task_complete(
            task=task,
            user=users.get(username=f"bm.{municipality.slug}"),
            data={  # each consent rests on the member's council resolution (HGO § 51)
                "agreed": "yes",
                "council_session_date": timezone.localdate().isoformat(),
                "council_minute_reference": "TOP 4",
            },
        )
    # the Main-Kinzig DKZ's statute needs the approval of the Regierungspräsidium (a Landkreis takes part)
    complete(case, "supervisory_review", "aufsicht.rpda", outcome="approved")
    check_economy(
        case
    )  # the DKZ controlling's economic check before the transfer (its own journey: test_economic_check)
    return case


def _complete_task(page, title: str) -> None:
    page.get_by_role("button", name="Absenden und erledigen").click()
    page.get_by_text(f"Erledigt: {title}").first.wait_for()


def _open_step(page, application, title: str) -> None:
    """From the application page's "Was ist zu tun" to the task page of the step."""
    page.goto(f"/funding/applications/{application.pk}/")
    page.get_by_role("link", name=title, exact=True).first.click()  # also in the flow diagram's list of steps
    page.get_by_role("heading", name=f"Aufgabe: {title}").wait_for()


def test_funding_from_a_transferred_case_to_closure_and_a_revocation_with_repayment(page, axe_source):
    from viewflow.workflow import STATUS

    from costs.models import CostCentre, FundingCredit
    from funding.models import Application, ApplicationDocument, Programme, Repayment
    from projects.models import AuditEntry, Municipality
    from workflows.selectors import process_of_case

    today = timezone.localdate()
    case = _case_at_supervision_done()
    partners = sorted(case.participants.values_list("municipality__slug", flat=True))
    ronneburg = Municipality.objects.get(slug="ronneburg")
    problems = {}

    # 1. The project management transfers the task (allocation by population).
    login(page, "pm.mkk")
    page.goto("/portal/aufgaben/")
    page.get_by_label("Suche nach Titel oder Aktenzeichen").fill(case.number)
    page.get_by_role("button", name="Anwenden").click()
    page.get_by_role("link", name="Aufgabe übertragen").first.click()
    page.locator("#id_effective_date").fill(dt.date(today.year, 1, 1).isoformat())
    page.locator("#id_term_years").fill("5")
    page.locator("#id_allocation_key").select_option("population")
    _complete_task(page, "Aufgabe übertragen")
    case.refresh_from_db()
    assert case.stage == "transferred"
    centre = CostCentre.objects.get(code=case.number)
    # controlling plans the new cost centre's year (journey (d)) and publishes it, so that the members' statements
    # can show the funding; the key "by population" takes the official figures when the inputs stay empty
    login(page, "controlling.mkk")
    page.goto(f"/costs/centres/{centre.pk}/{today.year}/")
    page.get_by_role("link", name="Vorkalkulation anlegen").first.click()
    page.get_by_label("PLAN-Budget (EUR)").fill("240.000,00")
    page.get_by_role("button", name="Vorkalkulation speichern").click()
    page.get_by_text("Entwurf: noch nicht veröffentlicht").first.wait_for()
    page.get_by_role("button", name="Den Mitgliedern veröffentlichen").click()
    page.get_by_text("den Mitgliedern veröffentlicht.").first.wait_for()

    # 2. The funding officer applies for the funds from the transferred case.
    login(page, "foerderung.mkk")
    page.goto("/portal/aufgaben/")
    page.get_by_label("Suche nach Titel oder Aktenzeichen").fill(case.number)
    page.get_by_role("button", name="Anwenden").click()
    page.get_by_role("link", name="Förderantrag anlegen").first.click()
    page.locator("#id_programme").select_option(str(Programme.objects.get(code="ikz-hessen").pk))
    page.locator("#id_title").fill("OZG-Digitalisierungszentrum: Förderung KIKZ")
    _complete_task(page, "Förderantrag anlegen")
    application = Application.objects.get(case=case)
    assert sorted(application.partners.values_list("slug", flat=True)) == partners

    # the checklist already holds what the case recorded: the council resolutions and the statute amendment
    page.goto("/funding/")
    page.get_by_role("link", name="OZG-Digitalisierungszentrum: Förderung KIKZ").first.click()
    main = page.locator("main#main").inner_text()
    assert "Im IKZ-Vorgang erfasst" in main and "Satzungsänderung in Kraft" in main
    assert "liefert: DKZ-Fördermittelstelle" in main  # the saving calculation is missing
    problems["Förderantrag"] = axe_check(page, axe_source, "Förderantrag")

    # 3. The clerk of Ronneburg uploads the extract of the council's minutes (their own delivery).
    login(page, "sb.ronneburg")
    page.goto(f"/funding/applications/{application.pk}/")
    form = page.locator("form", has=page.get_by_role("button", name="Hochladen"))
    form.locator("#id_item").select_option(label="Beschluss der Gemeindevertretung: Ronneburg")
    form.locator("#id_title").fill("Auszug Niederschrift Ronneburg")
    form.locator("#id_dated").fill(today.isoformat())
    form.locator("#id_file").set_input_files(pdf("niederschrift.pdf"))
    page.get_by_role("button", name="Hochladen").click()
    page.get_by_text("Die Unterlage wurde hochgeladen.").first.wait_for()
    assert ApplicationDocument.objects.get(application=application, municipality=ronneburg).added_by.username == (
        "sb.ronneburg"
    )

    # 4. The funding officer uploads the statute amendment, replaces it by the signed copy, downloads it.
    login(page, "foerderung.mkk")
    page.goto(f"/funding/applications/{application.pk}/")
    form = page.locator("form", has=page.get_by_role("button", name="Hochladen"))
    form.locator("#id_item").select_option(label="Vereinbarung oder Satzung")
    form.locator("#id_title").fill("Satzungsänderung")
    form.locator("#id_dated").fill(today.isoformat())
    form.locator("#id_file").set_input_files(pdf("satzung.pdf"))
    page.get_by_role("button", name="Hochladen").click()
    page.get_by_text("Die Unterlage wurde hochgeladen.").first.wait_for()
    statute = ApplicationDocument.objects.get(application=application, title="Satzungsänderung")
    page.get_by_label("Neue Datei für Satzungsänderung").set_input_files(
        pdf("satzung-gezeichnet.pdf", PDF + b"%signed")
    )
    page.locator(f"form[action$='/unterlagen/{statute.pk}/ersetzen/']").get_by_role(
        "button", name="Datei ersetzen"
    ).click()
    page.get_by_text("Die Datei der Unterlage wurde ersetzt.").first.wait_for()
    with page.expect_download() as download:
        page.get_by_role("link", name="Satzungsänderung herunterladen").click()
    assert Path(download.value.path()).read_bytes() == PDF + b"%signed"
    statute.refresh_from_db()
    assert statute.version == 2

    # 5. The saving calculation, in a form: previous costs per partner against the joint unit.
    page.get_by_role("link", name="Einsparberechnung bearbeiten").click()
    problems["Einsparberechnung"] = axe_check(page, axe_source, "Einsparberechnung")
    for municipality in application.partners.all():
        page.locator(f"#id_personnel_{municipality.pk}").fill("52.000,00")
        page.locator(f"#id_material_{municipality.pk}").fill("8.000,00")
    page.locator("#id_joint_personnel").fill("128.000,00")
    page.locator("#id_joint_material").fill("16.000,00")
    page.get_by_role("button", name="Einsparung berechnen und speichern").click()
    page.get_by_text("Einsparberechnung gespeichert").first.wait_for()
    application.refresh_from_db()
    assert application.saving_percent == Decimal("20.00")  # 180,000 before, 144,000 jointly
    main = page.locator("main#main").inner_text()
    assert "mindestens 15 %" in main and "erreicht" in main and "vollständig" in main

    # 6. Preparation (the decision page shows the application with its checklist), internal review, submission.
    _open_step(page, application, "Antrag vorbereiten")
    task_page = page.locator("main#main").inner_text()
    assert "Förderantrag: OZG-Digitalisierungszentrum: Förderung KIKZ" in task_page and "vollständig" in task_page
    problems["Aufgabe Antrag vorbereiten"] = axe_check(page, axe_source, "Aufgabe Antrag vorbereiten")
    page.locator("#id_checked_on").fill(today.isoformat())
    _complete_task(page, "Antrag vorbereiten")
    _open_step(page, application, "Interne Prüfung")
    page.locator("#id_decision").select_option("approve")
    _complete_task(page, "Interne Prüfung")
    _open_step(page, application, "Antrag einreichen")
    page.locator("#id_submitted_on").fill((today - dt.timedelta(days=20)).isoformat())
    _complete_task(page, "Antrag einreichen")
    application.refresh_from_db()
    assert (application.state, application.requested_amount) == ("submitted", Decimal("75000.00"))

    # 7. The grant notice: date, amount, conditions, reference, the key per partner, credited to the cost centre.
    _open_step(page, application, "Bescheid erfassen")
    page.locator("#id_outcome").select_option("grant")
    page.locator("#id_decided_on").fill((today - dt.timedelta(days=10)).isoformat())
    page.locator("#id_reference").fill("RPDA-IKZ-2026-042")
    page.locator("#id_amount").fill("75.000,00")
    page.locator("#id_conditions").fill("ANBest-P; Zweckbindung fünf Jahre")
    page.locator("#id_earmark_until").fill(dt.date(today.year + 5, 12, 31).isoformat())
    page.locator("#id_first_year").fill(str(today.year))
    assert page.locator("#id_cost_centre_id").input_value() == str(centre.pk)
    for municipality in application.partners.all():
        page.locator(f"#id_weight_{municipality.ags}").fill("1")
    _complete_task(page, "Bescheid erfassen")
    application.refresh_from_db()
    decision = application.decision
    assert (application.state, decision.amount, decision.reference) == (
        "granted",
        Decimal("75000"),
        "RPDA-IKZ-2026-042",
    )
    assert sum(a.amount for a in decision.attributions.all()) == Decimal("75000.00")
    credits = FundingCredit.objects.filter(centre=centre, year=today.year)
    assert sum(c.amount for c in credits) == Decimal("75000.00")
    assert process_of_case(case=case).status == STATUS.DONE  # the case ended once the notice was recorded

    # the attribution lowers Ronneburg's contribution on its cost statement
    ronneburg_part = credits.get(municipality=ronneburg).amount
    login(page, "bm.ronneburg")
    page.goto(f"/costs/statements/{today.year}/{ronneburg.pk}/")
    statement = page.locator("main#main").inner_text()
    assert f"{ronneburg_part:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".") in statement

    # 8. A drawdown, the purpose fulfilled, the proof of use, closure.
    login(page, "foerderung.mkk")
    page.goto(f"/funding/applications/{application.pk}/")
    page.locator("#id_amount").fill("30.000,00")
    page.locator("#id_requested_on").fill((today - dt.timedelta(days=5)).isoformat())
    page.locator("#id_needed_on").fill((today + dt.timedelta(days=20)).isoformat())
    page.locator("#id_paid_on").fill((today - dt.timedelta(days=3)).isoformat())
    page.locator("#id_purpose").fill("Personalkosten Prozessdesigner")
    page.get_by_role("button", name="Mittelabruf erfassen").click()
    page.get_by_text("Der Mittelabruf wurde erfasst.").first.wait_for()
    assert [d.amount for d in application.drawdowns.all()] == [Decimal("30000.00")]
    _open_step(page, application, "Erfüllung des Zuwendungszwecks melden")
    page.locator("#id_fulfilled_on").fill(today.isoformat())
    _complete_task(page, "Erfüllung des Zuwendungszwecks melden")
    _open_step(page, application, "Verwendungsnachweis einreichen")
    page.locator("#id_submitted_on").fill(today.isoformat())
    page.locator("#id_amount_used").fill("30.000,00")
    _complete_task(page, "Verwendungsnachweis einreichen")
    _open_step(page, application, "Prüfung abschließen")
    page.locator("#id_accepted_on").fill(today.isoformat())
    _complete_task(page, "Prüfung abschließen")
    application.refresh_from_db()
    assert application.state == "closed"
    assert application.proof.amount_used == Decimal("30000.00")
    screenshot(page, "foerderantrag-abgeschlossen")

    # 9. A second application (Groß-Gerau, granted and drawn) is revoked with repayment and interest.
    second = Application.objects.get(title="Gemeinsames Standesamt Ried (Beispiel)")
    login(page, "foerderung.gg")
    page.goto("/funding/")
    page.get_by_role("link", name=second.title).first.click()
    page.get_by_role("link", name="Bescheid widerrufen und Rückforderung erfassen").click()
    page.locator("#id_revoked_on").fill(today.isoformat())
    page.locator("#id_principal").fill("20.000,00")
    page.locator("#id_base_rate_percent").fill("1,27")
    page.locator("#id_interest_from").fill("2025-06-05")
    page.locator("#id_due_on").fill((today + dt.timedelta(days=30)).isoformat())
    page.locator("#id_reason").fill("Zweck nur teilweise erfüllt (Nr. 8.2 ANBest-P)")
    page.get_by_role("button", name="Widerruf erfassen").click()
    page.get_by_text("Der Widerruf ist erfasst").first.wait_for()
    repayment = Repayment.objects.get(application=second)
    assert (repayment.principal, repayment.interest_rate_percent) == (Decimal("20000.00"), Decimal("6.270"))
    days = (repayment.due_on - dt.date(2025, 6, 5)).days
    assert repayment.interest == (Decimal("20000") * Decimal("6.27") / 100 * days / 365).quantize(Decimal("0.01"))
    second.refresh_from_db()
    assert second.state == "revoked"
    assert second.deadlines.filter(kind="repayment", done_on__isnull=True).exists()
    assert AuditEntry.objects.filter(action="funding.application.revoked", actor__username="foerderung.gg").exists()
    assert "Rückzahlung" in page.locator("main#main").inner_text()

    serious = {name: [v["id"] for v in found] for name, found in problems.items() if found}
    assert not serious, f"serious or critical accessibility violations: {serious}"
