"""Models of the API app: webhook subscriptions and their delivery log (see api/webhooks/), idempotency keys."""

from api.idempotency import IdempotencyKey
from api.webhooks.models import WebhookDelivery, WebhookSubscription

__all__ = ["IdempotencyKey", "WebhookDelivery", "WebhookSubscription"]
