"""A small in-process timer dispatcher for `make run` (production uses Celery beat)."""

import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from workflows.tasks import fire_due_timers


class Command(BaseCommand):
    help = "Feuert fällige Timer in einer Schleife (Entwicklungsbetrieb ohne Celery beat)."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=30.0)
        parser.add_argument("--once", action="store_true")

    def handle(self, *args, interval: float, once: bool, **options):
        while True:
            close_old_connections()
            try:
                fired = fire_due_timers()
                if fired:
                    self.stdout.write(f"{fired} Timer ausgelöst")
            except Exception as exc:  # noqa: BLE001 - keep the loop alive, log and retry
                self.stderr.write(f"Timer-Fehler: {exc!r}")
            if once:
                return
            time.sleep(interval)
