"""The DKZ's statute decides whether its Verwaltungsrat resolves on a statute amendment before the Anstaltsträger
consent (a setting of the statute, not of the product): then the members' consents wait for its resolution."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from projects.models import Case, Institution, StatuteAmendment
from tests.cases.helpers import approve_all, complete, muni, new_case, open_tasks, order_data, task_of, user

pytestmark = pytest.mark.django_db


def _to_statute_stage(title="Gemeinsame Kasse"):
    case = new_case(title=title, task_area="Kasse")
    complete(case, "screening", "pm.mkk", decision="pursue", route="county_wide")
    members = [muni(s) for s in ("ronneburg", "neuberg")]
    complete(case, "development", "pm.mkk", **order_data(members, members[0]))
    approve_all(case, members)
    for m in members:
        complete(
            case,
            "record_resolution",
            f"sb.{m.slug}",
            municipality=m,
            session_date=timezone.localdate().isoformat(),
            outcome="adopted",
        )
    complete(case, "funding_decision", "pm.mkk", apply="no")
    return case, members


@pytest.fixture
def verwaltungsrat_first():
    Institution.objects.filter(slug="dkz-mkk").update(verwaltungsrat_resolves_first=True)


def test_with_verwaltungsrat_first_the_members_consent_only_after_its_resolution(verwaltungsrat_first):
    case, members = _to_statute_stage()
    amendment = StatuteAmendment.objects.get(case=case)
    assert amendment.board_first and amendment.board_adopted is None
    assert task_of(case, "board_resolution") is not None
    assert not open_tasks(case, "consent_statute_amendment")  # no consent task before the Verwaltungsrat

    with pytest.raises(PermissionDenied):  # a mayor cannot record the Verwaltungsrat's resolution
        complete(
            case, "board_resolution", "bm.ronneburg", adopted="yes", session_date="2026-01-01", minute_reference="x"
        )
    today = timezone.localdate().isoformat()
    with pytest.raises(ValidationError):  # the minute reference is part of the record
        complete(case, "board_resolution", "pm.mkk", adopted="yes", session_date=today)
    complete(case, "board_resolution", "pm.mkk", adopted="yes", session_date=today, minute_reference="VR 3/2026")

    amendment.refresh_from_db()
    assert amendment.board_adopted is True and amendment.board_minute_reference == "VR 3/2026"
    assert amendment.board_recorded_by == user("pm.mkk")
    assert len(open_tasks(case, "consent_statute_amendment")) == 29  # every Anstaltsträger, now
    complete(case, "consent_statute_amendment", "bm.ronneburg", municipality=members[0], agreed="yes")

    client = Client()
    client.force_login(user("pm.mkk"))
    page = client.get(f"/portal/vorgaenge/{case.pk}/").content.decode()
    assert "Laut Satzung beschließt zuerst der Verwaltungsrat" in page and "(VR 3/2026): beschlossen" in page


def test_a_rejection_in_the_verwaltungsrat_ends_the_amendment_and_rejects_the_case(verwaltungsrat_first):
    case, _members = _to_statute_stage(title="Gemeinsame Personalverwaltung")
    today = timezone.localdate().isoformat()
    with pytest.raises(ValidationError):  # a rejection needs its reason
        complete(case, "board_resolution", "pm.mkk", adopted="no", session_date=today, minute_reference="VR 4/2026")
    complete(
        case,
        "board_resolution",
        "pm.mkk",
        adopted="no",
        session_date=today,
        minute_reference="VR 4/2026",
        note="Wirtschaftlichkeit nicht belegt",
    )
    case.refresh_from_db()
    assert case.stage == Case.Stage.REJECTED and "Wirtschaftlichkeit nicht belegt" in case.rejection_reason
    assert StatuteAmendment.objects.get(case=case).status == StatuteAmendment.Status.FAILED
    assert not open_tasks(case, "consent_statute_amendment")


def test_without_the_setting_the_members_consent_at_once_and_no_verwaltungsrat_step_opens():
    assert Institution.objects.get(slug="dkz-mkk").verwaltungsrat_resolves_first is False  # fixture: statute unknown
    case, members = _to_statute_stage(title="Gemeinsamer Bauhof")
    assert not StatuteAmendment.objects.get(case=case).board_first
    assert not open_tasks(case, "board_resolution")
    complete(case, "consent_statute_amendment", "bm.ronneburg", municipality=members[0], agreed="yes")
