"""The fault tests' probe app: installed only in the subprocesses they start (EXTRA_INSTALLED_APPS)."""

from django.apps import AppConfig


class ReliabilityProbeConfig(AppConfig):
    name = "tests.reliability"
    label = "reliability_probe"
    default = True
