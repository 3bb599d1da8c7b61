"""The API's case detail carries what the law makes of a case (issue 18), as the case page does: the county's
organisation form (Main-Kinzig: DKZ AöR with a Verwaltungsrat; Groß-Gerau: an IKZ office at Raunheim, no AöR), the
competent supervisory authority, the council body of each member, a deferral with the next session, and the
Verwaltungsrat's resolution where the DKZ's statute lets it resolve first."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from projects.models import Case, Institution
from tests.cases.helpers import complete, muni
from tests.law.test_verwaltungsrat_first import _to_statute_stage

pytestmark = pytest.mark.django_db


def detail(client, case) -> dict:
    response = client.get(f"/api/v1/cases/{case.pk}/")
    assert response.status_code == 200, response.content
    return response.json()


def by_name(rows) -> dict:
    return {row["municipality"]["name"]: row for row in rows}


def test_the_case_detail_names_main_kinzigs_aoer_and_gross_geraus_office_at_raunheim(login):
    mkk = Case.objects.get(county__slug="mkk", title="Gemeinsamer Ordnungsbehördenbezirk")
    organisation = detail(login("pm.mkk"), mkk)["organisation"]
    assert organisation["name"] == "DKZ Main-Kinzig AöR"
    assert (
        organisation["organisation_form"] == "joint_institution" and organisation["steering_body"] == "Verwaltungsrat"
    )
    assert organisation["host_municipality"] is None and organisation["verwaltungsrat_resolves_first"] is False

    gg = login("pm.gg").post(
        "/api/v1/cases/", {"county": "gg", "title": "Gemeinsamer Bauhof", "task_area": "Bauhof"}, format="json"
    )
    assert gg.status_code == 201, gg.content
    office = gg.json()["organisation"]
    assert office["organisation_form"] == "ikz_office" and office["host_municipality"]["name"] == "Raunheim"
    assert office["steering_body"] == "Lenkungsgruppe"
    assert not any("AöR" in office[key] for key in ("name", "organisation_form_label", "summary"))


def test_the_case_detail_shows_the_landrat_as_authority_and_a_deferral_with_the_next_session(login):
    case = Case.objects.get(county__slug="mkk", title="Gemeinsamer Ordnungsbehördenbezirk")  # Schöneck, Niederdorfelden
    pm = login("pm.mkk")
    authority = detail(pm, case)["competent_authority"]
    assert authority["level"] == "landrat" and authority["name"] == "Landrat des Main-Kinzig-Kreises (Kommunalaufsicht)"
    assert "§ 35 Abs. 2 KGG" in authority["reason"]

    today = timezone.localdate()
    next_session = today + dt.timedelta(days=21)
    schoeneck = muni("schoeneck")
    complete(
        case,
        "record_resolution",
        "sb.schoeneck",
        municipality=schoeneck,
        session_date=today.isoformat(),
        outcome="postponed",
        next_session_date=next_session.isoformat(),
        minute_reference="GV 7/2026",
    )
    participants = by_name(detail(pm, case)["participants"])
    row = participants["Schöneck"]
    assert row["status"] == "active" and row["resolution"] is None
    assert row["council_body"] == "Gemeindevertretung"
    assert row["deferral"] == {
        "body": "Gemeindevertretung",
        "session_date": today.isoformat(),
        "next_session_date": next_session.isoformat(),
        "minute_reference": "GV 7/2026",
    }
    assert participants["Niederdorfelden"]["deferral"] is None


def test_the_case_detail_shows_the_verwaltungsrat_resolution_before_the_members_consent(login):
    Institution.objects.filter(slug="dkz-mkk").update(verwaltungsrat_resolves_first=True)
    case, _members = _to_statute_stage(title="Gemeinsame Vollstreckungsstelle")
    pm = login("pm.mkk")
    before = detail(pm, case)
    assert before["organisation"]["verwaltungsrat_resolves_first"] is True
    assert before["statute_amendment"]["board_first"] is True
    assert before["statute_amendment"]["board_resolution"] is None
    assert before["consents"] == []
    assert [t["node"] for t in before["open_tasks"]] == ["board_resolution"]

    today = timezone.localdate()
    complete(
        case, "board_resolution", "pm.mkk", adopted="yes", session_date=today.isoformat(), minute_reference="VR 5/2026"
    )
    complete(
        case,
        "consent_statute_amendment",
        "bm.gelnhausen",
        municipality=muni("gelnhausen"),
        agreed="yes",
        council_session_date=today.isoformat(),
        council_minute_reference="StVV 2026/41",
    )
    after = detail(pm, case)
    assert after["statute_amendment"]["board_resolution"] == {
        "adopted": True,
        "session_date": today.isoformat(),
        "minute_reference": "VR 5/2026",
    }
    consent = by_name(after["consents"])["Gelnhausen"]
    assert (consent["council_body"], consent["council_session_date"], consent["council_minute_reference"]) == (
        "Stadtverordnetenversammlung",
        today.isoformat(),
        "StVV 2026/41",
    )
    assert {row["council_body"] for row in after["participants"]} == {"Gemeindevertretung"}  # Ronneburg, Neuberg
    # the statute's parties are all Anstaltsträger, the Main-Kinzig-Kreis among them: the Regierungspräsidium
    assert after["competent_authority"]["level"] == "rp"
    assert after["competent_authority"]["name"] == "Regierungspräsidium Darmstadt"
    assert "Main-Kinzig-Kreis" in after["competent_authority"]["reason"]
