"""Cafeteria principle: a member sees the DKZ services it does not use yet and its mayor can ask to join one; the
DKZ sees the request; the clerk cannot ask, and nobody can ask for another municipality."""

from __future__ import annotations

import pytest

from costs.models import CostCentre, JoinRequest
from projects.models import AuditEntry, Municipality

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def archive_service():
    """A DKZ service that Neuberg uses and Ronneburg does not."""
    import datetime as dt

    from costs.services import cost_centre_ensure
    from projects.models import Institution

    return cost_centre_ensure(
        dkz=Institution.objects.get(slug="dkz-mkk"),
        code="archiv",
        name="Interkommunales Archiv",
        members=[Municipality.objects.get(slug="neuberg")],
        allocation_key="units",
        valid_from=dt.date(2027, 1, 1),
    )


def _not_used_by(municipality):
    return (
        CostCentre.objects.filter(dkz__members__municipality=municipality)
        .exclude(memberships__municipality=municipality)
        .order_by("name")
        .first()
    )


def test_mayor_asks_to_join_a_service_and_the_dkz_sees_the_request(client, users):
    ronneburg = Municipality.objects.get(slug="ronneburg")
    centre = _not_used_by(ronneburg)
    assert centre is not None, "the demo has a DKZ service Ronneburg does not use"
    client.force_login(users["bm.ronneburg"])
    page = client.get("/portal/").content.decode()
    assert f"Beitritt zu {centre.name} anfragen" in page
    response = client.post(f"/portal/leistungen/{centre.pk}/{ronneburg.pk}/beitreten/", {"note": "Bedarf ab 2027"})
    assert response.status_code == 302
    assert JoinRequest.objects.filter(centre=centre, municipality=ronneburg).count() == 1
    assert AuditEntry.objects.filter(action="cost_centre.join_requested", municipality=ronneburg).exists()
    assert "Beitritt angefragt" in client.get("/portal/").content.decode()
    # asking twice changes nothing
    client.post(f"/portal/leistungen/{centre.pk}/{ronneburg.pk}/beitreten/")
    assert JoinRequest.objects.filter(centre=centre, municipality=ronneburg).count() == 1

    client.force_login(users["controlling.mkk"])
    assert f"Ronneburg → {centre.name}" in client.get("/portal/").content.decode()
    client.force_login(users["controlling.gg"])
    assert f"Ronneburg → {centre.name}" not in client.get("/portal/").content.decode()


def test_clerk_cannot_ask_and_nobody_asks_for_another_municipality(client, users):
    ronneburg = Municipality.objects.get(slug="ronneburg")
    centre = _not_used_by(ronneburg)
    client.force_login(users["sb.ronneburg"])
    client.post(f"/portal/leistungen/{centre.pk}/{ronneburg.pk}/beitreten/")
    assert not JoinRequest.objects.exists()
    client.force_login(users["bm.neuberg"])
    response = client.post(f"/portal/leistungen/{centre.pk}/{ronneburg.pk}/beitreten/")
    assert response.status_code == 404
    assert not JoinRequest.objects.exists()
