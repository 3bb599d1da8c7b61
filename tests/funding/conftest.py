from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from funding.models import ApplicationDocument, Decision, Programme
from funding.services import applications as svc
from funding.services.deadlines import funding_deadlines_notify
from projects.models import Case, CaseParticipant, County, Municipality, TaskTransfer


@pytest.fixture
def ikz():
    return Programme.objects.get(code="ikz-hessen")


@pytest.fixture
def starke_heimat():
    return Programme.objects.get(code="starke-heimat-digital")


@pytest.fixture
def mkk():
    return County.objects.get(slug="mkk")


@pytest.fixture
def ozg_partners():
    """The OZG centre of seed 000, with the number of OZG services each must implement."""
    services = {"grosskrotzenburg": 80, "ronneburg": 113, "neuberg": 115}
    return {Municipality.objects.get(slug=slug): count for slug, count in services.items()}


def municipalities(count: int, county: str = "mkk") -> list[Municipality]:
    return list(Municipality.objects.filter(county__slug=county, kind="gemeinde").order_by("ags")[:count])


@pytest.fixture
def transferred_case(mkk, ozg_partners, users):
    case = Case.objects.create(
        county=mkk,
        number="MKK-TEST-OZG",
        title="OZG-Zentrum",
        created_by=users["pm.mkk"],
        stage=Case.Stage.TRANSFERRED,
        route=Case.Route.COUNTY_WIDE,
    )
    for municipality in ozg_partners:
        CaseParticipant.objects.create(case=case, municipality=municipality)
    TaskTransfer.objects.create(
        case=case,
        effective_date=dt.date(2025, 1, 1),
        term_years=5,
        allocation_key="units",
        recorded_by=users["pm.mkk"],
    )
    return case


def add_documents(application, officer, on):
    """Saving calculation and every document of the checklist."""
    partners = list(application.partners.all())
    svc.application_saving_record(
        application=application,
        by=officer,
        previous={m: (Decimal("50000"), Decimal("5000")) for m in partners},
        joint_personnel=Decimal("120000"),
        joint_material=Decimal("15000"),
    )
    for m in partners:
        svc.application_document_add(
            application=application,
            by=officer,
            kind=ApplicationDocument.Kind.COUNCIL_RESOLUTION,
            title=f"Beschluss {m}",
            dated=on,
            municipality=m,
        )
    for kind in (ApplicationDocument.Kind.AGREEMENT, ApplicationDocument.Kind.SAVING_CALCULATION):
        svc.application_document_add(application=application, by=officer, kind=kind, title=str(kind), dated=on)


def prepare(application, officer, on):
    add_documents(application, officer, on)
    return svc.application_prepare(application=application, by=officer, on=on)


def granted_application(ikz, case, officer, ozg_partners, *, amount=Decimal("75000")):
    application = svc.application_create(
        by=officer, programme=ikz, title="OZG Prozessdesigner", case=case, duration_years=5
    )
    application = prepare(application, officer, dt.date(2025, 10, 1))
    application = svc.application_review_start(application=application, by=officer)
    application = svc.application_submit(application=application, by=officer, submitted_on=dt.date(2025, 10, 15))
    svc.decision_record(
        application=application,
        by=officer,
        outcome=Decision.Outcome.GRANT,
        decided_on=dt.date(2026, 1, 15),
        amount=amount,
        conditions="ANBest-P",
        earmark_until=dt.date(2031, 1, 14),
        first_year=2026,
        key=ozg_partners,
        reference="RPDA-IKZ-1",
    )
    application.refresh_from_db()
    return application


def notify(application, now):
    """The reminders and escalations produced at ``now`` for this application (the demo's are left aside)."""
    return [n for n in funding_deadlines_notify(now=now) if n.deadline.application_id == application.pk]
