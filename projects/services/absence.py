"""Self-service absence: a person sets the period of an absence and the substitute for one of their roles.

The substitute must hold the role's capabilities on the same organisation (a membership with the same role in the
same municipality or institution), so the hourly hand-over (portal.services.absences_apply) never gives a task to
someone who may not work on it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from projects.models import Membership
from projects.services.audit import audit_record


def substitute_candidates(*, membership: Membership):
    """People who may stand in for ``membership``: the same role in the same organisation, active, not the person."""
    from django.contrib.auth import get_user_model

    same = Membership.objects.filter(
        role=membership.role, municipality=membership.municipality, institution=membership.institution
    )
    return (
        get_user_model()
        .objects.filter(pk__in=same.values("user_id"), is_active=True)
        .exclude(pk=membership.user_id)
        .order_by("last_name", "first_name", "username")
    )


@transaction.atomic
def membership_absence_set(
    *,
    membership: Membership,
    by: Any,
    absent_from: dt.date | None,
    absent_until: dt.date | None,
    substitute: Any | None,
) -> Membership:
    """Set (or clear, with no dates) the absence and the substitute of one of the person's own memberships."""
    if membership.user_id != getattr(by, "pk", None):
        raise PermissionDenied(_("Abwesenheit und Vertretung legt jede Person nur für sich selbst fest."))
    errors: dict[str, list[str]] = {}
    if (absent_from is None) != (absent_until is None):
        errors["absent_until"] = [_("Bitte Beginn und Ende der Abwesenheit angeben oder beide leer lassen.")]
    elif absent_from and absent_until and absent_until < absent_from:
        errors["absent_until"] = [_("Das Ende der Abwesenheit liegt vor ihrem Beginn.")]
    if absent_from and substitute is None:
        errors["substitute"] = [_("Für eine Abwesenheit ist eine Vertretung nötig.")]
    if substitute is not None and not substitute_candidates(membership=membership).filter(pk=substitute.pk).exists():
        errors["substitute"] = [
            _("%(name)s hat nicht dieselbe Rolle in %(organisation)s und kann Sie daher nicht vertreten.")
            % {
                "name": substitute.get_full_name() or substitute.username,
                "organisation": membership.municipality or membership.institution,
            }
        ]
    if errors:
        raise ValidationError(errors)
    before = {
        "absent_from": membership.absent_from,
        "absent_until": membership.absent_until,
        "substitute": membership.substitute_id,
    }
    membership.absent_from, membership.absent_until = absent_from, absent_until
    membership.substitute = substitute
    membership.save(update_fields=["absent_from", "absent_until", "substitute"])
    audit_record(
        actor=by,
        action="membership.absence_set",
        subject=membership,
        changes={
            "before": before,
            "after": {"absent_from": absent_from, "absent_until": absent_until, "substitute": membership.substitute_id},
        },
        municipality=membership.municipality,
    )
    return membership
