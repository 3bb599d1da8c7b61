"""Choices of the procurement domain (names, not legal numbers: those live in the reference tables)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    SUPPLIES = "supplies", _("Lieferleistung")
    SERVICES = "services", _("Dienstleistung")
    WORKS = "works", _("Bauleistung")
    FREELANCE = "freelance", _("Freiberufliche Leistung")
    SOCIAL_SERVICES = "social_services", _("Soziale und andere besondere Dienstleistung (Anhang XIV RL 2014/24/EU)")


class KindGroup(models.TextChoices):
    """The column of the value-limit table a kind falls into."""

    SUPPLIES_SERVICES = "supplies_services", _("Liefer- und Dienstleistungen")
    WORKS = "works", _("Bauleistungen")
    SOCIAL_SERVICES = "social_services", _("Soziale und andere besondere Dienstleistungen")
    FREELANCE = "freelance", _("Freiberufliche Leistungen")


def kind_group_of(kind: str) -> str:
    """The value-limit column below the EU threshold (social services count as services there; freelance services
    have their own rows: § 50 UVgO below, §§ 73 ff. VgV above the threshold)."""
    if kind == Kind.FREELANCE:
        return KindGroup.FREELANCE
    return KindGroup.WORKS if kind == Kind.WORKS else KindGroup.SUPPLIES_SERVICES


class Regime(models.TextChoices):
    NATIONAL = "national", _("Unterschwelle (HVTG, UVgO/VOB/A)")
    EU = "eu", _("Oberschwelle (GWB, VgV/VOB/A EU)")


class ProcedureType(models.TextChoices):
    """Procedure types, listed from the most to the least formal within each regime."""

    EU_OPEN = "eu_open", _("Offenes Verfahren (EU)")
    EU_RESTRICTED = "eu_restricted", _("Nicht offenes Verfahren (EU)")
    EU_NEGOTIATED_COMPETITION = "eu_negotiated_competition", _("Verhandlungsverfahren mit Teilnahmewettbewerb (EU)")
    UVGO_OPEN = "uvgo_open", _("Öffentliche Ausschreibung (UVgO)")
    UVGO_RESTRICTED_COMPETITION = (
        "uvgo_restricted_competition",
        _("Beschränkte Ausschreibung mit Teilnahmewettbewerb (UVgO)"),
    )
    UVGO_RESTRICTED = "uvgo_restricted", _("Beschränkte Ausschreibung ohne Teilnahmewettbewerb (UVgO)")
    UVGO_NEGOTIATED_COMPETITION = "uvgo_negotiated_competition", _("Verhandlungsvergabe mit Teilnahmewettbewerb (UVgO)")
    UVGO_NEGOTIATED = "uvgo_negotiated", _("Verhandlungsvergabe ohne Teilnahmewettbewerb (UVgO)")
    UVGO_DIRECT = "uvgo_direct", _("Direktauftrag (UVgO)")
    UVGO_FREELANCE = "uvgo_freelance", _("Vergabe freiberuflicher Leistungen im Wettbewerb (§ 50 UVgO)")
    VOB_OPEN = "vob_open", _("Öffentliche Ausschreibung (VOB/A)")
    VOB_RESTRICTED_COMPETITION = (
        "vob_restricted_competition",
        _("Beschränkte Ausschreibung nach Öffentlichem Teilnahmewettbewerb (VOB/A)"),
    )
    VOB_RESTRICTED = "vob_restricted", _("Beschränkte Ausschreibung ohne Teilnahmewettbewerb (VOB/A)")
    VOB_NEGOTIATED = "vob_negotiated", _("Freihändige Vergabe (VOB/A)")
    VOB_DIRECT = "vob_direct", _("Direktauftrag (VOB/A)")


# Formality rank (0 = most formal). Types of equal rank are a free choice of the contracting authority (e.g. open
# or restricted EU procedure, § 14 Abs. 2 VgV). The proposal is the least formal admissible type; a more formal one
# needs a reason, a less formal one is not admissible.
FORMALITY: dict[str, int] = {
    ProcedureType.EU_OPEN: 0,
    ProcedureType.EU_RESTRICTED: 0,
    ProcedureType.EU_NEGOTIATED_COMPETITION: 1,
    ProcedureType.UVGO_OPEN: 0,
    ProcedureType.UVGO_RESTRICTED_COMPETITION: 0,
    ProcedureType.UVGO_NEGOTIATED_COMPETITION: 1,
    ProcedureType.UVGO_RESTRICTED: 2,
    ProcedureType.UVGO_NEGOTIATED: 3,
    ProcedureType.UVGO_DIRECT: 4,
    ProcedureType.UVGO_FREELANCE: 1,
    ProcedureType.VOB_OPEN: 0,
    ProcedureType.VOB_RESTRICTED_COMPETITION: 0,
    ProcedureType.VOB_RESTRICTED: 1,
    ProcedureType.VOB_NEGOTIATED: 2,
    ProcedureType.VOB_DIRECT: 3,
}
EU_TYPES = {ProcedureType.EU_OPEN, ProcedureType.EU_RESTRICTED, ProcedureType.EU_NEGOTIATED_COMPETITION}
# EU procedures with a participation competition before the offers (§§ 16, 17 VgV)
TWO_STAGE_TYPES = {ProcedureType.EU_RESTRICTED, ProcedureType.EU_NEGOTIATED_COMPETITION}
DIRECT_TYPES = {ProcedureType.UVGO_DIRECT, ProcedureType.VOB_DIRECT}


class CentreStep(models.TextChoices):
    """Steps the procurement centre performs; each books its time."""

    TENDER_DOCUMENTS = "tender_documents", _("Vergabeunterlagen und Zuschlagskriterien")
    PUBLICATION = "publication", _("Bekanntmachung")
    QUESTIONS = "questions", _("Bieterfragen beantworten")
    OPENING = "opening", _("Angebotsöffnung")
    FORMAL_CHECK = "formal_check", _("Formale Prüfung und Eignung")
    AWARD_PROPOSAL = "award_proposal", _("Vergabevorschlag")
    BIDDER_INFORMATION = "bidder_information", _("Information der Bieter (§ 134 GWB)")
    AWARD = "award", _("Zuschlag")
    RECORD = "record", _("Vergabevermerk")
