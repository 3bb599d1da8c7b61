"""What a user may see of the funding domain: DKZ staff their county's applications, municipalities those they
take part in. Everything else is invisible (404), never a hint that it exists.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import ExtractYear
from django.http import Http404

from funding.models import (
    Application,
    ApplicationDocument,
    Deadline,
    Decision,
    Drawdown,
    Programme,
    ProofOfUse,
    Repayment,
)
from projects.models import County, Municipality
from projects.selectors import dkz_county_ids_of, has_capability, municipality_ids_of

ZERO = Decimal("0.00")


def county_anchor(county: County) -> Municipality:
    """The county itself as a member: DKZ capabilities are checked on it."""
    return Municipality.objects.get(county=county, kind=Municipality.Kind.LANDKREIS)


def application_list_for_user(*, user: Any) -> QuerySet[Application]:
    county_ids = dkz_county_ids_of(user=user)
    own = municipality_ids_of(user=user)
    if not county_ids and not own:
        return Application.objects.none()
    visible = Application.objects.filter(Q(county_id__in=county_ids) | Q(partner_rows__municipality_id__in=own))
    return (
        Application.objects.filter(pk__in=visible.values("pk"))
        .select_related("programme", "county", "eligible_rule", "decision")
        .order_by("-created_at", "-pk")
    )


def application_for_user(*, user: Any, pk: int, capability: str | None = None) -> Application:
    """The application if the user may see it (else 404); with ``capability``, if they may act (else 403)."""
    application = application_list_for_user(user=user).filter(pk=pk).first()
    if application is None:
        raise Http404("Förderantrag nicht gefunden.")
    anchor = county_anchor(application.county)
    if capability is not None and not has_capability(user=user, capability=capability, municipality=anchor):
        raise PermissionDenied("Dafür fehlt Ihnen die Berechtigung.")
    return application


def is_funding_officer(*, user: Any, application: Application) -> bool:
    """The DKZ funding officer of the application's county (capability manage_funding on the county itself)."""
    return has_capability(user=user, capability="manage_funding", municipality=county_anchor(application.county))


def document_may_deliver(
    *, user: Any, application: Application, kind: str, municipality: Municipality | None = None
) -> bool:
    """Who may upload (or replace) a document of the checklist: the funding officer any; a participating
    municipality (mayor or clerk, who record its council resolutions) its own council resolution, as the
    checklist says it delivers it."""
    if is_funding_officer(user=user, application=application):
        return True
    if kind != ApplicationDocument.Kind.COUNCIL_RESOLUTION or municipality is None:
        return False
    if not application.partner_rows.filter(municipality=municipality).exists():
        return False
    return has_capability(user=user, capability="record_council_resolution", municipality=municipality)


def document_deliverable_by(*, user: Any, application: Application) -> list[tuple[str, Municipality | None]]:
    """The (kind, municipality) pairs the user may deliver on this application: what the upload form offers."""
    if is_funding_officer(user=user, application=application):
        kinds = ApplicationDocument.Kind
        pairs: list[tuple[str, Municipality | None]] = [
            (kinds.COUNCIL_RESOLUTION, row.municipality)
            for row in application.partner_rows.select_related("municipality").order_by("municipality__name")
        ]
        return pairs + [(kinds.AGREEMENT, None), (kinds.SAVING_CALCULATION, None), (kinds.OTHER, None)]
    return [
        (ApplicationDocument.Kind.COUNCIL_RESOLUTION, row.municipality)
        for row in application.partner_rows.select_related("municipality").order_by("municipality__name")
        if has_capability(user=user, capability="record_council_resolution", municipality=row.municipality)
    ]


def application_document_for_user(*, user: Any, application_pk: int, document_pk: int) -> ApplicationDocument:
    """A document of an application the user may see (else 404)."""
    application = application_for_user(user=user, pk=application_pk)
    document = application.documents.select_related("municipality").filter(pk=document_pk).first()
    if document is None:
        raise Http404("Unterlage nicht gefunden.")
    return document


def programme_list() -> QuerySet[Programme]:
    return Programme.objects.filter(is_active=True).prefetch_related("rules__tiers")


def decision_list_for_user(*, user: Any) -> QuerySet[Decision]:
    return Decision.objects.filter(application__in=application_list_for_user(user=user).values("pk")).select_related(
        "application"
    )


def drawdown_list_for_user(*, user: Any) -> QuerySet[Drawdown]:
    return Drawdown.objects.filter(application__in=application_list_for_user(user=user).values("pk")).select_related(
        "application"
    )


def deadline_list_for_user(*, user: Any, until: dt.date | None = None) -> QuerySet[Deadline]:
    """Open deadlines of visible applications (overdue ones included), soonest first."""
    deadlines = Deadline.objects.filter(
        application__in=application_list_for_user(user=user).values("pk"), done_on__isnull=True
    )
    if until is not None:
        deadlines = deadlines.filter(due_on__lte=until)
    return deadlines.select_related("application").order_by("due_on", "pk")


@dataclass
class FigureRow:
    programme: str
    year: int
    applied: Decimal = ZERO
    granted: Decimal = ZERO
    drawn: Decimal = ZERO
    proven: Decimal = ZERO
    repaid: Decimal = ZERO


def funding_figures_for_user(*, user: Any) -> list[FigureRow]:
    """Amounts applied / granted / drawn / proven / repaid per programme and year (of the event)."""
    visible = application_list_for_user(user=user).values("pk")
    sources = [
        (
            "applied",
            Application.objects.filter(pk__in=visible, submitted_on__isnull=False),
            "programme__name",
            "submitted_on",
            "requested_amount",
        ),
        (
            "granted",
            Decision.objects.filter(application__in=visible, outcome=Decision.Outcome.GRANT),
            "application__programme__name",
            "decided_on",
            "amount",
        ),
        (
            "drawn",
            Drawdown.objects.filter(application__in=visible),
            "application__programme__name",
            "requested_on",
            "amount",
        ),
        (
            "proven",
            ProofOfUse.objects.filter(application__in=visible, submitted_on__isnull=False),
            "application__programme__name",
            "submitted_on",
            "amount_used",
        ),
        (
            "repaid",
            Repayment.objects.filter(application__in=visible, paid_on__isnull=False),
            "application__programme__name",
            "paid_on",
            F("principal") + F("interest"),
        ),
    ]
    rows: dict[tuple[str, int], FigureRow] = {}
    for column, queryset, programme, day, amount in sources:
        grouped = (
            queryset.annotate(year=ExtractYear(day)).values(programme, "year").annotate(total=Sum(amount)).order_by()
        )
        for item in grouped:
            key = (item[programme], item["year"])
            row = rows.setdefault(key, FigureRow(programme=key[0], year=key[1]))
            setattr(row, column, getattr(row, column) + (item["total"] or ZERO))
    return [rows[key] for key in sorted(rows)]


def pipeline_for_user(*, user: Any) -> list[dict[str, Any]]:
    """Number of applications and eligible amount per state, in lifecycle order (empty states included)."""
    counts = {
        row["state"]: row
        for row in application_list_for_user(user=user)
        .order_by()
        .values("state")
        .annotate(count=Count("pk"), amount=Sum("eligible_amount"))
    }
    return [
        {
            "state": state,
            "label": label,
            "count": counts[state]["count"] if state in counts else 0,
            "amount": (counts[state]["amount"] if state in counts else None) or ZERO,
        }
        for state, label in Application.State.choices
    ]
