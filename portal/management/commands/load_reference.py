"""Load (or update) every kind of reference data from fixtures/: the organisation, the dated legal numbers of
procurement and funding, pay-group rates, the task catalogue, the IKZ ideas and the co-operation inventory.

Production runs it after each migration (docker-compose's web service does); all loaders update in place, so it
is safe to run again. It lives in the portal because it spans every domain app (which never import each other
beyond the layer rules); the demo world (`seed_demo`) loads the same data.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from costs.reference import pay_group_rate_load_reference, personnel_cost_load_reference
from funding.services.reference import funding_load_reference
from procurement.services.reference import procurement_load_reference
from projects.services.reference import organisation_load_reference
from projects.services.screening import ikz_ideas_load, task_catalogue_load
from projects.services.screening_inventory import inventory_load_reference


class Command(BaseCommand):
    help = "Lädt die Referenzdaten (Organisation, Rechtsgrößen, Tarife, Aufgabenkatalog, Inventar) aus fixtures/."

    def handle(self, *args, **options):
        with transaction.atomic():
            loaded = {
                "organisation": organisation_load_reference(),
                "procurement": procurement_load_reference(),
                "funding": funding_load_reference(),
                "pay_group_rates": pay_group_rate_load_reference(),
                "personnel_costs": personnel_cost_load_reference(),
                "task_catalogue": task_catalogue_load(),
                "ikz_ideas": ikz_ideas_load(),
                "inventory": inventory_load_reference(),
            }
        for kind, result in loaded.items():
            self.stdout.write(f"{kind}: {result}")
