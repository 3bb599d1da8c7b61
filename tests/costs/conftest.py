from decimal import Decimal

import pytest

from costs.models import CostCentre
from projects.models import Municipality


@pytest.fixture
def centre():
    def _get(code: str) -> CostCentre:
        return CostCentre.objects.get(dkz__slug="dkz-mkk", code=code)

    return _get


@pytest.fixture
def muni():
    return lambda name: Municipality.objects.get(name=name)


def teur(value: str) -> Decimal:
    return Decimal(value) * 1000
