"""A procurement procedure driven through /api/v1/procedures/ by the real roles, each with its own token: the clerk
requests it and designates two openers, the mayor releases the specification and decides the award, the centre runs
the formal procedure, two designated persons open the offers by four eyes, the § 134 GWB letters and the
Vergabevermerk are downloadable. Each step is the operation named like its task in the procurement flow."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from viewflow.workflow.timers import fire_due_timers

from procurement.models import Offer, Procedure
from projects.models import AuditEntry
from projects.services.periods import due_on_working_day
from tests.procurement.conftest import at

pytestmark = pytest.mark.django_db


class Clock:
    """The server's clock (services, timers and tokens read timezone.now): periods elapse without sleeping."""

    def __init__(self, monkeypatch, start):
        self.now = start
        monkeypatch.setattr(timezone, "now", lambda: self.now)


@pytest.fixture
def clock(monkeypatch, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.API_TOKEN_TTL_HOURS = 24 * 365  # the procedure takes longer than a token's week; no re-login needed
    return Clock(monkeypatch, at("2026-03-02"))


def step(client, procedure_id, name, body, expected=200):
    response = client.post(f"/api/v1/procedures/{procedure_id}/steps/{name}/", body, format="json")
    assert response.status_code == expected, response.json()
    return response.json()


def open_step(procedure: dict, name: str) -> dict:
    steps = [s for s in procedure["open_steps"] if s["step"] == name]
    assert steps, procedure["open_steps"]
    return steps[0]


def _requested(login, value="250000.00"):
    clerk = login("sb.ronneburg")
    towns = clerk.get("/api/v1/municipalities/").json()
    towns = towns["results"] if isinstance(towns, dict) else towns
    ronneburg = next(m for m in towns if m["name"] == "Ronneburg")
    body = {"municipality": ronneburg["id"], "subject": "Streusalz", "kind": "supplies", "estimated_value": value}
    response = clerk.post("/api/v1/procedures/", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def _designate_openers(login, procedure_id):
    clerk = login("sb.ronneburg")
    candidates = clerk.get(f"/api/v1/procedures/{procedure_id}/opener-candidates/", {"side": "centre"}).json()
    ids = [c["id"] for c in candidates if c["username"] in ("vergabe.mkk", "vergabe2.mkk")]
    response = clerk.post(
        f"/api/v1/procedures/{procedure_id}/openers/", {"openers_from": "centre", "openers": ids}, format="json"
    )
    assert response.status_code == 200, response.json()
    return response.json()


def _published(login, clock, value="250000.00"):
    created = _requested(login, value)
    pid = created["id"]
    _designate_openers(login, pid)
    clerk, mayor, centre = login("sb.ronneburg"), login("bm.ronneburg"), login("vergabe.mkk")
    step(clerk, pid, "choose_type", {"procedure_type": created["admissibility"]["proposed_type"]})
    step(clerk, pid, "write_specification", {"text": "200 t Streusalz, Lieferung auf Abruf"})
    step(mayor, pid, "approve_specification", {"confirm": True})
    documents = {
        "tender_documents": "Aufforderung, Vertragsbedingungen",
        "price_weight": "60",
        "criteria": [{"name": "Qualität", "weight": "40"}],
    }
    detail = step(centre, pid, "prepare_documents", documents)
    deadline = due_on_working_day(clock.now + timedelta(days=40))
    detail = step(centre, pid, "publish", {"offer_deadline": deadline.isoformat(), "electronic": True})
    return detail, deadline


def test_a_procedure_is_driven_to_the_award_and_record_by_the_roles_with_their_own_tokens(login, users, clock):
    clerk, mayor = login("sb.ronneburg"), login("bm.ronneburg")
    centre, second = login("vergabe.mkk"), login("vergabe2.mkk")
    created = _requested(login)
    assert created["admissibility"]["eu"] is True and created["open_steps"][0]["step"] == "choose_type"
    pid = created["id"]

    openers = _designate_openers(login, pid)
    assert [p["username"] for p in openers["openers"]] == ["vergabe.mkk", "vergabe2.mkk"]
    assert [p["username"] for p in clerk.get(f"/api/v1/procedures/{pid}/openers/").json()["openers"]] == [
        "vergabe.mkk",
        "vergabe2.mkk",
    ]
    step(clerk, pid, "choose_type", {"procedure_type": created["admissibility"]["proposed_type"]})
    step(clerk, pid, "write_specification", {"text": "200 t Streusalz, Lieferung auf Abruf"})
    step(clerk, pid, "approve_specification", {"confirm": True}, expected=403)  # not by its author
    step(mayor, pid, "approve_specification", {"confirm": True})
    documents = {
        "tender_documents": "Aufforderung, Vertragsbedingungen",
        "price_weight": "60",
        "criteria": [{"name": "Qualität", "weight": "40"}],
    }
    detail = step(centre, pid, "prepare_documents", documents)
    assert [(c["name"], c["weight"], c["is_price"]) for c in detail["criteria"]] == [
        ("Preis", "60.00", True),
        ("Qualität", "40.00", False),
    ]
    quality = next(c["id"] for c in detail["criteria"] if not c["is_price"])
    deadline = due_on_working_day(clock.now + timedelta(days=40))
    detail = step(centre, pid, "publish", {"offer_deadline": deadline.isoformat(), "electronic": True})
    assert detail["status"] == "published" and detail["open_steps"] == []  # the offer period runs

    # the offer period: a bidder question with its id, answered for all; offers with their ids
    asked = centre.post(f"/api/v1/procedures/{pid}/questions/", {"question": "Lose Schüttung?"}, format="json")
    assert asked.status_code == 201
    question = asked.json()
    answered = centre.post(
        f"/api/v1/procedures/{pid}/questions/{question['id']}/answer/", {"answer": "Ja."}, format="json"
    )
    assert answered.status_code == 200 and answered.json()["answer"] == "Ja."
    assert clerk.get(f"/api/v1/procedures/{pid}/questions/").json()[0]["id"] == question["id"]
    clock.now = deadline - timedelta(days=1)
    offer_ids = {}
    for bidder, price in (("Alpha GmbH", "240000.00"), ("Beta AG", "200000.00"), ("Gamma KG", "230000.00")):
        response = centre.post(f"/api/v1/procedures/{pid}/offers/", {"bidder": bidder, "price": price}, format="json")
        assert response.status_code == 201, response.json()
        offer_ids[bidder] = response.json()["id"]
    assert set(offer_ids.values()) == set(Offer.objects.filter(procedure_id=pid).values_list("pk", flat=True))
    assert clerk.get(f"/api/v1/procedures/{pid}/offers/").json() == []  # nobody sees offers before the opening

    # after the deadline: one designated person opens, the second co-signs with their own token
    clock.now = deadline + timedelta(hours=1)
    fire_due_timers()
    detail = clerk.get(f"/api/v1/procedures/{pid}/").json()
    assert open_step(detail, "open_offers")
    step(clerk, pid, "open_offers", {"confirm": True}, expected=403)  # not designated
    step(centre, pid, "open_offers", {"confirm": True})
    step(centre, pid, "cosign_opening", {"confirm": True}, expected=403)  # the first person cannot co-sign
    detail = step(second, pid, "cosign_opening", {"confirm": True})
    assert detail["status"] == "opened"
    procedure = Procedure.objects.get(pk=pid)
    assert (procedure.opened_by_first, procedure.opened_by_second) == (users["vergabe.mkk"], users["vergabe2.mkk"])
    listed = clerk.get(f"/api/v1/procedures/{pid}/offers/").json()
    assert {o["bidder"]: o["id"] for o in listed} == offer_ids

    results = [{"offer": i, "admitted": True} for i in offer_ids.values()]
    detail = step(centre, pid, "formal_check", {"results": results})
    lot = open_step(detail, "evaluate_lot")["lot"]
    points = {"Alpha GmbH": "100", "Beta AG": "40", "Gamma KG": "90"}
    scores = [{"offer": offer_ids[b], "criterion": quality, "points": p} for b, p in points.items()]
    step(centre, pid, "evaluate_lot", {"lot": lot, "scores": scores}, expected=403)  # the municipality evaluates
    step(clerk, pid, "evaluate_lot", {"lot": lot, "scores": scores})
    detail = step(centre, pid, "award_proposal", {"confirm": True})
    proposed = detail["lots"][0]["proposed_offer"]

    # the municipality decides (EU: eu_decide_award), the centre informs the unsuccessful bidders (§ 134 GWB)
    step(centre, pid, "eu_decide_award", {"lot": lot}, expected=403)
    detail = step(mayor, pid, "eu_decide_award", {"lot": lot})
    assert detail["lots"][0]["decided_offer"] == proposed
    detail = step(centre, pid, "inform_bidders", {"lot": lot, "electronic": True})
    standstill_ends_on = detail["lots"][0]["standstill_ends_on"]
    assert detail["lots"][0]["has_information"] is True
    letters = clerk.get(f"/api/v1/procedures/{pid}/lots/{lot}/information.pdf")
    assert letters.status_code == 200 and letters["Content-Type"] == "application/pdf"
    assert b"".join(letters.streaming_content).startswith(b"%PDF")
    step(centre, pid, "eu_award", {"lot": lot, "confirm": True}, expected=409)  # the standstill runs

    clock.now = clock.now.replace(hour=10) + timedelta(days=16)
    assert clock.now.date().isoformat() > standstill_ends_on
    fire_due_timers()
    detail = step(centre, pid, "eu_award", {"lot": lot, "confirm": True})
    assert detail["lots"][0]["awarded_at"] is not None
    assert clerk.get(f"/api/v1/procedures/{pid}/record.pdf").status_code == 404  # not yet written
    detail = step(centre, pid, "record", {"confirm": True})
    assert detail["status"] == "documented" and detail["has_record"] is True and detail["open_steps"] == []
    record = mayor.get(f"/api/v1/procedures/{pid}/record.pdf")
    assert record.status_code == 200 and record["Content-Type"] == "application/pdf"
    assert b"".join(record.streaming_content).startswith(b"%PDF")


def test_bad_step_input_is_refused_in_german_and_changes_nothing(login, clock):
    detail, deadline = _published(login, clock)
    pid, centre = detail["id"], login("vergabe.mkk")
    offer = centre.post(f"/api/v1/procedures/{pid}/offers/", {"bidder": "Alpha", "price": "1000"}, format="json")
    clock.now = deadline + timedelta(hours=1)
    fire_due_timers()
    step(centre, pid, "open_offers", {"confirm": True})
    step(login("vergabe2.mkk"), pid, "cosign_opening", {"confirm": True})
    before = (AuditEntry.objects.count(), list(Offer.objects.filter(procedure_id=pid).values()))

    foreign = step(centre, pid, "formal_check", {"results": [{"offer": 999999, "admitted": True}]}, expected=400)
    assert foreign["errors"] == {"results": ["Angebot 999999 gehört nicht zu diesem Verfahren."]}
    no_reason = [{"offer": offer.json()["id"], "admitted": False}]
    refused = step(centre, pid, "formal_check", {"results": no_reason}, expected=400)
    assert "Grund des Ausschlusses" in str(refused["errors"]["results"])
    typed = step(centre, pid, "formal_check", {"results": "alle zugelassen"}, expected=400)
    assert set(typed["errors"]) == {"results"}
    not_open = step(centre, pid, "award_proposal", {"confirm": True}, expected=409)
    assert not_open["detail"] == "Dieser Schritt steht im Verfahren derzeit nicht an."
    assert (AuditEntry.objects.count(), list(Offer.objects.filter(procedure_id=pid).values())) == before


def test_openers_are_designated_only_by_the_municipality_and_at_least_two(login, users):
    created = _requested(login, value="80000.00")
    pid = created["id"]
    url = f"/api/v1/procedures/{pid}/openers/"
    centre, clerk = login("vergabe.mkk"), login("sb.ronneburg")
    assert centre.get(f"/api/v1/procedures/{pid}/opener-candidates/").status_code == 403
    two = [users["vergabe.mkk"].pk, users["vergabe2.mkk"].pk]
    assert centre.post(url, {"openers_from": "centre", "openers": two}, format="json").status_code == 403
    one = clerk.post(url, {"openers_from": "centre", "openers": two[:1]}, format="json")
    assert one.status_code == 400 and "mindestens zwei" in one.json()["errors"]["openers"][0]
    wrong_side = clerk.post(url, {"openers_from": "municipality", "openers": two}, format="json")
    assert wrong_side.status_code == 400
    assert Procedure.objects.get(pk=pid).openers.count() == 0
    own = [users["sb.ronneburg"].pk, users["sb2.ronneburg"].pk]
    designated = clerk.post(url, {"openers_from": "municipality", "openers": own}, format="json")
    assert designated.status_code == 200
    assert designated.json()["openers_from"] == "municipality"
    assert {p["username"] for p in designated.json()["openers"]} == {"sb.ronneburg", "sb2.ronneburg"}


def test_a_direct_award_through_its_step_writes_the_record_at_once(login, clock):
    created = _requested(login, value="800.00")
    pid, clerk = created["id"], login("sb.ronneburg")
    assert created["admissibility"]["proposed_type"] == "uvgo_direct"
    step(clerk, pid, "choose_type", {"procedure_type": "uvgo_direct"})
    body = {"bidder": "Bürobedarf Meier", "price": "789.90", "price_comparison": "Katalog A 799, Shop B 812"}
    detail = step(clerk, pid, "direct_award", body)
    assert detail["has_record"] is True and detail["open_steps"] == []
    assert Decimal(Procedure.objects.get(pk=pid).offers.get().price) == Decimal("789.90")


def test_every_step_of_the_schema_is_a_task_of_the_flow_with_its_own_typed_body(login):
    from workflows.nodes import BusinessTask
    from workflows.procurement import ProcurementFlow

    schema = login("sb.ronneburg").get("/api/v1/schema/", {"format": "json"}).json()
    prefix = "/api/v1/procedures/{id}/steps/"
    steps = {p.removeprefix(prefix).strip("/"): item["post"] for p, item in schema["paths"].items() if prefix in p}
    tasks = {n.name for n in ProcurementFlow.instance.nodes() if isinstance(n, BusinessTask)}
    assert set(steps) == tasks
    components = schema["components"]["schemas"]
    bodies = {}
    for name, operation in steps.items():
        content = operation["requestBody"]["content"]
        assert list(content) == ["application/json"]
        bodies[name] = content["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        assert {"400", "403", "404", "409"} <= set(operation["responses"])
    assert bodies["formal_check"] != bodies["evaluate_lot"] != bodies["prepare_documents"]
    # every procurement object is typed: no property without a type or with free-form keys
    for name in (
        "ProcedureDetail",
        "FormalCheckStepRequest",
        "EvaluateLotStepRequest",
        "PrepareDocumentsStepRequest",
        "ChooseTypeStepRequest",
    ):
        for field, spec in components[name]["properties"].items():
            items = spec.get("items", spec)
            assert "additionalProperties" not in items, (name, field)
            assert any(k in items for k in ("type", "$ref", "allOf", "oneOf", "enum")), (name, field)
