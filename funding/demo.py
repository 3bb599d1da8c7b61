"""Demo content of the funding domain for `seed_demo` (idempotent).

The programmes come from fixtures/; one example application of seed 000: the OZG centre of Großkrotzenburg,
Ronneburg and Neuberg applies for the Hessian IKZ funding (process designer, "ggf. 100.000 € (KIKZ)").
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction

from funding.models import Application, ApplicationDocument, Programme
from funding.services.applications import (
    application_create,
    application_document_add,
    application_prepare,
    application_saving_record,
)
from funding.services.reference import funding_load_reference
from projects.models import County, Municipality

OZG_TITLE = "OZG-Zentrum: Prozessdesigner (KIKZ)"


@transaction.atomic
def funding_demo_seed() -> None:
    funding_load_reference()
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
    for municipality in partners:
        application_document_add(
            application=application,
            by=officer,
            kind=ApplicationDocument.Kind.COUNCIL_RESOLUTION,
            title=f"Beschluss {municipality.name}",
            dated=today,
            municipality=municipality,
        )
    application_document_add(
        application=application,
        by=officer,
        kind=ApplicationDocument.Kind.AGREEMENT,
        title="Tätigkeits- und Budgetvereinbarung OZG",
        dated=today,
    )
    application_document_add(
        application=application,
        by=officer,
        kind=ApplicationDocument.Kind.SAVING_CALCULATION,
        title="Einsparberechnung OZG-Zentrum",
        dated=today,
    )
    application_prepare(application=application, by=officer, on=today)
