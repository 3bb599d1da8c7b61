"""The case flow's step "Wirtschaftlichkeit prüfen" (seed 000): the DKZ takes a task over only after the economic
check of doing it itself; the cost centre then carries the chosen basis and every participant sees the figures."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from costs.models import CostCentre, EconomicCheck
from procurement.models import Kind, Procedure
from projects.models import Case
from projects.services import cases as svc
from tests.cases.helpers import (
    ECONOMIC_CHECK,
    approve_all,
    check_economy,
    complete,
    muni,
    new_case,
    open_tasks,
    order_data,
    resolve_all,
    user,
)
from workflows.case import CaseFlow

pytestmark = pytest.mark.django_db


def _bilateral_case_after_supervision():
    case = new_case(title="Gemeinsamer Ordnungsbehördenbezirk", task_area="Ordnungswesen")
    complete(case, "screening", "pm.mkk", decision="pursue", route="bilateral", agreement_form="mandate")
    members = [muni(s) for s in ("ronneburg", "neuberg")]
    complete(case, "development", "pm.mkk", **order_data(members, members[0]))
    approve_all(case, members)
    resolve_all(case, members)
    complete(case, "funding_decision", "pm.mkk", apply="no")
    for m in members:
        complete(case, "sign_agreement", f"bm.{m.slug}", municipality=m, agreed="yes")
    complete(case, "supervisory_review", "aufsicht.lr-mkk", outcome="acknowledged")
    return case


def test_the_transfer_cannot_start_before_the_economic_check():
    case = _bilateral_case_after_supervision()

    assert [t.flow_task for t in open_tasks(case)] == [CaseFlow.economic_check]
    assert open_tasks(case, "task_transfer") == []
    # the project management may not do the controlling's check, nor record the transfer past it
    with pytest.raises(PermissionDenied):
        check_economy(case, username="pm.mkk")
    with pytest.raises(ValidationError, match="erst nach der Prüfung der Wirtschaftlichkeit"):
        svc.task_transfer_record(
            case=case,
            effective_date=timezone.localdate(),
            term_years=5,
            allocation_key="hours",
            by=user("pm.mkk"),
        )
    case.refresh_from_db()
    assert case.stage == Case.Stage.TRANSFER and not hasattr(case, "transfer")

    check_economy(case)
    assert [t.flow_task for t in open_tasks(case)] == [CaseFlow.task_transfer]


def test_a_refused_check_keeps_the_step_open_with_a_german_message():
    case = _bilateral_case_after_supervision()
    with pytest.raises(ValidationError) as refused:
        check_economy(case, market_source="inquiry", quotes_count="", market_note="")
    assert "Anzahl der eingeholten Angebote" in " ".join(refused.value.message_dict["quotes_count"])
    assert not EconomicCheck.objects.filter(case=case).exists()
    assert [t.flow_task for t in open_tasks(case)] == [CaseFlow.economic_check]


def test_a_procedure_of_the_procurement_centre_decides_for_buying_and_the_cost_centre_takes_the_market_price():
    case = _bilateral_case_after_supervision()
    procedure = Procedure.objects.create(
        reference="MKK-2026-OBB",
        county=case.county,
        municipality=muni("ronneburg"),
        subject="Kommunaler Ordnungsdienst als Dienstleistung",
        kind=Kind.SERVICES,
        estimated_value=Decimal("400000"),
    )
    check_economy(
        case,
        market_source="procedure",
        procedure=procedure.pk,
        quotes_count="",
        market_note="",
        market_price="80.000,00",
        decision="buy",
        reason="Der Markt ist günstiger.",
    )
    check = EconomicCheck.objects.get(case=case)
    assert (check.procedure_reference, check.market_price, check.cheaper) == (
        "MKK-2026-OBB",
        Decimal("80000.00"),
        "buy",
    )
    assert check.difference == Decimal("80000.00") - check.own_cost

    complete(case, "task_transfer", "pm.mkk", effective_date="2027-01-01", term_years=5, allocation_key="hours")
    centre = CostCentre.objects.get(code=case.number)
    assert centre.economic_check == check
    assert (centre.economic_check.basis_label, centre.economic_check.basis_amount) == (
        "Marktpreis",
        Decimal("80000.00"),
    )

    # the members see the basis on the cost centre's page and in the API's cost centre list
    page = Client()
    page.force_login(user("bm.ronneburg"))
    html = page.get(f"/costs/centres/{centre.pk}/2027/").content.decode().replace("\xa0", " ")
    assert "Kalkulationsgrundlage" in html and "Marktpreis, 80.000,00 € je Jahr" in html
    api = APIClient()
    api.force_authenticate(user("bm.ronneburg"))
    centres = {c["code"]: c for c in api.get("/api/v1/costs/centres/").json()["results"]}
    assert centres[case.number]["basis"] == {
        "decision": "buy",
        "basis_label": "Marktpreis",
        "amount": "80000.00",
        "case_number": case.number,
    }


def test_every_participant_sees_the_figures_and_the_decision_on_the_case_page_and_in_the_api():
    case = _bilateral_case_after_supervision()
    check_economy(case)
    for username in ("bm.ronneburg", "bm.neuberg", "pm.mkk"):
        page = Client()
        page.force_login(user(username))
        html = page.get(f"/portal/vorgaenge/{case.pk}/").content.decode().replace("\xa0", " ")
        assert "Prüfung der Wirtschaftlichkeit" in html
        assert "Entscheidung: Eigenerledigung" in html and "99.260,00 €" in html and "110.000,00 €" in html
        api = APIClient()
        api.force_authenticate(user(username))
        figures = api.get(f"/api/v1/cases/{case.pk}/").json()["economic_check"]
        assert figures["own_cost"] == "99260.00" and figures["decision"] == ECONOMIC_CHECK["decision"]
    # a municipality that does not take part does not see the case at all
    outsider = Client()
    outsider.force_login(user("bm.gelnhausen"))
    assert outsider.get(f"/portal/vorgaenge/{case.pk}/").status_code == 404
