"""Webhook events as an integrator receives them: a real HTTP receiver on 127.0.0.1, signed bodies that match the
schemas of the OpenAPI document, the moment each thing happened, one fan-out job per commit, ping and redeliver."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from decimal import Decimal

import jsonschema
import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from api.webhooks import fanout, outbox
from api.webhooks.delivery import deliver
from api.webhooks.events import EVENTS, SUBSCRIBABLE
from api.webhooks.models import WebhookDelivery, WebhookEvent
from procurement.services import procedure as procurement
from procurement.services.record import procedure_record_create
from projects.models import AuditEntry, Municipality
from tests.procurement.conftest import at
from tests.procurement.steps import offers_to_proposal, prepare_and_publish

pytestmark = pytest.mark.django_db

SECRET = "geheim-und-lang-genug-1234"


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run one step and its after-commit work, as a real request's commit would."""

    def run(step):
        with django_capture_on_commit_callbacks(execute=True):
            return step()

    return run


@pytest.fixture
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def subscribe(client, url, events, **extra):
    response = client.post(
        "/api/v1/webhooks/", {"url": url, "events": events, "secret": SECRET, **extra}, format="json"
    )
    assert response.status_code == 201, response.content
    return response.json()


def open_task(client, case_id, node, municipality=None):
    (task,) = [
        t
        for t in client.get(f"/api/v1/cases/{case_id}/").json()["open_tasks"]
        if t["node"] == node and (municipality is None or t["municipality_id"] == municipality.pk)
    ]
    return task["id"]


def complete(client, case_id, node, municipality=None, **data):
    task_id = open_task(client, case_id, node, municipality)
    response = client.post(f"/api/v1/tasks/{task_id}/complete/", data, format="json")
    assert response.status_code == 200, response.content


def development(participants, lead):
    today = timezone.localdate()
    return {
        "participants": [m.pk for m in participants],
        "lead": lead.pk,
        "decision_rule": "unanimous",
        "goals": "Eine Kasse",
        "results": "Vereinbarung",
        "start_date": today.isoformat(),
        "end_date": (today + dt.timedelta(days=200)).isoformat(),
        "cost_estimate": "5000.00",
        "project_lead": "DKZ",
    }


def event_schemas(client):
    """The delivery body schema of every event, as the served OpenAPI document describes it."""
    document = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    hooks = document.get("webhooks") or document["x-webhooks"]
    schemas = {}
    for name, hook in hooks.items():
        ref = hook["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        component = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
        schemas[name] = _as_json_schema(component, openapi_31=document["openapi"].startswith("3.1"))
    return schemas


def _as_json_schema(schema, *, openapi_31):
    """OpenAPI 3.0's ``nullable`` as JSON Schema (3.1 documents are JSON Schema already)."""
    if isinstance(schema, list):
        return [_as_json_schema(s, openapi_31=openapi_31) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _as_json_schema(v, openapi_31=openapi_31) for k, v in schema.items() if k != "nullable"}
    if not openapi_31 and schema.get("nullable"):
        out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    return out


def check_signed_and_documented(receiver, schemas):
    """Every request: a valid signature over the exact body, headers matching the body, the documented schema."""
    bodies = []
    for request in receiver.requests:
        expected = "sha256=" + hmac.new(SECRET.encode(), request["body"], hashlib.sha256).hexdigest()
        assert hmac.compare_digest(request["headers"]["x-ikz-signature"], expected)
        body = json.loads(request["body"])
        assert request["headers"]["x-ikz-delivery"] == body["delivery"]
        assert request["headers"]["x-ikz-event"] == body["event"]
        jsonschema.validate(body, schemas[body["event"]], format_checker=jsonschema.FormatChecker())
        bodies.append((request["path"], body))
    return bodies


def test_the_openapi_document_describes_every_event_body(login):
    schemas = event_schemas(login("pm.mkk"))
    assert set(schemas) == set(EVENTS) == {*SUBSCRIBABLE, "ping"}
    body = schemas["procedure.awarded"]
    assert body["required"] == ["delivery", "event", "event_id", "occurred_at", "redelivery_of", "data"]
    assert body["properties"]["event"]["enum"] == ["procedure.awarded"]
    assert {"procedure", "step", "lot"} <= set(body["properties"]["data"]["properties"])


def test_one_case_as_a_receiver_sees_it_in_order_signed_and_as_documented(login, receiver, eager_jobs, committed):
    ronneburg, neuberg = Municipality.objects.get(slug="ronneburg"), Municipality.objects.get(slug="neuberg")
    pm = login("pm.mkk")
    subscribe(pm, receiver.url("/dkz"), SUBSCRIBABLE, county="mkk")
    subscribe(login("bm.ronneburg"), receiver.url("/ronneburg"), SUBSCRIBABLE)
    subscribe(login("bm.maintal"), receiver.url("/maintal"), SUBSCRIBABLE)

    before = timezone.now()
    case_id = committed(
        lambda: pm.post("/api/v1/cases/", {"county": "mkk", "title": "Gemeinsame Kasse"}, format="json")
    ).json()["id"]
    committed(
        lambda: complete(pm, case_id, "screening", decision="pursue", route="bilateral", agreement_form="mandate")
    )
    committed(lambda: complete(pm, case_id, "development", **development([ronneburg, neuberg], ronneburg)))
    committed(lambda: complete(login("bm.ronneburg"), case_id, "approve_project_order", ronneburg, decision="approved"))

    bodies = check_signed_and_documented(receiver, event_schemas(pm))

    def about(body):
        data = body["data"]
        detail = data.get("task", {}).get("node") or data.get("new") or data.get("kind") or data.get("source")
        return body["event"], detail

    dkz = [about(b) for path, b in bodies if path == "/dkz"]
    # each step's events in the order they happened: the stage and the next tasks, then the completion itself
    assert dkz == [
        ("case.created", "own_idea"),
        ("task.created", "screening"),
        ("case.stage_changed", "development"),
        ("task.created", "development"),
        ("task.completed", "screening"),
        ("case.stage_changed", "approval"),
        ("task.created", "approve_project_order"),
        ("task.created", "approve_project_order"),
        ("task.completed", "development"),
        ("decision.recorded", "approval"),
        ("task.completed", "approve_project_order"),
    ]
    # the participating town hears from the step that made it take part; the town outside hears nothing
    ronneburg_heard = [about(b) for path, b in bodies if path == "/ronneburg"]
    assert ("case.created", "own_idea") not in ronneburg_heard
    assert ("task.created", "approve_project_order") in ronneburg_heard
    assert receiver.at("/maintal") == []
    # each body is about this case, and says when it happened: after the test began, never after it was sent
    for path, body in bodies:
        data = body["data"]
        assert (data["case"]["id"] if "case" in data else data["task"]["subject"]["id"]) == case_id
        assert before <= parse_datetime(body["occurred_at"]) <= timezone.now()
    # the delivery log says what each delivery was about
    hook = login("bm.ronneburg").get("/api/v1/webhooks/").json()["results"][0]
    log = login("bm.ronneburg").get(f"/api/v1/webhooks/{hook['id']}/deliveries/", {"page_size": 100}).json()
    assert {(row["event"], row["subject_type"]) for row in log["results"]} >= {
        ("task.created", "task"),
        ("case.stage_changed", "case"),
        ("decision.recorded", "case"),
    }
    row = next(r for r in log["results"] if r["event"] == "decision.recorded")
    assert (row["subject_id"], row["redelivery_of"], row["status"]) == (str(case_id), None, "delivered")


def test_one_procedure_as_a_receiver_sees_it_each_step_when_it_happened(
    login, receiver, eager_jobs, committed, users, _media
):
    procedure_events = [e for e in SUBSCRIBABLE if e.startswith("procedure.")]
    subscribe(login("bm.ronneburg"), receiver.url("/ronneburg"), procedure_events)
    subscribe(login("bm.neuberg"), receiver.url("/neuberg"), procedure_events)
    clerk, mayor, centre = users["sb.ronneburg"], users["bm.ronneburg"], users["vergabe.mkk"]
    first_audit = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    procedure = committed(
        lambda: procurement.procedure_request(
            municipality=Municipality.objects.get(slug="ronneburg"),
            by=clerk,
            subject="Streusalz",
            kind="supplies",
            estimated_value=Decimal("80000"),
            now=at("2026-03-02"),
        )
    )
    procedure, deadline = committed(lambda: prepare_and_publish(procedure, users, clerk=clerk, days=14))
    procedure, _offers = committed(
        lambda: offers_to_proposal(procedure, users, evaluators={"ronneburg": clerk}, deadline=deadline)
    )
    lot = procedure.lots.get()
    committed(lambda: procurement.lot_award_decide(lot=lot, by=mayor, now=deadline + dt.timedelta(days=2)))
    committed(lambda: procurement.lot_award(lot=lot, by=centre, now=deadline + dt.timedelta(days=2)))
    committed(lambda: procedure_record_create(procedure=procedure, by=centre, now=deadline + dt.timedelta(days=3)))

    bodies = [b for path, b in check_signed_and_documented(receiver, event_schemas(login("bm.ronneburg")))]
    assert receiver.at("/neuberg") == []  # another town's procedure
    named = [(b["event"], b["data"]["step"]) for b in bodies if b["event"] != "procedure.step_completed"]
    assert named == [
        ("procedure.requested", "requested"),
        ("procedure.published", "published"),
        ("procedure.opened", "opened"),
        ("procedure.awarded", "awarded"),
    ]
    # one step_completed per step, in the order of the audit trail, stamped with the moment of its audit entry
    steps = [b for b in bodies if b["event"] == "procedure.step_completed"]
    trail = list(
        AuditEntry.objects.filter(pk__gt=first_audit, action__startswith="procedure.")
        .exclude(action="procedure.hours_booked")
        .order_by("pk")
    )
    assert [b["data"]["step"] for b in steps] == [e.action.split(".", 1)[1] for e in trail]
    # (times in milliseconds, UTC)
    assert [b["occurred_at"] for b in steps] == [
        e.created_at.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z") for e in trail
    ]
    awarded = next(b for b in bodies if b["event"] == "procedure.awarded")
    assert awarded["data"]["lot"] == {
        "id": lot.pk,
        "number": 1,
        "municipality": {"id": lot.municipality.pk, "ags": lot.municipality.ags, "name": lot.municipality.name},
    }
    assert awarded["data"]["procedure"]["reference"] == procedure.reference


def test_the_fan_out_runs_as_one_job_after_the_commit_and_a_second_run_delivers_nothing_twice(
    login, receiver, eager_jobs, committed, monkeypatch
):
    """The request stores its events and starts one job with their ids; the job (run here later, and twice) makes
    one delivery per subscription and event, stamped with when it happened, not when it was sent."""
    started = []
    monkeypatch.setattr(fanout, "enqueue_fan_out", lambda ids: started.append(list(ids)))
    pm = login("pm.mkk")
    subscribe(pm, receiver.url("/a"), ["case.created", "task.created"], county="mkk")
    subscribe(pm, receiver.url("/b"), ["case.created"], county="mkk")

    case_id = committed(
        lambda: pm.post("/api/v1/cases/", {"county": "mkk", "title": "Gemeinsames Archiv"}, format="json")
    ).json()["id"]
    answered = timezone.now()
    assert len(started) == 1  # one job for the whole request
    (ids,) = started
    assert sorted(WebhookEvent.objects.filter(pk__in=ids).values_list("event", flat=True)) == [
        "case.created",
        "task.created",
    ]
    assert receiver.requests == [] and not WebhookDelivery.objects.exists()  # nothing sent inside the request

    assert fanout.fan_out.apply(args=[ids]).get() == 3  # /a: both events, /b: the case
    assert fanout.fan_out.apply(args=[ids]).get() == 0  # the same message again
    assert sorted(r["path"] for r in receiver.requests) == ["/a", "/a", "/b"]
    assert WebhookDelivery.objects.count() == 3
    created = next(json.loads(r["body"]) for r in receiver.at("/b"))
    assert created["data"]["case"]["id"] == case_id
    assert parse_datetime(created["occurred_at"]) <= answered
    assert created["event_id"] == next(
        json.loads(r["body"])["event_id"] for r in receiver.at("/a") if json.loads(r["body"])["event"] == "case.created"
    )


def test_completing_a_split_step_costs_the_request_the_same_webhook_work_for_two_or_five_participants(
    login, eager_jobs, committed, monkeypatch, receiver
):
    """Per new task only a note in memory: the request stores the events with one insert and starts one job,
    however many municipality tasks the step creates."""
    started = []
    monkeypatch.setattr(fanout, "enqueue_fan_out", lambda ids: started.append(list(ids)))
    pm = login("pm.mkk")
    subscribe(pm, receiver.url("/dkz"), SUBSCRIBABLE, county="mkk")
    towns = list(Municipality.objects.filter(county__slug="mkk", kind="gemeinde").order_by("pk")[:5])
    assert len(towns) == 5

    def webhook_statements(participants):
        case_id = committed(
            lambda: pm.post("/api/v1/cases/", {"county": "mkk", "title": f"Kasse {len(participants)}"}, format="json")
        ).json()["id"]
        committed(
            lambda: complete(pm, case_id, "screening", decision="pursue", route="bilateral", agreement_form="mandate")
        )
        started.clear()
        with CaptureQueriesContext(connection) as queries:
            committed(lambda: complete(pm, case_id, "development", **development(participants, participants[0])))
        (ids,) = started  # one job
        created = WebhookEvent.objects.filter(pk__in=ids, event="task.created").count()
        touching = [q["sql"] for q in queries.captured_queries if '"api_webhook' in q["sql"]]
        return created, len(touching)

    assert webhook_statements(towns[:2]) == (2, 2)  # two approval tasks; one check, one insert
    assert webhook_statements(towns) == (5, 2)


def test_an_event_of_a_rolled_back_savepoint_is_not_sent_and_the_rest_of_the_transaction_is(
    monkeypatch, django_capture_on_commit_callbacks
):
    published = []
    monkeypatch.setattr(outbox, "publish", lambda events: published.append([e.subject_id for e in events]))
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        outbox.record("case.created", subject_type="case", subject_id=1)
        try:
            with transaction.atomic():
                outbox.record("case.created", subject_type="case", subject_id=2)
                raise RuntimeError("the step failed")
        except RuntimeError:
            pass
        outbox.record("case.created", subject_type="case", subject_id=3)
        try:
            with transaction.atomic():  # the last event of the transaction is rolled back
                outbox.record("case.created", subject_type="case", subject_id=4)
                raise RuntimeError("the step failed")
        except RuntimeError:
            pass
    assert published == [["1", "3"]]


def test_ping_sends_a_signed_test_delivery_to_the_owner_s_webhook_only(login, receiver, eager_jobs, committed):
    hook = subscribe(login("bm.ronneburg"), receiver.url("/ping"), ["task.created"])
    assert login("bm.neuberg").post(f"/api/v1/webhooks/{hook['id']}/ping/").status_code == 404
    response = committed(lambda: login("bm.ronneburg").post(f"/api/v1/webhooks/{hook['id']}/ping/"))
    assert response.status_code == 202
    delivery = response.json()
    assert (delivery["event"], delivery["subject_type"], delivery["subject_id"]) == ("ping", "webhook", str(hook["id"]))
    (request,) = receiver.at("/ping")
    (path, body), *_ = check_signed_and_documented(receiver, event_schemas(login("bm.ronneburg")))
    assert body["delivery"] == delivery["id"] and body["data"]["webhook"]["events"] == ["task.created"]
    log = login("bm.ronneburg").get(f"/api/v1/webhooks/{hook['id']}/deliveries/").json()["results"]
    assert [(row["event"], row["status"], row["response_status"]) for row in log] == [("ping", "delivered", 200)]
    assert AuditEntry.objects.filter(action="webhook.pinged", subject_id=str(hook["id"])).count() == 1


def test_redeliver_sends_a_finished_delivery_again_as_a_new_delivery_of_the_same_event(
    login, receiver, eager_jobs, committed, monkeypatch
):
    monkeypatch.setattr(deliver, "max_retries", 0)
    owner = login("pm.mkk")
    hook = subscribe(owner, receiver.url("/down"), ["case.created"], county="mkk")
    receiver.script["/down"] = [503]
    committed(lambda: owner.post("/api/v1/cases/", {"county": "mkk", "title": "Gemeinsamer Bauhof"}, format="json"))
    (failed,) = owner.get(f"/api/v1/webhooks/{hook['id']}/deliveries/").json()["results"]
    assert failed["status"] == "failed"
    url = f"/api/v1/webhooks/{hook['id']}/deliveries/{failed['id']}/redeliver/"
    assert login("pm.gg").post(url).status_code == 404  # not their webhook
    assert owner.post(f"/api/v1/webhooks/{hook['id']}/deliveries/not-a-uuid/redeliver/").status_code == 404

    response = committed(lambda: owner.post(url))
    assert response.status_code == 202
    again = response.json()
    assert again["id"] != failed["id"] and again["redelivery_of"] == failed["id"]
    assert (again["event_id"], again["event"]) == (failed["event_id"], "case.created")
    first, second = (json.loads(r["body"]) for r in receiver.at("/down"))
    assert second["delivery"] == again["id"] and second["redelivery_of"] == failed["id"]
    assert {k: v for k, v in second.items() if k not in ("delivery", "redelivery_of")} == {
        k: v for k, v in first.items() if k not in ("delivery", "redelivery_of")
    }
    rows = {r["id"]: r for r in owner.get(f"/api/v1/webhooks/{hook['id']}/deliveries/").json()["results"]}
    assert (rows[failed["id"]]["status"], rows[again["id"]]["status"]) == ("failed", "delivered")
    # a delivery still on its way is not sent a second time
    WebhookDelivery.objects.filter(pk=again["id"]).update(status=WebhookDelivery.Status.RETRYING)
    response = owner.post(f"/api/v1/webhooks/{hook['id']}/deliveries/{again['id']}/redeliver/")
    assert response.status_code == 400 and "läuft noch" in str(response.json())
