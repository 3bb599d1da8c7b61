"""Organisation and case flow by the law: the competent supervisory authority (§ 35 KGG), approval or notification
from the DKZ's statute, consents resting on council resolutions by the right body, a deferral is not a "no"."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from projects.models import CaseParticipant, Consent, Municipality, ResolutionDeferral
from projects.services.supervision import competent_authority_for
from tests.cases.helpers import approve_all, complete, muni, new_case, open_tasks, order_data, task_of, user
from workflows.forms import ConsentForm, ResolutionForm

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("names", "authority"),
    [
        (["Schöneck", "Niederdorfelden"], "lr-mkk"),  # kreisangehörige Gemeinden of one county: the Landrat
        (["Biebesheim am Rhein", "Trebur"], "lr-gg"),
        (["Ronneburg", "Main-Kinzig-Kreis"], "rpda"),  # a Landkreis takes part
        (["Raunheim", "Rüsselsheim am Main"], "rpda"),  # a town the RP supervises itself (§ 136 HGO)
        (["Schöneck", "Raunheim"], "rpda"),  # two counties of the district
        (["Maintal", "Hanau"], "rpda"),  # a kreisfreie Stadt
    ],
)
def test_the_competent_supervisory_authority_follows_from_the_municipalities(names, authority):
    result = competent_authority_for(municipalities=[Municipality.objects.get(name=n) for n in names])
    assert result.institution.slug == authority
    assert result.reason


def _bilateral_until_signed(slugs, agreement_form="mandate"):
    case = new_case(title="Gemeinsames Standesamt", task_area="Standesamt")
    complete(case, "screening", "pm.mkk", decision="pursue", route="bilateral", agreement_form=agreement_form)
    members = [muni(s) for s in slugs]
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
            minute_reference="TOP 5",
        )
    complete(case, "funding_decision", "pm.mkk", apply="no")
    for m in members:
        complete(case, "sign_agreement", f"bm.{m.slug}", municipality=m, agreed="yes")
    return case, members


def test_a_bilateral_agreement_of_schoeneck_and_niederdorfelden_goes_to_the_landrat_not_the_rp():
    case, members = _bilateral_until_signed(["schoeneck", "niederdorfelden"])
    with pytest.raises(PermissionDenied, match="Landrat des Main-Kinzig-Kreises"):
        complete(case, "supervisory_review", "aufsicht.rpda", outcome="acknowledged")
    complete(case, "supervisory_review", "aufsicht.lr-mkk", outcome="acknowledged")
    case.refresh_from_db()
    assert case.stage == "transfer"
    api = APIClient()
    api.force_authenticate(user("pm.mkk"))
    detail = api.get(f"/api/v1/cases/{case.pk}/").json()
    assert detail["competent_authority"]["name"] == "Landrat des Main-Kinzig-Kreises (Kommunalaufsicht)"
    # the council body follows the member's kind, and the signature rests on the recorded resolution
    consents = {c["municipality"]["name"]: c for c in detail["consents"]}
    assert consents["Schöneck"]["council_body"] == "Gemeindevertretung"
    assert consents["Schöneck"]["council_minute_reference"] == "TOP 5"
    page = Client()
    page.force_login(user("pm.mkk"))
    html = page.get(f"/portal/vorgaenge/{case.pk}/").content.decode()
    assert "Landrat des Main-Kinzig-Kreises" in html and "Beschluss der Gemeindevertretung" in html


def test_the_council_body_is_named_by_the_members_kind():
    for slug, body in (
        ("ronneburg", "Gemeindevertretung"),
        ("maintal", "Stadtverordnetenversammlung"),
        ("main-kinzig-kreis", "Kreistag"),
    ):
        m = muni(slug)
        assert m.council_body == body

        class Task:
            data = {"municipality_id": m.pk}

        assert ResolutionForm(task=Task()).fields["body"].initial == body
        assert body in str(ConsentForm(task=Task()).fields["council_session_date"].label)


def test_a_statute_consent_without_a_council_resolution_is_refused_with_the_body_named():
    case = new_case()
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
    # the MKK DKZ's statute requires approval (seed 000); no form field decides it
    assert case.statute_amendment.supervision == "approval"
    maintal = muni("maintal")  # an Anstaltsträger that is not a participant: no resolution recorded in the case
    with pytest.raises(ValidationError, match="Stadtverordnetenversammlung"):
        complete(case, "consent_statute_amendment", "bm.maintal", municipality=maintal, agreed="yes")
    complete(
        case,
        "consent_statute_amendment",
        "bm.maintal",
        municipality=maintal,
        agreed="yes",
        council_session_date=timezone.localdate().isoformat(),
        council_minute_reference="Vorlage 2026/117",
    )
    consent = Consent.objects.get(case=case, municipality=maintal)
    assert (consent.council_body, consent.council_minute_reference) == (
        "Stadtverordnetenversammlung",
        "Vorlage 2026/117",
    )


def test_a_deferred_resolution_keeps_the_member_with_a_new_session_date_and_tells_the_project_management(
    django_capture_on_commit_callbacks,
):
    case = new_case(title="Gemeinsame Vollstreckung", task_area="Kasse")
    complete(case, "screening", "pm.mkk", decision="pursue", route="bilateral", agreement_form="mandate")
    members = [muni(s) for s in ("ronneburg", "neuberg")]
    complete(case, "development", "pm.mkk", **order_data(members, members[0]))
    approve_all(case, members)
    today = timezone.localdate()
    complete(
        case,
        "record_resolution",
        "sb.ronneburg",
        municipality=members[0],
        session_date=today.isoformat(),
        outcome="adopted",
    )
    with pytest.raises(ValidationError, match="nächsten Sitzung"):
        complete(
            case,
            "record_resolution",
            "sb.neuberg",
            municipality=members[1],
            session_date=today.isoformat(),
            outcome="postponed",
        )
    next_session = today + dt.timedelta(days=28)
    with django_capture_on_commit_callbacks(execute=True):
        complete(
            case,
            "record_resolution",
            "sb.neuberg",
            municipality=members[1],
            session_date=today.isoformat(),
            outcome="postponed",
            next_session_date=next_session.isoformat(),
        )
    case.refresh_from_db()
    assert case.stage == "resolutions"  # not concluded: Neuberg is still in
    assert case.participants.get(municipality=members[1]).status == CaseParticipant.Status.ACTIVE
    assert ResolutionDeferral.objects.filter(case=case, municipality=members[1]).exists()
    again = task_of(case, "record_resolution", members[1])
    assert dt.date.fromisoformat(again.data["due"]) >= next_session  # the next session, on a working day
    told = user("pm.mkk").notifications.filter(title__contains="vertagt")
    assert told.filter(title__contains=case.number).filter(title__contains="Neuberg").exists()
    complete(
        case,
        "record_resolution",
        "sb.neuberg",
        municipality=members[1],
        session_date=today.isoformat(),
        outcome="adopted",
    )
    case.refresh_from_db()
    assert case.stage == "funding"
    assert not open_tasks(case, "record_resolution")
