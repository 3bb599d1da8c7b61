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


def test_centre_cannot_request_in_the_portal(client, users):
    client.force_login(users["vergabe.mkk"])
    ronneburg = Municipality.objects.get(slug="ronneburg")
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
    assert response.status_code == 200  # the form shows the error; the centre has no municipality to choose
    assert not Procedure.objects.filter(subject="x").exists()
