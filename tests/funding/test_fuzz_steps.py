"""The funding flow's walk of tests/funding again, every step first tried with hostile data."""

from __future__ import annotations

import pytest

from tests.funding import test_flow

pytestmark = pytest.mark.django_db


def test_every_step_from_preparation_to_closure_withstands_hostile_data(
    fuzz_every_step, ikz, transferred_case, users, ozg_partners
):
    test_flow.test_funding_flow_from_preparation_to_closure_with_proof_of_use_timers(
        ikz, transferred_case, users, ozg_partners
    )
    assert len(fuzz_every_step.steps) >= 5, fuzz_every_step.steps
    assert fuzz_every_step.never_refused() == [], fuzz_every_step.outcomes
