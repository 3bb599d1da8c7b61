"""Shared set-up for procurement tests: a fixed calendar and the demo municipalities."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from projects.models import Municipality

BERLIN = ZoneInfo("Europe/Berlin")


def at(day: str, hour: int = 10) -> datetime:
    """A moment in Hessian local time, e.g. at("2026-03-02")."""
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=BERLIN)


@pytest.fixture
def town():
    return {slug: Municipality.objects.get(slug=slug) for slug in ("ronneburg", "neuberg", "hammersbach", "maintal")}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
