"""Webhooks: subscriptions (services, views), the signed delivery (a Celery task) and the event receivers."""
