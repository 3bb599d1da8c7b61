"""Portal pages of the procurement centre."""

import pytest

from procurement.models import Procedure
from projects.models import Municipality

pytestmark = pytest.mark.django_db


def test_clerk_requests_a_procedure_in_the_portal_and_other_member_gets_404(client, users):
    ronneburg = Municipality.objects.get(slug="ronneburg")
    client.force_login(users["sb.ronneburg"])
    response = client.post(
        "/procurement/neu/",
        {
            "municipality": ronneburg.pk,
            "subject": "Streusalz",
            "kind": "supplies",
            "estimated_value": "80.000,00",
            "openers_from": "centre",
        },
    )
    procedure = Procedure.objects.get(subject="Streusalz", municipality=ronneburg)
    assert response.status_code == 302
    page = client.get(f"/procurement/{procedure.pk}/").content.decode()
    assert "Beschränkte Ausschreibung ohne Teilnahmewettbewerb (UVgO)" in page and "HVTG" in page
    assert "Verfahrensart wählen" in page

    client.force_login(users["sb.neuberg"])
    assert client.get(f"/procurement/{procedure.pk}/").status_code == 404
    client.force_login(users["vergabe.mkk"])
    assert procedure.reference in client.get("/procurement/").content.decode()


def _request_for(municipality) -> dict:
    return {
        "municipality": municipality.pk,
        "subject": "x",
        "kind": "supplies",
        "estimated_value": "100",
        "openers_from": "centre",
    }


def test_centre_and_supervision_cannot_request_in_the_portal(client, users):
    ronneburg = Municipality.objects.get(slug="ronneburg")
    for username in ("vergabe.mkk", "aufsicht.rpda"):
        client.force_login(users[username])
        assert client.get("/procurement/neu/").status_code == 403
        response = client.post(
            "/procurement/neu/",
            {
                "municipality": ronneburg.pk,
                "subject": "x",
                "kind": "supplies",
                "estimated_value": "100",
                "openers_from": "centre",
            },
        )
        assert response.status_code == 403  # only a municipality hands a procedure to the centre
    assert not Procedure.objects.filter(subject="x").exists()


def test_another_member_cannot_request_for_a_municipality_not_its_own(client, users):
    ronneburg = Municipality.objects.get(slug="ronneburg")
    client.force_login(users["sb.neuberg"])
    response = client.post("/procurement/neu/", _request_for(ronneburg))
    assert response.status_code == 400
    assert "gültige Auswahl" in response.content.decode()
    assert not Procedure.objects.filter(subject="x").exists()
