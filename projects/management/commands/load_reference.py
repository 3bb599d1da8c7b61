from django.core.management.base import BaseCommand

from projects.services.reference import organisation_load_reference


class Command(BaseCommand):
    help = "Lädt die Referenzdaten (Landkreise, Kommunen, Einrichtungen) aus fixtures/."

    def handle(self, *args, **options):
        self.stdout.write(str(organisation_load_reference()))
