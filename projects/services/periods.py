"""One period calculator: when a period in days ends, with weekends and the public holidays of Hessen.

- EU procedures (``regime="eu"``): § 82 VgV → Regulation (EEC, Euratom) No 1182/71, Art. 3: the day of the event
  is not counted (Art. 3(1)); a period ending on a Saturday, Sunday or public holiday ends with the expiry of the
  last hour of the following working day (Art. 3(4)); a period of two days or more includes at least two working
  days (Art. 3(5)).
- National procedures and everything else (``regime="national"``): §§ 187 (1), 188 (1), 193 BGB: the day of the
  event is not counted, the period ends with the end of its last day, and a last day on a Saturday, Sunday or
  public holiday at the place of performance is replaced by the next working day.

Whether the last day moves at all can be switched off for a period whose treatment is disputed (the standstill of
§ 134 GWB); that switch is dated reference data of the caller, not a rule here. The public holidays come from the
`holidays` package for the state of Hessen (``subdiv="HE"``, German names).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

import holidays
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

# The state whose public holidays count (all counties of this product are in Hessen).
HOLIDAY_COUNTRY = "DE"
HOLIDAY_SUBDIVISION = "HE"

EU = "eu"
NATIONAL = "national"
REGIMES = (EU, NATIONAL)


@lru_cache(maxsize=64)
def _holidays_of(year: int) -> dict[dt.date, str]:
    return dict(holidays.country_holidays(HOLIDAY_COUNTRY, subdiv=HOLIDAY_SUBDIVISION, years=year, language="de"))


def holiday_name(day: dt.date) -> str | None:
    """The German name of the public holiday in Hessen on that day, or None."""
    return _holidays_of(day.year).get(day)


def non_working_reason(day: dt.date) -> str | None:
    """Why the day is not a working day ("Samstag", "Sonntag", the holiday's name), or None on a working day."""
    name = holiday_name(day)
    if name:
        return _("Feiertag in Hessen: %(name)s") % {"name": name}
    if day.weekday() == 5:
        return _("Samstag")
    if day.weekday() == 6:
        return _("Sonntag")
    return None


def is_working_day(day: dt.date) -> bool:
    return non_working_reason(day) is None


def next_working_day(day: dt.date) -> dt.date:
    """The day itself if it is a working day, otherwise the next working day."""
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def legal_basis_of(regime: str) -> str:
    if regime == EU:
        return _("§ 82 VgV i. V. m. Art. 3 VO (EWG, Euratom) Nr. 1182/71")
    return _("§§ 187 Abs. 1, 188 Abs. 1, 193 BGB")


@dataclass(frozen=True)
class PeriodEnd:
    """The result of counting a period: the nominal last day, the real last day, and why they differ."""

    start: dt.date  # the day of the event (not counted)
    days: int
    regime: str
    nominal_end: dt.date
    end: dt.date
    moved: bool
    reasons: tuple[str, ...]  # the non-working days the end was moved over, explained
    legal_basis: str

    @property
    def explanation(self) -> str:
        if not self.moved:
            return _("Die Frist von %(days)s Tagen endet mit Ablauf des %(end)s (%(basis)s).") % {
                "days": self.days,
                "end": date_format(self.end),
                "basis": self.legal_basis,
            }
        return _(
            "Die Frist von %(days)s Tagen fiele auf den %(nominal)s (%(why)s); sie endet deshalb erst mit Ablauf "
            "des nächsten Werktags, %(end)s (%(basis)s)."
        ) % {
            "days": self.days,
            "nominal": date_format(self.nominal_end),
            "why": "; ".join(self.reasons),
            "end": date_format(self.end),
            "basis": self.legal_basis,
        }


def period_end(*, start: dt.date, days: int, regime: str, moves_to_working_day: bool = True) -> PeriodEnd:
    """The last day of a period of ``days`` days that starts with an event on ``start``.

    ``moves_to_working_day`` False keeps the nominal last day (for a period where the move is switched off by a
    dated setting); the EU two-working-days rule (Art. 3(5) 1182/71) applies only when moving is on.
    """
    if regime not in REGIMES:
        raise ValueError(regime)
    if days < 0:
        raise ValueError(days)
    nominal = start + dt.timedelta(days=days)
    end = nominal
    reasons: list[str] = []
    if moves_to_working_day:
        while (why := non_working_reason(end)) is not None:
            reasons.append(f"{date_format(end)}: {why}")
            end += dt.timedelta(days=1)
        if regime == EU and days >= 2:
            working = sum(1 for n in range(1, (end - start).days + 1) if is_working_day(start + dt.timedelta(days=n)))
            while working < 2:
                end = next_working_day(end + dt.timedelta(days=1))
                working += 1
                reasons.append(_("mindestens zwei Werktage in der Frist (Art. 3 Abs. 5 VO 1182/71)"))
    return PeriodEnd(
        start=start,
        days=days,
        regime=regime,
        nominal_end=nominal,
        end=end,
        moved=end != nominal,
        reasons=tuple(reasons),
        legal_basis=legal_basis_of(regime),
    )


def chosen_deadline_check(*, chosen: dt.date, minimum: PeriodEnd, field: str, label: str) -> None:
    """A deadline a person picks: not before the minimum period's end and not on a Saturday, Sunday or holiday.

    A period that ends on a non-working day runs on to the next working day; a deadline set on such a day would
    announce a wrong end, so it is refused with the next working day as the proposal. Raises a German message.
    """
    why = non_working_reason(chosen)
    if why is not None:
        raise ValidationError(
            {
                field: _(
                    "%(label)s: Der %(day)s ist kein Werktag (%(why)s). Eine Frist, die an einem Samstag, Sonntag "
                    "oder Feiertag endet, läuft bis zum Ablauf des nächsten Werktags (%(basis)s). Bitte wählen Sie "
                    "den %(next)s oder einen späteren Werktag."
                )
                % {
                    "label": label,
                    "day": date_format(chosen),
                    "why": why,
                    "basis": minimum.legal_basis,
                    "next": date_format(max(next_working_day(chosen), minimum.end)),
                }
            }
        )
    if chosen < minimum.end:
        raise ValidationError(
            {
                field: _("%(label)s ist zu kurz. %(explanation)s Frühestmöglich ist also der %(end)s.")
                % {"label": label, "explanation": minimum.explanation, "end": date_format(minimum.end)}
            }
        )


def due_on_working_day(due: dt.date | dt.datetime) -> dt.date | dt.datetime:
    """A computed due date of an internal task, moved forward to the next working day (time of day kept)."""
    if isinstance(due, dt.datetime):
        if timezone.is_aware(due):
            due = timezone.localtime(due)
        day = next_working_day(due.date())
        return due + dt.timedelta(days=(day - due.date()).days)
    return next_working_day(due)
