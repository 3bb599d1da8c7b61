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


def test_every_seeded_text_fits_its_column_as_postgresql_would_require():
    """SQLite does not enforce max_length; PostgreSQL refuses the row. The demo world must fit either way."""
    from django.apps import apps
    from django.db import models
    from django.db.models.functions import Length

    too_long = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, models.CharField) and field.max_length:
                longest = model.objects.aggregate(n=models.Max(Length(field.name)))["n"] or 0
                if longest > field.max_length:
                    too_long.append(f"{model._meta.label}.{field.name}: {longest} > {field.max_length}")
    assert too_long == []
