"""The one formatting helper for money, numbers and dates: Django's localisation in the active language.

German: 1.234,50 €, 22.11.2026; English: 1,234.50 €, 11/22/2026. Used by the portal pages (template filters
``euro``, ``day``), charts, texts of the domain services and exports, so neighbouring pages never disagree.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils.formats import date_format, number_format


def number(value: Any, *, places: int = 2, trim: bool = False, grouping: bool = True) -> str:
    """A number with ``places`` decimals in the active language; ``trim`` drops the decimals of whole numbers."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    if trim and amount == amount.to_integral_value():
        places = 0
    # Django's number_format cuts surplus decimals off; round them commercially first (1234.999 → 1.235,00)
    amount = amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return number_format(amount, decimal_pos=places, use_l10n=True, force_grouping=grouping)


def money(value: Any, *, trim: bool = False, space: str = "\u00a0") -> str:
    """An amount in euros with cents and thousands separators (``trim``: 75.000 € instead of 75.000,00 €).

    Pages keep amount and sign together (no-break space); plain texts of the services may ask for a normal space.
    """
    text = number(value, places=2, trim=trim)
    return f"{text}{space}€" if text else ""


def day(value: dt.date | dt.datetime | None) -> str:
    """A date in the short local form."""
    return date_format(value, "SHORT_DATE_FORMAT") if value else ""
