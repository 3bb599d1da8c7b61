"""The procurement flow's walk of tests/procurement again, every step first tried with hostile data."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest

from tests.procurement import test_flow

pytestmark = pytest.mark.django_db


def test_every_step_of_an_eu_procedure_withstands_hostile_data(fuzz_every_step, users, town, monkeypatch):
    test_flow.test_eu_procedure_runs_through_the_flow_with_offer_deadline_and_standstill_timers(
        users, town, monkeypatch
    )
    assert len(fuzz_every_step.steps) >= 8, fuzz_every_step.steps
    assert fuzz_every_step.never_refused() == [], fuzz_every_step.outcomes


def _checked_procedure(users, town):
    """A Ronneburg procedure with a price and a quality criterion, three offers opened by two persons."""
    from decimal import Decimal

    from procurement.services import procedure as svc
    from tests.procurement.steps import open_by_two, prepare_and_publish

    clerk = users["sb.ronneburg"]
    procedure = svc.procedure_request(
        municipality=town["ronneburg"], by=clerk, subject="Papier", kind="supplies", estimated_value=Decimal("30000")
    )
    procedure, deadline = prepare_and_publish(procedure, users, clerk=clerk)
    for bidder, price in (("Alpha GmbH", "100"), ("Beta AG", "90")):
        svc.offer_receive(
            procedure=procedure,
            by=users["vergabe.mkk"],
            bidder=bidder,
            price=Decimal(price),
            now=deadline - timedelta(days=1),
        )
    return open_by_two(procedure, users, now=deadline + timedelta(hours=1)), deadline


def _task_of(procedure, lot=None):
    return SimpleNamespace(
        process=SimpleNamespace(artifact_object_id=procedure.pk), data={"lot_id": lot.pk} if lot else {}
    )


@pytest.mark.parametrize("points", ["viel", "NaN", "101", "-1", "", "1e999"])
def test_a_score_in_the_evaluation_matrix_that_is_no_points_value_is_refused_in_german(users, town, points):
    from procurement.services import procedure as svc
    from workflows.procurement_views import EvaluationForm

    procedure, deadline = _checked_procedure(users, town)
    svc.offer_formal_check(
        procedure=procedure,
        by=users["vergabe.mkk"],
        results={o.pk: (True, "") for o in procedure.offers.all()},
        now=deadline + timedelta(hours=2),
    )
    lot = procedure.lots.get()
    form = EvaluationForm(task=_task_of(procedure, lot))
    names = list(form.fields)
    assert len(names) == 2  # two admitted offers x one technical criterion
    form = EvaluationForm(data={names[0]: points, names[1]: "50"}, task=_task_of(procedure, lot))
    assert not form.is_valid()
    assert any(word in " ".join(form.errors[names[0]]) for word in ("Zahl", "kleiner", "größer", "erforderlich"))


def test_an_exclusion_without_a_reason_is_refused_by_the_form_in_german(users, town):
    from workflows.procurement_views import FormalCheckForm

    procedure, _deadline = _checked_procedure(users, town)
    first, second = procedure.offers.order_by("pk")
    data = {f"result_{first.pk}": "exclude", f"reason_{first.pk}": " ", f"result_{second.pk}": "admit"}
    form = FormalCheckForm(data=data, task=_task_of(procedure))
    assert not form.is_valid()
    assert "Grund des Ausschlusses" in " ".join(form.errors[f"reason_{first.pk}"])
