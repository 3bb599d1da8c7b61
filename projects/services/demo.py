"""The demo world: both counties, their DKZs, the supervisory authority and one login per role.

Built only through the services, and idempotent: running it twice leaves the same data.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from projects.models import Institution, Municipality
from projects.roles import Role
from projects.services.organisation import role_grant
from projects.services.reference import organisation_load_reference

DKZ_STAFF = [
    ("pm", Role.PROJECT_MANAGER, "Projektmanagement"),
    ("vergabe", Role.PROCUREMENT, "Vergabezentrum"),
    ("foerderung", Role.FUNDING, "Fördermittel"),
    ("controlling", Role.CONTROLLING, "Controlling"),
    ("vorstand", Role.BOARD, "Vorstand"),
]
COUNTY_SUFFIX = {"mkk": "mkk", "gg": "gg"}


def _demo_user(username: str, first: str, last: str, password: str):
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=username, defaults={"first_name": first, "last_name": last, "email": f"{username}@example.org"}
    )
    if created:
        user.set_password(password)
        user.save(update_fields=["password"])
    return user


@transaction.atomic
def organisation_demo_seed() -> dict[str, int]:
    password = settings.DEMO_PASSWORD
    if not password:
        raise ImproperlyConfigured("seed_demo needs DEMO_PASSWORD when DEBUG is off.")
    counts = organisation_load_reference()
    users = 0
    for dkz in Institution.objects.filter(kind=Institution.Kind.DKZ).prefetch_related("counties"):
        county = dkz.counties.get()
        for prefix, role, label in DKZ_STAFF:
            user = _demo_user(f"{prefix}.{county.slug}", label, county.name, password)
            role_grant(user=user, role=role, institution=dkz)
            users += 1
    for authority in Institution.objects.filter(kind=Institution.Kind.SUPERVISORY):
        user = _demo_user(f"aufsicht.{authority.slug}", "Aufsicht", authority.name, password)
        role_grant(user=user, role=Role.SUPERVISOR, institution=authority)
        users += 1
    for municipality in Municipality.objects.filter(county__isnull=False):
        mayor = _demo_user(f"bm.{municipality.slug}", "Bürgermeister/in", municipality.name, password)
        role_grant(user=mayor, role=Role.MAYOR, municipality=municipality)
        clerk = _demo_user(f"sb.{municipality.slug}", "Sachbearbeitung", municipality.name, password)
        role_grant(user=clerk, role=Role.CLERK, municipality=municipality)
        users += 2
    counts["users"] = users
    return counts


def demo_logins() -> list[str]:
    return [
        "pm.mkk, vergabe.mkk, foerderung.mkk, controlling.mkk, vorstand.mkk (DKZ Main-Kinzig)",
        "pm.gg, vergabe.gg, foerderung.gg, controlling.gg, vorstand.gg (IKZ-Geschäftsstelle Groß-Gerau)",
        "aufsicht.rpda (Regierungspräsidium Darmstadt), aufsicht.lr-mkk, aufsicht.lr-gg (Landrat als Kommunalaufsicht)",
        "bm.<kommune> / sb.<kommune>, z. B. bm.ronneburg, sb.ronneburg, bm.main-kinzig-kreis",
    ]
