"""The catalogue of webhook events: names, what each is about, and the JSON schema of each delivery body.

The schemas are published in the OpenAPI document (``webhooks`` of OpenAPI 3.1, one component per event, see
``api.webhooks.schema``) and the deliveries are checked against them in the tests. Nullable values are marked with
``x-nullable`` here and rendered for the document's OpenAPI version.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class Event(models.TextChoices):
    PING = "ping", _("Test-Zustellung (Ping)")
    TASK_CREATED = "task.created", _("Aufgabe angelegt")
    TASK_COMPLETED = "task.completed", _("Aufgabe erledigt")
    CASE_CREATED = "case.created", _("Vorgang angelegt")
    CASE_STAGE_CHANGED = "case.stage_changed", _("Phase eines Vorgangs geändert")
    DECISION_RECORDED = "decision.recorded", _("Entscheidung erfasst")
    PROCEDURE_REQUESTED = "procedure.requested", _("Vergabeverfahren beauftragt")
    PROCEDURE_PUBLISHED = "procedure.published", _("Vergabeverfahren bekanntgemacht")
    PROCEDURE_OPENED = "procedure.opened", _("Angebote geöffnet")
    PROCEDURE_AWARDED = "procedure.awarded", _("Zuschlag erteilt")
    PROCEDURE_CANCELLED = "procedure.cancelled", _("Vergabeverfahren aufgehoben")
    PROCEDURE_STEP_COMPLETED = "procedure.step_completed", _("Schritt eines Vergabeverfahrens erledigt")
    FUNDING_STATE_CHANGED = "funding.application.state_changed", _("Stand eines Förderantrags geändert")
    FUNDING_SUBMITTED = "funding.application.submitted", _("Förderantrag eingereicht")
    FUNDING_GRANTED = "funding.application.granted", _("Förderantrag bewilligt")
    FUNDING_REVOKED = "funding.application.revoked", _("Zuwendung widerrufen")
    FUNDING_PROOF_SUBMITTED = "funding.proof_of_use.submitted", _("Verwendungsnachweis eingereicht")
    FUNDING_DRAWDOWN = "funding.drawdown.recorded", _("Mittel abgerufen")
    FUNDING_DRAWDOWN_PAID = "funding.drawdown.paid", _("Mittelabruf ausgezahlt")
    FUNDING_DRAWDOWN_USED = "funding.drawdown.used", _("Verwendung eines Mittelabrufs bestätigt")
    FUNDING_REPAYMENT_PAID = "funding.repayment.paid", _("Rückzahlung eingegangen")
    COSTS_PLAN_PUBLISHED = "costs.plan.published", _("Vorkalkulation veröffentlicht")
    COSTS_YEAR_SETTLED = "costs.year.settled", _("Jahr abgerechnet (Nachkalkulation)")


# what a subscription may ask for (the ping goes to every subscription on request)
SUBSCRIBABLE: list[str] = [e.value for e in Event if e != Event.PING]
SUBSCRIBABLE_CHOICES = [(e.value, e.label) for e in Event if e != Event.PING]


class Subject(models.TextChoices):
    """What an event is about: the record whose visibility decides who receives it."""

    TASK = "task", _("Aufgabe")
    CASE = "case", _("Vorgang")
    PROCEDURE = "procedure", _("Vergabeverfahren")
    APPLICATION = "application", _("Förderantrag")
    COST_CENTRE = "cost_centre", _("Kostenstelle")
    WEBHOOK = "webhook", _("Webhook")


# --- schema building blocks ---------------------------------------------------------------------------------------


def _s(type_: str, description: str = "", *, nullable: bool = False, **extra: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": type_, **extra}
    if description:
        schema["description"] = description
    if nullable:
        schema["x-nullable"] = True
    return schema


def _obj(
    properties: dict[str, dict[str, Any]], description: str = "", *, nullable: bool = False, optional: tuple = ()
) -> dict[str, Any]:
    schema = _s("object", description, nullable=nullable)
    schema["properties"] = properties
    schema["required"] = [name for name in properties if name not in optional]
    schema["additionalProperties"] = False
    return schema


DATE: dict[str, Any] = {"format": "date"}
DATETIME: dict[str, Any] = {"format": "date-time"}
MONEY: dict[str, Any] = {"pattern": r"^-?\d+\.\d{2}$"}


def _municipality(description: str = "Kommune", *, nullable: bool = False) -> dict[str, Any]:
    return _obj(
        {"id": _s("integer"), "ags": _s("string", "Amtlicher Gemeindeschlüssel"), "name": _s("string")},
        description,
        nullable=nullable,
    )


CASE = _obj(
    {
        "id": _s("integer"),
        "number": _s("string", "Aktenzeichen"),
        "title": _s("string"),
        "county": _s("string", "Kürzel des Landkreises"),
        "stage": _s("string", "Phase (wie `stage` in `GET /cases/{id}/`)"),
    },
    "Der Vorgang, wie er beim Versand steht",
)

TASK = _obj(
    {
        "id": _s("integer"),
        "flow": _s("string", "Ablauf (wie in `GET /flows/{name}/bpmn`)"),
        "node": _s("string", "Schritt des Ablaufs"),
        "title": _s("string"),
        "status": _s("string", "new, assigned, done, canceled, ..."),
        "subject": _obj(
            {"type": _s("string"), "id": _s("integer"), "label": _s("string", nullable=True)},
            "Worum es geht (Vorgang, Verfahren, ...)",
            nullable=True,
        ),
        "municipality": _municipality("Für welche Kommune", nullable=True),
        "created": _s("string", **DATETIME),
        "due": _s("string", "Fällig am", nullable=True, **DATE),
        "assignee": _s("string", "Benutzername der Bearbeiterin", nullable=True),
    },
    "Die Aufgabe, wie sie beim Versand steht",
)

PROCEDURE = _obj(
    {
        "id": _s("integer"),
        "reference": _s("string", "Vergabenummer"),
        "subject": _s("string", "Gegenstand"),
        "status": _s("string", "Stand des Verfahrens (wie in `GET /procedures/{id}/`)"),
        "county": _s("string", "Kürzel des Landkreises"),
        "municipality": _municipality("Federführende Kommune"),
    },
    "Das Verfahren, wie es beim Versand steht",
)

LOT = _obj(
    {"id": _s("integer"), "number": _s("integer"), "municipality": _municipality()},
    "Das Los, um das es im Schritt ging",
    nullable=True,
)

APPLICATION = _obj(
    {
        "id": _s("integer"),
        "title": _s("string"),
        "state": _s("string", "Stand beim Versand"),
        "county": _s("string", "Kürzel des Landkreises"),
        "programme": _s("string", "Kürzel des Förderprogramms"),
        "case": _s("integer", "ID des IKZ-Vorgangs", nullable=True),
    },
    "Der Förderantrag, wie er beim Versand steht",
)

COST_CENTRE = _obj(
    {"id": _s("integer"), "code": _s("string"), "name": _s("string")},
    "Die Kostenstelle",
)

DRAWDOWN = _obj(
    {
        "id": _s("integer"),
        "amount": _s("string", "Betrag in EUR", **MONEY),
        "requested_on": _s("string", **DATE),
        "needed_on": _s("string", **DATE),
        "paid_on": _s("string", nullable=True, **DATE),
    }
)

STATE_CHANGE = {
    "application": APPLICATION,
    "old": _s("string", "Stand vorher"),
    "new": _s("string", "Stand nachher (zum Zeitpunkt `occurred_at`)"),
}

PROCEDURE_STEP = {
    "procedure": PROCEDURE,
    "step": _s("string", "Der Schritt (z. B. requested, published, opened, awarded, cancelled, offer_received)"),
    "lot": LOT,
}


@dataclass(frozen=True)
class EventSpec:
    name: str
    component: str  # the schema component's name in the OpenAPI document
    summary: str
    data: dict[str, Any]


def _spec(event: Event, component: str, summary: str, data: dict[str, Any], optional: tuple = ()) -> EventSpec:
    return EventSpec(event.value, component, summary, _obj(data, optional=optional))


EVENTS: dict[str, EventSpec] = {
    spec.name: spec
    for spec in [
        _spec(
            Event.PING,
            "PingEvent",
            "Test-Zustellung auf Anforderung (`POST /webhooks/{id}/ping/`)",
            {
                "webhook": _obj(
                    {
                        "id": _s("integer"),
                        "url": _s("string"),
                        "events": {"type": "array", "items": _s("string")},
                    }
                )
            },
        ),
        _spec(Event.TASK_CREATED, "TaskCreatedEvent", "Eine Aufgabe wartet auf jemanden", {"task": TASK}),
        _spec(Event.TASK_COMPLETED, "TaskCompletedEvent", "Eine Aufgabe wurde erledigt", {"task": TASK}),
        _spec(
            Event.CASE_CREATED,
            "CaseCreatedEvent",
            "Eine IKZ-Idee wurde erfasst (der Vorgang entsteht)",
            {
                "case": CASE,
                "source": _s("string", "Herkunft der Idee"),
                "proposing_municipality": _municipality("Vorschlagende Kommune", nullable=True),
            },
        ),
        _spec(
            Event.CASE_STAGE_CHANGED,
            "CaseStageChangedEvent",
            "Der Vorgang ist in eine andere Phase gegangen",
            {"case": CASE, "old": _s("string"), "new": _s("string")},
        ),
        _spec(
            Event.DECISION_RECORDED,
            "DecisionRecordedEvent",
            "Eine Entscheidung mit rechtlichem Gewicht wurde erfasst (Zustimmung, Beschluss, Einvernehmen, Aufsicht)",
            {
                "case": CASE,
                "kind": _s(
                    "string",
                    "approval, council_resolution, consent oder supervisory_decision",
                    enum=["approval", "council_resolution", "consent", "supervisory_decision"],
                ),
                "id": _s("integer", "ID der Entscheidung"),
                "municipality": _municipality("Für welche Kommune", nullable=True),
                "decision": _s("string", "approval: approved/rejected"),
                "reason": _s("string", "approval"),
                "version": _s("integer", "approval: Fassung des Projektauftrags"),
                "outcome": _s("string", "council_resolution, supervisory_decision"),
                "body": _s("string", "council_resolution: Gremium"),
                "session_date": _s("string", "council_resolution", nullable=True, **DATE),
                "consent_kind": _s("string", "consent"),
                "agreed": _s("boolean", "consent"),
                "note": _s("string", "consent, supervisory_decision"),
                "subject": _s("string", "supervisory_decision"),
            },
            optional=(
                "decision",
                "reason",
                "version",
                "outcome",
                "body",
                "session_date",
                "consent_kind",
                "agreed",
                "note",
                "subject",
            ),
        ),
        _spec(
            Event.PROCEDURE_REQUESTED,
            "ProcedureRequestedEvent",
            "Ein Vergabeverfahren wurde beauftragt",
            PROCEDURE_STEP,
        ),
        _spec(
            Event.PROCEDURE_PUBLISHED, "ProcedurePublishedEvent", "Das Verfahren wurde bekanntgemacht", PROCEDURE_STEP
        ),
        _spec(Event.PROCEDURE_OPENED, "ProcedureOpenedEvent", "Die Angebote wurden geöffnet", PROCEDURE_STEP),
        _spec(
            Event.PROCEDURE_AWARDED, "ProcedureAwardedEvent", "Der Zuschlag für ein Los wurde erteilt", PROCEDURE_STEP
        ),
        _spec(Event.PROCEDURE_CANCELLED, "ProcedureCancelledEvent", "Das Verfahren wurde aufgehoben", PROCEDURE_STEP),
        _spec(
            Event.PROCEDURE_STEP_COMPLETED,
            "ProcedureStepCompletedEvent",
            "Ein Schritt des Verfahrens ist erledigt (jeder Schritt, auch die mit eigenem Ereignis)",
            PROCEDURE_STEP,
        ),
        _spec(
            Event.FUNDING_STATE_CHANGED,
            "FundingApplicationStateChangedEvent",
            "Der Förderantrag hat seinen Stand gewechselt (jeder Wechsel)",
            STATE_CHANGE,
        ),
        _spec(
            Event.FUNDING_SUBMITTED, "FundingApplicationSubmittedEvent", "Der Antrag wurde eingereicht", STATE_CHANGE
        ),
        _spec(Event.FUNDING_GRANTED, "FundingApplicationGrantedEvent", "Der Antrag wurde bewilligt", STATE_CHANGE),
        _spec(Event.FUNDING_REVOKED, "FundingApplicationRevokedEvent", "Die Zuwendung wurde widerrufen", STATE_CHANGE),
        _spec(
            Event.FUNDING_PROOF_SUBMITTED,
            "FundingProofOfUseSubmittedEvent",
            "Der Verwendungsnachweis wurde eingereicht",
            STATE_CHANGE,
        ),
        _spec(
            Event.FUNDING_DRAWDOWN,
            "FundingDrawdownRecordedEvent",
            "Mittel wurden abgerufen",
            {"application": APPLICATION, "drawdown": DRAWDOWN},
        ),
        _spec(
            Event.FUNDING_DRAWDOWN_PAID,
            "FundingDrawdownPaidEvent",
            "Ein Mittelabruf wurde ausgezahlt (die Frist für seine Verwendung beginnt)",
            {"application": APPLICATION, "drawdown": DRAWDOWN},
        ),
        _spec(
            Event.FUNDING_DRAWDOWN_USED,
            "FundingDrawdownUsedEvent",
            "Die Verwendung eines Mittelabrufs wurde bestätigt",
            {"application": APPLICATION, "drawdown": DRAWDOWN, "used_on": _s("string", "Verwendet am", **DATE)},
        ),
        _spec(
            Event.FUNDING_REPAYMENT_PAID,
            "FundingRepaymentPaidEvent",
            "Eine Rückzahlung ist eingegangen",
            {
                "application": APPLICATION,
                "repayment": _obj(
                    {
                        "id": _s("integer"),
                        "total": _s("string", "Erstattungsbetrag und Zinsen in EUR", **MONEY),
                        "due_on": _s("string", **DATE),
                        "paid_on": _s("string", **DATE),
                    }
                ),
            },
        ),
        _spec(
            Event.COSTS_PLAN_PUBLISHED,
            "CostsPlanPublishedEvent",
            "Die Vorkalkulation eines Jahres wurde den Mitgliedern veröffentlicht",
            {"cost_centre": COST_CENTRE, "year": _s("integer")},
        ),
        _spec(
            Event.COSTS_YEAR_SETTLED,
            "CostsYearSettledEvent",
            "Ein Jahr wurde abgerechnet (Nachkalkulation; nach einer Korrektur eine neue Version)",
            {
                "cost_centre": COST_CENTRE,
                "year": _s("integer"),
                "settlement": _obj(
                    {
                        "id": _s("integer"),
                        "version": _s("integer"),
                        "actual_total": _s("string", "Ist-Kosten gesamt in EUR", **MONEY),
                        "charged_total": _s("string", "abgerechnet gesamt in EUR", **MONEY),
                    }
                ),
            },
        ),
    ]
}


def envelope(spec: EventSpec) -> dict[str, Any]:
    """The whole delivery body of one event."""
    return _obj(
        {
            "delivery": _s("string", "ID dieser Zustellung (auch im Kopf `X-IKZ-Delivery`)", format="uuid"),
            "event": _s("string", "Name des Ereignisses (auch im Kopf `X-IKZ-Event`)", enum=[spec.name]),
            "event_id": _s(
                "string", "ID des Ereignisses: gleich für alle Empfänger und für erneute Zustellungen", format="uuid"
            ),
            "occurred_at": _s("string", "Wann es geschah (nicht: wann versandt wurde), UTC", **DATETIME),
            "redelivery_of": _s(
                "string", "Bei erneuter Zustellung: die ID der ursprünglichen Zustellung", nullable=True, format="uuid"
            ),
            "data": spec.data,
        },
        spec.summary,
    )
