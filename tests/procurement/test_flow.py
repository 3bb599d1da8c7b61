"""The procurement flow: tasks by the real roles, the offer deadline and the standstill as database timers."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from viewflow.workflow import STATUS
from viewflow.workflow.timers import fire_due_timers

from procurement.models import Procedure
from procurement.services import procedure as svc
from tests.procurement.conftest import at
from workflows import engine
from workflows.procurement import ProcurementFlow, procurement_flow_cancel, procurement_flow_start

pytestmark = pytest.mark.django_db


class Clock:
    """Moves time forward for the services and the timer dispatcher (both read timezone.now)."""

    def __init__(self, monkeypatch, start):
        self.now = start
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def advance(self, **delta):
        self.now += timedelta(**delta)


def open_task(process, node):
    return process.task_set.get(flow_task=node, status__in=[STATUS.NEW, STATUS.ASSIGNED])


def complete(process, node, user, **data):
    return engine.task_complete(task=open_task(process, node), user=user, data=data)


def test_eu_procedure_runs_through_the_flow_with_offer_deadline_and_standstill_timers(users, town, monkeypatch):
    clock = Clock(monkeypatch, at("2026-02-02"))
    clerk, mayor = users["sb.maintal"], users["bm.maintal"]
    centre, second = users["vergabe.mkk"], users["vergabe2.mkk"]
    procedure = svc.procedure_request(
        municipality=town["maintal"],
        by=clerk,
        subject="Gebäudereinigung",
        kind="services",
        estimated_value=Decimal("300000"),
    )
    process = procurement_flow_start(procedure=procedure)
    F = ProcurementFlow

    with pytest.raises(PermissionDenied):
        complete(process, F.choose_type, centre, procedure_type="eu_open")
    openers = [centre.pk, second.pk]
    complete(process, F.choose_type, clerk, procedure_type="eu_open", openers_from="centre", openers=openers)
    with pytest.raises(PermissionDenied):
        complete(process, F.write_specification, centre, text="Entwurf des Zentrums")
    complete(process, F.write_specification, clerk, text="Unterhaltsreinigung 12.000 m²")
    with pytest.raises(PermissionDenied):  # four-eyes: the author does not release
        complete(process, F.approve_specification, clerk, confirm=True)
    complete(process, F.approve_specification, mayor, confirm=True)
    with pytest.raises(PermissionDenied):
        complete(process, F.prepare_documents, clerk, tender_documents="x", price_weight="100")
    complete(
        process,
        F.prepare_documents,
        centre,
        tender_documents="Unterlagen",
        price_weight="70",
        criterion_1_name="Qualität",
        criterion_1_weight="30",
    )
    deadline = clock.now + timedelta(days=35)
    complete(process, F.publish, centre, offer_deadline=deadline.isoformat(), electronic=True)

    lot = procedure.lots.get()
    for bidder, price in (("Sauber GmbH", "280000"), ("Glanz AG", "250000")):
        svc.offer_receive(procedure=procedure, by=centre, bidder=bidder, price=Decimal(price), lot=lot)
    timer = process.task_set.get(flow_task=F.offer_period)
    assert timer.status == STATUS.SCHEDULED and timer.scheduled == deadline
    assert fire_due_timers() == 0  # the offer period is still running
    clock.now = deadline + timedelta(hours=1)
    assert fire_due_timers() == 1
    complete(process, F.open_offers, centre, confirm=True)
    with pytest.raises(PermissionDenied):  # the first person cannot confirm their own opening
        complete(process, F.cosign_opening, centre, confirm=True)
    assert Procedure.objects.get(pk=procedure.pk).opened_at is None
    complete(process, F.cosign_opening, second, confirm=True)
    offers = {o.bidder: o for o in lot.offers.all()}
    complete(process, F.formal_check, centre, **{f"result_{o.pk}": "admit" for o in offers.values()})
    quality = procedure.criteria.get(is_price=False)
    scores = {
        f"score_{offers['Sauber GmbH'].pk}_{quality.pk}": "100",
        f"score_{offers['Glanz AG'].pk}_{quality.pk}": "40",
    }
    complete(process, F.evaluate_lot, clerk, **scores)
    complete(process, F.award_proposal, centre, confirm=True)
    # Sauber: 70 × 250/280 + 30 = 92.50; Glanz: 70 + 12 = 82.00
    assert Procedure.objects.get(pk=procedure.pk).lots.get().proposed_offer.bidder == "Sauber GmbH"

    with pytest.raises(PermissionDenied):
        complete(process, F.eu_decide_award, centre)
    complete(process, F.eu_decide_award, mayor)
    complete(process, F.inform_bidders, centre, electronic=True)
    standstill = process.task_set.get(flow_task=F.standstill)
    lot.refresh_from_db()
    assert timezone.localtime(standstill.scheduled).date() == lot.standstill_ends_on + timedelta(days=1)
    assert not process.task_set.filter(flow_task=F.eu_award).exists()  # no award task before the standstill ends

    assert fire_due_timers() == 0
    clock.advance(days=11)
    assert fire_due_timers() == 1
    complete(process, F.eu_award, centre, confirm=True)
    complete(process, F.record, centre, confirm=True)
    process.refresh_from_db()
    assert process.status == STATUS.DONE
    procedure.refresh_from_db()
    assert procedure.status == Procedure.Status.DOCUMENTED and procedure.record_pdf
    assert lot.information_pdf.open("rb").read(4) == b"%PDF"  # the § 134 GWB letters


def test_cancellation_ends_the_flow_and_its_open_tasks(users, town):
    clerk = users["sb.ronneburg"]
    procedure = svc.procedure_request(
        municipality=town["ronneburg"], by=clerk, subject="Papier", kind="supplies", estimated_value=Decimal("30000")
    )
    process = procurement_flow_start(procedure=procedure)
    procurement_flow_cancel(procedure=procedure, by=users["bm.ronneburg"], reason="Bedarf entfallen")
    process.refresh_from_db()
    assert process.status == STATUS.CANCELED
    assert not process.task_set.filter(status__in=[STATUS.NEW, STATUS.ASSIGNED]).exists()
    assert Procedure.objects.get(pk=procedure.pk).cancel_reason == "Bedarf entfallen"
