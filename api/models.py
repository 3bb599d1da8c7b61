"""Models of the API app: webhook subscriptions and their delivery log (see api/webhooks/)."""

from api.webhooks.models import WebhookDelivery, WebhookSubscription

__all__ = ["WebhookDelivery", "WebhookSubscription"]
