from django.conf import settings
from django.core.management.base import BaseCommand
from django.test.utils import override_settings

from portal.demo import demo_seed_all
from projects.services.demo import demo_logins


class Command(BaseCommand):
    help = "Legt die Demo-Daten an (idempotent): Landkreise, Kommunen, DKZ, Demo-Benutzer und Beispielvorgänge."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="Nur anlegen, wenn noch keine Kommune existiert.")
        parser.add_argument("--quiet-logins", action="store_true")

    def handle(self, *args, **options):
        from projects.models import Municipality

        if options["if_empty"] and Municipality.objects.exists():
            self.stdout.write("Demo-Daten vorhanden.")
        else:
            # The demo's notifications would print thousands of e-mails on the console of `make run`; they stay in
            # the application (Benachrichtigungen) and are not printed.
            if settings.EMAIL_BACKEND == "django.core.mail.backends.console.EmailBackend":
                with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
                    counts = demo_seed_all()
            else:
                counts = demo_seed_all()
            self.stdout.write(self.style.SUCCESS(f"Demo-Daten angelegt: {counts}"))
        if not options["quiet_logins"]:
            self.stdout.write("Demo-Anmeldungen (Passwort aus DEMO_PASSWORD, Standard 'demo'):")
            for line in demo_logins():
                self.stdout.write(f"  {line}")
