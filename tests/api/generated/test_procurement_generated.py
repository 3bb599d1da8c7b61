"""Acceptance of the procurement API (issue 17): with the generated client alone, the roles drive an EU procedure
from the request to the award and the Vergabevermerk, each with their own token; the municipality designates two
openers, one opens and the other co-signs in their own login; questions and offers come back with their ids."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from viewflow.workflow.timers import fire_due_timers

from projects.services.periods import due_on_working_day
from tests.procurement.conftest import at

pytestmark = pytest.mark.django_db(transaction=True)


class Clock:
    """The server's clock (the live server's thread reads it too): periods elapse without sleeping."""

    def __init__(self, monkeypatch, start):
        self.now = start
        monkeypatch.setattr(timezone, "now", lambda: self.now)


def test_a_procurement_is_driven_to_the_award_with_the_generated_client(
    generated_client, token_for, monkeypatch, settings, tmp_path
):
    from ikz_api_client.api.auth import municipalities_list
    from ikz_api_client.api.procurement import (
        procedures_create,
        procedures_offers_create,
        procedures_offers_list,
        procedures_opener_candidates,
        procedures_openers_designate,
        procedures_questions_answer,
        procedures_questions_create,
        procedures_record_pdf,
        procedures_retrieve,
        procedures_step_approve_specification,
        procedures_step_award_proposal,
        procedures_step_choose_type,
        procedures_step_cosign_opening,
        procedures_step_eu_award,
        procedures_step_eu_decide_award,
        procedures_step_evaluate_lot,
        procedures_step_formal_check,
        procedures_step_inform_bidders,
        procedures_step_open_offers,
        procedures_step_prepare_documents,
        procedures_step_publish,
        procedures_step_record,
        procedures_step_write_specification,
    )
    from ikz_api_client.models import (
        AwardCriterionRequest,
        ChooseTypeStepRequest,
        ConfirmStepRequest,
        DecideAwardStepRequest,
        Error,
        EvaluateLotStepRequest,
        FormalCheckStepRequest,
        FormalResultRequest,
        InformBiddersStepRequest,
        LotConfirmStepRequest,
        OfferCreateRequest,
        OpenersDesignationRequest,
        OpenersFromEnum,
        PrepareDocumentsStepRequest,
        ProcedureCreateRequest,
        ProcedureKindEnum,
        ProceduresOpenerCandidatesSide,
        ProcedureStatusEnum,
        PublishStepRequest,
        QuestionAnswerRequest,
        QuestionCreateRequest,
        ScoreRequest,
        WriteSpecificationStepRequest,
    )

    settings.MEDIA_ROOT = tmp_path
    settings.API_TOKEN_TTL_HOURS = 24 * 365  # the procedure takes longer than a token's week
    clock = Clock(monkeypatch, at("2026-03-02"))
    clerk = generated_client(token_for("sb.ronneburg"))
    mayor = generated_client(token_for("bm.ronneburg"))
    centre = generated_client(token_for("vergabe.mkk"))
    second = generated_client(token_for("vergabe2.mkk"))
    confirm = ConfirmStepRequest(confirm=True)

    def open_lot(detail, step):
        return next(s.lot for s in detail.open_steps if s.step.value == step)

    towns, page = [], 1
    while True:  # every page of the municipalities the clerk may see
        answer = municipalities_list.sync(client=clerk, page=page)
        towns += answer.results
        if not answer.next_:
            break
        page += 1
    ronneburg = next(m for m in towns if m.name == "Ronneburg")
    created = procedures_create.sync(
        client=clerk,
        body=ProcedureCreateRequest(
            municipality=ronneburg.id, subject="Streusalz", kind=ProcedureKindEnum.SUPPLIES, estimated_value="250000"
        ),
    )
    pid = created.id
    assert created.admissibility.eu is True
    assert [s.step.value for s in created.open_steps] == ["choose_type"]

    # the municipality designates two persons of the centre to open the offers
    candidates = procedures_opener_candidates.sync(pid, client=clerk, side=ProceduresOpenerCandidatesSide.CENTRE)
    openers = [c.id for c in candidates if c.username in ("vergabe.mkk", "vergabe2.mkk")]
    designated = procedures_openers_designate.sync(
        pid, client=clerk, body=OpenersDesignationRequest(openers_from=OpenersFromEnum.CENTRE, openers=openers)
    )
    assert sorted(p.username for p in designated.openers) == ["vergabe.mkk", "vergabe2.mkk"]

    procedures_step_choose_type.sync(
        pid, client=clerk, body=ChooseTypeStepRequest(procedure_type=created.admissibility.proposed_type)
    )
    procedures_step_write_specification.sync(pid, client=clerk, body=WriteSpecificationStepRequest(text="200 t Salz"))
    assert procedures_step_approve_specification.sync_detailed(pid, client=clerk, body=confirm).status_code == 403
    procedures_step_approve_specification.sync(pid, client=mayor, body=confirm)
    detail = procedures_step_prepare_documents.sync(
        pid,
        client=centre,
        body=PrepareDocumentsStepRequest(
            tender_documents="Aufforderung, Vertragsbedingungen",
            price_weight="60",
            criteria=[AwardCriterionRequest(name="Qualität", weight="40")],
        ),
    )
    quality = next(c.id for c in detail.criteria if not c.is_price)
    deadline = due_on_working_day(clock.now + timedelta(days=40))
    detail = procedures_step_publish.sync(
        pid, client=centre, body=PublishStepRequest(offer_deadline=deadline, electronic=True)
    )
    assert detail.status == ProcedureStatusEnum.PUBLISHED

    question = procedures_questions_create.sync(pid, client=centre, body=QuestionCreateRequest(question="Lose?"))
    answered = procedures_questions_answer.sync(
        pid, question.id, client=centre, body=QuestionAnswerRequest(answer="Ja, lose Schüttung.")
    )
    assert (answered.id, answered.answer) == (question.id, "Ja, lose Schüttung.")
    clock.now = deadline - timedelta(days=1)
    offers = {
        bidder: procedures_offers_create.sync(
            pid, client=centre, body=OfferCreateRequest(bidder=bidder, price=price)
        ).id
        for bidder, price in (("Alpha GmbH", "240000.00"), ("Beta AG", "200000.00"), ("Gamma KG", "230000.00"))
    }

    # after the deadline: the first designated person opens, the second co-signs with their own token
    clock.now = deadline + timedelta(hours=1)
    fire_due_timers()
    procedures_step_open_offers.sync(pid, client=centre, body=confirm)
    refused = procedures_step_cosign_opening.sync_detailed(pid, client=centre, body=confirm)
    assert refused.status_code == 403 and isinstance(refused.parsed, Error)
    detail = procedures_step_cosign_opening.sync(pid, client=second, body=confirm)
    assert detail.status == ProcedureStatusEnum.OPENED
    assert {o.bidder: o.id for o in procedures_offers_list.sync(pid, client=clerk)} == offers

    results = [FormalResultRequest(offer=offer, admitted=True) for offer in offers.values()]
    detail = procedures_step_formal_check.sync(pid, client=centre, body=FormalCheckStepRequest(results=results))
    lot = open_lot(detail, "evaluate_lot")
    points = {"Alpha GmbH": "100", "Beta AG": "40", "Gamma KG": "90"}
    scores = [ScoreRequest(offer=offers[b], criterion=quality, points=p) for b, p in points.items()]
    procedures_step_evaluate_lot.sync(pid, client=clerk, body=EvaluateLotStepRequest(lot=lot, scores=scores))
    detail = procedures_step_award_proposal.sync(pid, client=centre, body=confirm)
    proposed = detail.lots[0].proposed_offer

    # the mayor decides the award; § 134 GWB information; the award after the standstill; the record
    detail = procedures_step_eu_decide_award.sync(pid, client=mayor, body=DecideAwardStepRequest(lot=lot))
    assert detail.lots[0].decided_offer == proposed
    detail = procedures_step_inform_bidders.sync(
        pid, client=centre, body=InformBiddersStepRequest(lot=lot, electronic=True)
    )
    award = LotConfirmStepRequest(lot=lot, confirm=True)
    assert procedures_step_eu_award.sync_detailed(pid, client=centre, body=award).status_code == 409
    clock.now = clock.now + timedelta(days=16)
    assert clock.now.date() > detail.lots[0].standstill_ends_on
    fire_due_timers()
    detail = procedures_step_eu_award.sync(pid, client=centre, body=award)
    assert detail.status == ProcedureStatusEnum.AWARDED
    detail = procedures_step_record.sync(pid, client=centre, body=confirm)
    assert detail.status == ProcedureStatusEnum.DOCUMENTED and detail.open_steps == []
    record = procedures_record_pdf.sync_detailed(pid, client=mayor)
    assert record.status_code == 200 and record.content.startswith(b"%PDF")
    assert procedures_retrieve.sync(pid, client=mayor).has_record is True
