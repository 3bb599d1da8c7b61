"""Models of the API app: webhook subscriptions, the events and their delivery log (see api/webhooks/), idempotency
keys."""

from api.idempotency import IdempotencyKey
from api.webhooks.models import WebhookDelivery, WebhookEvent, WebhookSubscription

__all__ = ["IdempotencyKey", "WebhookDelivery", "WebhookEvent", "WebhookSubscription"]
