"""Acceptance (issue 17): with the generated client alone, a funding application from its creation to the proof of
use, and a cost year from its plan to the settlement and the members' statements."""

from __future__ import annotations

import datetime as dt
from io import BytesIO

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def _ozg_centre(client):
    """The OZG centre of the demo world (members Großkrotzenburg, Neuberg, Ronneburg), read through the API."""
    from ikz_api_client.api.costs import costs_centres_list

    centres = costs_centres_list.sync(client=client).results
    return next(c for c in centres if c.code == "ozg")


def test_funding_officer_drives_an_application_to_proof_of_use_with_the_generated_client(generated_client, token_for):
    from ikz_api_client.api.funding import (
        funding_application_saving,
        funding_application_step_closing,
        funding_application_step_decision,
        funding_application_step_prepare,
        funding_application_step_proof,
        funding_application_step_purpose,
        funding_application_step_review,
        funding_application_step_submit,
        funding_applications_create,
        funding_applications_documents_create,
        funding_applications_documents_file_retrieve,
        funding_applications_documents_list,
        funding_decisions_list,
        funding_drawdowns_create,
    )
    from ikz_api_client.models import (
        ApplicationDetail,
        ApplicationRequest,
        ClosingStepRequest,
        DecisionEnum,
        DecisionStepRequest,
        DocumentKindEnum,
        DocumentRequest,
        DrawdownRequest,
        KeyWeightRequest,
        OutcomeEnum,
        PrepareStepRequest,
        PreviousCostRequest,
        ProofStepRequest,
        PurposeStepRequest,
        ReviewStepRequest,
        SavingRequest,
        SubmitStepRequest,
    )
    from ikz_api_client.types import File

    client = generated_client(token_for("foerderung.mkk"))
    partners = [m.ags for m in _ozg_centre(client).members]

    application = funding_applications_create.sync(
        client=client,
        body=ApplicationRequest(
            title="OZG-Zentrum (generierter Client)",
            programme="ikz-hessen",
            county="mkk",
            partners=partners,
            duration_years=5,
        ),
    )
    assert isinstance(application, ApplicationDetail)
    assert [s.step for s in application.open_steps] == ["prepare"]  # creating it started its flow
    pk = application.id

    funding_application_saving.sync(
        client=client,
        id=pk,
        body=SavingRequest(
            previous=[PreviousCostRequest(municipality=ags, personnel="50000", material="5000") for ags in partners],
            joint_personnel="120000",
            joint_material="15000",
        ),
    )
    for ags in partners:
        funding_applications_documents_create.sync(
            client=client,
            id=pk,
            body=DocumentRequest(
                kind=DocumentKindEnum.COUNCIL_RESOLUTION,
                title=f"Beschluss {ags}",
                dated=dt.date(2025, 10, 1),
                municipality=ags,
                file=File(
                    payload=BytesIO(b"%PDF-1.4 Beschluss"), file_name="beschluss.pdf", mime_type="application/pdf"
                ),
            ),
        )
    agreement = funding_applications_documents_create.sync(
        client=client,
        id=pk,
        body=DocumentRequest(
            kind=DocumentKindEnum.AGREEMENT,
            title="Öffentlich-rechtliche Vereinbarung",
            dated=dt.date(2025, 9, 1),
            file=File(
                payload=BytesIO(b"%PDF-1.4 Vereinbarung"), file_name="vereinbarung.pdf", mime_type="application/pdf"
            ),
        ),
    )
    listed = funding_applications_documents_list.sync(client=client, id=pk)
    assert {d.id for d in listed} >= {agreement.id}
    download = funding_applications_documents_file_retrieve.sync_detailed(
        client=client, id=pk, document_pk=agreement.id
    )
    assert download.status_code == 200 and download.content == b"%PDF-1.4 Vereinbarung"

    funding_application_step_prepare.sync(
        client=client, id=pk, body=PrepareStepRequest(checked_on=dt.date(2025, 10, 1))
    )
    funding_application_step_review.sync(client=client, id=pk, body=ReviewStepRequest(decision=DecisionEnum.APPROVE))
    funding_application_step_submit.sync(
        client=client, id=pk, body=SubmitStepRequest(submitted_on=dt.date(2025, 10, 15), requested_amount="75000.00")
    )
    granted = funding_application_step_decision.sync(
        client=client,
        id=pk,
        body=DecisionStepRequest(
            outcome=OutcomeEnum.GRANT,
            decided_on=dt.date(2026, 1, 15),
            reference="WI-IKZ-2026-17",
            amount="75000.00",
            first_year=2026,
            key=[KeyWeightRequest(municipality=ags, weight="1") for ags in partners],
        ),
    )
    assert granted.state.value == "granted" and [s.step for s in granted.open_steps] == ["purpose"]
    notice = next(d for d in funding_decisions_list.sync(client=client).results if d.application == pk)
    assert (notice.amount, notice.reference) == ("75000.00", "WI-IKZ-2026-17")

    funding_drawdowns_create.sync(
        client=client,
        body=DrawdownRequest(
            application=pk, amount="30000.00", requested_on=dt.date(2026, 2, 1), needed_on=dt.date(2026, 3, 1)
        ),
    )
    today = dt.date.today()
    funding_application_step_purpose.sync(
        client=client, id=pk, body=PurposeStepRequest(fulfilled_on=today - dt.timedelta(days=30))
    )
    proved = funding_application_step_proof.sync(
        client=client, id=pk, body=ProofStepRequest(submitted_on=today, amount_used="75000.00")
    )
    assert proved.state.value == "proof_submitted"
    closed = funding_application_step_closing.sync(client=client, id=pk, body=ClosingStepRequest(accepted_on=today))
    assert closed.state.value == "closed" and closed.open_steps == []


def test_controller_drives_a_cost_year_to_settlement_with_the_generated_client(generated_client, token_for):
    from ikz_api_client.api.costs import (
        costs_actual_costs_create,
        costs_plan_publish,
        costs_plan_save,
        costs_prepayments_create,
        costs_settlements_create,
        costs_statements_retrieve,
        costs_time_entries_create,
        costs_time_entries_list,
    )
    from ikz_api_client.models import (
        ActualCostInRequest,
        CentreYearRequest,
        Plan,
        PlanInRequest,
        PlanQuantityInRequest,
        PrepaymentInRequest,
        Settlement,
        TimeEntryInRequest,
    )

    year = dt.date.today().year - 1  # a past year: only a finished year is settled
    controller = generated_client(token_for("controlling.mkk"))
    centre = _ozg_centre(controller)
    members = {m.name: m for m in centre.members}
    key = centre.agreement.allocation_key
    units = {"Großkrotzenburg": "80", "Neuberg": "115", "Ronneburg": "113"}

    plan = costs_plan_save.sync(
        client=controller,
        body=PlanInRequest(
            centre=centre.id,
            year=year,
            budget="300000.00",
            quantities=[
                PlanQuantityInRequest(municipality=members[n].id, key=key, quantity=q) for n, q in units.items()
            ],
        ),
    )
    assert isinstance(plan, Plan) and plan.totals.budget == "300000.00"
    costs_plan_publish.sync(client=controller, body=CentreYearRequest(centre=centre.id, year=year))

    costs_actual_costs_create.sync(
        client=controller,
        body=ActualCostInRequest(
            centre=centre.id, year=year, amount="280000.00", description="Personal und Sachkosten"
        ),
    )
    costs_time_entries_create.sync(
        client=controller,
        body=TimeEntryInRequest(
            centre=centre.id,
            municipality=members["Neuberg"].id,
            on=dt.date(year, 6, 2),
            hours="3.5",
            activity="Einführung Online-Dienst",
        ),
    )
    assert [e.activity for e in costs_time_entries_list.sync(client=controller, centre=centre.id, year=year)] == [
        "Einführung Online-Dienst"
    ]
    costs_prepayments_create.sync(
        client=controller,
        body=PrepaymentInRequest(
            centre=centre.id,
            year=year,
            municipality=members["Neuberg"].id,
            amount="50000.00",
            received_on=dt.date(year, 3, 1),
        ),
    )
    settlement = costs_settlements_create.sync(client=controller, body=CentreYearRequest(centre=centre.id, year=year))
    assert isinstance(settlement, Settlement) and settlement.version == 1
    assert settlement.actual_total == "280000.00"

    mayor = generated_client(token_for("bm.neuberg"))
    statements = costs_statements_retrieve.sync(client=mayor, year=year, municipality=members["Neuberg"].id)
    line = next(line for line in statements.statements[0].lines if line.centre == centre.id)
    assert line.settled and line.prepayments == "50000.00"
    assert statements.statements[0].totals.prepayments == "50000.00"
