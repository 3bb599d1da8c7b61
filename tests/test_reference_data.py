"""Production gets its legal numbers from `manage.py load_reference` (run after each migration), not from the demo."""

import io

import pytest
from django.core.management import call_command

from costs.models import PayGroupRate
from funding.models import ProgrammeRule
from procurement.models.reference import EUThreshold, ValueLimit
from projects.models import Municipality

pytestmark = pytest.mark.django_db


def _counts():
    return {
        model.__name__: model.objects.count()
        for model in (EUThreshold, ValueLimit, ProgrammeRule, PayGroupRate, Municipality)
    }


def test_load_reference_brings_back_the_legal_numbers_of_procurement_and_costs():
    before = _counts()
    EUThreshold.objects.all().delete()
    PayGroupRate.objects.all().delete()
    assert EUThreshold.objects.count() == PayGroupRate.objects.count() == 0

    call_command("load_reference", stdout=io.StringIO())

    assert _counts() == before
    assert before["EUThreshold"] > 0 and before["PayGroupRate"] > 0 and before["ProgrammeRule"] > 0


def test_load_reference_run_again_changes_nothing():
    before = _counts()
    call_command("load_reference", stdout=io.StringIO())
    assert _counts() == before
