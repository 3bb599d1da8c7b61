""" "Not there" and "not yours" get the same answer (issue 19, item 7): a drawdown for an application the user may
not see is refused exactly like one for an application that does not exist."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from funding.models import Application

pytestmark = pytest.mark.django_db


def _drawdown(client: APIClient, application_id: int):
    return client.post(
        "/api/v1/funding/drawdowns/",
        {"application": application_id, "amount": "1000.00", "requested_on": "2026-01-15", "needed_on": "2026-02-01"},
        format="json",
    )


def test_a_drawdown_for_an_invisible_application_answers_like_an_unknown_one(users):
    invisible = Application.objects.filter(county__slug="mkk").order_by("pk").first()
    assert invisible is not None
    unknown = (Application.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000
    client = APIClient()
    client.force_authenticate(users["foerderung.gg"])
    answers = [_drawdown(client, pk) for pk in (invisible.pk, unknown)]
    assert [a.status_code for a in answers] == [400, 400]
    bodies = [a.content.decode().replace(str(pk), "ID") for a, pk in zip(answers, (invisible.pk, unknown), strict=True)]
    assert bodies[0] == bodies[1]
