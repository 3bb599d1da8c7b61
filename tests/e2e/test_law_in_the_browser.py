"""Law as data in a real browser (issue 18), every step by the role that owns it, each in its own login.

(a) The participation stage of an EU restricted procedure: the procurement centre publishes with a participation
deadline (15 days only with a recorded urgency reason, otherwise 30), the invitation step does not exist before the
period has ended (the server's clock is moved by the test), then the candidates are invited with an offer deadline; a
deadline on Fronleichnam (4 June 2026, a public holiday in Hessen) is refused with a German explanation.
(b) A DKZ whose statute lets the Verwaltungsrat resolve first: no member can consent before its resolution is
recorded on its task page; then a mayor declares the consent with council body, session date and minute reference.
(c) A council that defers ("Vertagt") keeps its municipality in the case, and the case page shows the next session.

The test body reads the database only to assert outcomes (and, as the statute's setting, turns on the Verwaltungsrat
step for Main-Kinzig); every state change is a click or a form.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from viewflow.workflow.timers import fire_due_timers

from procurement.models import Procedure
from projects.models import (
    Case,
    CaseParticipant,
    Consent,
    Institution,
    Municipality,
    ResolutionDeferral,
    StatuteAmendment,
)
from tests.e2e.conftest import login
from tests.e2e.test_procurement_journeys import ServerClock, as_role, complete, open_step, open_steps

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

INVITE = "Bewerber auswählen und zur Angebotsabgabe auffordern"


def local(*args) -> dt.datetime:
    return timezone.make_aware(dt.datetime(*args))


def open_from_inbox(page, case, title):
    """The user's task list, searched by the case number, to the task page of the step."""
    page.goto(f"/portal/aufgaben/?q={case.number}")
    page.get_by_role("link", name=title).first.click()
    page.get_by_role("heading", name=f"Aufgabe: {title}").wait_for()


def inbox_offers(page, case, title) -> bool:
    page.goto(f"/portal/aufgaben/?q={case.number}")
    page.get_by_role("heading", name="Aufgaben", exact=True).wait_for()
    return page.locator("main#main").get_by_role("link", name=title).count() > 0


def submit(page, title):
    page.get_by_role("button", name="Absenden und erledigen").click()
    page.get_by_text(f"Erledigt: {title}").first.wait_for()


def refused(page, *expected):
    """Submit; the task page comes back with the German message and nothing is completed."""
    page.get_by_role("button", name="Absenden und erledigen").click()
    page.get_by_text(expected[0]).first.wait_for()
    text = page.locator("main#main").inner_text()
    assert all(part in text for part in expected), text
    return text


def test_eu_participation_stage_then_invitation_with_an_offer_deadline_not_on_fronleichnam(browser, world, monkeypatch):
    clock = ServerClock(monkeypatch)
    clock.move_to(local(2026, 4, 1, 9, 0))  # a Wednesday
    ronneburg = Municipality.objects.get(slug="ronneburg")

    clerk = as_role(browser, world, "sb.ronneburg")
    clerk.goto("/procurement/neu/")
    clerk.get_by_label("Kommune").select_option(str(ronneburg.pk))
    clerk.get_by_label("Gegenstand").fill("Gebäudereinigung Rathaus und Bürgerhaus")
    clerk.get_by_label("Leistungsart").select_option("services")
    clerk.get_by_label(re.compile("Geschätzter Auftragswert")).fill("300.000,00")
    clerk.get_by_label("Angebotsöffnung durch").select_option("centre")
    clerk.get_by_role("button", name="Beauftragen").click()
    clerk.get_by_text("Vergabeverfahren VGZ-").first.wait_for()
    procedure = Procedure.objects.get(subject="Gebäudereinigung Rathaus und Bürgerhaus")
    assert procedure.eu  # 300,000 EUR is above the services threshold of 2026

    open_step(clerk, procedure, "Verfahrensart wählen")
    clerk.get_by_label(re.compile("^Verfahrensart")).select_option("eu_restricted")
    clerk.get_by_label(re.compile("^Begründung")).fill("Eignung der Bewerber vorab prüfen")
    clerk.get_by_label(re.compile(r"\(vergabe\.mkk\)")).check()
    clerk.get_by_label(re.compile(r"\(vergabe2\.mkk\)")).check()
    complete(clerk, "Verfahrensart wählen")
    open_step(clerk, procedure, "Leistungsbeschreibung erstellen")
    clerk.get_by_label(re.compile("^Leistungsbeschreibung")).fill("Unterhaltsreinigung 4.800 m², werktäglich.")
    complete(clerk, "Leistungsbeschreibung erstellen")
    mayor = as_role(browser, world, "bm.ronneburg")
    open_step(mayor, procedure, "Leistungsbeschreibung freigeben")
    mayor.get_by_label("Bestätigen").check()
    complete(mayor, "Leistungsbeschreibung freigeben")

    centre = as_role(browser, world, "vergabe.mkk")
    open_step(centre, procedure, "Vergabeunterlagen und Zuschlagskriterien erstellen")
    centre.get_by_label(re.compile("^Vergabeunterlagen")).fill(
        "Aufforderung, Vertragsbedingungen, Leistungsverzeichnis"
    )
    centre.get_by_label("Gewichtung Preis (%)").fill("100")
    complete(centre, "Vergabeunterlagen und Zuschlagskriterien erstellen")

    # publication: the form asks for the participation deadline, not the offer deadline
    open_step(centre, procedure, "Bekanntmachung")
    assert centre.get_by_label("Angebotsfrist").count() == 0
    centre.get_by_label("Teilnahmefrist").fill("2026-04-16T12:00")  # 15 days, but no urgency reason given
    refused(centre, "Teilnahmefrist ist zu kurz")
    procedure.refresh_from_db()
    assert procedure.status != Procedure.Status.PARTICIPATION and procedure.participation_deadline is None
    centre.get_by_label("Teilnahmefrist").fill("2026-05-04T12:00")  # 33 days, a Monday
    complete(centre, "Bekanntmachung")
    procedure.refresh_from_db()
    assert procedure.status == Procedure.Status.PARTICIPATION
    assert procedure.participation_deadline == local(2026, 5, 4, 12, 0) and procedure.offer_deadline is None

    # during the participation period nobody can invite: the step does not exist yet
    centre.goto(f"/procurement/{procedure.pk}/")
    open_steps(centre).wait_for()
    assert open_steps(centre).get_by_role("link", name=INVITE).count() == 0
    assert fire_due_timers() == 0

    clock.move_to(local(2026, 5, 4, 13, 0))  # the participation period is over
    fire_due_timers()
    login(centre, "vergabe.mkk")
    open_step(centre, procedure, INVITE)
    centre.get_by_label("Ausgewählte Bewerber").fill("Sauber GmbH\nGlanz AG")
    centre.get_by_label("Angebotsfrist").fill("2026-06-04T12:00")  # Fronleichnam
    text = refused(centre, "kein Werktag", "Fronleichnam", "nächsten Werktags")
    assert "05.06.2026" in text or "5. Juni 2026" in text  # the next working day is proposed
    procedure.refresh_from_db()
    assert procedure.status == Procedure.Status.PARTICIPATION and procedure.offer_deadline is None

    centre.get_by_label("Angebotsfrist").fill("2026-06-05T12:00")
    complete(centre, INVITE)
    procedure.refresh_from_db()
    assert procedure.status == Procedure.Status.PUBLISHED
    assert procedure.candidates == "Sauber GmbH\nGlanz AG" and procedure.offer_deadline == local(2026, 6, 5, 12, 0)


def test_with_verwaltungsrat_first_no_member_consents_before_its_resolution_then_the_mayor_declares_with_the_council(
    browser, world
):
    Institution.objects.filter(slug="dkz-mkk").update(verwaltungsrat_resolves_first=True)  # the DKZ's statute
    case = Case.objects.get(county__slug="mkk", title="Gemeinsamer Datenschutzbeauftragter")  # county-wide
    members = ["ronneburg", "neuberg", "hammersbach"]
    today = timezone.localdate()

    for slug in members:
        mayor = as_role(browser, world, f"bm.{slug}")
        open_from_inbox(mayor, case, "Projektauftrag freigeben")
        mayor.get_by_label(re.compile("^Entscheidung")).select_option("approved")
        submit(mayor, "Projektauftrag freigeben")
        mayor.context.close()
    for slug in members:
        clerk = as_role(browser, world, f"sb.{slug}")
        open_from_inbox(clerk, case, "Gremienbeschluss erfassen")
        assert clerk.get_by_label(re.compile("^Gremium")).input_value() == "Gemeindevertretung"
        clerk.get_by_label(re.compile("^Sitzungsdatum")).fill(today.isoformat())
        clerk.get_by_label(re.compile("^Ergebnis")).select_option("adopted")
        clerk.get_by_label(re.compile("^Niederschrift / Vorlage")).fill("TOP 5")
        submit(clerk, "Gremienbeschluss erfassen")
        clerk.context.close()
    pm = as_role(browser, world, "pm.mkk")
    open_from_inbox(pm, case, "Förderung entscheiden")
    pm.get_by_label("Förderantrag stellen?").select_option("no")
    submit(pm, "Förderung entscheiden")

    # the statute amendment waits for the Verwaltungsrat: no Anstaltsträger can consent yet
    pm.goto(f"/portal/vorgaenge/{case.pk}/")
    facts = pm.locator("main#main").inner_text()
    assert "DKZ Main-Kinzig AöR" in facts and "Gemeinsame kommunale Anstalt" in facts
    assert "Beschluss des Verwaltungsrats: ausstehend." in facts
    gelnhausen = as_role(browser, world, "bm.gelnhausen")  # an Anstaltsträger outside the project
    assert not inbox_offers(gelnhausen, case, "Satzungsänderung zustimmen")
    assert not Consent.objects.filter(case=case).exists()

    open_from_inbox(pm, case, "Beschluss des Verwaltungsrats erfassen")
    pm.get_by_label("Satzungsänderung beschlossen").check()
    pm.get_by_label("Sitzung des Verwaltungsrats am").fill(today.isoformat())
    pm.get_by_label(re.compile("^Niederschrift / Vorlage")).fill("VR 3/2026")
    submit(pm, "Beschluss des Verwaltungsrats erfassen")
    amendment = StatuteAmendment.objects.get(case=case)
    assert amendment.board_adopted is True and amendment.board_minute_reference == "VR 3/2026"

    # now the mayor of Gelnhausen (a town: its Stadtverordnetenversammlung resolves) declares the consent
    assert inbox_offers(gelnhausen, case, "Satzungsänderung zustimmen")
    open_from_inbox(gelnhausen, case, "Satzungsänderung zustimmen")
    gelnhausen.get_by_label(re.compile("^Entscheidung")).select_option("yes")
    refused(gelnhausen, "Beschluss der Stadtverordnetenversammlung (§ 51 HGO)")  # the council's resolution is the basis
    assert not Consent.objects.filter(case=case).exists()
    gelnhausen.get_by_label("Beschluss der Stadtverordnetenversammlung vom").fill(today.isoformat())
    gelnhausen.get_by_label(re.compile("^Niederschrift / Vorlage")).fill("StVV-Vorlage 2026/41")
    submit(gelnhausen, "Satzungsänderung zustimmen")
    consent = Consent.objects.get(case=case, municipality__slug="gelnhausen")
    assert consent.agreed and consent.council_body == "Stadtverordnetenversammlung"
    assert (consent.council_session_date, consent.council_minute_reference) == (today, "StVV-Vorlage 2026/41")

    pm.goto(f"/portal/vorgaenge/{case.pk}/")
    page = pm.locator("main#main").inner_text()
    assert "(VR 3/2026): beschlossen" in page
    assert (
        f"Gelnhausen: zugestimmt (Beschluss der Stadtverordnetenversammlung vom {today:%d.%m.%Y}, "
        "StVV-Vorlage 2026/41)" in page
    )


def test_a_deferred_council_resolution_keeps_the_municipality_and_the_case_page_shows_the_next_session(browser, world):
    case = Case.objects.get(county__slug="mkk", title="Gemeinsamer Ordnungsbehördenbezirk")  # at the resolutions
    schoeneck = Municipality.objects.get(slug="schoeneck")
    today = timezone.localdate()
    next_session = today + dt.timedelta(days=28)

    clerk = as_role(browser, world, "sb.schoeneck")
    open_from_inbox(clerk, case, "Gremienbeschluss erfassen")
    clerk.get_by_label(re.compile("^Sitzungsdatum")).fill(today.isoformat())
    clerk.get_by_label(re.compile("^Ergebnis")).select_option("postponed")
    refused(clerk, "Termin der nächsten Sitzung")  # a deferral needs the date of the next session
    clerk.get_by_label("Nächste Sitzung (bei Vertagung)").fill(next_session.isoformat())
    clerk.get_by_label(re.compile("^Niederschrift / Vorlage")).fill("GV 7/2026, TOP 4")
    submit(clerk, "Gremienbeschluss erfassen")

    case.refresh_from_db()
    assert case.stage == Case.Stage.RESOLUTIONS  # not concluded, not rejected
    assert case.participants.get(municipality=schoeneck).status == CaseParticipant.Status.ACTIVE
    assert ResolutionDeferral.objects.get(case=case, municipality=schoeneck).next_session_date == next_session

    pm = as_role(browser, world, "pm.mkk")
    pm.goto(f"/portal/vorgaenge/{case.pk}/")
    row = pm.locator("section#beteiligte tr", has_text="Schöneck").inner_text()
    assert "Beteiligt" in row and "Ausgeschieden" not in row
    assert f"Vertagt (Gemeindevertretung, {today:%d.%m.%Y})" in row
    assert f"nächste Sitzung am {next_session:%d.%m.%Y}" in row
    tasks = pm.locator("section#aufgaben").inner_text()
    assert "Gremienbeschluss erfassen – Schöneck" in tasks  # the step is open again, due at the next session
