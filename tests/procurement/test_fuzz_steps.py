"""The procurement flow's walk of tests/procurement again, every step first tried with hostile data."""

from __future__ import annotations

import json

import pytest

from tests.procurement import test_flow

pytestmark = pytest.mark.django_db


def test_every_step_of_an_eu_procedure_withstands_hostile_data(fuzz_every_step, users, town, monkeypatch):
    test_flow.test_eu_procedure_runs_through_the_flow_with_offer_deadline_and_standstill_timers(
        users, town, monkeypatch
    )
    assert len(fuzz_every_step.steps) >= 8, fuzz_every_step.steps
    assert fuzz_every_step.never_refused() == [], fuzz_every_step.outcomes


@pytest.mark.parametrize(
    "scores",
    [{"1": 5}, {"x": {"1": 5}}, {"1": {"y": 5}}, {"1": {"2": "viel"}}, {"1": {"2": "NaN"}}, ["1"], 7, {}],
)
def test_an_evaluation_in_the_wrong_shape_is_refused_by_the_form_in_german(scores):
    from workflows.procurement_views import EvaluationForm

    form = EvaluationForm(data={"scores": json.dumps(scores)}, task=None)
    assert not form.is_valid()
    assert any(word in " ".join(form.errors["scores"]) for word in ("Bitte", "Punkte", "Nummern", "erforderlich"))


@pytest.mark.parametrize("excluded", [["1"], {"a": "Grund"}, {"1": ""}, {"1": 3}])
def test_an_exclusion_list_in_the_wrong_shape_is_refused_by_the_form_in_german(excluded):
    from workflows.procurement_views import FormalCheckForm

    form = FormalCheckForm(data={"excluded": json.dumps(excluded)}, task=None)
    assert not form.is_valid()
    assert any(word in " ".join(form.errors["excluded"]) for word in ("Bitte", "Nummern"))
