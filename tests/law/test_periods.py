"""The period calculator: weekends, every public holiday of Hessen 2026–2027, year end, EU against national."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from projects.services import periods
from projects.services.periods import EU, NATIONAL, chosen_deadline_check, due_on_working_day, period_end

# Every public holiday in Hessen 2026–2027 and the working day a period ending on it runs to.
HESSIAN_HOLIDAYS = [
    ("2026-01-01", "Neujahr", "2026-01-02"),
    ("2026-04-03", "Karfreitag", "2026-04-07"),
    ("2026-04-06", "Ostermontag", "2026-04-07"),
    ("2026-05-01", "Erster Mai", "2026-05-04"),
    ("2026-05-14", "Christi Himmelfahrt", "2026-05-15"),
    ("2026-05-25", "Pfingstmontag", "2026-05-26"),
    ("2026-06-04", "Fronleichnam", "2026-06-05"),
    ("2026-10-03", "Tag der Deutschen Einheit", "2026-10-05"),
    ("2026-12-25", "Erster Weihnachtstag", "2026-12-28"),
    ("2026-12-26", "Zweiter Weihnachtstag", "2026-12-28"),
    ("2027-01-01", "Neujahr", "2027-01-04"),
    ("2027-03-26", "Karfreitag", "2027-03-30"),
    ("2027-03-29", "Ostermontag", "2027-03-30"),
    ("2027-05-01", "Erster Mai", "2027-05-03"),
    ("2027-05-06", "Christi Himmelfahrt", "2027-05-07"),
    ("2027-05-17", "Pfingstmontag", "2027-05-18"),
    ("2027-05-27", "Fronleichnam", "2027-05-28"),
    ("2027-10-03", "Tag der Deutschen Einheit", "2027-10-04"),
    ("2027-12-25", "Erster Weihnachtstag", "2027-12-27"),
    ("2027-12-26", "Zweiter Weihnachtstag", "2027-12-27"),
]


def d(text: str) -> date:
    return date.fromisoformat(text)


def test_the_calendar_knows_exactly_the_public_holidays_of_hessen_2026_2027():
    found = {day for year in (2026, 2027) for day in periods._holidays_of(year)}
    assert found == {d(day) for day, _name, _next in HESSIAN_HOLIDAYS}


@pytest.mark.parametrize(("holiday", "name", "runs_to"), HESSIAN_HOLIDAYS)
@pytest.mark.parametrize("regime", [EU, NATIONAL])
def test_a_period_ending_on_a_hessian_holiday_ends_with_the_next_working_day(holiday, name, runs_to, regime):
    end = period_end(start=date.fromordinal(d(holiday).toordinal() - 30), days=30, regime=regime)
    assert periods.holiday_name(d(holiday)) == name
    assert end.nominal_end == d(holiday)
    assert end.end == d(runs_to)
    assert end.moved
    assert name in end.explanation


@pytest.mark.parametrize(
    ("day", "why"),
    [
        ("2026-01-06", "Heilige Drei Könige: not in Hessen"),
        ("2026-10-31", "Reformationstag is a Saturday, but not a Hessian holiday: Saturday moves it anyway"),
        ("2026-11-18", "Buß- und Bettag: Saxony only"),
        ("2027-11-01", "Allerheiligen: not in Hessen"),
        ("2026-12-24", "Heiligabend: a working day"),
        ("2026-12-31", "Silvester: a working day"),
    ],
)
def test_holidays_of_other_states_and_christmas_eve_are_not_holidays_in_hessen(day, why):
    assert periods.holiday_name(d(day)) is None, why


@pytest.mark.parametrize(
    ("start", "days", "regime", "end"),
    [
        # plain weekdays: the day of the event is not counted, the end is start + days
        ("2026-03-02", 10, NATIONAL, "2026-03-12"),
        ("2026-03-02", 10, EU, "2026-03-12"),
        # weekend: Saturday and Sunday move to Monday
        ("2026-02-25", 10, NATIONAL, "2026-03-09"),  # Sat 07.03.
        ("2026-02-26", 10, EU, "2026-03-09"),  # Sun 08.03.
        ("2027-01-29", 35, EU, "2027-03-05"),  # Fri, no move
        # year end: 31 December is a working day, 1 January is not
        ("2026-12-21", 10, NATIONAL, "2026-12-31"),
        ("2026-12-22", 10, NATIONAL, "2027-01-04"),  # Neujahr Fri, then the weekend
        ("2027-12-21", 10, EU, "2027-12-31"),
        ("2027-12-22", 10, EU, "2028-01-03"),  # Neujahr 2028 is a Saturday
        # Easter 2026: Karfreitag, weekend, Ostermontag in one run
        ("2026-03-24", 10, NATIONAL, "2026-04-07"),
        # EU against national: a period of two days or more holds at least two working days (Art. 3(5) 1182/71)
        ("2026-12-24", 2, NATIONAL, "2026-12-28"),
        ("2026-12-24", 2, EU, "2026-12-29"),
        ("2026-04-02", 3, NATIONAL, "2026-04-07"),
        ("2026-04-02", 3, EU, "2026-04-08"),
        ("2027-12-23", 2, EU, "2027-12-27"),  # 24.12. is a working day: two working days without extension
    ],
)
def test_period_end_counts_weekends_holidays_and_year_end(start, days, regime, end):
    assert period_end(start=d(start), days=days, regime=regime).end == d(end)


def test_eu_and_national_periods_name_their_legal_basis():
    assert "1182/71" in period_end(start=d("2026-03-02"), days=10, regime=EU).explanation
    assert "193 BGB" in period_end(start=d("2026-03-02"), days=10, regime=NATIONAL).explanation


def test_a_period_whose_move_is_switched_off_keeps_its_nominal_end():
    end = period_end(start=d("2026-12-15"), days=10, regime=NATIONAL, moves_to_working_day=False)
    assert end.end == d("2026-12-25")
    assert not end.moved


def test_an_eu_offer_deadline_on_fronleichnam_is_refused_with_the_next_working_day():
    minimum = period_end(start=d("2026-04-30"), days=30, regime=EU)
    assert minimum.end == d("2026-06-01")
    with pytest.raises(ValidationError) as refused:
        chosen_deadline_check(chosen=d("2026-06-04"), minimum=minimum, field="offer_deadline", label="Angebotsfrist")
    message = refused.value.message_dict["offer_deadline"][0]
    assert "Fronleichnam" in message
    assert "5. Juni 2026" in message
    chosen_deadline_check(chosen=d("2026-06-05"), minimum=minimum, field="offer_deadline", label="Angebotsfrist")


def test_a_chosen_deadline_before_the_minimum_end_is_refused_with_the_counting_explained():
    minimum = period_end(start=d("2026-04-30"), days=35, regime=EU)  # 04.06. Fronleichnam → 05.06.
    with pytest.raises(ValidationError) as refused:
        chosen_deadline_check(chosen=d("2026-06-04"), minimum=minimum, field="f", label="Angebotsfrist")
    assert "5. Juni 2026" in refused.value.message_dict["f"][0]
    with pytest.raises(ValidationError):
        chosen_deadline_check(chosen=d("2026-06-03"), minimum=minimum, field="f", label="Angebotsfrist")


@pytest.mark.parametrize(
    ("due", "working"),
    [
        ("2026-06-04", "2026-06-05"),
        ("2026-12-24", "2026-12-24"),
        ("2026-12-25", "2026-12-28"),
        ("2027-05-01", "2027-05-03"),
        ("2027-12-31", "2027-12-31"),
    ],
)
def test_a_computed_task_due_date_never_falls_on_a_weekend_or_holiday(due, working):
    assert due_on_working_day(d(due)) == d(working)
