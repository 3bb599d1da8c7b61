"""Creating the organisation and granting roles. Idempotent: safe to run again."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm

from projects.models import Anstaltstraeger, BoardSeat, County, Institution, Membership, Municipality
from projects.roles import DKZ_ROLES, MUNICIPAL_ROLES, ROLE_CAPABILITIES, SUPERVISORY_ROLES, Role, perm
from projects.services.audit import audit_record


def role_scope_check(*, role: str, municipality: Municipality | None, institution: Institution | None) -> None:
    """A role belongs to exactly one organisation of its kind: a municipal role to a municipality, a DKZ role to a
    DKZ, the supervisory role to a supervisory authority. Raises ValidationError with a German message otherwise."""
    if (municipality is None) == (institution is None):
        raise ValidationError(_("Eine Rolle gehört entweder zu einer Kommune oder zu einer Einrichtung."))
    if role in MUNICIPAL_ROLES:
        if municipality is None:
            raise ValidationError(_("Eine kommunale Rolle braucht eine Kommune."))
        return
    if institution is None:
        raise ValidationError(_("Eine DKZ- oder Aufsichtsrolle braucht eine Einrichtung."))
    if role in DKZ_ROLES and institution.kind != Institution.Kind.DKZ:
        raise ValidationError(_("DKZ-Rollen gibt es nur in einem DKZ."))
    if role in SUPERVISORY_ROLES and institution.kind != Institution.Kind.SUPERVISORY:
        raise ValidationError(_("Die Aufsichtsrolle gibt es nur in einer Aufsichtsbehörde."))


def _role_scope_municipalities(*, role: str, municipality: Municipality | None, institution: Institution | None):
    role_scope_check(role=role, municipality=municipality, institution=institution)
    if role in MUNICIPAL_ROLES:
        assert municipality is not None  # role_scope_check refused it otherwise
        return Municipality.objects.filter(pk=municipality.pk)
    assert institution is not None  # role_scope_check refused it otherwise
    return Municipality.objects.filter(county__in=institution.counties.all())


def role_group_name(*, role: str, municipality: Municipality | None, institution: Institution | None) -> str:
    """The key of a role group: the organisation's id and the role, never a display name.

    Names of municipalities are not unique (two "Ronneburg" in two counties), and a name keyed group would give
    the mayor of one the capabilities of the other. The key does not change when the organisation is renamed.
    """
    role = Role(role).value
    if municipality is not None:
        return f"municipality:{municipality.pk}:{role}"
    if institution is not None:
        return f"institution:{institution.pk}:{role}"
    raise ValueError("Eine Rolle braucht eine Kommune oder eine Einrichtung.")


def role_group_sync(
    *, role: str, municipality: Municipality | None = None, institution: Institution | None = None
) -> Group:
    """The group that holds the role's capabilities on its municipalities (created or completed)."""
    group, _ = Group.objects.get_or_create(
        name=role_group_name(role=role, municipality=municipality, institution=institution)
    )
    targets = _role_scope_municipalities(role=role, municipality=municipality, institution=institution)
    for codename in ROLE_CAPABILITIES[role]:
        assign_perm(perm(codename), group, targets)
    return group


@transaction.atomic
def role_grant(
    *,
    user: Any,
    role: str,
    municipality: Municipality | None = None,
    institution: Institution | None = None,
    by: Any = None,
) -> Membership:
    """Give ``user`` a role in a municipality or an institution, with its capabilities."""
    membership, created = Membership.objects.get_or_create(
        user=user, role=role, municipality=municipality, institution=institution
    )
    group = role_group_sync(role=role, municipality=municipality, institution=institution)
    user.groups.add(group)
    if created:
        audit_record(
            actor=by,
            action="role.granted",
            subject=membership,
            changes={"user": user.get_username(), "role": role, "organisation": str(municipality or institution)},
            municipality=municipality,
        )
    return membership


@transaction.atomic
def role_revoke(*, membership: Membership, by: Any = None) -> None:
    group = Group.objects.filter(
        name=role_group_name(
            role=membership.role, municipality=membership.municipality, institution=membership.institution
        )
    ).first()
    if group is not None:
        membership.user.groups.remove(group)
    audit_record(actor=by, action="role.revoked", subject=membership, municipality=membership.municipality)
    membership.delete()


@transaction.atomic
def dkz_add_member(*, dkz: Institution, municipality: Municipality, joined_on=None, by: Any = None) -> Anstaltstraeger:
    """Make a municipality an Anstaltsträger with its Stammkapital and its Verwaltungsrat seat.

    Only a joint institution (AöR) has Anstaltsträger; an IKZ office hosted by a member town has none."""
    if not dkz.is_joint_institution:
        raise ValidationError(
            _("%(name)s ist keine gemeinsame kommunale Anstalt und hat daher keine Anstaltsträger.") % {"name": dkz}
        )
    member, created = Anstaltstraeger.objects.get_or_create(
        dkz=dkz,
        municipality=municipality,
        defaults={"joined_on": joined_on, "stammkapital": dkz.stammkapital_per_member},
    )
    BoardSeat.objects.get_or_create(dkz=dkz, body=BoardSeat.Body.VERWALTUNGSRAT, municipality=municipality)
    if created:
        audit_record(
            actor=by,
            action="dkz.member_added",
            subject=member,
            changes={"stammkapital": member.stammkapital},
            municipality=municipality,
        )
    return member


def county_of_institution(institution: Institution) -> County | None:
    return institution.counties.first()
