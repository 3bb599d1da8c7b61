"""Domain events of funding applications, sent by the funding services inside the transaction of the change.

Receivers (the API's webhooks) must not fail the change: they defer their work with ``transaction.on_commit``.
"""

from __future__ import annotations

from django.dispatch import Signal

# The application moved to another state (Application.State). kwargs: application, old, new (state values), by.
application_state_changed = Signal()

# Funds were called (a drawdown recorded). kwargs: drawdown, by.
drawdown_recorded = Signal()

# After the grant: called funds paid out (kwargs: drawdown, by), their use confirmed (drawdown, used_on, by), a
# repayment received (repayment, by).
drawdown_payout_recorded = Signal()
drawdown_use_recorded = Signal()
repayment_receipt_recorded = Signal()
