"""Four-eyes by two logins (opening, specification release) and the server-stamped receipt of offers (issue 16, 19)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework.test import APIClient
from viewflow.workflow import STATUS
from viewflow.workflow.timers import fire_due_timers

from procurement.models import Offer, Procedure
from procurement.services import procedure as svc
from projects.models import AuditEntry
from tests.procurement.conftest import at
from workflows import engine
from workflows.procurement import ProcurementFlow, procurement_flow_start

pytestmark = pytest.mark.django_db
F = ProcurementFlow


class Clock:
    """The server's clock for the services and the timer dispatcher (both read timezone.now)."""

    def __init__(self, monkeypatch, start):
        self.now = start
        monkeypatch.setattr(timezone, "now", lambda: self.now)


def _task(process, node):
    return process.task_set.get(flow_task=node, status__in=[STATUS.NEW, STATUS.ASSIGNED])


def _complete(process, node, user, **data):
    return engine.task_complete(task=_task(process, node), user=user, data=data)


def _published(users, town, clock):
    """A Ronneburg procedure through the flow up to publication; openers: vergabe.mkk and vergabe2.mkk."""
    clerk, mayor, centre = users["sb.ronneburg"], users["bm.ronneburg"], users["vergabe.mkk"]
    procedure = svc.procedure_request(
        municipality=town["ronneburg"], by=clerk, subject="Streusalz", kind="supplies", estimated_value=Decimal("80000")
    )
    process = procurement_flow_start(procedure=procedure)
    openers = [centre.pk, users["vergabe2.mkk"].pk]
    _complete(process, F.choose_type, clerk, procedure_type=procedure.proposed_type, openers=openers)
    _complete(process, F.write_specification, clerk, text="200 t Streusalz")
    _complete(process, F.approve_specification, mayor, confirm=True)
    _complete(process, F.prepare_documents, centre, tender_documents="Unterlagen", price_weight="100")
    deadline = clock.now + timedelta(days=30)
    _complete(process, F.publish, centre, offer_deadline=deadline.isoformat(), electronic=True)
    return Procedure.objects.get(pk=procedure.pk), process, deadline


def _counts(procedure):
    return (
        Procedure.objects.filter(pk=procedure.pk).values_list("status", "opened_at").get(),
        AuditEntry.objects.count(),
    )


def test_one_person_alone_cannot_complete_the_opening_by_portal_api_or_admin(users, town, monkeypatch, client):
    clock = Clock(monkeypatch, at("2026-02-02"))
    procedure, process, deadline = _published(users, town, clock)
    centre, second = users["vergabe.mkk"], users["vergabe2.mkk"]
    svc.offer_receive(procedure=procedure, by=centre, bidder="Salz GmbH", price=Decimal("70000"))
    clock.now = deadline + timedelta(hours=1)
    fire_due_timers()
    # a person the municipality did not designate cannot even start the opening
    client.force_login(users["sb.ronneburg"])
    response = client.post(f"/portal/aufgaben/{_task(process, F.open_offers).pk}/", {"confirm": "on"})
    assert response.status_code in (403, 404)
    client.force_login(centre)
    response = client.post(f"/portal/aufgaben/{_task(process, F.open_offers).pk}/", {"confirm": "on"})
    assert response.status_code == 302
    before = _counts(procedure)

    # portal: the first person opens the co-sign task and is refused in German
    cosign = _task(process, F.cosign_opening)
    response = client.post(f"/portal/aufgaben/{cosign.pk}/", {"confirm": "on"})
    assert response.status_code == 403
    assert "Sie dürfen diese Aufgabe nicht erledigen" in response.content.decode()
    # API: the step endpoint and the task endpoint
    api = APIClient()
    api.force_authenticate(centre)
    url = f"/api/v1/procedures/{procedure.pk}/steps/cosign_opening/"
    assert api.post(url, {"confirm": True}, format="json").status_code == 403
    assert api.post(f"/api/v1/tasks/{cosign.pk}/complete/", {"confirm": True}, format="json").status_code == 403
    # service
    with pytest.raises(svc.PermissionDenied, match="zweite Person"):
        svc.procedure_opening_confirm(procedure=procedure, by=centre)
    # admin: a superuser cannot change a procedure there (its steps go through the services)
    admin = get_user_model().objects.create_superuser("root.matrix", "root@example.org", "x")
    client.force_login(admin)
    change = client.post(
        f"/admin/procurement/procedure/{procedure.pk}/change/",
        {"status": "opened", "opened_at_0": "2026-03-05", "opened_at_1": "10:00"},
    )
    assert change.status_code in (302, 403)
    assert _counts(procedure) == before  # nothing changed, no audit entry
    assert Procedure.objects.get(pk=procedure.pk).opened_at is None

    # the second designated person confirms in their own session: now the offers are open
    client.force_login(second)
    assert client.post(f"/portal/aufgaben/{cosign.pk}/", {"confirm": "on"}).status_code == 302
    procedure.refresh_from_db()
    assert procedure.status == Procedure.Status.OPENED
    assert (procedure.opened_by_first, procedure.opened_by_second) == (centre, second)


def test_the_opening_names_no_user_so_it_cannot_reveal_whether_a_user_name_exists():
    form_fields = set(F.open_offers.form_class().fields) | set(F.cosign_opening.form_class().fields)
    assert form_fields == {"confirm"}


def test_at_least_two_designated_openers_of_the_chosen_side(users, town):
    clerk = users["sb.ronneburg"]
    procedure = svc.procedure_request(
        municipality=town["ronneburg"], by=clerk, subject="Papier", kind="supplies", estimated_value=Decimal("30000")
    )
    with pytest.raises(svc.ValidationError, match="mindestens zwei"):
        svc.procedure_openers_designate(
            procedure=procedure, by=clerk, openers_from="centre", openers=[users["vergabe.mkk"]]
        )
    with pytest.raises(svc.ValidationError, match="gewählten Seite"):
        svc.procedure_openers_designate(
            procedure=procedure, by=clerk, openers_from="centre", openers=[users["vergabe.mkk"], users["sb.ronneburg"]]
        )
    svc.procedure_openers_designate(
        procedure=procedure, by=clerk, openers_from="municipality", openers=[clerk, users["sb2.ronneburg"]]
    )
    assert set(procedure.openers.values_list("username", flat=True)) == {"sb.ronneburg", "sb2.ronneburg"}


def test_the_author_cannot_release_their_own_specification(users, town, client):
    clerk = users["sb.ronneburg"]
    procedure = svc.procedure_request(
        municipality=town["ronneburg"], by=clerk, subject="Papier", kind="supplies", estimated_value=Decimal("30000")
    )
    process = procurement_flow_start(procedure=procedure)
    openers = [users["vergabe.mkk"].pk, users["vergabe2.mkk"].pk]
    _complete(process, F.choose_type, clerk, procedure_type=procedure.proposed_type, openers=openers)
    _complete(process, F.write_specification, clerk, text="5.000 Blatt je Monat")
    entries = AuditEntry.objects.count()
    with pytest.raises(svc.PermissionDenied, match="andere Person"):
        svc.procedure_specification_approve(procedure=procedure, by=clerk)
    client.force_login(clerk)
    task = _task(process, F.approve_specification)
    response = client.post(f"/portal/aufgaben/{task.pk}/", {"confirm": "on"})
    assert response.status_code in (403, 404)
    procedure.refresh_from_db()
    assert procedure.status == Procedure.Status.TYPE_CHOSEN and procedure.specification_approved_by is None
    assert AuditEntry.objects.count() == entries
    # the mayor sees the specification on the decision page and releases it
    client.force_login(users["bm.ronneburg"])
    page = client.get(f"/portal/aufgaben/{task.pk}/").content.decode()
    assert "5.000 Blatt je Monat" in page and f"/procurement/{procedure.pk}/" in page
    assert client.post(f"/portal/aufgaben/{task.pk}/", {"confirm": "on"}).status_code == 302
    assert Procedure.objects.get(pk=procedure.pk).specification_approved_by == users["bm.ronneburg"]


def test_a_backdated_receipt_time_in_the_portal_form_or_the_api_body_is_ignored(users, town, monkeypatch, client):
    clock = Clock(monkeypatch, at("2026-02-02"))
    procedure, _process, deadline = _published(users, town, clock)
    clock.now = deadline + timedelta(minutes=5)
    backdated = (deadline - timedelta(days=3)).isoformat()
    client.force_login(users["vergabe.mkk"])
    response = client.post(
        f"/procurement/{procedure.pk}/angebote/neu/",
        {"lot": procedure.lots.get().pk, "bidder": "Spät GmbH", "price": "65.000,00", "received_at": backdated},
    )
    assert response.status_code == 302
    api = APIClient()
    api.force_authenticate(users["vergabe.mkk"])
    body = {"bidder": "Auch Spät AG", "price": "66000", "received_at": backdated}
    assert api.post(f"/api/v1/procedures/{procedure.pk}/offers/", body, format="json").status_code == 201
    for bidder in ("Spät GmbH", "Auch Spät AG"):
        offer = Offer.objects.get(procedure=procedure, bidder=bidder)
        assert offer.received_at == clock.now  # stamped by the server, not taken from the request
        assert offer.is_late and offer.formally_admitted is False
        assert "Nach Ablauf der Angebotsfrist" in offer.formal_note


def test_a_late_offer_stays_excluded_in_the_formal_check(users, town, monkeypatch):
    clock = Clock(monkeypatch, at("2026-02-02"))
    procedure, process, deadline = _published(users, town, clock)
    centre = users["vergabe.mkk"]
    timely = svc.offer_receive(procedure=procedure, by=centre, bidder="Früh GmbH", price=Decimal("70000"))
    clock.now = deadline + timedelta(minutes=1)
    late = svc.offer_receive(procedure=procedure, by=centre, bidder="Spät GmbH", price=Decimal("50000"))
    fire_due_timers()
    _complete(process, F.open_offers, centre, confirm=True)
    _complete(process, F.cosign_opening, users["vergabe2.mkk"], confirm=True)
    form = F.formal_check.form_for(_task(process, F.formal_check))
    assert f"result_{timely.pk}" in form.fields and f"result_{late.pk}" not in form.fields
    with pytest.raises(svc.ValidationError, match="verspätet"):
        svc.offer_formal_check(procedure=procedure, by=centre, results={timely.pk: (True, ""), late.pk: (True, "")})
    _complete(process, F.formal_check, centre, **{f"result_{timely.pk}": "admit"})
    late.refresh_from_db()
    assert late.formally_admitted is False and late.is_late


def _all_task_forms():
    """Every completion form of every flow node: unbound to a task (the static fields), and bound to each open task
    of the demo world (the fields made from the task's data, e.g. one per offer)."""
    from viewflow.workflow.models import Task

    from workflows.case import CaseFlow
    from workflows.funding import FundingFlow
    from workflows.nodes import BusinessTask

    seen = []
    for flow_class in (CaseFlow, ProcurementFlow, FundingFlow):
        for node in flow_class.instance.nodes():
            if isinstance(node, BusinessTask):
                seen.append((node.name, node.form_class(task=None)))
    for task in Task.objects.filter(status__in=[STATUS.NEW, STATUS.ASSIGNED], flow_task_type="HUMAN"):
        node = task.flow_task
        if node is not None and hasattr(node, "form_for"):
            seen.append((node.name, node.form_for(task)))
    return seen


def test_no_task_form_of_the_demo_world_asks_for_json(users, town, monkeypatch):
    clock = Clock(monkeypatch, at("2026-02-02"))
    procedure, process, deadline = _published(users, town, clock)
    svc.offer_receive(procedure=procedure, by=users["vergabe.mkk"], bidder="Salz GmbH", price=Decimal("70000"))
    clock.now = deadline + timedelta(hours=1)
    fire_due_timers()
    _complete(process, F.open_offers, users["vergabe.mkk"], confirm=True)
    _complete(process, F.cosign_opening, users["vergabe2.mkk"], confirm=True)  # the formal check is open now
    checked = _all_task_forms()
    assert any("formal_check" in name for name, _form in checked)
    for name, form in checked:
        for field_name, field in form.fields.items():
            text = f"{field.label} {field.help_text}"
            assert not isinstance(field, forms.JSONField), (name, field_name)
            assert "JSON" not in text and "{" not in text, (name, field_name, text)
