"""Models of the API app: webhook subscriptions, the events and their delivery log (see api/webhooks/)."""

from api.webhooks.models import WebhookDelivery, WebhookEvent, WebhookSubscription

__all__ = ["WebhookDelivery", "WebhookEvent", "WebhookSubscription"]
