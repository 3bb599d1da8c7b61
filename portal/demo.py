"""seed_demo: the whole demo world, one step per app, each idempotent.

Lives in the portal (the top layer) because it pulls together every app's demo content.
"""

from __future__ import annotations

from django.db import transaction

from projects.services.demo import organisation_demo_seed


@transaction.atomic
def demo_seed_all() -> dict[str, int]:
    counts = organisation_demo_seed()
    return counts
