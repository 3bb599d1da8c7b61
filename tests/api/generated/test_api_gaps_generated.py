"""Acceptance with the generated client alone: the funding officer records a drawdown paid out and used and a
repayment received; the controller's bookings of a year are listed for each viewer (a member sees its own
prepayments, and the actual costs once the year is settled); the project management opens a screening round."""

from __future__ import annotations

import datetime as dt

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

GG_TITLE = "Gemeinsames Standesamt Ried (Beispiel)"  # the granted example application of the demo world


def test_funding_officer_records_drawdown_payment_use_and_a_repayment_with_the_generated_client(
    generated_client, token_for
):
    from ikz_api_client.api.funding import (
        funding_application_drawdown_paid,
        funding_application_drawdown_used,
        funding_application_repayment_paid,
        funding_application_revoke,
        funding_applications_list,
        funding_drawdowns_create,
    )
    from ikz_api_client.models import (
        DrawdownPaidRequest,
        DrawdownProgress,
        DrawdownRequest,
        DrawdownUsedRequest,
        Error,
        Repayment,
        RepaymentPaidRequest,
        RevokeRequest,
    )

    officer = generated_client(token_for("foerderung.gg"))
    application = next(a for a in funding_applications_list.sync(client=officer).results if a.title == GG_TITLE)
    drawdown = funding_drawdowns_create.sync(
        client=officer,
        body=DrawdownRequest(
            application=application.id,
            amount="10000.00",
            requested_on=dt.date(2026, 1, 20),
            needed_on=dt.date(2026, 2, 15),
        ),
    )

    refused = funding_application_drawdown_used.sync_detailed(
        client=officer,
        id=application.id,
        drawdown_pk=drawdown.id,
        body=DrawdownUsedRequest(used_on=dt.date(2026, 2, 1)),
    )
    assert refused.status_code == 400 and isinstance(refused.parsed, Error)
    assert "noch nicht ausgezahlt" in refused.parsed.detail

    paid = funding_application_drawdown_paid.sync(
        client=officer,
        id=application.id,
        drawdown_pk=drawdown.id,
        body=DrawdownPaidRequest(paid_on=dt.date(2026, 1, 25)),
    )
    assert isinstance(paid, DrawdownProgress)
    assert (paid.paid_on, paid.use_due_on, paid.used_on) == (dt.date(2026, 1, 25), dt.date(2026, 3, 25), None)
    used = funding_application_drawdown_used.sync(
        client=officer,
        id=application.id,
        drawdown_pk=drawdown.id,
        body=DrawdownUsedRequest(used_on=dt.date(2026, 2, 10)),
    )
    assert used.used_on == dt.date(2026, 2, 10)

    revoked = funding_application_revoke.sync(
        client=officer,
        id=application.id,
        body=RevokeRequest(
            revoked_on=dt.date(2026, 3, 1),
            principal="5000.00",
            base_rate_percent="1.270",
            interest_from=dt.date(2026, 1, 1),
            due_on=dt.date(2026, 4, 1),
            reason="Zweck teilweise verfehlt",
        ),
    )
    received = funding_application_repayment_paid.sync(
        client=officer,
        id=application.id,
        repayment_pk=revoked.repayment.id,
        body=RepaymentPaidRequest(paid_on=dt.date(2026, 3, 20)),
    )
    assert isinstance(received, Repayment) and received.paid_on == dt.date(2026, 3, 20)

    other = generated_client(token_for("pm.gg"))
    forbidden = funding_application_repayment_paid.sync_detailed(
        client=other,
        id=application.id,
        repayment_pk=revoked.repayment.id,
        body=RepaymentPaidRequest(paid_on=dt.date(2026, 3, 21)),
    )
    assert forbidden.status_code == 403


def test_the_bookings_of_a_year_are_listed_for_each_viewer_with_the_generated_client(generated_client, token_for):
    from ikz_api_client.api.costs import (
        costs_actual_costs_create,
        costs_actual_costs_list,
        costs_centres_list,
        costs_plan_publish,
        costs_plan_save,
        costs_prepayments_create,
        costs_prepayments_list,
        costs_settlements_create,
    )
    from ikz_api_client.models import (
        ActualCostInRequest,
        CentreYearRequest,
        PlanInRequest,
        PlanQuantityInRequest,
        PrepaymentInRequest,
    )

    year = dt.date.today().year - 1  # a past year: only a finished year is settled
    controller = generated_client(token_for("controlling.mkk"))
    centre = next(c for c in costs_centres_list.sync(client=controller).results if c.code == "ozg")
    members = {m.name: m for m in centre.members}
    costs_plan_save.sync(
        client=controller,
        body=PlanInRequest(
            centre=centre.id,
            year=year,
            budget="300000.00",
            quantities=[
                PlanQuantityInRequest(municipality=m.id, key=centre.agreement.allocation_key, quantity="100")
                for m in members.values()
            ],
        ),
    )
    costs_plan_publish.sync(client=controller, body=CentreYearRequest(centre=centre.id, year=year))
    costs_actual_costs_create.sync(
        client=controller,
        body=ActualCostInRequest(
            centre=centre.id, year=year, amount="280000.00", description="Personal und Sachkosten"
        ),
    )
    for name in ("Neuberg", "Ronneburg"):
        costs_prepayments_create.sync(
            client=controller,
            body=PrepaymentInRequest(
                centre=centre.id,
                year=year,
                municipality=members[name].id,
                amount="50000.00",
                received_on=dt.date(year, 3, 1),
            ),
        )

    listed = costs_prepayments_list.sync(client=controller, year=year, centre=centre.id)
    assert listed.count == 2 and {p.municipality.name for p in listed.results} == {"Neuberg", "Ronneburg"}
    assert [c.amount for c in costs_actual_costs_list.sync(client=controller, year=year, centre=centre.id).results] == [
        "280000.00"
    ]

    mayor = generated_client(token_for("bm.neuberg"))
    own = costs_prepayments_list.sync(client=mayor, year=year)
    assert [(p.municipality.name, p.amount) for p in own.results] == [("Neuberg", "50000.00")]
    assert costs_actual_costs_list.sync(client=mayor, year=year).count == 0  # not settled yet

    costs_settlements_create.sync(client=controller, body=CentreYearRequest(centre=centre.id, year=year))
    settled = costs_actual_costs_list.sync(client=mayor, year=year, centre=centre.id)
    assert [(c.description, c.amount) for c in settled.results] == [("Personal und Sachkosten", "280000.00")]


def test_project_management_opens_a_screening_round_with_the_generated_client(generated_client, token_for):
    from ikz_api_client.api.screening import screening_round_create
    from ikz_api_client.models import Error, Round, RoundCreateRequest

    body = RoundCreateRequest(
        county="mkk", name="MKK 2027", starts_on=dt.date(2027, 1, 15), ends_on=dt.date(2027, 4, 30)
    )
    created = screening_round_create.sync(client=generated_client(token_for("pm.mkk")), body=body)
    assert isinstance(created, Round) and (created.name, created.status) == ("MKK 2027", "open")

    refused = screening_round_create.sync_detailed(client=generated_client(token_for("sb.neuberg")), body=body)
    assert refused.status_code == 403 and isinstance(refused.parsed, Error)
