"""Driving a procedure through its steps by the real demo roles (used by several tests)."""

from datetime import timedelta
from decimal import Decimal

from procurement.models import Procedure
from procurement.services import procedure as svc
from tests.procurement.conftest import at

CRITERIA = [
    {"name": "Preis", "weight": "60", "is_price": True},
    {"name": "Qualität", "weight": "40"},
]


def prepare_and_publish(procedure, users, *, clerk, procedure_type=None, start="2026-03-02", days=39, reason=""):
    """From the need to publication; returns (procedure, deadline).

    The default deadline (2026-04-10) is a Friday: a deadline on a Saturday, Sunday or holiday is refused.
    """
    centre = users["vergabe.mkk"]
    procedure = svc.procedure_type_choose(
        procedure=procedure,
        by=clerk,
        procedure_type=procedure_type or procedure.proposed_type,
        reason=reason,
        now=at(start),
    )
    svc.procedure_openers_designate(
        procedure=procedure,
        by=clerk,
        openers_from=Procedure.Openers.CENTRE,
        openers=[users["vergabe.mkk"], users["vergabe2.mkk"]],
    )
    svc.procedure_specification_write(procedure=procedure, by=clerk, text="Leistungsbeschreibung: 1. Umfang ...")
    mayor = users[f"bm.{procedure.municipality.slug}"]  # four-eyes: not the author releases
    svc.procedure_specification_approve(procedure=procedure, by=mayor, now=at(start))
    svc.procedure_documents_prepare(
        procedure=procedure,
        by=centre,
        tender_documents="Aufforderung, Vertragsbedingungen",
        criteria=CRITERIA,
        now=at(start),
    )
    deadline = at(start, 12) + timedelta(days=days)
    procedure = svc.procedure_publish(procedure=procedure, by=centre, offer_deadline=deadline, now=at(start))
    return procedure, deadline


def open_by_two(procedure, users, *, now):
    """The opening: started by one designated person, confirmed by the second in their own step."""
    svc.procedure_opening_start(procedure=procedure, by=users["vergabe.mkk"], now=now)
    return svc.procedure_opening_confirm(procedure=procedure, by=users["vergabe2.mkk"], now=now)


def offers_to_proposal(procedure, users, *, evaluators, deadline, offers_per_lot=None):
    """Offers, opening, formal check, technical evaluation by each lot's clerk, award proposal."""
    centre = users["vergabe.mkk"]
    offers = {}
    for lot in procedure.lots.all():
        prices = offers_per_lot or [("Alpha GmbH", "100000"), ("Beta AG", "90000"), ("Gamma KG", "95000")]
        offers[lot.number] = [
            svc.offer_receive(
                procedure=procedure,
                by=centre,
                bidder=name,
                price=Decimal(price),
                lot=lot,
                now=deadline - timedelta(days=1),
            )
            for name, price in prices
        ]
    after = deadline + timedelta(hours=1)
    procedure = open_by_two(procedure, users, now=after)
    results = {o.pk: (True, "") for lot_offers in offers.values() for o in lot_offers}
    svc.offer_formal_check(procedure=procedure, by=centre, results=results, now=after)
    quality = procedure.criteria.get(is_price=False)
    for lot in procedure.lots.all():
        points = {o.pk: {quality.pk: Decimal(p)} for o, p in zip(offers[lot.number], ("100", "50", "80"), strict=True)}
        svc.lot_evaluate(lot=lot, by=evaluators[lot.municipality.slug], scores=points, now=after)
    procedure = svc.procedure_award_propose(procedure=procedure, by=centre, now=after)
    return Procedure.objects.get(pk=procedure.pk), offers
