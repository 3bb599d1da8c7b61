"""Domain events of the IKZ case, sent by projects.services.cases inside the transaction of the change.

Receivers (the API's webhooks, later notifications) must not fail the change: do the work after commit
(``transaction.on_commit``). Domain code only sends; it never knows who listens.
"""

from __future__ import annotations

from django.dispatch import Signal

# An IKZ idea was recorded (the case exists from now on). kwargs: case, by (user).
case_created = Signal()

# The case moved to another stage. kwargs: case, old (stage value), new (stage value), by (user or None).
case_stage_changed = Signal()

# A decision with legal weight was recorded (approval of the project order, council resolution, consent or
# signature, supervisory decision). kwargs: case, kind ("approval", "council_resolution", "consent",
# "supervisory_decision"), decision (the model instance), municipality (or None), by (user).
decision_recorded = Signal()
