"""Organisation forms are data per county (seeds 000 and 002): Main-Kinzig founded a joint institution (DKZ AöR,
5,000 EUR Stammkapital per Anstaltsträger, Verwaltungsrat); Groß-Gerau runs an IKZ office hosted by Raunheim with a
steering group, whose co-operations are public-law agreements between the partners."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from projects.models import Anstaltstraeger, BoardSeat, Case, Institution, Municipality
from projects.services.organisation import dkz_add_member
from tests.cases.helpers import complete, new_case, task_of, user

pytestmark = pytest.mark.django_db


def test_main_kinzig_has_a_joint_institution_with_stammkapital_per_member_and_a_verwaltungsrat():
    dkz = Institution.objects.get(slug="dkz-mkk")
    assert dkz.is_joint_institution and dkz.steering_body == "Verwaltungsrat"
    members = Anstaltstraeger.objects.filter(dkz=dkz)
    assert {m.stammkapital for m in members} == {Decimal("5000.00")}
    assert BoardSeat.objects.filter(dkz=dkz, body=BoardSeat.Body.VERWALTUNGSRAT).count() == members.count() == 29


def test_gross_gerau_runs_an_ikz_office_at_raunheim_with_no_anstaltstraeger_and_no_stammkapital():
    office = Institution.objects.get(slug="dkz-gg")
    assert office.organisation_form == Institution.OrganisationForm.IKZ_OFFICE
    assert not office.is_joint_institution
    assert office.host_municipality == Municipality.objects.get(name="Raunheim")
    assert office.steering_body == "Lenkungsgruppe"
    assert "AöR" not in office.name and "AöR" not in office.organisation_summary
    assert not Anstaltstraeger.objects.filter(dkz=office).exists()
    assert not BoardSeat.objects.filter(dkz=office, body=BoardSeat.Body.VERWALTUNGSRAT).exists()
    with pytest.raises(ValidationError):
        dkz_add_member(dkz=office, municipality=Municipality.objects.get(name="Trebur"))
    assert not Anstaltstraeger.objects.filter(dkz=office).exists()


def test_a_gross_gerau_case_takes_the_agreement_route_not_a_statute_amendment():
    case = new_case(title="Gemeinsamer Bauhof", county="gg", by="pm.gg", task_area="Bauhof")
    with pytest.raises(ValidationError) as refused:
        complete(case, "screening", "pm.gg", decision="pursue", route="county_wide")
    assert "öffentlich-rechtliche Vereinbarung" in str(refused.value)
    case.refresh_from_db()
    assert case.stage == Case.Stage.SCREENING and case.route == ""
    assert task_of(case, "screening") is not None  # the step stays open, nothing changed

    complete(case, "screening", "pm.gg", decision="pursue", route="bilateral", agreement_form="mandate")
    case.refresh_from_db()
    assert case.route == Case.Route.BILATERAL and case.stage == Case.Stage.DEVELOPMENT


def test_the_case_page_names_the_county_organisation_and_never_calls_gross_gerau_an_aoer():
    gg_case = new_case(title="Gemeinsamer Bauhof", county="gg", by="pm.gg", task_area="Bauhof")
    mkk_case = new_case(title="Gemeinsame Kasse", task_area="Kasse")
    client = Client()
    client.force_login(user("pm.gg"))
    page = client.get(f"/portal/vorgaenge/{gg_case.pk}/").content.decode()
    assert "IKZ-Geschäftsstelle Kreis Groß-Gerau (c/o Stadt Raunheim)" in page
    assert "angesiedelt bei Raunheim" in page and "Lenkungsgruppe" in page
    assert "AöR" not in page
    client.force_login(user("pm.mkk"))
    page = client.get(f"/portal/vorgaenge/{mkk_case.pk}/").content.decode()
    assert "DKZ Main-Kinzig AöR" in page and "Gemeinsame kommunale Anstalt" in page
