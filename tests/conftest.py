"""Test set-up: the demo world is seeded once per session into the test database."""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.core.management import call_command
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

# Property tests check behaviour, not speed: Hypothesis's wall-clock checks (a per-example deadline, "input
# generation is slow") fail on a shared two-core machine when another process takes the CPU for a second, whatever
# the code does (seen: one draw of a list of integers took 1.2 s). The number of examples and every other health
# check stay as Hypothesis sets them; speed is measured by `make bench`.
hypothesis_settings.register_profile("ikz", deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("ikz")


def pytest_configure(config):
    # Fast hashing in tests only; production uses Argon2 (config/settings.py).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pytest_report_header(config):
    db = settings.DATABASES["default"]
    broker = settings.CELERY_BROKER_URL or "none (jobs run in-process)"
    return [
        f"IKZ test database: {db['ENGINE'].rsplit('.', 1)[-1]} ({db.get('HOST') or db.get('NAME')})",
        f"IKZ Celery broker: {broker}",
    ]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The demo world, with its background work (notifications) done in-process: the same world with or without
    a broker (in CI its messages would wait in Redis for a worker that nobody started)."""
    from config.celery import app

    before = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    try:
        with django_db_blocker.unblock():
            call_command("seed_demo", quiet_logins=True, verbosity=0)
    finally:
        app.conf.task_always_eager, app.conf.task_eager_propagates = before


@pytest.fixture
def users(django_user_model):
    """Look up demo users by name: users['pm.mkk']."""

    class _Users:
        def __getitem__(self, username):
            return django_user_model.objects.get(username=username)

    return _Users()


def services_required() -> bool:
    return os.environ.get("CI_REQUIRE_SERVICES") == "1"


@pytest.fixture(autouse=True)
def celery_jobs_in_process():
    """Jobs triggered inside a test run in-process, right after the (captured) commit.

    The broker is real in CI (the health check and the reliability suite use it with real worker processes);
    tests of business behaviour must not depend on a worker that nobody started.
    """
    from config.celery import app

    before = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = before


@pytest.fixture
def fuzz_every_step(monkeypatch):
    """Each task completion of the test is first tried with hostile data (tests/security/fuzz_steps.py)."""
    from tests.security.fuzz_steps import StepFuzzer
    from workflows import engine

    fuzzer = StepFuzzer(engine.task_complete)
    monkeypatch.setattr(engine, "task_complete", fuzzer)
    return fuzzer
