"""The REST API /api/v1/procedures/: the same services and flow tasks as the portal, the same role separation."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from projects.models import Municipality
from projects.services.periods import due_on_working_day

pytestmark = pytest.mark.django_db


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def created(users):
    ronneburg = Municipality.objects.get(slug="ronneburg")
    response = client_for(users["sb.ronneburg"]).post(
        "/api/v1/procedures/",
        {"municipality": ronneburg.pk, "subject": "Streusalz", "kind": "supplies", "estimated_value": "80000.00"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()


def test_create_returns_the_admissible_types_with_legal_basis_and_eu_flag(created):
    admissibility = created["admissibility"]
    assert admissibility["eu"] is False
    codes = [t["procedure_type"] for t in admissibility["types"]]
    assert "uvgo_restricted" in codes and "uvgo_negotiated" not in codes
    assert all("HVTG" in t["legal_basis"] or "UVgO" in t["legal_basis"] for t in admissibility["types"])
    assert [(s["step"], s["title"], s["lot"]) for s in created["open_steps"]] == [
        ("choose_type", "Verfahrensart wählen", None)
    ]


def test_admissible_types_endpoint_for_a_bundle_above_the_threshold(users):
    response = client_for(users["vergabe.mkk"]).get(
        "/api/v1/procedures/admissible-types/", {"kind": "supplies", "estimated_value": "240000", "on": "2026-03-02"}
    )
    assert response.status_code == 200
    assert response.json()["eu"] is True


def test_centre_cannot_request_a_procedure_and_other_member_gets_404(users, created):
    ronneburg = Municipality.objects.get(slug="ronneburg")
    response = client_for(users["vergabe.mkk"]).post(
        "/api/v1/procedures/",
        {"municipality": ronneburg.pk, "subject": "x", "kind": "supplies", "estimated_value": "100"},
        format="json",
    )
    assert response.status_code == 403
    assert client_for(users["sb.neuberg"]).get(f"/api/v1/procedures/{created['id']}/").status_code == 404
    assert client_for(users["vergabe.gg"]).get(f"/api/v1/procedures/{created['id']}/").status_code == 404
    assert client_for(users["aufsicht.rpda"]).get("/api/v1/procedures/").json()["results"] == []
    assert [p["id"] for p in client_for(users["bm.ronneburg"]).get("/api/v1/procedures/").json()["results"]] == [
        created["id"]
    ]


def test_steps_through_the_api_keep_the_roles_apart(users, created):
    url = f"/api/v1/procedures/{created['id']}/steps/"
    clerk, centre = client_for(users["sb.ronneburg"]), client_for(users["vergabe.mkk"])
    assert centre.post(url + "choose_type/", {"procedure_type": "uvgo_restricted"}, format="json").status_code == 403
    assert clerk.post(url + "choose_type/", {"procedure_type": "uvgo_negotiated"}, format="json").status_code == 400
    # the municipality designates at least two persons of the chosen side for the opening
    one_opener = {"procedure_type": "uvgo_restricted", "openers_from": "centre", "openers": [users["vergabe.mkk"].pk]}
    assert clerk.post(url + "choose_type/", one_opener, format="json").status_code == 400
    openers = [users["vergabe.mkk"].pk, users["vergabe2.mkk"].pk]
    chosen = {"procedure_type": "uvgo_restricted", "openers_from": "centre", "openers": openers}
    assert clerk.post(url + "choose_type/", chosen, format="json").status_code == 200
    assert centre.post(url + "write_specification/", {"text": "vom Zentrum"}, format="json").status_code == 403
    assert clerk.post(url + "write_specification/", {"text": "Streusalz 200 t"}, format="json").status_code == 200
    # four-eyes: the author cannot release the specification; the mayor does
    assert clerk.post(url + "approve_specification/", {"confirm": True}, format="json").status_code == 403
    mayor = client_for(users["bm.ronneburg"])
    assert mayor.post(url + "approve_specification/", {"confirm": True}, format="json").status_code == 200
    documents = {"tender_documents": "Unterlagen", "price_weight": "100"}
    assert clerk.post(url + "prepare_documents/", documents, format="json").status_code == 403
    assert centre.post(url + "prepare_documents/", documents, format="json").status_code == 200
    too_short = (timezone.now() + timedelta(days=3)).isoformat()
    response = centre.post(url + "publish/", {"offer_deadline": too_short, "electronic": True}, format="json")
    assert response.status_code == 400
    assert "Angebotsfrist ist zu kurz" in str(response.json())
    deadline = due_on_working_day(timezone.now() + timedelta(days=20)).isoformat()  # never on a weekend/holiday
    assert clerk.post(url + "publish/", {"offer_deadline": deadline}, format="json").status_code == 403
    response = centre.post(url + "publish/", {"offer_deadline": deadline, "electronic": True}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "published"
    assert centre.post(url + "open_offers/", {"confirm": True}, format="json").status_code == 409


def test_cancellation_needs_the_mayor(users, created):
    url = f"/api/v1/procedures/{created['id']}/cancel/"
    assert client_for(users["vergabe.mkk"]).post(url, {"reason": "x"}, format="json").status_code == 403
    response = client_for(users["bm.ronneburg"]).post(url, {"reason": "Bedarf entfallen"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled" and response.json()["open_steps"] == []
