"""Money helpers: exact decimals, and splitting a total so that the rounded parts add up to it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Final, TypedDict, TypeVar

K = TypeVar("K")
CENT = Decimal("0.01")


class MoneyDigits(TypedDict):
    """The precision of every money field (model and serializer): euros with cents, up to 999 billion."""

    max_digits: int
    decimal_places: int


MONEY: Final[MoneyDigits] = {"max_digits": 14, "decimal_places": 2}


def to_cents(amount: Decimal | int) -> Decimal:
    """Round half up to cents (kaufmännische Rundung)."""
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def allocate_largest_remainder(
    total: Decimal, weights: Mapping[K, Decimal] | Sequence[tuple[K, Decimal]], *, unit: Decimal = CENT
) -> dict[K, Decimal]:
    """Split ``total`` in proportion to ``weights``; the parts are multiples of ``unit`` and add up to ``total``.

    Hare/largest-remainder method: every part is first rounded down, then the units left over go one each to
    the parts with the largest remainders (ties: in the given order). Zero weights get zero.
    """
    items = list(weights.items()) if isinstance(weights, Mapping) else list(weights)
    total = Decimal(total)
    if total != total.quantize(unit):
        raise ValueError(f"Gesamtbetrag {total} ist kein Vielfaches von {unit}.")
    if any(Decimal(w) < 0 for _, w in items):
        raise ValueError("Gewichte dürfen nicht negativ sein.")
    weight_sum = sum((Decimal(w) for _, w in items), Decimal(0))
    if not items:
        return {}
    if weight_sum == 0:
        if total == 0:
            return {key: Decimal(0).quantize(unit) for key, _ in items}
        raise ValueError("Die Summe der Gewichte ist null; der Betrag kann nicht verteilt werden.")
    exact = [(key, total * Decimal(w) / weight_sum) for key, w in items]
    floors = {key: (value / unit).to_integral_value(rounding=ROUND_DOWN) * unit for key, value in exact}
    leftover = int(((total - sum(floors.values(), Decimal(0))) / unit).to_integral_value())
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i][1] - floors[exact[i][0]]), i))
    for i in order[:leftover]:
        floors[exact[i][0]] += unit
    return {key: floors[key].quantize(unit) for key, _ in items}
