from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "REST-API"

    def ready(self):
        # webhooks listen to the domain's signals (the domain never imports the API)
        from api import signals  # noqa: F401  (a password change ends the API token)
        from api.webhooks import fanout, receivers, retention  # noqa: F401  (fanout, retention: Celery tasks)
