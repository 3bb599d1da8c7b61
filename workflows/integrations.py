"""Where the case flow hands over to other domains (costs, funding)."""

from __future__ import annotations

import datetime as dt

from costs.services import cost_centre_ensure
from projects.models import Case
from projects.services.cases import active_participants, county_dkz, task_transfer_link_cost_centre


def cost_centre_for_transfer(*, case: Case) -> None:
    """Create the cost centre of a transferred task with its members and agreement (costs owns the record)."""
    transfer = case.transfer
    effective = transfer.effective_date
    try:
        valid_to = effective.replace(year=effective.year + transfer.term_years) - dt.timedelta(days=1)
    except ValueError:  # 29 February
        valid_to = effective.replace(year=effective.year + transfer.term_years, day=28)
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
    )
    task_transfer_link_cost_centre(transfer=transfer, code=centre.code)
