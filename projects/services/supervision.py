"""The competent supervisory authority of an IKZ case, derived from data on the municipalities (§ 35 KGG).

§ 35 Abs. 2 and 4 KGG (also for public-law agreements): the Landrat as authority of the state administration when
only municipalities under his supervision take part (kreisangehörige municipalities of one county); the
Regierungspräsidium when a Landkreis, a kreisfreie Stadt, a municipality under its own supervision (§ 136 HGO,
``Municipality.rp_supervised``) or municipalities of several counties of its district take part; the Ministry of
the Interior when the parties belong to several districts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from projects.models import Institution, Membership, Municipality
from projects.roles import Role

Level = Institution.SupervisoryLevel


@dataclass(frozen=True)
class CompetentAuthority:
    level: str
    institution: Institution | None
    reason: str

    @property
    def name(self) -> str:
        if self.institution:
            return self.institution.name
        return str(Level(self.level).label) if self.level else _("noch offen")


def _authority(level: str, county_ids: set[int]) -> Institution | None:
    candidates = Institution.objects.filter(kind=Institution.Kind.SUPERVISORY, supervisory_level=level)
    for institution in candidates.prefetch_related("counties"):
        if county_ids <= {c.pk for c in institution.counties.all()}:
            return institution
    return None


def competent_authority_for(*, municipalities: Iterable[Municipality]) -> CompetentAuthority:
    """The authority competent for a co-operation of these municipalities (§ 35 Abs. 2, 4 KGG)."""
    parties = list(municipalities)
    county_ids = {m.county_id for m in parties if m.county_id}
    names = ", ".join(m.name for m in parties if m.kind == Municipality.Kind.LANDKREIS)
    if names:
        reason = _("Ein Landkreis ist beteiligt (%(names)s).") % {"names": names}
    elif any(m.kind == Municipality.Kind.KREISFREIE_STADT or m.county_id is None for m in parties):
        reason = _("Eine kreisfreie Stadt ist beteiligt.")
    elif own := [m.name for m in parties if m.rp_supervised]:
        reason = _("Beteiligt ist eine Stadt unter Aufsicht des Regierungspräsidiums (§ 136 HGO): %(names)s.") % {
            "names": ", ".join(own)
        }
    elif len(county_ids) > 1:
        reason = _("Beteiligt sind Kommunen mehrerer Landkreise.")
    else:
        return CompetentAuthority(
            level=Level.LANDRAT,
            institution=_authority(Level.LANDRAT, county_ids),
            reason=_("Nur kreisangehörige Kommunen eines Landkreises sind beteiligt (§ 35 Abs. 2 KGG)."),
        )
    rp = _authority(Level.REGIERUNGSPRAESIDIUM, county_ids)
    if rp is not None:
        return CompetentAuthority(level=Level.REGIERUNGSPRAESIDIUM, institution=rp, reason=reason)
    return CompetentAuthority(
        level=Level.MINISTRY,
        institution=_authority(Level.MINISTRY, county_ids) or _authority(Level.MINISTRY, set()),
        reason=reason + " " + _("Die Beteiligten gehören zu mehreren Regierungsbezirken (§ 35 Abs. 4 KGG)."),
    )


def case_competent_authority(case: Any, *, participants: list[Any] | None = None) -> CompetentAuthority:
    """The parties of the case's legal act: the DKZ's Anstaltsträger (statute) or the agreement's participants.
    Before those are known, every participant counts (``participants``: the case page's list, already read)."""
    from projects.services.cases import consent_parties

    parties = consent_parties(case)
    if not parties:
        if participants is None:
            participants = list(case.participants.select_related("municipality"))
        parties = [p.municipality for p in participants]
    if not parties:
        return CompetentAuthority(level="", institution=None, reason=_("Die Beteiligten stehen noch nicht fest."))
    return competent_authority_for(municipalities=parties)


def require_competent_supervisor(*, user: Any, case: Any) -> CompetentAuthority:
    """Only staff of the competent authority decide; others get a German message naming the authority."""
    authority = case_competent_authority(case)
    if (
        authority.institution is None
        or not Membership.objects.filter(user=user, institution=authority.institution, role=Role.SUPERVISOR).exists()
    ):
        raise PermissionDenied(
            _("Zuständig für die Aufsicht ist %(name)s: %(reason)s")
            % {"name": authority.name, "reason": authority.reason}
        )
    return authority
