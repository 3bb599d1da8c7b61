"""The case's funding step: after the transfer, the application runs as a child process and the case waits for the
grant notice (issues 3 and 7)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from viewflow.workflow import STATUS
from viewflow.workflow.models import Process, Task

from funding.models import Application, Programme
from tests.cases.helpers import (
    approve_all,
    check_economy,
    complete,
    muni,
    new_case,
    open_tasks,
    order_data,
    resolve_all,
    user,
)
from tests.funding.conftest import add_documents
from workflows import engine
from workflows.funding import FundingFlow
from workflows.selectors import process_of_case

pytestmark = pytest.mark.django_db


def _child_task(child, node):
    return Task.objects.get(process=child, flow_task=node, status__in=[STATUS.NEW, STATUS.ASSIGNED])


def test_funding_application_runs_as_child_and_the_case_waits_for_the_notice():
    case = new_case(title="Interkommunales Digitalisierungszentrum", task_area="EDV & Digitalisierung")
    complete(case, "screening", "pm.mkk", decision="pursue", route="bilateral", agreement_form="mandate")
    members = [muni(s) for s in ("grosskrotzenburg", "ronneburg", "neuberg")]
    complete(case, "development", "pm.mkk", **order_data(members, members[0]))
    approve_all(case, members)
    resolve_all(case, members)
    complete(case, "funding_decision", "pm.mkk", apply="yes")
    for m in members:
        complete(case, "sign_agreement", f"bm.{m.slug}", municipality=m, agreed="yes")
    complete(case, "supervisory_review", "aufsicht.lr-mkk", outcome="acknowledged")  # § 35 Abs. 2 KGG: Landrat
    check_economy(case)
    complete(
        case,
        "task_transfer",
        "pm.mkk",
        effective_date=timezone.localdate().isoformat(),
        term_years=5,
        allocation_key="units",
    )

    # the funding officer, not the project manager, starts the application
    officer = user("foerderung.mkk")
    task = open_tasks(case, "funding_application")[0]
    with pytest.raises(Exception) as err:
        engine.task_complete(
            task=task, user=user("pm.mkk"), data={"programme": Programme.objects.get(code="ikz-hessen").pk}
        )
    assert err.typename == "PermissionDenied"
    complete(case, "funding_application", "foerderung.mkk", programme=Programme.objects.get(code="ikz-hessen").pk)

    parent = process_of_case(case=case)
    child = Process.objects.get(parent_task__process=parent)
    application = Application.objects.get(case=case)
    assert set(application.partners.values_list("slug", flat=True)) == {m.slug for m in members}
    assert parent.status != STATUS.DONE
    assert open_tasks(case, "await_funding_decision")

    today = timezone.localdate()
    add_documents(application, officer, today)
    for node, data in [
        (FundingFlow.prepare, {"checked_on": today.isoformat()}),
        (FundingFlow.review, {"decision": "approve"}),
        (FundingFlow.submit, {"submitted_on": today.isoformat()}),
        (
            FundingFlow.decision,
            {
                "outcome": "grant",
                "decided_on": (today + dt.timedelta(days=1)).isoformat(),
                "amount": "75000",
                "first_year": str(today.year + 1),
                "key": "\n".join(f"{m.ags}=1" for m in members),
            },
        ),
    ]:
        engine.task_complete(task=_child_task(child, node), user=officer, data=data)

    parent.refresh_from_db()
    assert parent.status == STATUS.DONE  # the case continued once the notice was recorded
    assert not open_tasks(case, "await_funding_decision")
    child.refresh_from_db()
    assert child.status != STATUS.DONE  # the grant itself runs on to the proof of use
