"""Point Django at the benchmark database in production mode, before anything imports settings."""

from __future__ import annotations

import os

from bench.common import db_url, redis_url


def bench_environment(db_name: str) -> dict[str, str]:
    """Environment for every benchmark process: production settings (DEBUG=0) on the benchmark database."""
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": db_url(db_name),
        "CELERY_BROKER_URL": redis_url(),
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "DEBUG": "0",
        "SECRET_KEY": os.environ.get("BENCH_SECRET_KEY", "benchmark-only-" + "x" * 40),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "CONN_MAX_AGE": "600",
        "LOG_LEVEL": "WARNING",
    }


def setup(db_name: str) -> None:
    os.environ.update(bench_environment(db_name))
    import django

    django.setup()
