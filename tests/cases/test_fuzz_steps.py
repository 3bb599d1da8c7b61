"""The case flow's walks of tests/cases again, with every step first tried with hostile data (fuzz_every_step)."""

from __future__ import annotations

import pytest

from tests.cases import test_case_flow, test_case_funding

pytestmark = pytest.mark.django_db


def test_every_step_from_idea_to_transfer_withstands_hostile_data(fuzz_every_step):
    test_case_flow.test_county_wide_case_runs_from_idea_to_transfer_as_the_real_users()
    assert {
        "CaseFlow.screening",
        "CaseFlow.development",
        "CaseFlow.approve_project_order",
        "CaseFlow.economic_check",
        "CaseFlow.task_transfer",
    } <= (fuzz_every_step.steps)
    assert fuzz_every_step.never_refused() == [], fuzz_every_step.outcomes


def test_every_step_of_a_bilateral_agreement_withstands_hostile_data(fuzz_every_step):
    test_case_flow.test_bilateral_case_with_two_participants_ends_with_signed_agreement()
    assert "CaseFlow.sign_agreement" in fuzz_every_step.steps


def test_every_step_of_the_funding_child_withstands_hostile_data(fuzz_every_step):
    test_case_funding.test_funding_application_runs_as_child_and_the_case_waits_for_the_notice()
    assert {"CaseFlow.funding_application", "CaseFlow.funding_decision"} & fuzz_every_step.steps
