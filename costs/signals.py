"""Domain events of the cost settlement, sent by the costs services inside the transaction of the change.

Receivers (the API's webhooks) must not fail the change: they defer their work with ``transaction.on_commit``.
"""

from __future__ import annotations

from django.dispatch import Signal

# The plan of a year (Vorkalkulation) was published to the members. kwargs: plan (YearPlan), by.
plan_published = Signal()

# A year was settled (Nachkalkulation; a later version after a correction, too). kwargs: settlement, by.
year_settled = Signal()
