"""The permission matrix: role × page/endpoint × object kind → expected answer, over every URL pattern that exists.

Objects are real records of the Main-Kinzig-Kreis (mkk): a demo case with participants (its task of the
participating municipality and a document), three procedures of that municipality created through the procurement
flow by its clerk, mayor and the centre (published with a bidder question, waiting for its specification, cancelled
with its Vergabevermerk), a funding application, a cost centre with its plan year, a statement, a screening round
and its top-ranked bundle, a webhook of pm.mkk. Rules checked for every cell (``_rule_violations``):

- anonymous and inactive users get the login redirect (pages) or 401/403 (API), never content;
- users of the other county (pm.gg, a mayor of Groß-Gerau) never get an mkk object (403/404);
- a municipality that does not take part in the case never sees the case, its task or its documents (404); neither
  it nor the supervisory authority sees the procedures of another municipality;
- nothing answers 5xx;
- no page or endpoint shows a case or procedure reference the user may not see (lists, counts, search, history,
  exports); plans and statements through the API carry only the rows the role may see.

``EXPECTED`` pins the answer of every GET cell (and of endpoints that need query parameters, ``QUERY_CELLS``);
``EXPECTED_WRITES`` pins every POST/DELETE a route takes, sent by every role with a minimal valid body inside a
savepoint: a refused write answers 302-to-login/401/403/404 (or 400 for input that names something outside the
user's reach) and changes nothing, neither audit entries nor rows. A change shows up as a diff. Routes whose
parameters are not known to the registry in tests/security/matrix.py, routes without an object, unpinned cells and
writes without a body fail until they are added (or listed in ``NOT_COVERED`` / ``WRITE_NOT_COVERED`` with a
reason).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from api.procurement import STEP_NAMES as PROCUREMENT_STEPS
from projects.services.periods import due_on_working_day
from tests.security.matrix import PUBLIC, Route, concrete, discover_routes, kind_of, main_kind

pytestmark = pytest.mark.django_db

# parametrised routes the matrix cannot fill yet, with the reason
NOT_COVERED: dict[str, str] = {}

# The pinned answers, one column per role in ROLES order:
# anonym inaktiv pm.mkk vergabe.mkk foerderung.mkk controlling.mkk vorstand.mkk pm.gg aufsicht.rpda
# bm.beteiligt sb.beteiligt bm.unbeteiligt sb.unbeteiligt bm.anderer-kreis
# (GET; 302 = to the login page, 401 = API without credentials, 405 = POST-only; objects as in ``world``: the
# participating municipality takes part in the case and owns the procedures; of the cost centre (the Vergabezentrum)
# the non-participating municipality is a member, the participating one is not)
EXPECTED = {
    # the profile is every logged-in person's own page; the absence of a membership only its owner's (sb.beteiligt)
    "portal/profil/": "302 302 200 200 200 200 200 200 200 200 200 200 200 200",
    "portal/profil/abwesenheit/<int:pk>/": "302 302 404 404 404 404 404 404 404 404 200 404 404 404",
    "": "302 302 302 302 302 302 302 302 302 302 302 302 302 302",  # the site root redirects to the start page
    # POST only (join request): GET is refused for everyone
    "portal/leistungen/<int:centre_pk>/<int:municipality_pk>/beitreten/": "302 302 " + " ".join(["405"] * 12),
    "api/v1/cases/": "401 401 200 200 200 200 200 200 200 200 200 200 200 200",
    "api/v1/cases/<str:id>/": "401 401 200 200 200 200 200 404 404 200 200 404 404 404",
    "api/v1/cases/<str:id>/history/": "401 401 200 200 200 200 200 404 404 200 200 404 404 404",
    "api/v1/cases/<str:id>/documents/": "401 401 200 200 200 200 200 404 404 200 200 404 404 404",
    "api/v1/cases/<str:id>/documents/<str:document_id>/file/": (
        "401 401 200 200 200 200 200 404 404 200 200 404 404 404"
    ),
    "api/v1/cases/<str:id>/flow/": "401 401 200 200 200 200 200 404 404 200 200 404 404 404",
    # the flows as BPMN 2.0: every logged-in user (a case's position only with the case, above)
    "api/v1/flows/<str:name>/bpmn": "401 401 200 200 200 200 200 200 200 200 200 200 200 200",
    "portal/ablaeufe/": "302 302 200 200 200 200 200 200 200 200 200 200 200 200",
    "portal/ablaeufe/<str:name>/": "302 302 200 200 200 200 200 200 200 200 200 200 200 200",
    "portal/ablaeufe/<str:name>/bpmn/": "302 302 200 200 200 200 200 200 200 200 200 200 200 200",
    "api/v1/costs/centres/": "401 401 200 200 200 200 200 200 200 200 200 200 200 200",
    # the bookings of a year: without the year 400; DKZ staff see every row, a member its own (_check_cost_rows)
    "api/v1/costs/actual-costs/": "401 401 400 400 400 400 400 400 400 400 400 400 400 400",
    "api/v1/costs/actual-costs/?year={year}": "401 401 200 200 200 200 200 200 200 200 200 200 200 200",
    "api/v1/costs/actual-costs/?year={year}&centre={cost_centre}": (
        "401 401 200 200 200 200 200 404 404 404 404 200 200 404"
    ),
    "api/v1/costs/prepayments/": "401 401 400 400 400 400 400 400 400 400 400 400 400 400",
    "api/v1/costs/prepayments/?year={year}": "401 401 200 200 200 200 200 200 200 200 200 200 200 200",
    "api/v1/costs/prepayments/?year={year}&centre={cost_centre}": (
        "401 401 200 200 200 200 200 404 404 404 404 200 200 404"
    ),
    "api/v1/costs/settlements/": "401 401 405 405 405 405 405 405 405 405 405 405 405 405",
    "api/v1/costs/settlements/resettle/": "401 401 405 405 405 405 405 405 405 405 405 405 405 405",
    "api/v1/costs/time-entries/": "401 401 400 400 400 400 400 400 400 400 400 400 400 400",
    "api/v1/costs/time-entries/?year={year}&centre={cost_centre}": (
        "401 401 403 403 403 200 403 404 404 404 404 403 403 404"
    ),
    "api/v1/costs/time-entries/<int:pk>/correct/": "401 401 405 405 405 405 405 405 405 405 405 405 405 405",
    "api/v1/costs/plans/save/": "401 401 405 405 405 405 405 405 405 405 405 405 405 405",
    "api/v1/costs/plans/publish/": "401 401 405 405 405 405 405 405 405 405 405 405 405 405",
    "api/v1/costs/plans/": "401 401 400 400 400 400 400 400 400 400 400 400 400 400",
    "api/v1/costs/plans/?year={year}&centre={cost_centre}": "401 401 200 200 200 200 200 404 404 404 404 200 200 404",
    "api/v1/costs/statements/": "401 401 400 400 400 400 400 400 400 400 400 400 400 400",
    "api/v1/costs/statements/?year={year}": "401 401 200 200 200 200 200 200 200 200 200 200 200 200",
    "api/v1/costs/statements/?year={year}&municipality={municipality}": (
        "401 401 404 404 404 200 404 404 404 200 200 404 404 404"
    ),
    # POST only, the user's own token (tests/api/test_token_lifecycle.py)
    "api/v1/auth/token/revoke/": "401 401 405 405 405 405 405 405 405 405 405 405 405 405",
    "api/v1/auth/token/rotate/": "401 401 405 405 405 405 405 405 405 405 405 405 405 405",
    "api/v1/docs/": "200 200 200 200 200 200 200 200 200 200 200 200 200 200",
    "api/v1/funding/applications/": "401 401 200 200 200 200 200 200 200 200 200 200 200 200",
    "api/v1/funding/applications/<int:pk>/": "401 401 200 200 200 200 200 404 404 404 404 404 404 404",
    "api/v1/funding/applications/<int:pk>/documents/": "401 401 200 200 200 200 200 404 404 404 404 404 404 404",
    "api/v1/funding/applications/<int:pk>/documents/<int:document_pk>/file/": (
        "401 401 200 200 200 200 200 404 404 404 404 404 404 404"
    ),
    # POST only: the steps of the funding flow, the saving calculation and the revocation
    "api/v1/funding/applications/<int:pk>/steps/prepare/": "401 401 405 405 405 405 405 405 405 405 405 405 405 405",
    "api/v1/funding/applications/<int:pk>/steps/review/": "401 401 405 405 405 405 405 405 405 405 405 405 405 405",
    "api/v1/funding/applications/<int:pk>/steps/submit/": "401 401 405 405 405 405 405 405 405 405 405 405 405 405",
    "api/v1/funding/applications/<int:pk>/steps/decision/": "401 401 405 405 405 405 405 405 405 405 405 405 405 405",
    "api/v1/funding/applications/<int:pk>/steps/purpose/": "401 401 405 405 405 405 405 405 405 405 405 405 405 405",
    "api/v1/funding/applications/<int:pk>/steps/proof/": "401 401 405 405 405 405 405 405 405 405 405 405 405 405",
    "api/v1/funding/applications/<int:pk>/steps/closing/": "401 401 405 405 405 405 405 405 405 405 405 405 405 405",
    "api/v1/funding/applications/<int:pk>/saving/": "401 401 405 405 405 405 405 405 405 405 405 405 405 405",
    "api/v1/funding/applications/<int:pk>/revoke/": "401 401 405 405 405 405 405 405 405 405 405 405 405 405",
    # POST only: a drawdown paid out and used, a repayment received
    "api/v1/funding/applications/<int:pk>/drawdowns/<int:drawdown_pk>/paid/": "401 401 " + " ".join(["405"] * 12),
    "api/v1/funding/applications/<int:pk>/drawdowns/<int:drawdown_pk>/used/": "401 401 " + " ".join(["405"] * 12),
    "api/v1/funding/applications/<int:pk>/repayments/<int:repayment_pk>/paid/": "401 401 " + " ".join(["405"] * 12),
    "api/v1/funding/decisions/": "401 401 200 200 200 200 200 200 200 200 200 200 200 200",
    "api/v1/funding/drawdowns/": "401 401 200 200 200 200 200 200 200 200 200 200 200 200",
    "api/v1/funding/programmes/": "401 401 200 200 200 200 200 200 200 200 200 200 200 200",
    "api/v1/funding/programmes/<int:pk>/": "401 401 200 200 200 200 200 200 200 200 200 200 200 200",
    "api/v1/me/": "401 401 200 200 200 200 200 200 200 200 200 200 200 200",
    "api/v1/municipalities/": "401 401 200 200 200 200 200 200 200 200 200 200 200 200",
    # who acts for a municipality: its own members and the DKZ of its county, nobody else
    "api/v1/municipalities/<str:id>/people/": "401 401 200 200 200 200 200 404 404 200 200 404 404 404",
    "api/v1/procedures/": "401 401 200 200 200 200 200 200 200 200 200 200 200 200",
    "api/v1/procedures/<int:pk>/": "401 401 200 200 200 200 200 404 404 200 200 404 404 404",
    "api/v1/procedures/<int:pk>/cancel/": "401 401 405 405 405 405 405 405 405 405 405 405 405 405",
    "api/v1/procedures/<int:pk>/offers/": "401 401 200 200 200 200 200 404 404 200 200 404 404 404",
    "api/v1/procedures/<int:pk>/questions/": "401 401 200 200 200 200 200 404 404 200 200 404 404 404",
    "api/v1/procedures/<int:pk>/questions/<int:question_pk>/answer/": (
        "401 401 405 405 405 405 405 405 405 405 405 405 405 405"
    ),
    # the openers are read by all who see the procedure; who may be designated only by the municipality
    "api/v1/procedures/<int:pk>/openers/": "401 401 200 200 200 200 200 404 404 200 200 404 404 404",
    "api/v1/procedures/<int:pk>/opener-candidates/": "401 401 403 403 403 403 403 404 404 200 200 404 404 404",
    # the record exists for the cancelled procedure; the § 134 letters not yet (no lot of the world is decided)
    "api/v1/procedures/<int:pk>/record.pdf": "401 401 200 200 200 200 200 404 404 200 200 404 404 404",
    "api/v1/procedures/<int:pk>/lots/<int:lot_pk>/information.pdf": (
        "401 401 404 404 404 404 404 404 404 404 404 404 404 404"
    ),
    # one operation per task of the procurement flow, POST only
    **{
        f"api/v1/procedures/<int:pk>/steps/{name}/": "401 401 405 405 405 405 405 405 405 405 405 405 405 405"
        for name in PROCUREMENT_STEPS
    },
    "api/v1/procedures/admissible-types/": "401 401 400 400 400 400 400 400 400 400 400 400 400 400",
    "api/v1/procedures/admissible-types/?kind=supplies&estimated_value=80000": (
        "401 401 200 200 200 200 200 200 200 200 200 200 200 200"
    ),
    "api/v1/schema/": "200 200 200 200 200 200 200 200 200 200 200 200 200 200",
    "api/v1/screening/rounds/": "401 401 200 200 200 200 200 200 200 200 200 200 200 200",
    "api/v1/screening/rounds/<int:pk>/declarations/": "401 401 200 200 200 200 200 404 200 200 200 200 200 404",
    "api/v1/screening/rounds/<int:pk>/bundles/": "401 401 200 200 200 200 200 404 403 403 403 403 403 404",
    # POST only (the steering group's complexity of a bundle)
    "api/v1/screening/rounds/<int:pk>/bundles/<slug:code>/complexity/": (
        "401 401 405 405 405 405 405 405 405 405 405 405 405 405"
    ),
    "api/v1/tasks/": "401 401 200 200 200 200 200 200 200 200 200 200 200 200",
    "api/v1/tasks/<str:id>/": "401 401 200 200 200 200 200 404 404 200 200 404 404 404",
    "api/v1/tasks/<str:id>/assign/": "401 401 405 405 405 405 405 405 405 405 405 405 405 405",
    "api/v1/tasks/<str:id>/complete/": "401 401 405 405 405 405 405 405 405 405 405 405 405 405",
    "api/v1/tasks/<str:id>/unassign/": "401 401 405 405 405 405 405 405 405 405 405 405 405 405",
    "api/v1/webhooks/": "401 401 200 200 200 200 200 200 200 200 200 200 200 200",
    "api/v1/webhooks/<str:id>/": "401 401 200 404 404 404 404 404 404 404 404 404 404 404",
    "api/v1/webhooks/<str:id>/deliveries/": "401 401 200 404 404 404 404 404 404 404 404 404 404 404",
    # POST only (a test delivery; sending a finished delivery again)
    "api/v1/webhooks/<str:id>/ping/": "401 401 405 405 405 405 405 405 405 405 405 405 405 405",
    "api/v1/webhooks/<str:id>/deliveries/<str:delivery_id>/redeliver/": "401 401 " + " ".join(["405"] * 12),
    "costs/": "302 302 200 200 200 200 200 200 200 200 200 200 200 200",
    "costs/centres/<int:pk>/<int:year>/": "302 302 200 200 200 200 200 404 404 404 404 200 200 404",
    # the controller's pages of a centre's year: others who see the centre get 403, the rest 404
    "costs/centres/<int:pk>/<int:year>/abrechnung/": "302 302 403 403 403 200 403 404 404 404 404 403 403 404",
    "costs/centres/<int:pk>/<int:year>/buchungen/": "302 302 403 403 403 200 403 404 404 404 404 403 403 404",
    "costs/centres/<int:pk>/<int:year>/veroeffentlichen/": "302 302 403 403 403 405 403 404 404 404 404 403 403 404",
    "costs/centres/<int:pk>/<int:year>/vorkalkulation/": "302 302 403 403 403 200 403 404 404 404 404 403 403 404",
    "costs/statements/<int:year>/<int:municipality>/": "302 302 404 404 404 200 404 404 404 200 200 404 404 404",
    "funding/": "302 302 200 200 200 200 200 200 200 200 200 200 200 200",
    "funding/applications/<int:pk>/": "302 302 200 200 200 200 200 404 404 404 404 404 404 404",
    # the saving calculation, the revocation and a new application are the funding officer's pages
    "funding/applications/<int:pk>/einsparung/": "302 302 403 403 200 403 403 404 404 404 404 404 404 404",
    "funding/applications/<int:pk>/mittelabrufe/": "302 302 302 302 302 302 302 404 404 404 404 404 404 404",
    "funding/applications/<int:pk>/unterlagen/": "302 302 302 302 302 302 302 404 404 404 404 404 404 404",
    "funding/applications/<int:pk>/unterlagen/<int:document_pk>/": (
        "302 302 200 200 200 200 200 404 404 404 404 404 404 404"
    ),
    "funding/applications/<int:pk>/unterlagen/<int:document_pk>/ersetzen/": "302 302 " + " ".join(["405"] * 12),
    "funding/applications/<int:pk>/widerruf/": "302 302 403 403 200 403 403 404 404 404 404 404 404 404",
    "funding/applications/neu/": "302 302 403 403 200 403 403 403 403 403 403 403 403 403",
    "funding/export.xlsx": "302 302 200 200 200 200 200 200 200 200 200 200 200 200",
    "healthz": "200 200 200 200 200 200 200 200 200 200 200 200 200 200",
    "portal/": "302 302 200 200 200 200 200 200 200 200 200 200 200 200",
    "portal/aufgaben/": "302 302 200 200 200 200 200 200 200 200 200 200 200 200",
    "portal/aufgaben/<int:task_pk>/": "302 302 200 200 200 200 200 404 404 200 200 404 404 404",
    "portal/benachrichtigungen/": "302 302 200 200 200 200 200 200 200 200 200 200 200 200",
    "portal/benachrichtigungen/einstellungen/": "302 302 200 200 200 200 200 200 200 200 200 200 200 200",
    "portal/vorgaenge/": "302 302 200 200 200 200 200 200 200 200 200 200 200 200",
    "portal/vorgaenge/<int:pk>/": "302 302 200 200 200 200 200 404 404 200 200 404 404 404",
    "portal/vorgaenge/<int:pk>/dokumente/": "302 302 405 405 405 405 405 405 405 405 405 405 405 405",
    "portal/vorgaenge/<int:pk>/dokumente/<int:document_pk>/": "302 302 200 200 200 200 200 404 404 200 200 404 404 404",
    "portal/vorgaenge/<int:pk>/kommentare/": "302 302 405 405 405 405 405 405 405 405 405 405 405 405",
    "portal/vorgaenge/<int:pk>/projektauftrag.pdf": "302 302 200 200 200 200 200 404 404 200 200 404 404 404",
    "portal/vorgaenge/neu/": "302 302 200 403 403 403 403 200 403 200 200 200 200 200",
    "procurement/": "302 302 200 200 200 200 200 200 200 200 200 200 200 200",
    "procurement/<int:pk>/": "302 302 200 200 200 200 200 404 404 200 200 404 404 404",
    "procurement/<int:pk>/vergabevermerk.pdf": "302 302 200 200 200 200 200 404 404 200 200 404 404 404",
    # recording an offer is the centre's page; the § 134 letters exist only after an EU award decision (none here)
    "procurement/<int:pk>/angebote/neu/": "302 302 403 200 403 403 403 404 404 403 403 404 404 404",
    "procurement/<int:pk>/lose/<int:number>/bieterinformation.pdf": (
        "302 302 404 404 404 404 404 404 404 404 404 404 404 404"
    ),
    "procurement/neu/": "302 302 403 403 403 403 403 403 403 200 200 200 200 200",
    "screening/": "302 302 200 200 200 200 200 200 200 200 200 200 200 200",
    "screening/inventory/<slug:county>/": "302 302 200 200 200 200 200 404 200 200 200 200 200 404",
    "screening/rounds/<int:pk>/": "302 302 200 200 200 200 200 404 200 200 200 200 200 404",
    "screening/rounds/<int:pk>/analysis.<str:fmt>": "302 302 200 200 200 200 200 404 403 403 403 403 403 404",
    "screening/rounds/<int:pk>/bundles/<slug:code>/case/": "302 302 200 403 403 403 403 404 403 403 403 403 403 404",
    "screening/rounds/<int:pk>/criteria/": "302 302 405 405 405 405 405 405 405 405 405 405 405 405",
    "screening/rounds/<int:pk>/bundles/<slug:code>/rank/": "302 302 405 405 405 405 405 405 405 405 405 405 405 405",
    # the steering group's complexity of a bundle: its page for the project management only
    "screening/rounds/<int:pk>/bundles/<slug:code>/complexity/": (
        "302 302 200 403 403 403 403 404 403 403 403 403 403 404"
    ),
    "screening/rounds/<int:pk>/declarations/": "302 302 403 403 403 403 403 404 403 403 200 403 200 404",
    "screening/rounds/<int:pk>/questionnaire.xlsx": "302 302 200 200 200 200 200 404 200 200 200 200 200 404",
    "screening/steering/<slug:county>/": "302 302 200 200 200 200 200 404 200 200 200 200 200 404",
}

ROLES = [
    "anonym",
    "inaktiv",
    "pm.mkk",
    "vergabe.mkk",
    "foerderung.mkk",
    "controlling.mkk",
    "vorstand.mkk",
    "pm.gg",
    "aufsicht.rpda",
    "bm.beteiligt",
    "sb.beteiligt",
    "bm.unbeteiligt",
    "sb.unbeteiligt",
    "bm.anderer-kreis",
]
OTHER_COUNTY = {"pm.gg", "bm.anderer-kreis"}
DKZ_MKK = {"pm.mkk", "vergabe.mkk", "foerderung.mkk", "controlling.mkk", "vorstand.mkk"}
NOT_LOGGED_IN = {"anonym", "inaktiv"}
NON_PARTICIPANT = {"bm.unbeteiligt", "sb.unbeteiligt"}
CASE_BOUND = {"case", "task", "document"}
# a procedure is seen by its municipalities and the DKZ of the county, not by other members or the supervision
NO_PROCEDURES = NON_PARTICIPANT | {"aufsicht.rpda"}
PROCEDURE_BOUND = {"procedure", "procedure_in_step", "procedure_documented", "question"}


@pytest.fixture
def world(users, settings, tmp_path):
    from projects.models import Case, Membership, Municipality
    from projects.roles import Role
    from projects.services.absence import substitute_candidates
    from workflows.selectors import tasks_of_case

    settings.MEDIA_ROOT = tmp_path  # the uploaded document and the Vergabevermerk PDF

    case = (
        Case.objects.filter(county__slug="mkk", participants__isnull=False)
        .exclude(stage__in=["supervision", "transferred", "rejected"])
        .distinct()
        .order_by("pk")
        .first()
    )
    assert case is not None, "the demo world has an mkk case with participants"
    inside = case.participants.order_by("municipality__ags").first().municipality
    taken = set(case.participants.values_list("municipality_id", flat=True)) | {case.proposing_municipality_id}
    outside = (
        Municipality.objects.filter(county=case.county, kind__in=["gemeinde", "stadt"])
        .exclude(pk__in=taken)
        .order_by("ags")
        .first()
    )
    other = Municipality.objects.filter(county__slug="gg", kind__in=["gemeinde", "stadt"]).order_by("ags").first()
    # the open task of the participating municipality (its mayor may act on it), else the newest task of the case
    tasks = tasks_of_case(case=case).order_by("-pk")
    task = tasks.filter(owner_permission_obj_pk=str(inside.pk), status="NEW").first() or tasks.first()
    from projects.services.cases import case_document_add

    document = case_document_add(
        case=case,
        upload=SimpleUploadedFile("Protokoll.pdf", b"%PDF-1.4 matrix", content_type="application/pdf"),
        title="Protokoll",
        by=users["pm.mkk"],
    )
    inactive = get_user_model().objects.create(username="inaktiv.mkk", is_active=False)
    accounts = {
        "anonym": None,
        "inaktiv": inactive,
        "bm.beteiligt": users[f"bm.{inside.slug}"],
        "sb.beteiligt": users[f"sb.{inside.slug}"],
        "bm.unbeteiligt": users[f"bm.{outside.slug}"],
        "sb.unbeteiligt": users[f"sb.{outside.slug}"],
        "bm.anderer-kreis": users[f"bm.{other.slug}"],
    }
    for name in ROLES:
        accounts.setdefault(name, users[name] if name not in accounts else None)
    values = {
        "case": case.pk,
        "task": task.pk,
        "document": document.pk,
        "municipality": inside.pk,
        "partners": sorted(case.participants.values_list("municipality__ags", flat=True)),  # of a funding application
        "county": "mkk",
        "export_format": "xlsx",
        "flow": "case",
        # the clerk of the participating municipality: the absence page is that person's own
        "membership": (
            clerk := Membership.objects.get(user=users[f"sb.{inside.slug}"], role=Role.CLERK, municipality=inside)
        ).pk,
        "substitute": getattr(substitute_candidates(membership=clerk).first(), "pk", ""),
    }
    values.update(_other_objects(users))
    values.update(_procedures(users, inside))
    return {"case": case, "accounts": accounts, "values": values}


def _other_objects(users) -> dict:
    import uuid

    from api.webhooks.models import WebhookDelivery
    from api.webhooks.services import subscription_create
    from costs.models import CostCentre, YearPlan
    from funding.models import Application, ApplicationDocument, Drawdown, Programme, Repayment
    from funding.services.applications import application_document_add
    from projects.models import County, ScreeningRound
    from projects.services.screening_analysis import bundle_analysis

    found = {}
    if (a := Application.objects.filter(county__slug="mkk").order_by("pk").first()) is not None:
        found["application"] = a.pk
        found["application_document"] = application_document_add(
            application=a,
            by=users["foerderung.mkk"],
            kind=ApplicationDocument.Kind.AGREEMENT,
            title="Vereinbarung",
            dated=dt.date(2025, 3, 1),
            file=SimpleUploadedFile("vereinbarung.pdf", b"%PDF-1.4 matrix", content_type="application/pdf"),
        ).pk
        # a drawdown not yet paid out and a repayment not yet received (the officer records both; the unpaid
        # drawdown's use cannot be confirmed yet)
        found["drawdown"] = Drawdown.objects.create(
            application=a, amount=1000, requested_on=dt.date(2026, 2, 1), needed_on=dt.date(2026, 3, 1)
        ).pk
        found["repayment"] = Repayment.objects.create(
            application=a,
            revoked_on=dt.date(2026, 2, 1),
            principal=1000,
            interest_from=dt.date(2026, 2, 1),
            interest_until=dt.date(2026, 3, 1),
            interest_rate_percent=6,
            interest=5,
            due_on=dt.date(2026, 3, 1),
            reason="Matrix",
        ).pk
    if (g := Programme.objects.order_by("pk").first()) is not None:
        found["programme"] = g.pk
    # a cost centre with a plan: its newest plan year is also the year of the statements
    plans = YearPlan.objects.filter(centre__dkz__slug="dkz-mkk").order_by("centre_id", "-year")
    if (plan := plans.first()) is not None:
        found["cost_centre"], found["year"] = plan.centre_id, plan.year
    elif (c := CostCentre.objects.filter(dkz__slug="dkz-mkk").order_by("pk").first()) is not None:
        found["cost_centre"], found["year"] = c.pk, dt.date.today().year - 1
    if "cost_centre" in found:
        # a member of the centre and a time entry booked for it in the plan year (the controller may correct it)
        from costs.services import time_entry_book

        centre = CostCentre.objects.get(pk=found["cost_centre"])
        member = centre.members.order_by("name").first()
        found["cost_member"] = member.pk
        found["time_entry"] = time_entry_book(
            centre=centre,
            municipality=member,
            hours=2,
            activity="Matrix",
            booked_by=None,
            on=dt.date(found["year"], 6, 1),
        ).pk
    if (r := ScreeningRound.objects.filter(county__slug="mkk").order_by("pk").first()) is not None:
        found["round"] = r.pk
        if rows := bundle_analysis(screening_round=r):
            found["bundle"] = rows[0].code  # the top-ranked bundle: the project management may start a case from it
    hook = subscription_create(
        owner=users["pm.mkk"],
        url="https://127.0.0.1:9/hook",
        events=["case.stage_changed"],
        secret="matrix-" + "k" * 32,
        county=County.objects.get(slug="mkk"),
    )
    found["webhook"] = hook.pk
    # a delivery of it that failed for good: its owner may send it again
    found["webhook_delivery"] = WebhookDelivery.objects.create(
        subscription=hook,
        event="case.stage_changed",
        event_id=uuid.uuid4(),
        subject_type="case",
        subject_id="0",
        body="{}",
        status=WebhookDelivery.Status.FAILED,
    ).pk
    return found


def _procedures(users, municipality) -> dict:
    """Three procedures of the participating municipality, handed over by its clerk and advanced through the flow by
    the real roles: one published with an open bidder question, one waiting for its specification, and one cancelled
    by the mayor whose Vergabevermerk the centre has created."""
    from decimal import Decimal

    from django.utils import timezone
    from viewflow.workflow import STATUS

    from procurement.models import Procedure
    from procurement.services import procedure as svc
    from procurement.services.record import procedure_record_create
    from workflows import engine
    from workflows.procurement import ProcurementFlow, procurement_flow_cancel, procurement_flow_start

    clerk, mayor, centre = users[f"sb.{municipality.slug}"], users[f"bm.{municipality.slug}"], users["vergabe.mkk"]
    flow = ProcurementFlow

    def requested(subject):
        procedure = svc.procedure_request(
            municipality=municipality, by=clerk, subject=subject, kind="supplies", estimated_value=Decimal("80000")
        )
        return procedure, procurement_flow_start(procedure=procedure)

    def complete(process, node, user, **data):
        task = process.task_set.get(flow_task=node, status__in=[STATUS.NEW, STATUS.ASSIGNED])
        engine.task_complete(task=task, user=user, data=data)

    published, process = requested("Streusalz Winter")
    openers = [users["vergabe.mkk"].pk, users["vergabe2.mkk"].pk]
    complete(process, flow.choose_type, clerk, procedure_type=published.proposed_type, openers=openers)
    complete(process, flow.write_specification, clerk, text="200 t Streusalz, Lieferung auf Abruf")
    complete(process, flow.approve_specification, mayor, confirm=True)  # four-eyes: not the author
    complete(process, flow.prepare_documents, centre, tender_documents="Aufforderung, Vertrag", price_weight="100")
    deadline = due_on_working_day(timezone.now() + dt.timedelta(days=60))  # never on a weekend/holiday
    complete(process, flow.publish, centre, offer_deadline=deadline.isoformat(), electronic=True)
    question = svc.question_record(procedure=published, by=centre, question="Sind Teillieferungen zulässig?")

    in_step, process = requested("Büromaterial")
    complete(process, flow.choose_type, clerk, procedure_type=in_step.proposed_type, openers=openers)  # next: spec

    documented, _process = requested("Kehrmaschine")
    documented = procurement_flow_cancel(procedure=documented, by=mayor, reason="Bedarf entfallen")
    procedure_record_create(procedure=documented, by=centre)
    states = {p.pk: p.status for p in Procedure.objects.filter(pk__in=[published.pk, in_step.pk, documented.pk])}
    assert states == {published.pk: "published", in_step.pk: "type_chosen", documented.pk: "cancelled"}
    return {
        "procedure": published.pk,
        "lot": published.lots.get().pk,
        "lot_number": 1,
        "question": question.pk,
        "procedure_in_step": in_step.pk,
        "procedure_documented": documented.pk,
    }


def _client(account) -> Client:
    client = Client(raise_request_exception=False)  # a crash is a 500 cell, not an aborted matrix
    if account is not None:
        client.force_login(account)
    return client


# Endpoints that answer only with query parameters: a second pass with valid parameters (objects as in ``world``),
# pinned in EXPECTED under "<path>?<query>". (path, query, the object kind the query names)
QUERY_CELLS = [
    ("api/v1/costs/plans/", "year={year}&centre={cost_centre}", "cost_centre"),
    ("api/v1/costs/time-entries/", "year={year}&centre={cost_centre}", "cost_centre"),
    ("api/v1/costs/statements/", "year={year}", "list"),
    ("api/v1/costs/actual-costs/", "year={year}", "list"),
    ("api/v1/costs/actual-costs/", "year={year}&centre={cost_centre}", "cost_centre"),
    ("api/v1/costs/prepayments/", "year={year}", "list"),
    ("api/v1/costs/prepayments/", "year={year}&centre={cost_centre}", "cost_centre"),
    ("api/v1/costs/statements/", "year={year}&municipality={municipality}", "municipality"),
    ("api/v1/procedures/admissible-types/", "kind=supplies&estimated_value=80000", "list"),
]


@dataclass(frozen=True)
class Cell:
    key: str  # the route's path, or "<path>?<query>"
    url: str
    kind: str
    is_api: bool
    public: bool


def _cells(world) -> list[Cell]:
    cells = []
    for route in discover_routes():
        if route.path in NOT_COVERED or (url := concrete(route, world["values"])) is None:
            continue
        cells.append(Cell(route.path, url, main_kind(route), route.is_api, route.path in PUBLIC))
    for path, query, kind in QUERY_CELLS:
        url = "/" + path + "?" + query.format(**world["values"])
        cells.append(Cell(f"{path}?{query}", url, kind, path.startswith("api/"), False))
    return cells


def _observe(world) -> tuple[dict, dict, dict]:
    codes: dict[tuple[str, str], int] = {}
    bodies: dict[tuple[str, str], bytes] = {}
    cells = {cell.key: cell for cell in _cells(world)}
    clients = {name: _client(account) for name, account in world["accounts"].items()}
    for cell in cells.values():
        for role in ROLES:
            response = clients[role].get(cell.url)
            codes[(cell.key, role)] = response.status_code
            if response.status_code == 200 and not response.streaming:
                bodies[(cell.key, role)] = response.content
    return cells, codes, bodies


def _rule_violations(cell: Cell, role: str, code: int) -> list[str]:
    problems = []
    if code >= 500:
        problems.append("server error")
    kind = cell.kind
    if role in NOT_LOGGED_IN and not cell.public:
        allowed = {401, 403} if cell.is_api else {302}
        if code not in allowed:
            problems.append(f"not logged in: {code}, expected {sorted(allowed)}")
    if role in OTHER_COUNTY and kind not in ("list", "programme", "flow") and code == 200 and kind != "county":
        problems.append("other county sees an mkk object")
    if role in OTHER_COUNTY and kind == "county" and code == 200:
        problems.append("other county sees the mkk county page")
    if role in NON_PARTICIPANT and kind in CASE_BOUND and code == 200:
        problems.append("non-participant sees the case")
    if role in NO_PROCEDURES and kind in PROCEDURE_BOUND and code == 200:
        problems.append("sees a procedure of another municipality")
    return problems


def test_every_route_is_covered_by_the_matrix(world):
    routes = [r for r in discover_routes() if r.path not in NOT_COVERED]
    unknown = [r.path for r in routes if any(kind_of(r, p) is None for p in r.params)]
    assert unknown == [], "add the object kinds of these routes to tests/security/matrix.py (KINDS)"
    without_object = [r.path for r in routes if concrete(r, world["values"]) is None]
    assert without_object == [], "give these routes a demo object in ``world`` (or list them in NOT_COVERED)"


def _check_rules(world, cells, codes):
    violations = [
        (key, role, code, problem)
        for (key, role), code in codes.items()
        for problem in _rule_violations(cells[key], role, code)
    ]
    assert violations == [], "\n".join(map(str, violations))
    if os.environ.get("MATRIX_PRINT"):
        print(json.dumps({f"{p} | {r}": c for (p, r), c in sorted(codes.items())}, indent=0, ensure_ascii=False))


def _check_pinned_table(world, codes):
    observed = {path: " ".join(str(codes[(path, role)]) for role in ROLES) for path in {p for p, _r in codes}}
    differences = {
        path: {"expected": EXPECTED[path], "observed": observed[path]}
        for path in EXPECTED
        if path in observed and observed[path] != EXPECTED[path]
    }
    assert differences == {}, json.dumps(differences, indent=1)
    missing = {p: observed[p] for p in sorted(set(observed) - set(EXPECTED) - {"api/v1/auth/token/"})}
    assert missing == {}, "new pages (the rules already apply): pin them in EXPECTED " + json.dumps(missing, indent=1)


def _visible_cases(account) -> set[int]:
    """Cases the user may see, plus those of tasks the user must act on (a statute consent of every
    Anstaltsträger is asked of municipalities that do not take part)."""
    from projects.selectors import case_list_for_user
    from workflows.selectors import task_list_for_user

    if account is None or not account.is_active:
        return set()
    visible = set(case_list_for_user(user=account).values_list("pk", flat=True))
    for task in task_list_for_user(user=account).select_related("process"):
        if task.process.artifact_object_id:
            visible.add(int(task.process.artifact_object_id))
    return visible


def _visible_procedures(account) -> set[int]:
    from procurement.selectors import procedure_list_for_user

    if account is None or not account.is_active:
        return set()
    return set(procedure_list_for_user(user=account).values_list("pk", flat=True))


def _check_no_leaks(world, bodies):
    from procurement.models import Procedure
    from projects.models import Case

    references = {
        "case": dict(Case.objects.values_list("pk", "number")),
        "procedure": dict(Procedure.objects.values_list("pk", "reference")),
    }
    visibility = {
        role: {"case": _visible_cases(account), "procedure": _visible_procedures(account)}
        for role, account in world["accounts"].items()
    }
    leaks = []
    for (path, role), body in bodies.items():
        visible = visibility[role]
        text = body.decode("utf-8", "replace")
        for kind, numbers in references.items():
            for pk, reference in numbers.items():
                if pk not in visible[kind] and reference and re.search(re.escape(reference) + r"(?!\d)", text):
                    leaks.append((path, role, reference))
    assert leaks == [], "\n".join(map(str, leaks))


# --- the write pass -----------------------------------------------------------------------------------------------
# Every route that takes POST (or DELETE) × role, with a minimal valid body that names objects of ``world``. Each
# request runs inside a savepoint that is rolled back, so an authorised role's success does not spoil the next cell.
# A cell is the answer, with "+" when the request changed something (audit entries, rows of the product's tables, or
# the rows of the object the action is about); a refused request must change nothing.


def _first_pk(model_path: str, **filters) -> int:
    from django.apps import apps

    return apps.get_model(model_path).objects.filter(**filters).order_by("pk").values_list("pk", flat=True)[0]


def _first_code(model_path: str, **filters) -> str:
    from django.apps import apps

    return apps.get_model(model_path).objects.filter(**filters).order_by("pk").values_list("code", flat=True)[0]


def _upload(v):
    return {
        "file": SimpleUploadedFile("Anlage.pdf", b"%PDF-1.4 matrix", content_type="application/pdf"),
        "title": "Anlage",
    }


def _rows(model_path: str, **filters):
    from django.apps import apps

    return lambda v: apps.get_model(model_path).objects.filter(**{k: f(v) for k, f in filters.items()})


_TASK = _rows("viewflow.Task", pk=lambda v: v["task"])
_APPLICATION = _rows("funding.Application", pk=lambda v: v["application"])
_APPLICATION_DOCUMENT = _rows("funding.ApplicationDocument", pk=lambda v: v["application_document"])


def _first_pks(model_path: str, **filters) -> list[int]:
    from django.apps import apps

    return list(apps.get_model(model_path).objects.filter(**filters).order_by("pk").values_list("pk", flat=True))


def _saving_body(v) -> dict:
    """Previous costs of every partner of the application and the joint unit's costs."""
    body = {"joint_personnel": "100000", "joint_material": "10000"}
    for pk in _first_pks("funding.ApplicationPartner", application_id=v["application"]):
        from funding.models import ApplicationPartner

        municipality_id = ApplicationPartner.objects.get(pk=pk).municipality_id
        body[f"personnel_{municipality_id}"] = "50000"
        body[f"material_{municipality_id}"] = "5000"
    return body


def _saving_api_body(v) -> dict:
    """The saving calculation as the API takes it: previous costs per partner (by AGS) and the joint unit's."""
    from funding.models import ApplicationPartner

    rows = ApplicationPartner.objects.filter(application_id=v["application"]).select_related("municipality")
    return {
        "previous": [{"municipality": r.municipality.ags, "personnel": "50000", "material": "5000"} for r in rows],
        "joint_personnel": "100000",
        "joint_material": "10000",
    }


def _funding_tasks(v):
    """The open steps of the application's flow (a refused step must leave them as they are)."""
    from funding.models import Application
    from workflows.funding import funding_process_of

    process = funding_process_of(application=Application.objects.get(pk=v["application"]))
    from viewflow.workflow.models import Task

    return Task.objects.filter(process=process) if process is not None else Task.objects.none()


_FUNDING_TASKS = _funding_tasks

_PROCEDURE = _rows("procurement.Procedure", pk=lambda v: v["procedure"])
_QUESTION = _rows("procurement.BidderQuestion", pk=lambda v: v["question"])
_PROCEDURE_IN_STEP = _rows("procurement.Procedure", pk=lambda v: v["procedure_in_step"])
OPENERS = ("vergabe.mkk", "vergabe2.mkk")


def _assign_to_mayor(world):
    """The task is held by the participating mayor (who may hand it back; nobody else may)."""
    from viewflow.workflow.models import Task

    from workflows import engine

    engine.task_assign(task=Task.objects.get(pk=world["values"]["task"]), user=world["accounts"]["bm.beteiligt"])


@dataclass(frozen=True)
class Write:
    body: Callable[[dict], dict]  # from world["values"]
    watch: tuple = ()  # the object the action is about: callables returning querysets (their rows must not change)
    setup: Callable[[dict], None] | None = None  # inside the savepoint, before the request
    own: bool = False  # acts on the user's own data (notifications), not on an object of the mkk world


WRITES: dict[str, Write] = {
    "POST api/v1/cases/": Write(
        lambda v: {"county": "mkk", "title": "Gemeinsamer Bauhof", "proposing_municipality": v["municipality"]}
    ),
    "POST api/v1/costs/actual-costs/": Write(
        lambda v: {"centre": v["cost_centre"], "year": v["year"], "amount": "100.00", "description": "Matrix"}
    ),
    "POST api/v1/costs/prepayments/": Write(
        lambda v: {
            "centre": v["cost_centre"],
            "year": v["year"],
            "municipality": v["cost_member"],
            "amount": "100.00",
            "received_on": f"{v['year']}-03-01",
        }
    ),
    "POST api/v1/costs/settlements/": Write(lambda v: {"centre": v["cost_centre"], "year": v["year"]}),
    "POST api/v1/costs/settlements/resettle/": Write(
        lambda v: {"centre": v["cost_centre"], "year": v["year"], "reason": "Nachtrag"}
    ),
    "POST api/v1/costs/time-entries/": Write(
        lambda v: {
            "centre": v["cost_centre"],
            "municipality": v["cost_member"],
            "on": f"{v['year']}-06-02",
            "hours": "1.5",
            "activity": "Matrix",
        }
    ),
    "POST api/v1/costs/time-entries/<int:pk>/correct/": Write(
        lambda v: {"hours": "1", "reason": "Nachtrag"}, (_rows("costs.TimeEntry", pk=lambda v: v["time_entry"]),)
    ),
    "POST costs/centres/<int:pk>/<int:year>/abrechnung/": Write(lambda v: {"confirm": "on"}),
    "POST costs/centres/<int:pk>/<int:year>/buchungen/": Write(
        lambda v: {"action": "cost", "cost-amount": "100,00", "cost-description": "Matrix"}
    ),
    "POST costs/centres/<int:pk>/<int:year>/veroeffentlichen/": Write(
        lambda v: {}, (_rows("costs.YearPlan", centre_id=lambda v: v["cost_centre"]),)
    ),
    "POST costs/centres/<int:pk>/<int:year>/vorkalkulation/": Write(
        lambda v: {"budget": "1.200.000,00", "note": "Matrix"},
        (_rows("costs.YearPlan", centre_id=lambda v: v["cost_centre"]),),
    ),
    "POST api/v1/funding/applications/": Write(
        lambda v: {
            "title": "Gemeinsames Standesamt",
            "programme": "ikz-hessen",
            "county": "mkk",
            "partners": v["partners"],
            "duration_years": 5,
        }
    ),
    "POST portal/profil/abwesenheit/<int:pk>/": Write(
        lambda v: {"absent_from": "2099-07-01", "absent_until": "2099-07-10", "substitute": v["substitute"]},
        (_rows("projects.Membership", pk=lambda v: v["membership"]),),
    ),
    "POST api/v1/funding/applications/<int:pk>/steps/prepare/": Write(
        lambda v: {"checked_on": "2025-10-01"}, (_APPLICATION, _FUNDING_TASKS)
    ),
    "POST api/v1/funding/applications/<int:pk>/steps/review/": Write(
        lambda v: {"decision": "approve"}, (_APPLICATION, _FUNDING_TASKS)
    ),
    "POST api/v1/funding/applications/<int:pk>/steps/submit/": Write(
        lambda v: {"submitted_on": "2025-10-15"}, (_APPLICATION, _FUNDING_TASKS)
    ),
    "POST api/v1/funding/applications/<int:pk>/steps/decision/": Write(
        lambda v: {"outcome": "grant", "decided_on": "2026-01-15", "amount": "75000"}, (_APPLICATION, _FUNDING_TASKS)
    ),
    "POST api/v1/funding/applications/<int:pk>/steps/purpose/": Write(
        lambda v: {"fulfilled_on": "2026-02-01"}, (_APPLICATION, _FUNDING_TASKS)
    ),
    "POST api/v1/funding/applications/<int:pk>/steps/proof/": Write(
        lambda v: {"submitted_on": "2026-03-01", "amount_used": "75000"}, (_APPLICATION, _FUNDING_TASKS)
    ),
    "POST api/v1/funding/applications/<int:pk>/steps/closing/": Write(
        lambda v: {"accepted_on": "2026-04-01"}, (_APPLICATION, _FUNDING_TASKS)
    ),
    "POST api/v1/funding/applications/<int:pk>/saving/": Write(_saving_api_body, (_APPLICATION,)),
    "POST api/v1/funding/applications/<int:pk>/drawdowns/<int:drawdown_pk>/paid/": Write(
        lambda v: {"paid_on": "2026-02-05"}, (_rows("funding.Drawdown", pk=lambda v: v["drawdown"]),)
    ),
    "POST api/v1/funding/applications/<int:pk>/drawdowns/<int:drawdown_pk>/used/": Write(
        lambda v: {"used_on": "2026-02-20"}, (_rows("funding.Drawdown", pk=lambda v: v["drawdown"]),)
    ),
    "POST api/v1/funding/applications/<int:pk>/repayments/<int:repayment_pk>/paid/": Write(
        lambda v: {"paid_on": "2026-02-25"}, (_rows("funding.Repayment", pk=lambda v: v["repayment"]),)
    ),
    "POST api/v1/screening/rounds/": Write(
        lambda v: {"county": "mkk", "name": "Matrix 2099", "starts_on": "2099-01-01", "ends_on": "2099-03-31"}
    ),
    "POST api/v1/funding/applications/<int:pk>/revoke/": Write(
        lambda v: {
            "revoked_on": "2026-02-01",
            "principal": "1000",
            "base_rate_percent": "1.27",
            "interest_from": "2025-06-01",
            "due_on": "2026-03-01",
            "reason": "Zweck verfehlt",
        },
        (_APPLICATION,),
    ),
    "POST api/v1/costs/plans/save/": Write(
        lambda v: {
            "centre": v["cost_centre"],
            "year": v["year"],
            "budget": "1200000.00",
            "quantities": [],
            "note": "Matrix",
        },
        (_rows("costs.YearPlan", centre_id=lambda v: v["cost_centre"]),),
    ),
    "POST api/v1/costs/plans/publish/": Write(
        lambda v: {"centre": v["cost_centre"], "year": v["year"]},
        (_rows("costs.YearPlan", centre_id=lambda v: v["cost_centre"]),),
    ),
    "POST api/v1/cases/<str:id>/documents/": Write(_upload),
    "POST api/v1/screening/rounds/<int:pk>/declarations/": Write(
        lambda v: {
            "municipality": v["municipality"],
            "task_area": _first_code("projects.TaskArea", is_active=True),
            "interested": True,
            "urgency": 7,
        },
        (_rows("projects.InterestDeclaration", round_id=lambda v: v["round"]),),
    ),
    "POST api/v1/funding/drawdowns/": Write(
        lambda v: {
            "application": v["application"],
            "amount": "1000",
            "requested_on": "2026-02-01",
            "needed_on": "2026-03-01",
        }
    ),
    "POST api/v1/funding/applications/<int:pk>/documents/": Write(
        lambda v: {"kind": "agreement", "title": "Vereinbarung", "dated": "2025-03-01"}, (_APPLICATION,)
    ),
    "POST api/v1/funding/applications/<int:pk>/documents/<int:document_pk>/file/": Write(
        lambda v: {**_upload(v), "dated": "2025-03-02"}, (_APPLICATION_DOCUMENT,)
    ),
    "POST funding/applications/neu/": Write(
        lambda v: {
            "programme": _first_pk("funding.Programme", code="ikz-hessen"),
            "title": "Gemeinsames Standesamt",
            "county": _first_pk("projects.County", slug="mkk"),
            "partners": _first_pks("projects.Municipality", ags__in=v["partners"]),
            "form": "cooperation",
            "duration_years": "5",
        }
    ),
    "POST funding/applications/<int:pk>/unterlagen/": Write(
        lambda v: {**_upload(v), "item": "agreement:", "dated": "2025-03-01"}, (_APPLICATION,)
    ),
    "POST funding/applications/<int:pk>/unterlagen/<int:document_pk>/ersetzen/": Write(
        _upload, (_APPLICATION_DOCUMENT,)
    ),
    "POST funding/applications/<int:pk>/einsparung/": Write(_saving_body, (_APPLICATION,)),
    "POST funding/applications/<int:pk>/mittelabrufe/": Write(
        lambda v: {"amount": "1000", "requested_on": "2026-02-01", "needed_on": "2026-03-01"}, (_APPLICATION,)
    ),
    "POST funding/applications/<int:pk>/widerruf/": Write(
        lambda v: {
            "revoked_on": "2026-02-01",
            "principal": "1000",
            "base_rate_percent": "1,27",
            "interest_from": "2025-06-01",
            "due_on": "2026-03-01",
            "reason": "Zweck verfehlt",
        },
        (_APPLICATION,),
    ),
    "POST api/v1/procedures/": Write(
        lambda v: {
            "municipality": v["municipality"],
            "subject": "Druckerpapier",
            "kind": "supplies",
            "estimated_value": "5000",
        }
    ),
    "POST api/v1/procedures/<int:pk>/cancel/": Write(lambda v: {"reason": "Bedarf entfallen"}, (_PROCEDURE,)),
    "POST api/v1/procedures/<int:pk>/offers/": Write(
        lambda v: {"bidder": "Salz GmbH", "price": "70000"}, (_PROCEDURE,)
    ),
    "POST api/v1/procedures/<int:pk>/questions/": Write(lambda v: {"question": "Gibt es Lose?"}, (_PROCEDURE,)),
    "POST api/v1/procedures/<int:pk>/questions/<int:question_pk>/answer/": Write(
        lambda v: {"answer": "Ja, in Teilmengen von 20 t."}, (_PROCEDURE, _QUESTION)
    ),
    # the procedure in step waits for its specification; every other step is not open there (409)
    **{
        f"POST api/v1/procedures/<int:pk>/steps/{name}/": Write(
            (lambda v: {"text": "Leistungsbeschreibung: 5.000 Blatt je Monat"})
            if name == "write_specification"
            else (lambda v: {"confirm": True}),
            (_PROCEDURE_IN_STEP,),
        )
        for name in PROCUREMENT_STEPS
    },
    "POST api/v1/procedures/<int:pk>/openers/": Write(
        lambda v: {"openers_from": "centre", "openers": _first_pks("auth.User", username__in=OPENERS)},
        (_PROCEDURE_IN_STEP, _rows("procurement.Procedure_openers", procedure_id=lambda v: v["procedure_in_step"])),
    ),
    "POST api/v1/tasks/<str:id>/assign/": Write(lambda v: {}, (_TASK,)),
    "POST api/v1/tasks/<str:id>/complete/": Write(lambda v: {"decision": "approved"}, (_TASK,)),
    "POST api/v1/tasks/<str:id>/unassign/": Write(lambda v: {}, (_TASK,), setup=_assign_to_mayor),
    "POST api/v1/webhooks/": Write(
        lambda v: {
            "url": "https://127.0.0.1:9/neu",
            "events": ["case.stage_changed"],
            "secret": "s" * 32,
            "county": "mkk",
        }
    ),
    "DELETE api/v1/webhooks/<str:id>/": Write(
        lambda v: {}, (_rows("api.WebhookSubscription", pk=lambda v: v["webhook"]),)
    ),
    "POST api/v1/webhooks/<str:id>/ping/": Write(
        lambda v: {}, (_rows("api.WebhookSubscription", pk=lambda v: v["webhook"]),)
    ),
    "POST api/v1/webhooks/<str:id>/deliveries/<str:delivery_id>/redeliver/": Write(
        lambda v: {}, (_rows("api.WebhookDelivery", pk=lambda v: v["webhook_delivery"]),)
    ),
    "POST portal/aufgaben/": Write(lambda v: {"action": "claim", "task": [v["task"]]}, (_TASK,)),
    "POST portal/aufgaben/<int:task_pk>/": Write(lambda v: {"decision": "approved"}, (_TASK,)),
    "POST portal/benachrichtigungen/": Write(
        lambda v: {}, (_rows("portal.Notification", read_at__isnull=lambda v: True),), own=True
    ),
    "POST portal/benachrichtigungen/einstellungen/": Write(lambda v: {"delivery": "digest"}, own=True),
    "POST portal/leistungen/<int:centre_pk>/<int:municipality_pk>/beitreten/": Write(
        lambda v: {"note": "Bitte um Aufnahme"}
    ),
    "POST portal/vorgaenge/<int:pk>/dokumente/": Write(_upload),
    "POST portal/vorgaenge/<int:pk>/kommentare/": Write(lambda v: {"text": "Wir sind dabei."}),
    "POST portal/vorgaenge/neu/": Write(
        lambda v: {"title": "Gemeinsamer Bauhof", "proposer": f"municipality:{v['municipality']}", "source": "own_idea"}
    ),
    "POST procurement/<int:pk>/angebote/neu/": Write(
        lambda v: {"lot": v["lot"], "bidder": "Salz GmbH", "price": "70.000,00"}, (_PROCEDURE,)
    ),
    "POST procurement/neu/": Write(
        lambda v: {
            "municipality": v["municipality"],
            "subject": "Druckerpapier",
            "kind": "supplies",
            "estimated_value": "5.000,00",
            "openers_from": "centre",
        }
    ),
    "POST screening/inventory/<slug:county>/": Write(
        lambda v: {
            "topic": _first_pk("projects.InventoryTopic"),
            "municipality": v["municipality"],
            "state": "expected",
        },
        (_rows("projects.InventoryEntry", municipality_id=lambda v: v["municipality"]),),
    ),
    "POST screening/rounds/<int:pk>/bundles/<slug:code>/case/": Write(lambda v: {}),
    "POST screening/rounds/<int:pk>/bundles/<slug:code>/complexity/": Write(
        lambda v: {"complexity": "4", "note": "Beschluss der Lenkungsgruppe"},
        (_rows("projects.BundleComplexity", round_id=lambda v: v["round"]),),
    ),
    "POST api/v1/screening/rounds/<int:pk>/bundles/<slug:code>/complexity/": Write(
        lambda v: {"complexity": 4, "note": "Beschluss der Lenkungsgruppe"},
        (_rows("projects.BundleComplexity", round_id=lambda v: v["round"]),),
    ),
    "POST screening/rounds/<int:pk>/bundles/<slug:code>/rank/": Write(
        lambda v: {"decided_rank": "1", "reason": "Beschluss der Lenkungsgruppe"},
        (_rows("projects.BundleRankDecision", round_id=lambda v: v["round"]),),
    ),
    "POST screening/rounds/<int:pk>/criteria/": Write(
        lambda v: {"weight_ease": "20", "weight_reach": "40", "weight_urgency": "40", "county_wide_share": "0,6"},
        (
            _rows("projects.ScreeningRound", pk=lambda v: v["round"]),
            _rows("projects.ScoringCriterion", round_id=lambda v: v["round"]),
        ),
    ),
    "POST screening/rounds/<int:pk>/declarations/": Write(
        lambda v: {
            "municipality": v["municipality"],
            "task_area": _first_pk("projects.TaskArea", is_active=True),
            "interested": "1",
            "urgency": "5",
            "complexity": "5",
        },
        (_rows("projects.InterestDeclaration", round_id=lambda v: v["round"]),),
    ),
}
WRITE_NOT_COVERED = {
    "POST api/v1/auth/token/": "the login itself (credentials and lockout: test_security_basics)",
    "POST api/v1/auth/token/rotate/": "the user's own token only (tests/api/test_token_lifecycle.py)",
    "POST api/v1/auth/token/revoke/": "the user's own token only (tests/api/test_token_lifecycle.py)",
}

# The pinned writes, columns as in EXPECTED ("+" = the request changed something). The participating municipality
# (bm./sb.beteiligt) is the one of the case, of the task (its mayor approves the project order) and of the three
# procedures; it is not yet a member of the cost centre, so its mayor may ask to join.
EXPECTED_WRITES = {
    # the absence of a membership: only its owner (sb.beteiligt) reaches it; the matrix's body is refused by the
    # absence service's checks (400, nothing changed); a successful change is tested in tests/portal/test_profile.py
    "POST portal/profil/abwesenheit/<int:pk>/": "302 302 404 404 404 404 404 404 404 404 400 404 404 404",
    # IKZ cases: an idea for the municipality by itself or the project management; the DKZ staff working on cases
    # and the participating municipality comment and add documents, the board reads only (docs/architecture.md);
    # the task is the mayor's (approve the project order)
    "POST api/v1/cases/": "401 401 201+ 403 403 403 403 403 403 201+ 201+ 403 403 403",
    "POST portal/vorgaenge/neu/": "302 302 400 403 403 403 403 400 403 302+ 302+ 400 400 400",
    "POST portal/vorgaenge/<int:pk>/kommentare/": "302 302 302+ 302+ 302+ 302+ 403 404 404 302+ 302+ 404 404 404",
    "POST portal/vorgaenge/<int:pk>/dokumente/": "302 302 302+ 302+ 302+ 302+ 403 404 404 302+ 302+ 404 404 404",
    "POST api/v1/tasks/<str:id>/assign/": "401 401 403 403 403 403 403 404 404 200+ 403 404 404 404",
    "POST api/v1/tasks/<str:id>/complete/": "401 401 403 403 403 403 403 404 404 200+ 403 404 404 404",
    "POST api/v1/tasks/<str:id>/unassign/": "401 401 403 403 403 403 403 404 404 200+ 403 404 404 404",
    "POST portal/aufgaben/": "302 302 302 302 302 302 302 302 302 302+ 302 302 302 302",  # claim; others: a warning
    "POST portal/aufgaben/<int:task_pk>/": "302 302 403 403 403 403 403 404 404 302+ 403 404 404 404",
    # procurement: the municipality requests, writes the specification (clerk) and cancels (mayor); the centre
    # records questions and offers and answers; nobody else sees the procedure
    "POST api/v1/procedures/": "401 401 403 403 403 403 403 404 403 201+ 201+ 404 404 404",
    "POST procurement/neu/": "302 302 403 403 403 403 403 403 403 302+ 302+ 400 400 400",
    "POST api/v1/procedures/<int:pk>/steps/write_specification/": (
        "401 401 403 403 403 403 403 404 404 403 200+ 404 404 404"
    ),
    **{
        f"POST api/v1/procedures/<int:pk>/steps/{name}/": "401 401 409 409 409 409 409 404 404 409 409 404 404 404"
        for name in PROCUREMENT_STEPS
        if name != "write_specification"
    },
    "POST api/v1/procedures/<int:pk>/openers/": "401 401 403 403 403 403 403 404 404 200+ 200+ 404 404 404",
    "POST api/v1/procedures/<int:pk>/questions/": "401 401 403 201+ 403 403 403 404 404 403 403 404 404 404",
    "POST api/v1/procedures/<int:pk>/questions/<int:question_pk>/answer/": (
        "401 401 403 200+ 403 403 403 404 404 403 403 404 404 404"
    ),
    "POST api/v1/procedures/<int:pk>/offers/": "401 401 403 201+ 403 403 403 404 404 403 403 404 404 404",
    "POST api/v1/procedures/<int:pk>/cancel/": "401 401 403 403 403 403 403 404 404 200+ 403 404 404 404",
    "POST procurement/<int:pk>/angebote/neu/": "302 302 403 302+ 403 403 403 404 404 403 403 404 404 404",
    # funding: the funding officer (the demo application is not granted yet: no drawdown, 400); partners the user
    # cannot see are dropped, so other members get 400 ("at least one partner") before the capability check; a
    # drawdown for an application the user cannot see is refused like one for an unknown application (400)
    "POST api/v1/funding/applications/": "401 401 403 403 201+ 403 403 400 403 403 403 400 400 400",
    "POST api/v1/cases/<str:id>/documents/": "401 401 201+ 201+ 201+ 201+ 403 404 404 201+ 201+ 404 404 404",
    "POST api/v1/screening/rounds/<int:pk>/declarations/": "401 401 403 403 403 403 403 404 403 403 200+ 403 403 404",
    "POST api/v1/funding/drawdowns/": "401 401 403 403 400 403 403 400 400 400 400 400 400 400",
    # funding documents: the funding officer uploads and replaces (a partner only its own council resolution, the
    # application of the matrix has none of the roles' municipalities as partner); the saving calculation, a new
    # application; drawdown and revocation need a grant (the demo application is not granted: 400)
    "POST api/v1/funding/applications/<int:pk>/documents/": "401 401 403 403 201+ 403 403 404 404 404 404 404 404 404",
    # the new file is sent as the upload it is (multipart): the funding officer replaces it, nobody else may
    "POST api/v1/funding/applications/<int:pk>/documents/<int:document_pk>/file/": (
        "401 401 403 403 200+ 403 403 404 404 404 404 404 404 404"
    ),
    # the steps of the funding flow through the API: the funding officer's (the demo application has no open step:
    # 409, nothing changed); the saving calculation; the revocation needs a grant (400)
    "POST api/v1/funding/applications/<int:pk>/steps/prepare/": (
        "401 401 403 403 409 403 403 404 404 404 404 404 404 404"
    ),
    "POST api/v1/funding/applications/<int:pk>/steps/review/": (
        "401 401 403 403 409 403 403 404 404 404 404 404 404 404"
    ),
    "POST api/v1/funding/applications/<int:pk>/steps/submit/": (
        "401 401 403 403 409 403 403 404 404 404 404 404 404 404"
    ),
    "POST api/v1/funding/applications/<int:pk>/steps/decision/": (
        "401 401 403 403 409 403 403 404 404 404 404 404 404 404"
    ),
    "POST api/v1/funding/applications/<int:pk>/steps/purpose/": (
        "401 401 403 403 409 403 403 404 404 404 404 404 404 404"
    ),
    "POST api/v1/funding/applications/<int:pk>/steps/proof/": "401 401 403 403 409 403 403 404 404 404 404 404 404 404",
    "POST api/v1/funding/applications/<int:pk>/steps/closing/": (
        "401 401 403 403 409 403 403 404 404 404 404 404 404 404"
    ),
    "POST api/v1/funding/applications/<int:pk>/saving/": "401 401 403 403 200+ 403 403 404 404 404 404 404 404 404",
    "POST api/v1/funding/applications/<int:pk>/revoke/": "401 401 403 403 400 403 403 404 404 404 404 404 404 404",
    # payments after the grant: the funding officer only; the matrix's drawdown is not paid out yet, so its use
    # cannot be confirmed (400)
    "POST api/v1/funding/applications/<int:pk>/drawdowns/<int:drawdown_pk>/paid/": (
        "401 401 403 403 200+ 403 403 404 404 404 404 404 404 404"
    ),
    "POST api/v1/funding/applications/<int:pk>/drawdowns/<int:drawdown_pk>/used/": (
        "401 401 403 403 400 403 403 404 404 404 404 404 404 404"
    ),
    "POST api/v1/funding/applications/<int:pk>/repayments/<int:repayment_pk>/paid/": (
        "401 401 403 403 200+ 403 403 404 404 404 404 404 404 404"
    ),
    # a screening round: the project management of the county opens it
    "POST api/v1/screening/rounds/": "401 401 201+ 403 403 403 403 403 403 403 403 403 403 403",
    "POST funding/applications/<int:pk>/unterlagen/": "302 302 403 403 302+ 403 403 404 404 404 404 404 404 404",
    "POST funding/applications/<int:pk>/unterlagen/<int:document_pk>/ersetzen/": (
        "302 302 403 403 302+ 403 403 404 404 404 404 404 404 404"
    ),
    "POST funding/applications/<int:pk>/einsparung/": "302 302 403 403 302+ 403 403 404 404 404 404 404 404 404",
    "POST funding/applications/<int:pk>/mittelabrufe/": "302 302 403 403 400 403 403 404 404 404 404 404 404 404",
    "POST funding/applications/<int:pk>/widerruf/": "302 302 403 403 400 403 403 404 404 404 404 404 404 404",
    "POST funding/applications/neu/": "302 302 403 403 302+ 403 403 403 403 403 403 403 403 403",
    # screening: the project management sets criteria and starts cases, the clerk declares and keeps the inventory
    "POST screening/rounds/<int:pk>/criteria/": "302 302 302+ 403 403 403 403 404 403 403 403 403 403 404",
    "POST screening/rounds/<int:pk>/bundles/<slug:code>/rank/": (
        "302 302 302+ 403 403 403 403 404 403 403 403 403 403 404"
    ),
    "POST screening/rounds/<int:pk>/bundles/<slug:code>/case/": (
        "302 302 302+ 403 403 403 403 404 403 403 403 403 403 404"
    ),
    "POST screening/rounds/<int:pk>/bundles/<slug:code>/complexity/": (
        "302 302 302+ 403 403 403 403 404 403 403 403 403 403 404"
    ),
    "POST api/v1/screening/rounds/<int:pk>/bundles/<slug:code>/complexity/": (
        "401 401 200+ 403 403 403 403 404 403 403 403 403 403 404"
    ),
    "POST screening/rounds/<int:pk>/declarations/": "302 302 403 403 403 403 403 404 403 403 302+ 403 400 404",
    "POST screening/inventory/<slug:county>/": "302 302 302+ 403 403 403 403 404 403 403 302+ 403 403 404",
    # cafeteria: only the mayor of a member of the DKZ asks to join (the clerk gets a message)
    "POST portal/leistungen/<int:centre_pk>/<int:municipality_pk>/beitreten/": (
        "302 302 404 404 404 404 404 404 404 302+ 302 404 404 404"
    ),
    # costs: only the controller of the centre's DKZ plans, books, settles (the world's plan is published already,
    # the year is not settled yet, so re-settling it is refused); members of the centre see it but get 403
    "POST costs/centres/<int:pk>/<int:year>/vorkalkulation/": (
        "302 302 403 403 403 302+ 403 404 404 404 404 403 403 404"
    ),
    "POST costs/centres/<int:pk>/<int:year>/veroeffentlichen/": (
        "302 302 403 403 403 302 403 404 404 404 404 403 403 404"
    ),
    "POST costs/centres/<int:pk>/<int:year>/buchungen/": "302 302 403 403 403 302+ 403 404 404 404 404 403 403 404",
    "POST costs/centres/<int:pk>/<int:year>/abrechnung/": "302 302 403 403 403 302+ 403 404 404 404 404 403 403 404",
    "POST api/v1/costs/plans/save/": "401 401 403 403 403 200+ 403 404 404 404 404 403 403 404",
    "POST api/v1/costs/plans/publish/": "401 401 403 403 403 400 403 404 404 404 404 403 403 404",
    "POST api/v1/costs/actual-costs/": "401 401 403 403 403 201+ 403 404 404 404 404 403 403 404",
    "POST api/v1/costs/time-entries/": "401 401 403 403 403 201+ 403 404 404 404 404 403 403 404",
    "POST api/v1/costs/time-entries/<int:pk>/correct/": "401 401 403 403 403 201+ 403 404 404 404 404 403 403 404",
    "POST api/v1/costs/prepayments/": "401 401 403 403 403 201+ 403 404 404 404 404 403 403 404",
    "POST api/v1/costs/settlements/": "401 401 403 403 403 201+ 403 404 404 404 404 403 403 404",
    "POST api/v1/costs/settlements/resettle/": "401 401 403 403 403 400 403 404 404 404 404 403 403 404",
    # webhooks: the project management for its county; only the owner removes one
    "POST api/v1/webhooks/": "401 401 201+ 403 403 403 403 403 403 403 403 403 403 403",
    "DELETE api/v1/webhooks/<str:id>/": "401 401 204+ 404 404 404 404 404 404 404 404 404 404 404",
    # the owner alone sends a test delivery or a finished delivery again (a new delivery row and an audit entry)
    "POST api/v1/webhooks/<str:id>/ping/": "401 401 202+ 404 404 404 404 404 404 404 404 404 404 404",
    "POST api/v1/webhooks/<str:id>/deliveries/<str:delivery_id>/redeliver/": "401 401 202+ " + " ".join(["404"] * 11),
    # the user's own notifications (read) and e-mail setting
    "POST portal/benachrichtigungen/": "302 302 302+ 302 302 302 302 302 302 302+ 302+ 302+ 302 302",
    "POST portal/benachrichtigungen/einstellungen/": "302 302 " + " ".join(["302+"] * 12),
}


def _write_routes(world) -> dict[str, tuple[str, str]]:
    """Every write a route takes: "METHOD path" → (method, URL). Redirect-only views (the site root) act on nothing."""
    from django.urls import resolve
    from django.views.generic import RedirectView

    found = {}
    for route in discover_routes():
        if (url := concrete(route, world["values"])) is None:
            continue
        view = resolve(url).func
        cls = getattr(view, "view_class", None) or getattr(view, "cls", None)
        if cls is None or issubclass(cls, RedirectView):
            continue
        for method in ("post", "delete"):
            if hasattr(cls, method) and method in getattr(cls, "http_method_names", [method]):
                found[f"{method.upper()} {route.path}"] = (method, url)
    return found


def _watched_models():
    from django.apps import apps

    labels = {"projects", "procurement", "funding", "costs", "portal", "api", "workflows", "viewflow", "authtoken"}
    return [m for m in apps.get_models() if m._meta.app_label in labels and not m._meta.proxy]


def _state(world, write: Write) -> tuple:
    from projects.models import AuditEntry

    counts = tuple(model._default_manager.count() for model in _watched_models())
    rows = tuple(tuple(map(repr, watch(world["values"]).order_by("pk").values())) for watch in write.watch)
    return AuditEntry.objects.count(), counts, rows


def _observe_writes(world) -> tuple[dict, dict]:
    from django.db import transaction

    cells, locations = {}, {}
    clients = {name: _client(account) for name, account in world["accounts"].items()}
    for key, (method, url) in sorted(_write_routes(world).items()):
        if key in WRITE_NOT_COVERED:
            continue
        write = WRITES[key]
        api = key.split(" ", 1)[1].startswith("api/")
        for role in ROLES:
            savepoint = transaction.savepoint()
            try:
                if write.setup is not None:
                    write.setup(world)
                before = _state(world, write)
                body = write.body(world["values"])
                if api and not any(hasattr(value, "read") for value in body.values()):
                    response = getattr(clients[role], method)(url, json.dumps(body), content_type="application/json")
                else:
                    response = getattr(clients[role], method)(url, body)
                changed = _state(world, write) != before
            finally:
                transaction.savepoint_rollback(savepoint)
            cells[(key, role)] = f"{response.status_code}{'+' if changed else ''}"
            locations[(key, role)] = response.get("Location", "") if response.status_code == 302 else ""
    return cells, locations


def _write_violations(route: Route, key: str, role: str, cell: str, location: str) -> list[str]:
    from django.conf import settings

    problems = []
    code, changed = int(cell.rstrip("+")), cell.endswith("+")
    api = route.is_api
    to_login = code == 302 and location.startswith(settings.LOGIN_URL)
    kind = main_kind(route)
    if code >= 500:
        problems.append("server error")
    if role in NOT_LOGGED_IN and not ((api and code in (401, 403)) or (not api and to_login)):
        problems.append("not logged in, but not sent to the login")
    if changed and (code in (400, 401, 403, 404, 405) or to_login):
        problems.append("refused, but something changed")
    if changed and role in OTHER_COUNTY and not WRITES[key].own:
        problems.append("the other county changed something in the mkk world")
    if changed and role in NON_PARTICIPANT and kind in CASE_BOUND:
        problems.append("a non-participant changed the case")
    if changed and role in NO_PROCEDURES and kind in PROCEDURE_BOUND:
        problems.append("changed a procedure of another municipality")
    return problems


def test_writes_act_only_within_the_rights_of_the_role_and_a_refusal_changes_nothing(world):
    """One POST (or DELETE) per write route × role (about 400 requests), each rolled back afterwards."""
    unknown = sorted(set(_write_routes(world)) - set(WRITES) - set(WRITE_NOT_COVERED))
    assert unknown == [], "give these writes a minimal valid body in WRITES"
    cells, locations = _observe_writes(world)
    routes = {r.path: r for r in discover_routes()}
    violations = [
        (key, role, cell, problem)
        for (key, role), cell in sorted(cells.items())
        for problem in _write_violations(routes[key.split(" ", 1)[1]], key, role, cell, locations[(key, role)])
    ]
    assert violations == [], "\n".join(map(str, violations))
    observed = {key: " ".join(cells[(key, role)] for role in ROLES) for key in sorted({k for k, _r in cells})}
    differences = {
        key: {"expected": EXPECTED_WRITES.get(key), "observed": answer}
        for key, answer in observed.items()
        if EXPECTED_WRITES.get(key) != answer
    }
    assert differences == {}, json.dumps(differences, indent=1)


def _check_cost_rows(world, bodies):
    """The plan of the cost centre: the DKZ staff of the county see every member's row, a member only its own; the
    statements of a year: a municipality sees its own, the controller those of every municipality of the county."""
    from costs.models import CostCentre
    from projects.models import Municipality
    from projects.selectors import municipality_ids_of

    centre = CostCentre.objects.get(pk=world["values"]["cost_centre"])
    members = set(centre.memberships.values_list("municipality_id", flat=True))
    county = set(Municipality.objects.filter(county__slug="mkk").values_list("pk", flat=True))
    wrong = []
    for role in ROLES:
        account = world["accounts"][role]
        own = municipality_ids_of(user=account) if account is not None and account.is_active else set()
        if (body := bodies.get(("api/v1/costs/plans/?year={year}&centre={cost_centre}", role))) is not None:
            rows = {row["municipality"]["id"] for row in json.loads(body)["rows"]}
            if rows != (members if role in DKZ_MKK else own & members):
                wrong.append(("plan", role, sorted(rows)))
        if (body := bodies.get(("api/v1/costs/prepayments/?year={year}", role))) is not None:
            payers = {row["municipality"]["id"] for row in json.loads(body)["results"]}
            if role not in DKZ_MKK and not payers <= own:
                wrong.append(("prepayments", role, sorted(payers)))
        if (body := bodies.get(("api/v1/costs/statements/?year={year}", role))) is not None:
            seen = {statement["municipality"]["id"] for statement in json.loads(body)["statements"]}
            if seen != (county if role == "controlling.mkk" else own):
                wrong.append(("statements", role, sorted(seen)))
    assert wrong == [], "\n".join(map(str, wrong))


def test_permission_matrix_holds_for_every_role_page_and_object_and_nothing_leaks(world):
    """One pass over every route × role (about 1,000 requests), checked four ways."""
    cells, codes, bodies = _observe(world)
    _check_rules(world, cells, codes)  # never content without login, never an mkk object for the other county, no 5xx
    _check_pinned_table(world, codes)  # every covered cell answers as pinned in EXPECTED
    _check_no_leaks(world, bodies)  # no case or procedure number outside the user's visibility on any page
    _check_cost_rows(world, bodies)  # plans and statements through the API: only the rows the role may see
