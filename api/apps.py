from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "REST-API"

    def ready(self):
        # webhooks listen to the domain's signals (the domain never imports the API)
        from api.webhooks import receivers  # noqa: F401
