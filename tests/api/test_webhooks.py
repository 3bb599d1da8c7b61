"""Webhooks against a real HTTP receiver on 127.0.0.1: signed, retried, and only about what the owner may see."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json

import pytest
from django.utils import timezone

from api.models import WebhookDelivery, WebhookSubscription
from api.webhooks.delivery import deliver
from projects.models import Municipality
from tests.api.conftest import start_case

pytestmark = pytest.mark.django_db

SECRET = "geheim-und-lang-genug-1234"
ALL_EVENTS = ["task.created", "task.completed", "case.stage_changed", "decision.recorded"]


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run one step and its after-commit work, as a real request's commit would."""

    def run(step):
        with django_capture_on_commit_callbacks(execute=True):
            return step()

    return run


def subscribe(client, url, events=ALL_EVENTS, **extra):
    response = client.post(
        "/api/v1/webhooks/", {"url": url, "events": events, "secret": SECRET, **extra}, format="json"
    )
    assert response.status_code == 201, response.content
    return response.json()


def complete(client, case_id, node, municipality=None, **data):
    pm_view = client.get(f"/api/v1/cases/{case_id}/").json()
    (task,) = [
        t
        for t in pm_view["open_tasks"]
        if t["node"] == node and (municipality is None or t["municipality_id"] == municipality.pk)
    ]
    response = client.post(f"/api/v1/tasks/{task['id']}/complete/", data, format="json")
    assert response.status_code == 200, response.content
    return task["id"]


def test_deliveries_are_signed_retried_and_only_about_cases_the_owner_may_see(
    login, receiver, eager_jobs, committed, users
):
    ronneburg, neuberg = Municipality.objects.get(slug="ronneburg"), Municipality.objects.get(slug="neuberg")
    ronneburg_hook = subscribe(login("bm.ronneburg"), receiver.url("/ronneburg"))
    assert ronneburg_hook["municipality"] == ronneburg.pk
    maintal_hook = subscribe(login("bm.maintal"), receiver.url("/maintal"))
    gg_hook = subscribe(login("pm.gg"), receiver.url("/gg"))
    assert gg_hook["county"] == "gg"
    receiver.script["/ronneburg"] = [500]  # the first delivery fails once

    pm = login("pm.mkk")
    response = committed(
        lambda: pm.post("/api/v1/cases/", {"county": "mkk", "title": "Gemeinsame Kasse"}, format="json")
    )
    case_id = response.json()["id"]
    committed(
        lambda: complete(pm, case_id, "screening", decision="pursue", route="bilateral", agreement_form="mandate")
    )
    assert receiver.at("/ronneburg") == []  # not involved yet: the idea is the DKZ's business
    today = timezone.localdate()
    committed(
        lambda: complete(
            pm,
            case_id,
            "development",
            participants=[ronneburg.pk, neuberg.pk],
            lead=ronneburg.pk,
            decision_rule="unanimous",
            goals="Eine Kasse",
            results="Vereinbarung",
            start_date=today.isoformat(),
            end_date=(today + dt.timedelta(days=200)).isoformat(),
            cost_estimate="5000.00",
            project_lead="DKZ",
        )
    )
    committed(lambda: complete(login("bm.ronneburg"), case_id, "approve_project_order", ronneburg, decision="approved"))
    committed(lambda: complete(login("bm.neuberg"), case_id, "approve_project_order", neuberg, decision="approved"))
    gg_case = committed(lambda: start_case(users, county="gg", by="pm.gg", title="Gemeinsamer Bauhof"))

    # every request carries a valid signature over the exact body and its delivery id
    for request in receiver.requests:
        expected = "sha256=" + hmac.new(SECRET.encode(), request["body"], hashlib.sha256).hexdigest()
        assert hmac.compare_digest(request["headers"]["x-ikz-signature"], expected)
        body = json.loads(request["body"])
        assert request["headers"]["x-ikz-delivery"] == body["delivery"]
        assert request["headers"]["x-ikz-event"] == body["event"]

    def case_of(request):
        data = json.loads(request["body"])["data"]
        return data["case"]["id"] if "case" in data else data["task"]["subject"]["id"]

    # Ronneburg hears about its case from the moment it takes part, and about nothing else
    received = [json.loads(r["body"]) for r in receiver.at("/ronneburg")]
    assert {case_of(r) for r in receiver.at("/ronneburg")} == {case_id}
    events = {
        (b["event"], b["data"].get("new") or b["data"].get("kind") or b["data"]["task"]["node"]) for b in received
    }
    assert {
        ("case.stage_changed", "approval"),
        ("case.stage_changed", "resolutions"),
        ("task.completed", "development"),
        ("task.created", "approve_project_order"),
        ("task.created", "record_resolution"),
        ("decision.recorded", "approval"),
    } <= events
    assert ("task.created", "development") not in events
    approvals = [b["data"] for b in received if b["event"] == "decision.recorded"]
    assert sorted(a["municipality"]["id"] for a in approvals) == sorted([ronneburg.pk, neuberg.pk])

    # the first delivery was answered 500, retried and delivered; the log shows both attempts
    first = receiver.at("/ronneburg")[0]["headers"]["x-ikz-delivery"]
    assert [r["headers"]["x-ikz-delivery"] for r in receiver.at("/ronneburg")].count(first) == 2
    log = login("bm.ronneburg").get(f"/api/v1/webhooks/{ronneburg_hook['id']}/deliveries/", {"page_size": 100})
    rows = {row["id"]: row for row in log.json()["results"]}
    assert (rows[first]["attempts"], rows[first]["status"], rows[first]["response_status"]) == (2, "delivered", 200)
    assert len(rows) == len(received) - 1
    assert all(row["status"] == "delivered" for row in rows.values())

    # Maintal (same county, not taking part) hears nothing; Groß-Gerau only about its own case
    assert receiver.at("/maintal") == []
    assert not WebhookDelivery.objects.filter(subscription_id=maintal_hook["id"]).exists()
    assert receiver.at("/gg"), "the Groß-Gerau receiver is live"
    assert {case_of(r) for r in receiver.at("/gg")} == {gg_case.pk}


def test_a_receiver_that_keeps_failing_ends_as_failed_without_failing_the_request(
    login, receiver, eager_jobs, committed, monkeypatch
):
    monkeypatch.setattr(deliver, "max_retries", 2)
    hook = subscribe(login("pm.mkk"), receiver.url("/down"), events=["task.created"])
    receiver.script["/down"] = [503, 503, 503, 503]
    response = committed(
        lambda: login("pm.mkk").post("/api/v1/cases/", {"county": "mkk", "title": "Gemeinsames Archiv"}, format="json")
    )
    assert response.status_code == 201
    (delivery,) = WebhookDelivery.objects.filter(subscription_id=hook["id"])
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("failed", 3, 503)
    assert len(receiver.at("/down")) == 3
    # running the job again (a redelivered message) sends nothing more
    deliver.apply(args=[str(delivery.pk)])
    assert len(receiver.at("/down")) == 3


def test_only_mayors_and_dkz_project_management_register_webhooks_for_their_own_organisation(login, settings):
    settings.WEBHOOK_ALLOW_HTTP = False
    neuberg = Municipality.objects.get(slug="neuberg")
    body = {"url": "https://dms.ronneburg.example/hooks", "events": ["task.created"], "secret": SECRET}

    def post(username, **changes):
        return login(username).post("/api/v1/webhooks/", {**body, **changes}, format="json")

    assert post("sb.ronneburg").status_code == 403  # a clerk
    assert post("bm.ronneburg", municipality=neuberg.pk).status_code == 403  # another town
    assert post("pm.mkk", county="gg").status_code == 403  # another county
    response = post("bm.ronneburg", url="http://dms.ronneburg.example/hooks")
    assert response.status_code == 400 and "url" in response.json()["errors"]
    response = post("bm.ronneburg", secret="kurz")
    assert response.status_code == 400 and "secret" in response.json()["errors"]
    response = post("bm.ronneburg", events=["case.deleted"])
    assert response.status_code == 400 and "events" in response.json()["errors"]

    response = post("pm.mkk", county="mkk")
    assert response.status_code == 201
    hook = response.json()
    assert "secret" not in hook and hook["county"] == "mkk"
    assert WebhookSubscription.objects.get(pk=hook["id"]).secret == SECRET
    assert [h["id"] for h in login("pm.mkk").get("/api/v1/webhooks/").json()["results"]] == [hook["id"]]
    assert login("pm.gg").get(f"/api/v1/webhooks/{hook['id']}/").status_code == 404
    assert login("controlling.mkk").delete(f"/api/v1/webhooks/{hook['id']}/").status_code == 404
    assert login("pm.mkk").delete(f"/api/v1/webhooks/{hook['id']}/").status_code == 204
    assert not WebhookSubscription.objects.filter(pk=hook["id"]).exists()
