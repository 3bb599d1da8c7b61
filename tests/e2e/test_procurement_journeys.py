"""Procurement journeys in a real browser, every step by the role that owns it, each in its own login (issue 16).

(a) An EU supply procedure from the request to the Vergabevermerk: the clerk requests and writes the specification,
the mayor releases it, the procurement centre prepares, publishes and records the offers (one late), two designated
persons open them in two sessions, the clerk evaluates in the score matrix, the mayor decides, the centre sends the
§ 134 GWB letters, the standstill ends (the server's clock is moved by the test, nobody sleeps), the award is
given and the Vergabevermerk is downloaded. (b) A direct award in at most six pages.

The test body reads the database only to assert outcomes; every state change is a click or a form. Due timers are
fired as the scheduler would after the clock has moved.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from viewflow.workflow.timers import fire_due_timers

from procurement.models import Procedure
from projects.models import Municipality
from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class ServerClock:
    """The live server runs in this process: moving timezone.now moves the server's clock."""

    def __init__(self, monkeypatch):
        self.real_now = timezone.now
        self.offset = dt.timedelta(0)
        monkeypatch.setattr(timezone, "now", lambda: self.real_now() + self.offset)

    def now(self):
        return timezone.now()

    def move_to(self, moment):
        self.offset += moment - self.now()


def as_role(browser, world, username):
    context = browser.new_context(locale="de-DE", viewport={"width": 1280, "height": 900}, base_url=world.url)
    page = context.new_page()
    page.set_default_timeout(30_000)
    login(page, username)
    return page


def open_steps(page):
    """The procedure page's list of open steps (the flow diagram beside it lists the steps as well)."""
    return page.locator("section[aria-labelledby=steps-heading]")


def open_step(page, procedure, title):
    """From the procedure page, through its list of open steps, to the task page of the step."""
    page.goto(f"/procurement/{procedure.pk}/")
    open_steps(page).get_by_role("link", name=title, exact=True).click()
    page.get_by_role("heading", name=f"Aufgabe: {title}").wait_for()
    assert page.get_by_role("link", name=re.compile(f"Zum Verfahren {procedure.reference}")).count() == 1


def complete(page, title):
    page.get_by_role("button", name="Absenden und erledigen").click()
    page.get_by_text(f"Erledigt: {title}").first.wait_for()


def download(page, link_name) -> bytes:
    href = page.get_by_role("link", name=link_name).first.get_attribute("href")
    response = page.request.get(href)
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    return response.body()


def record_offer(page, procedure, bidder, price, *, document=False):
    page.goto(f"/procurement/{procedure.pk}/")
    page.get_by_role("link", name="Eingegangenes Angebot erfassen").click()
    page.get_by_label(re.compile("^Bieter")).fill(bidder)
    page.get_by_label("Angebotspreis netto (EUR)").fill(price)
    if document:
        page.get_by_label("Angebotsunterlagen").set_input_files(
            {"name": "Angebot.pdf", "mimeType": "application/pdf", "buffer": PDF}
        )
    page.get_by_role("button", name="Angebot erfassen").click()
    page.wait_for_url(f"**/procurement/{procedure.pk}/")


def test_eu_procurement_from_request_to_record_by_the_real_roles(browser, world, monkeypatch, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    clock = ServerClock(monkeypatch)
    ronneburg = Municipality.objects.get(slug="ronneburg")

    clerk = as_role(browser, world, "sb.ronneburg")
    clerk.goto("/procurement/neu/")
    clerk.get_by_label("Kommune").select_option(str(ronneburg.pk))
    clerk.get_by_label("Gegenstand").fill("Streusalz Winterdienst")
    clerk.get_by_label("Leistungsart").select_option("supplies")
    clerk.get_by_label(re.compile("Geschätzter Auftragswert")).fill("300.000,00")
    clerk.get_by_label("Angebotsöffnung durch").select_option("centre")
    clerk.get_by_role("button", name="Beauftragen").click()
    clerk.get_by_text("Vergabeverfahren VGZ-").first.wait_for()
    procedure = Procedure.objects.get(subject="Streusalz Winterdienst")
    assert procedure.eu

    open_step(clerk, procedure, "Verfahrensart wählen")
    clerk.get_by_label(re.compile("^Verfahrensart")).select_option("eu_open")
    clerk.get_by_label(re.compile(r"\(vergabe\.mkk\)")).check()
    clerk.get_by_label(re.compile(r"\(vergabe2\.mkk\)")).check()
    complete(clerk, "Verfahrensart wählen")
    open_step(clerk, procedure, "Leistungsbeschreibung erstellen")
    clerk.get_by_label(re.compile("^Leistungsbeschreibung")).fill("400 t Auftausalz nach DIN EN 16811-1, Abruf.")
    complete(clerk, "Leistungsbeschreibung erstellen")

    mayor = as_role(browser, world, "bm.ronneburg")
    open_step(mayor, procedure, "Leistungsbeschreibung freigeben")
    assert "400 t Auftausalz" in mayor.locator("main#main").inner_text()  # the decision page shows what is released
    mayor.get_by_label("Bestätigen").check()
    complete(mayor, "Leistungsbeschreibung freigeben")

    centre = as_role(browser, world, "vergabe.mkk")
    open_step(centre, procedure, "Vergabeunterlagen und Zuschlagskriterien erstellen")
    centre.get_by_label(re.compile("^Vergabeunterlagen")).fill(
        "Aufforderung, Vertragsbedingungen, Leistungsverzeichnis"
    )
    centre.get_by_label("Gewichtung Preis (%)").fill("60")
    centre.get_by_label("Weiteres Kriterium 1").fill("Lieferfähigkeit")
    centre.get_by_label("Gewichtung Kriterium 1 (%)").fill("40")
    complete(centre, "Vergabeunterlagen und Zuschlagskriterien erstellen")
    deadline = timezone.localtime(clock.now() + dt.timedelta(days=40)).replace(hour=12, minute=0, second=0)
    open_step(centre, procedure, "Bekanntmachung")
    centre.get_by_label("Angebotsfrist").fill(deadline.strftime("%Y-%m-%dT%H:%M"))
    complete(centre, "Bekanntmachung")

    record_offer(centre, procedure, "Alpha Salz GmbH", "280.000,00", document=True)
    record_offer(centre, procedure, "Beta Streudienst AG", "250.000,00")
    clock.move_to(deadline + dt.timedelta(hours=1))  # the offer period is over
    login(centre, "vergabe.mkk")
    record_offer(centre, procedure, "Gamma Spät KG", "200.000,00")
    assert "verspätet" in centre.locator("main#main").inner_text()
    fire_due_timers()

    open_step(centre, procedure, "Angebote öffnen (erste Person)")
    centre.get_by_label("Ich öffne die Angebote nach Ablauf der Angebotsfrist.").check()
    complete(centre, "Angebote öffnen (erste Person)")
    assert Procedure.objects.get(pk=procedure.pk).opened_at is None  # one person has not opened anything yet
    second = as_role(browser, world, "vergabe2.mkk")
    open_step(second, procedure, "Angebotsöffnung bestätigen (zweite Person)")
    second.get_by_label("Ich bestätige als zweite Person die Öffnung der Angebote.").check()
    complete(second, "Angebotsöffnung bestätigen (zweite Person)")

    open_step(centre, procedure, "Formale Prüfung und Eignung")
    complete(centre, "Formale Prüfung und Eignung")  # both timely offers admitted; the late one stays excluded

    login(clerk, "sb.ronneburg")
    open_step(clerk, procedure, "Angebote fachlich bewerten")
    clerk.get_by_label("Alpha Salz GmbH – Lieferfähigkeit: Punkte (0–100)").fill("100")
    clerk.get_by_label("Beta Streudienst AG – Lieferfähigkeit: Punkte (0–100)").fill("40")
    complete(clerk, "Angebote fachlich bewerten")

    open_step(centre, procedure, "Vergabevorschlag")
    ranking = centre.locator("main#main").inner_text()
    assert "93,57" in ranking and "76,00" in ranking  # weighted results: 60 × 250/280 + 40; 60 + 40 × 0.4
    centre.get_by_label("Bestätigen").check()
    complete(centre, "Vergabevorschlag")

    login(mayor, "bm.ronneburg")
    open_step(mayor, procedure, "Zuschlagsentscheidung")
    assert "Alpha Salz GmbH" in mayor.get_by_label("Zuschlag auf das Angebot").inner_text()
    complete(mayor, "Zuschlagsentscheidung")

    open_step(centre, procedure, "Unterlegene Bieter informieren (§ 134 GWB)")
    complete(centre, "Unterlegene Bieter informieren (§ 134 GWB)")
    assert download(centre, re.compile("Schreiben vom")).startswith(b"%PDF")
    lot = procedure.lots.get()
    lot.refresh_from_db()
    clock.move_to(timezone.make_aware(dt.datetime.combine(lot.standstill_ends_on, dt.time(9))) + dt.timedelta(days=1))
    fire_due_timers()  # the standstill has ended: the award task opens

    login(centre, "vergabe.mkk")
    open_step(centre, procedure, "Zuschlag erteilen")
    centre.get_by_label("Bestätigen").check()
    complete(centre, "Zuschlag erteilen")
    open_step(centre, procedure, "Vergabevermerk erstellen")
    centre.get_by_label("Bestätigen").check()
    complete(centre, "Vergabevermerk erstellen")
    assert download(centre, "Vergabevermerk (PDF)").startswith(b"%PDF")

    procedure.refresh_from_db()
    assert procedure.status == Procedure.Status.DOCUMENTED
    assert procedure.specification_written_by.username == "sb.ronneburg"
    assert procedure.specification_approved_by.username == "bm.ronneburg"
    assert {procedure.opened_by_first.username, procedure.opened_by_second.username} == {"vergabe.mkk", "vergabe2.mkk"}
    late = procedure.offers.get(bidder="Gamma Spät KG")
    assert late.is_late and late.formally_admitted is False
    lot.refresh_from_db()
    assert lot.decided_offer.bidder == "Alpha Salz GmbH" and lot.awarded_at.date() > lot.standstill_ends_on


def test_direct_award_in_at_most_six_pages(browser, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    ronneburg = Municipality.objects.get(slug="ronneburg")
    clerk = as_role(browser, world, "sb.ronneburg")
    pages = []
    clerk.on("load", lambda loaded: pages.append(loaded.url))  # every page the browser loads

    clerk.goto("/procurement/neu/")
    clerk.get_by_label("Kommune").select_option(str(ronneburg.pk))
    clerk.get_by_label("Gegenstand").fill("Druckerpatronen")
    clerk.get_by_label("Leistungsart").select_option("supplies")
    clerk.get_by_label(re.compile("Geschätzter Auftragswert")).fill("900,00")
    clerk.get_by_role("button", name="Beauftragen").click()
    open_steps(clerk).get_by_role("link", name="Verfahrensart wählen", exact=True).click()
    assert clerk.get_by_label(re.compile("^Verfahrensart")).input_value() == "uvgo_direct"
    complete(clerk, "Verfahrensart wählen")
    open_steps(clerk).get_by_role("link", name="Direktauftrag vergeben und dokumentieren", exact=True).click()
    clerk.get_by_label("Auftragnehmer").fill("Büro Müller e. K.")
    clerk.get_by_label("Preis netto (EUR)").fill("889,90")
    clerk.get_by_role("textbox", name="Preisvergleich", exact=True).fill(
        "Büro Müller 889,90 EUR; Webshop A 912,00 EUR; Webshop B 934,50 EUR"
    )
    complete(clerk, "Direktauftrag vergeben und dokumentieren")
    assert download(clerk, "Vergabevermerk (PDF)").startswith(b"%PDF")
    assert len(pages) <= 6, pages

    procedure = Procedure.objects.get(subject="Druckerpatronen")
    assert procedure.status == Procedure.Status.DOCUMENTED and procedure.record_pdf
    assert procedure.published_at is None and procedure.opened_at is None and not procedure.criteria.exists()
    assert procedure.lots.get().decided_offer.bidder == "Büro Müller e. K."
