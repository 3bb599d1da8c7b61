"""Command line for the fault tests' subprocesses: ``python -m tests.reliability.faultctl <command> ...``.

Runs against the database and broker of its environment (the tests' own PostgreSQL and Redis instances).
Prints one JSON line per created process, flushed, so that a test can follow a producer while it restarts Redis.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.utils import timezone

    from tests.reliability.jobs import FaultJobFlow, FaultTimerFlow

    command = argv[0]
    if command == "seed":
        # the demo world with fast test hashing (the production hasher takes minutes for all demo users)
        # (organisation, users and the demo cases with their tasks and audit trail; not the other demo worlds)
        from django.conf import settings

        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
        from projects.services.demo import organisation_demo_seed
        from workflows.demo import cases_demo_seed

        started = time.monotonic()
        organisation_demo_seed()
        print(f"organisation {time.monotonic() - started:.1f}s", file=sys.stderr)
        cases_demo_seed()
        print(f"cases {time.monotonic() - started:.1f}s", file=sys.stderr)
        return 0
    if command == "user":  # a login with the production hasher: faultctl user NAME PASSWORD
        from django.contrib.auth import get_user_model

        get_user_model().objects.create_user(username=argv[1], password=argv[2])
        return 0
    if command == "collectstatic":
        return _collectstatic()
    count = int(argv[1])
    interval = float(argv[2]) if len(argv) > 2 else 0.0
    for i in range(count):
        if command == "jobs":
            process = FaultJobFlow.start.run(label=f"job-{i}")
        elif command == "timers":
            due = timezone.now() - dt.timedelta(minutes=5) + dt.timedelta(seconds=i)
            process = FaultTimerFlow.start.run(due=due)
        else:
            print(f"unknown command {command}", file=sys.stderr)
            return 2
        print(json.dumps({"process": process.pk}), flush=True)
        if interval:
            time.sleep(interval)
    return 0


def _collectstatic() -> int:
    """The production manifest, except that a CSS reference to a file a package does not ship keeps its name.

    (viewflow's bundled roboto-fontface.css references fonts it does not ship: a strict collectstatic fails.)
    """
    from django.conf import settings
    from django.contrib.staticfiles.management.commands import collectstatic
    from django.contrib.staticfiles.storage import ManifestStaticFilesStorage
    from django.core.management import call_command

    class Lenient(ManifestStaticFilesStorage):
        def hashed_name(self, name, content=None, filename=None):
            try:
                return super().hashed_name(name, content, filename)
            except ValueError:
                return name

    command = collectstatic.Command()
    command.storage = Lenient(location=str(settings.STATIC_ROOT))
    call_command(command, interactive=False, verbosity=0)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
