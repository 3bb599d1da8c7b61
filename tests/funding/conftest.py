from __future__ import annotations

import pytest

from funding.models import Programme
from projects.models import County, Municipality


@pytest.fixture
def ikz():
    return Programme.objects.get(code="ikz-hessen")


@pytest.fixture
def starke_heimat():
    return Programme.objects.get(code="starke-heimat-digital")


@pytest.fixture
def mkk():
    return County.objects.get(slug="mkk")


@pytest.fixture
def ozg_partners():
    """The OZG centre of seed 000, with the number of OZG services each must implement."""
    services = {"grosskrotzenburg": 80, "ronneburg": 113, "neuberg": 115}
    return {Municipality.objects.get(slug=slug): count for slug, count in services.items()}


def municipalities(count: int, county: str = "mkk") -> list[Municipality]:
    return list(Municipality.objects.filter(county__slug=county, kind="gemeinde").order_by("ags")[:count])
