"""Where the case flow hands over to other domains (costs, funding)."""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta

from costs.economic import economic_check_of
from costs.services import cost_centre_ensure
from projects.models import Case
from projects.services.cases import active_participants, county_dkz, task_transfer_link_cost_centre


def term_end(*, start: dt.date, years: int) -> dt.date:
    """Last day of a term of whole years that begins on ``start``.

    The term ends on the day before the same date ``years`` later (BGB § 188(2)); where that date does not exist
    (a term from 29 February), relativedelta clips it to the month's last day, which is then the end (§ 188(3)).
    """
    same_date_later = start + relativedelta(years=years)
    return same_date_later - dt.timedelta(days=1) if same_date_later.day == start.day else same_date_later


def cost_centre_for_transfer(*, case: Case) -> None:
    """Create the cost centre of a transferred task with its members and agreement (costs owns the record); it
    carries the basis chosen in the case's economic check (own full cost or market price)."""
    transfer = case.transfer
    effective = transfer.effective_date
    valid_to = term_end(start=effective, years=transfer.term_years)
    centre = cost_centre_ensure(
        dkz=county_dkz(case.county),
        code=case.number,
        name=case.task_area or case.title,
        members=[p.municipality for p in active_participants(case)],
        allocation_key=transfer.allocation_key,
        valid_from=effective,
        valid_to=valid_to,
        note=transfer.agreement_note,
        by=transfer.recorded_by,
        economic_check=economic_check_of(case),
    )
    task_transfer_link_cost_centre(transfer=transfer, code=centre.code)
