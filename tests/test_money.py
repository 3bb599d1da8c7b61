from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from projects.money import allocate_largest_remainder


def test_split_of_one_euro_in_thirds_adds_up_exactly():
    parts = allocate_largest_remainder(Decimal("1.00"), {"a": 1, "b": 1, "c": 1})
    assert sum(parts.values()) == Decimal("1.00")
    assert sorted(parts.values()) == [Decimal("0.33"), Decimal("0.33"), Decimal("0.34")]


def test_largest_remainder_gets_the_leftover_cent():
    parts = allocate_largest_remainder(Decimal("10.00"), {"a": Decimal("2"), "b": Decimal("1")})
    assert parts == {"a": Decimal("6.67"), "b": Decimal("3.33")}


def test_zero_weights_get_nothing_and_all_zero_weights_are_refused():
    assert allocate_largest_remainder(Decimal("5.00"), {"a": 0, "b": 1}) == {"a": Decimal("0.00"), "b": Decimal("5.00")}
    with pytest.raises(ValueError, match="Summe der Gewichte"):
        allocate_largest_remainder(Decimal("5.00"), {"a": 0})


@given(
    total=st.integers(min_value=0, max_value=10**9).map(lambda c: Decimal(c) / 100),
    weights=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=30).filter(any),
)
def test_parts_always_add_up_to_the_total(total, weights):
    parts = allocate_largest_remainder(total, list(enumerate(Decimal(w) for w in weights)))
    assert sum(parts.values()) == total
    weight_sum = sum(weights)
    for i, w in enumerate(weights):
        assert abs(parts[i] - total * w / weight_sum) < Decimal("0.01")
