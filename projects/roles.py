"""Roles and the capabilities they carry.

Capabilities are permissions declared on :class:`projects.models.Municipality` and granted with
django-guardian on Municipality objects (never globally: a global grant would open every
municipality, see docs/architecture.md). A municipal role holds its capabilities on its own
municipality; a DKZ role holds them on every municipality of the DKZ's county; the supervisory
authority holds them on the municipalities of the counties it supervises.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

# (codename, German label) of every capability. Declared on Municipality.Meta.permissions.
CAPABILITIES: list[tuple[str, str]] = [
    ("view_municipality_records", "Vorgänge der Kommune einsehen"),
    ("propose_case", "IKZ-Ideen einbringen"),
    ("approve_project_order", "Projektaufträge freigeben"),
    ("record_council_resolution", "Gremienbeschlüsse erfassen"),
    ("consent_statute_amendment", "Satzungsänderungen zustimmen"),
    ("sign_agreement", "Öffentlich-rechtliche Vereinbarungen zeichnen"),
    ("declare_interest", "Interesse an IKZ-Aufgaben bekunden"),
    ("request_procurement", "Vergabeverfahren beauftragen"),
    ("write_specification", "Leistungsbeschreibung erstellen"),
    ("evaluate_offers", "Angebote fachlich bewerten"),
    ("decide_award", "Zuschlag erteilen"),
    ("agree_planning_talk", "Planungsgespräch bestätigen"),
    ("manage_case", "IKZ-Vorgänge steuern (DKZ)"),
    ("manage_screening", "Screening und Nutzwertanalyse steuern (DKZ)"),
    ("run_procurement", "Formales Vergabeverfahren durchführen (DKZ)"),
    ("manage_funding", "Fördermittel bearbeiten (DKZ)"),
    ("control_costs", "Kosten planen und abrechnen (DKZ)"),
    ("supervise", "Aufsichtsrechtlich genehmigen oder zur Kenntnis nehmen"),
]


class Role(models.TextChoices):
    MAYOR = "mayor", _("Bürgermeister/in")
    CLERK = "clerk", _("Sachbearbeiter/in")
    PROJECT_MANAGER = "project_manager", _("DKZ-Projektmanagement")
    PROCUREMENT = "procurement", _("DKZ-Vergabezentrum")
    FUNDING = "funding", _("DKZ-Fördermittel")
    CONTROLLING = "controlling", _("DKZ-Controlling")
    BOARD = "board", _("DKZ-Vorstand")
    SUPERVISOR = "supervisor", _("Aufsichtsbehörde")


MUNICIPAL_ROLES = {Role.MAYOR, Role.CLERK}
DKZ_ROLES = {Role.PROJECT_MANAGER, Role.PROCUREMENT, Role.FUNDING, Role.CONTROLLING, Role.BOARD}
SUPERVISORY_ROLES = {Role.SUPERVISOR}

ROLE_CAPABILITIES: dict[str, tuple[str, ...]] = {
    Role.MAYOR: (
        "view_municipality_records",
        "propose_case",
        "approve_project_order",
        "record_council_resolution",
        "consent_statute_amendment",
        "sign_agreement",
        "decide_award",
        "agree_planning_talk",
        "request_procurement",
    ),
    Role.CLERK: (
        "view_municipality_records",
        "propose_case",
        "record_council_resolution",
        "declare_interest",
        "request_procurement",
        "write_specification",
        "evaluate_offers",
    ),
    Role.PROJECT_MANAGER: ("view_municipality_records", "manage_case", "manage_screening"),
    Role.PROCUREMENT: ("view_municipality_records", "run_procurement"),
    Role.FUNDING: ("view_municipality_records", "manage_funding"),
    Role.CONTROLLING: ("view_municipality_records", "control_costs"),
    Role.BOARD: ("view_municipality_records",),
    Role.SUPERVISOR: ("supervise",),
}


def perm(codename: str) -> str:
    """Full permission name of a capability, as viewflow and guardian expect it."""
    return f"projects.{codename}"
