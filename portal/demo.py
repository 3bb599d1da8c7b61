"""seed_demo: the whole demo world, one step per app, each idempotent.

Lives in the portal (the top layer) because it pulls together every app's demo content (ADR 0002).
"""

from __future__ import annotations

from django.db import transaction

from costs.demo import costs_demo_seed
from funding.demo import funding_demo_seed
from procurement.demo import procurement_demo_seed
from projects.demo_screening import screening_demo_seed
from projects.services.demo import organisation_demo_seed
from workflows.demo import cases_demo_seed


@transaction.atomic
def demo_seed_all() -> dict[str, int]:
    counts = organisation_demo_seed()
    screening_demo_seed()
    costs_demo_seed()
    procurement_demo_seed()
    funding_demo_seed()
    cases_demo_seed()
    return counts
