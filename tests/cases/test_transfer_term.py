"""The cost centre of a transferred task runs for the agreed term: from the effective date to the term's last day."""

import datetime as dt

import pytest

from workflows.integrations import term_end


@pytest.mark.parametrize(
    ("start", "years", "last_day"),
    [
        (dt.date(2027, 1, 1), 5, dt.date(2031, 12, 31)),
        (dt.date(2027, 7, 15), 1, dt.date(2028, 7, 14)),
        (dt.date(2028, 3, 1), 4, dt.date(2032, 2, 29)),  # the day before 1 March of a leap year
        (dt.date(2028, 2, 29), 5, dt.date(2033, 2, 28)),  # no 29 February in 2033: the month's last day (§ 188(3))
        (dt.date(2028, 2, 29), 4, dt.date(2032, 2, 28)),  # 29 February exists again: the day before it
    ],
)
def test_a_term_of_whole_years_ends_the_day_before_the_same_date(start, years, last_day):
    assert term_end(start=start, years=years) == last_day
