"""The law tests reuse the procurement test calendar and demo municipalities."""

from tests.procurement.conftest import _media, town  # noqa: F401
