"""The case page states what the law makes of the members' decisions: a deferral keeps the member with its next
session, and each consent names the council resolution it rests on in the member's own body (Gemeindevertretung,
Stadtverordnetenversammlung, Kreistag)."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from projects.models import Case
from tests.cases.helpers import complete, muni, user
from tests.law.test_verwaltungsrat_first import _to_statute_stage

pytestmark = pytest.mark.django_db


def case_page(case, username="pm.mkk") -> str:
    client = Client()
    client.force_login(user(username))
    response = client.get(f"/portal/vorgaenge/{case.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_case_page_shows_a_deferred_resolution_with_the_next_session_date():
    case = Case.objects.get(county__slug="mkk", title="Gemeinsamer Ordnungsbehördenbezirk")
    today = timezone.localdate()
    next_session = today + dt.timedelta(days=35)
    complete(
        case,
        "record_resolution",
        "sb.niederdorfelden",
        municipality=muni("niederdorfelden"),
        session_date=today.isoformat(),
        outcome="postponed",
        next_session_date=next_session.isoformat(),
    )
    page = case_page(case)
    assert f"Vertagt (Gemeindevertretung, {today:%d.%m.%Y})" in page
    assert f"nächste Sitzung am {next_session:%d.%m.%Y}" in page


def test_each_consent_on_the_case_page_names_the_resolution_of_the_members_own_council():
    case, _members = _to_statute_stage(title="Gemeinsame Zentrale Vergabestelle")
    today = timezone.localdate()
    for slug, minute in (("main-kinzig-kreis", "KT 2026/12"), ("gelnhausen", "StVV 2026/41")):
        complete(
            case,
            "consent_statute_amendment",
            f"bm.{slug}",
            municipality=muni(slug),
            agreed="yes",
            council_session_date=today.isoformat(),
            council_minute_reference=minute,
        )
    page = case_page(case)
    day = f"{today:%d.%m.%Y}"
    assert f"Main-Kinzig-Kreis: zugestimmt (Beschluss des Kreistags vom {day}, KT 2026/12)" in page
    assert f"Gelnhausen: zugestimmt (Beschluss der Stadtverordnetenversammlung vom {day}, StVV 2026/41)" in page
    assert "Beschluss der Kreistag" not in page
