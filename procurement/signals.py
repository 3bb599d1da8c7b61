"""Domain events of procurement, sent by the procurement services inside the transaction of the change.

Receivers (the API's webhooks) must not fail the change: they defer their work with ``transaction.on_commit``.
Domain code only sends; it never knows who listens.
"""

from __future__ import annotations

from django.dispatch import Signal

# A step of a procedure was done (every audited action of a procedure: "procedure.requested", "procedure.published",
# "procedure.opened", "procedure.awarded", "procedure.cancelled", ...). kwargs: procedure, action (the audit action),
# by (user or None), lot (the lot the step was about, or None), occurred_at (when it happened).
procedure_step_done = Signal()
