"""Demo content of the procurement domain for `seed_demo` (idempotent)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model

from procurement.models import PlanningTalk
from procurement.services.planning import planning_item_add, planning_talk_agree, planning_talk_open
from procurement.services.reference import procurement_load_reference
from projects.models import Institution, Municipality
from projects.roles import Role
from projects.services.organisation import role_grant

# (municipality slug, subject, kind, category, estimated net value, quarter): the road-salt and office-supply
# purchasing communities of seed 002 and single procedures of seed 000, as planned for next year.
DEMO_PLAN = [
    ("ronneburg", "Streusalz Winter", "supplies", "Streusalz", "80000", 3),
    ("neuberg", "Streusalz Winter", "supplies", "Streusalz", "80000", 3),
    ("hammersbach", "Streusalz Winter", "supplies", "Streusalz", "80000", 3),
    ("ronneburg", "Büromaterial", "supplies", "Papier und Büromaterial", "12000", 1),
    ("bruchkoebel", "Sanierung Dorfgemeinschaftshaus", "works", "Hochbau", "240000", 2),
    ("maintal", "Reinigung Verwaltungsgebäude", "services", "Gebäudereinigung", "260000", 1),
]
DEMO_YEAR = 2027


def _second_centre_staff() -> None:
    """A second Vergabezentrum login per DKZ (vergabe2.<county>): offers are opened by two different persons."""
    user_model = get_user_model()
    for dkz in Institution.objects.filter(kind=Institution.Kind.DKZ).prefetch_related("counties"):
        county = dkz.counties.get()
        user, created = user_model.objects.get_or_create(
            username=f"vergabe2.{county.slug}",
            defaults={
                "first_name": "Vergabezentrum (2)",
                "last_name": county.name,
                "email": f"vergabe2.{county.slug}@example.org",
            },
        )
        if created:
            user.set_password(settings.DEMO_PASSWORD)
            user.save(update_fields=["password"])
        role_grant(user=user, role=Role.PROCUREMENT, institution=dkz)


# Municipalities with a second clerk, so that the municipality itself can designate two of its staff to open offers.
SECOND_CLERK_MUNICIPALITIES = ("ronneburg",)


def _second_municipality_clerk() -> None:
    """A second clerk (sb2.<kommune>) where the demo opens offers by the municipality's own staff."""
    user_model = get_user_model()
    for slug in SECOND_CLERK_MUNICIPALITIES:
        municipality = Municipality.objects.filter(slug=slug).first()
        if municipality is None:
            continue
        user, created = user_model.objects.get_or_create(
            username=f"sb2.{slug}",
            defaults={
                "first_name": "Sachbearbeitung (2)",
                "last_name": municipality.name,
                "email": f"sb2.{slug}@example.org",
            },
        )
        if created:
            user.set_password(settings.DEMO_PASSWORD)
            user.save(update_fields=["password"])
        role_grant(user=user, role=Role.CLERK, municipality=municipality)


def procurement_demo_seed() -> None:
    procurement_load_reference()
    _second_centre_staff()
    _second_municipality_clerk()
    user_model = get_user_model()
    for slug in sorted({row[0] for row in DEMO_PLAN}):
        municipality = Municipality.objects.filter(slug=slug).first()
        if municipality is None or PlanningTalk.objects.filter(municipality=municipality, year=DEMO_YEAR).exists():
            continue
        clerk = user_model.objects.get(username=f"sb.{slug}")
        talk = planning_talk_open(municipality=municipality, year=DEMO_YEAR, by=clerk)
        for _slug, subject, kind, category, value, quarter in (row for row in DEMO_PLAN if row[0] == slug):
            planning_item_add(
                talk=talk,
                by=clerk,
                subject=subject,
                kind=kind,
                category=category,
                estimated_value=Decimal(value),
                quarter=quarter,
            )
        planning_talk_agree(talk=talk, by=user_model.objects.get(username=f"bm.{slug}"))
        assert municipality.county is not None  # the demo municipalities belong to a county
        centre = user_model.objects.get(username=f"vergabe.{municipality.county.slug}")
        planning_talk_agree(talk=talk, by=centre)
