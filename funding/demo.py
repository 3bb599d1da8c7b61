"""Demo content of the funding domain for `seed_demo` (idempotent).

The programmes come from fixtures/; one example application of seed 000: the OZG centre of Großkrotzenburg,
Ronneburg and Neuberg applies for the Hessian IKZ funding (process designer, "ggf. 100.000 € (KIKZ)").
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction

from funding.models import Application, ApplicationDocument, Decision, Programme
from funding.services.applications import (
    application_create,
    application_document_add,
    application_prepare,
    application_purpose_fulfilled,
    application_review_start,
    application_saving_record,
    application_submit,
    decision_record,
    drawdown_record,
    drawdown_use_confirm,
)
from funding.services.reference import funding_load_reference
from projects.models import County, Municipality

OZG_TITLE = "OZG-Zentrum: Prozessdesigner (KIKZ)"
GG_TITLE = "Gemeinsames Standesamt Ried (Beispiel)"


@transaction.atomic
def funding_demo_seed() -> None:
    funding_load_reference()
    _ozg_application()
    _granted_example()


def _documents(application, officer, partners, day) -> None:
    for municipality in partners:
        application_document_add(
            application=application,
            by=officer,
            kind=ApplicationDocument.Kind.COUNCIL_RESOLUTION,
            title=f"Beschluss {municipality.name}",
            dated=day,
            municipality=municipality,
        )
    for kind, title in (
        (ApplicationDocument.Kind.AGREEMENT, "Öffentlich-rechtliche Vereinbarung"),
        (ApplicationDocument.Kind.SAVING_CALCULATION, "Einsparberechnung"),
    ):
        application_document_add(application=application, by=officer, kind=kind, title=title, dated=day)


def _granted_example() -> None:
    """A granted example in Groß-Gerau (invented figures), so that the dashboard shows amounts and deadlines."""
    officer = get_user_model().objects.filter(username="foerderung.gg").first()
    county = County.objects.filter(slug="gg").first()
    if officer is None or county is None or Application.objects.filter(title=GG_TITLE).exists():
        return
    slugs = ["biebesheim-am-rhein", "gernsheim", "riedstadt", "stockstadt-am-rhein"]
    partners = list(Municipality.objects.filter(slug__in=slugs))
    if len(partners) != len(slugs):
        return
    application = application_create(
        by=officer,
        programme=Programme.objects.get(code="ikz-hessen"),
        county=county,
        title=GG_TITLE,
        partners=partners,
        duration_years=6,
    )
    application_saving_record(
        application=application,
        by=officer,
        previous={m: (Decimal("61000"), Decimal("7000")) for m in partners},
        joint_personnel=Decimal("196000"),
        joint_material=Decimal("20000"),
    )
    _documents(application, officer, partners, dt.date(2025, 2, 3))
    application = application_prepare(application=application, by=officer, on=dt.date(2025, 2, 10))
    application = application_review_start(application=application, by=officer)
    application = application_submit(application=application, by=officer, submitted_on=dt.date(2025, 2, 24))
    decision_record(
        application=application,
        by=officer,
        outcome=Decision.Outcome.GRANT,
        decided_on=dt.date(2025, 5, 12),
        amount=Decimal("100000"),
        conditions="ANBest-P",
        earmark_until=dt.date(2031, 5, 11),
        first_year=2025,
        last_year=2026,
        key={m: Decimal(1) for m in partners},
        reference="RPDA-IKZ-2025-017",
    )
    for requested, needed, amount, used in (
        (dt.date(2025, 6, 2), dt.date(2025, 7, 1), Decimal("40000"), dt.date(2025, 7, 15)),
        (dt.date(2026, 1, 12), dt.date(2026, 2, 2), Decimal("35000"), dt.date(2026, 2, 20)),
    ):
        drawdown = drawdown_record(
            application=application,
            by=officer,
            amount=amount,
            requested_on=requested,
            needed_on=needed,
            paid_on=requested + dt.timedelta(days=3),
        )
        drawdown_use_confirm(drawdown=drawdown, by=officer, used_on=used)
    application_purpose_fulfilled(application=application, by=officer, fulfilled_on=dt.date(2026, 6, 30))


def _ozg_application() -> None:
    officer = get_user_model().objects.filter(username="foerderung.mkk").first()
    county = County.objects.filter(slug="mkk").first()
    if officer is None or county is None or Application.objects.filter(title=OZG_TITLE).exists():
        return
    partners = list(Municipality.objects.filter(slug__in=["grosskrotzenburg", "ronneburg", "neuberg"]))
    if len(partners) != 3:
        return
    application = application_create(
        by=officer,
        programme=Programme.objects.get(code="ikz-hessen"),
        county=county,
        title=OZG_TITLE,
        partners=partners,
        duration_years=5,
    )
    # Example figures for the demo, not taken from the seeds.
    previous = {m: (Decimal("42000"), Decimal("6000")) for m in partners}
    application_saving_record(
        application=application,
        by=officer,
        previous=previous,
        joint_personnel=Decimal("104000"),
        joint_material=Decimal("12000"),
    )
    today = dt.date(2025, 3, 1)
    _documents(application, officer, partners, today)
    application_prepare(application=application, by=officer, on=today)
