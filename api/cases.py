"""IKZ cases: list, start (exactly as the portal: capture, then start the flow), one case, its history.

Visibility: ``projects.selectors.case_list_for_user`` / ``case_for_user``. Starting: the services
``case_capture`` and ``workflows.case.case_start`` in one transaction.
"""

from __future__ import annotations

from functools import reduce
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from viewflow.workflow import STATUS

from api.openapi import errors, id_parameter
from api.pagination import Pagination
from api.tasks import MunicipalityRefSerializer
from costs.economic import FIGURES as ECONOMIC_CHECK_FIGURES
from costs.economic import economic_check_of
from costs.models import EconomicCheck
from projects.models import (
    Case,
    County,
    Institution,
    Municipality,
    StatuteAmendment,
    SupervisoryDecision,
)
from projects.money import MONEY
from projects.selectors import case_for_user, case_list_for_user
from projects.services.audit import audit_for_subject
from projects.services.cases import case_capture, county_dkz_or_none
from projects.services.supervision import case_competent_authority
from workflows.case import case_start
from workflows.selectors import next_due_by_case, tasks_of_case


def _municipality(m: Municipality | None) -> dict[str, Any] | None:
    return {"id": m.pk, "ags": m.ags, "name": m.name} if m is not None else None


# --- shapes -------------------------------------------------------------------------------------------------------
class CaseSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField(help_text="Aktenzeichen")
    title = serializers.CharField()
    stage = serializers.ChoiceField(choices=Case.Stage.choices)
    stage_label = serializers.CharField()
    route = serializers.CharField(allow_blank=True)
    county = serializers.CharField(help_text="Kürzel des Landkreises (mkk, gg)")
    proposing_municipality = MunicipalityRefSerializer(allow_null=True)
    created_at = serializers.DateTimeField()
    next_due = serializers.DateField(
        allow_null=True, help_text="Nächste Frist: die früheste der offenen Aufgaben oder die des Vorgangs selbst"
    )


class ApprovalStateSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    decision = serializers.CharField()
    reason = serializers.CharField(allow_blank=True)
    decided_at = serializers.DateTimeField()


class ResolutionStateSerializer(serializers.Serializer):
    body = serializers.CharField(
        help_text="Beschließendes Gremium nach der Art der Kommune: Gemeindevertretung, "
        "Stadtverordnetenversammlung oder Kreistag"
    )
    session_date = serializers.DateField()
    outcome = serializers.CharField(help_text="adopted oder rejected (eine Vertagung steht unter deferral)")
    minute_reference = serializers.CharField(allow_blank=True)


class DeferralStateSerializer(serializers.Serializer):
    body = serializers.CharField(help_text="Gremium, das die Entscheidung vertagt hat")
    session_date = serializers.DateField(help_text="Sitzung, in der vertagt wurde")
    next_session_date = serializers.DateField(help_text="Nächste Sitzung: neuer Termin des Gremienbeschlusses")
    minute_reference = serializers.CharField(allow_blank=True)


class ConsentStateSerializer(serializers.Serializer):
    municipality = MunicipalityRefSerializer()
    kind = serializers.CharField(help_text="statute (Satzungsänderung) oder agreement (Vereinbarung)")
    agreed = serializers.BooleanField()
    note = serializers.CharField(allow_blank=True)
    decided_at = serializers.DateTimeField()
    council_body = serializers.CharField(allow_blank=True, help_text="Gremium, dessen Beschluss die Erklärung trägt")
    council_session_date = serializers.DateField(allow_null=True)
    council_minute_reference = serializers.CharField(allow_blank=True)


class ParticipantSerializer(serializers.Serializer):
    municipality = MunicipalityRefSerializer()
    is_lead = serializers.BooleanField()
    status = serializers.CharField(help_text="active oder dropped")
    approval = ApprovalStateSerializer(allow_null=True, help_text="Freigabe der aktuellen Version")
    resolution = ResolutionStateSerializer(allow_null=True)
    deferral = DeferralStateSerializer(
        allow_null=True,
        help_text="Die jüngste Vertagung, solange noch kein Gremienbeschluss vorliegt (die Kommune bleibt beteiligt)",
    )
    council_body = serializers.CharField(
        help_text="Das Gremium, das für diese Kommune beschließt (nach ihrer Art, HGO § 9 / HKO § 8)"
    )
    consent = ConsentStateSerializer(allow_null=True)


class ProjectOrderSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    goals = serializers.CharField()
    results = serializers.CharField()
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    cost_estimate = serializers.DecimalField(max_digits=14, decimal_places=2)
    expected_saving = serializers.DecimalField(max_digits=14, decimal_places=2)
    project_lead = serializers.CharField()
    created_at = serializers.DateTimeField()


class OpenTaskSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    node = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()
    municipality_id = serializers.IntegerField(allow_null=True)
    assignee = serializers.CharField(allow_null=True)
    due = serializers.DateField(allow_null=True)


class BoardResolutionStateSerializer(serializers.Serializer):
    adopted = serializers.BooleanField(help_text="true: Satzungsänderung beschlossen; false: abgelehnt")
    session_date = serializers.DateField(help_text="Sitzung des Verwaltungsrats")
    minute_reference = serializers.CharField(help_text="Niederschrift oder Vorlage des Verwaltungsrats")


class StatuteAmendmentStateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=StatuteAmendment.Status.choices)
    supervision = serializers.ChoiceField(
        choices=StatuteAmendment.Supervision.choices, help_text="Genehmigung oder Anzeige bei der Aufsicht"
    )
    board_first = serializers.BooleanField(
        help_text="Laut Satzung der Anstalt beschließt zuerst der Verwaltungsrat, dann stimmen die Anstaltsträger zu"
    )
    board_resolution = BoardResolutionStateSerializer(
        allow_null=True,
        help_text="Der Beschluss des Verwaltungsrats; leer, solange keiner erfasst ist (oder die Satzung keinen "
        "vorsieht)",
    )


class CountyOrganisationSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    organisation_form = serializers.ChoiceField(
        choices=Institution.OrganisationForm.choices,
        help_text="joint_institution: gemeinsame kommunale Anstalt (AöR) mit Anstaltsträgern und Verwaltungsrat; "
        "ikz_office: IKZ-Geschäftsstelle bei einer Mitgliedskommune (öffentlich-rechtliche Vereinbarungen)",
    )
    organisation_form_label = serializers.CharField(help_text="Die Organisationsform in Worten")
    host_municipality = MunicipalityRefSerializer(
        allow_null=True, help_text="Nur bei einer Geschäftsstelle: die Kommune, bei der sie angesiedelt ist"
    )
    steering_body = serializers.CharField(allow_blank=True, help_text="z. B. Verwaltungsrat oder Lenkungsgruppe")
    verwaltungsrat_resolves_first = serializers.BooleanField(
        help_text="Laut Satzung beschließt der Verwaltungsrat über Satzungsänderungen vor den Anstaltsträgern"
    )
    summary = serializers.CharField(help_text="Eine Zeile wie auf der Seite des Vorgangs")


class SupervisoryDecisionStateSerializer(serializers.Serializer):
    subject = serializers.ChoiceField(
        choices=[("statute", _("Satzungsänderung")), ("agreement", _("Vereinbarung"))],
        help_text="statute (Satzungsänderung) oder agreement (Vereinbarung)",
    )
    outcome = serializers.ChoiceField(choices=SupervisoryDecision.Outcome.choices)
    note = serializers.CharField(allow_blank=True)
    decided_at = serializers.DateTimeField()


class CompetentAuthoritySerializer(serializers.Serializer):
    name = serializers.CharField(help_text="Name der Behörde; solange die Beteiligten offen sind: „noch offen“")
    level = serializers.CharField(
        allow_blank=True,
        help_text="Ebene der Aufsicht (landrat, rp, ministry); leer, solange die Beteiligten nicht feststehen",
    )
    reason = serializers.CharField(help_text="Warum diese Behörde zuständig ist (§ 35 KGG)")


class TransferStateSerializer(serializers.Serializer):
    effective_date = serializers.DateField(help_text="Wirksam ab")
    term_years = serializers.IntegerField(help_text="Laufzeit (Jahre)")
    allocation_key = serializers.CharField(help_text="Verteilungsschlüssel")
    cost_centre_code = serializers.CharField(allow_blank=True, help_text="Kostenstelle")


class EconomicCheckStateSerializer(serializers.Serializer):
    year = serializers.IntegerField(help_text="Bezugsjahr des Vollkostensatzes")
    hours_per_year = serializers.DecimalField(max_digits=9, decimal_places=2, help_text="Stunden je Jahr")
    pay_group = serializers.CharField(help_text="Entgeltgruppe des Vollkostensatzes")
    hourly_rate = serializers.DecimalField(**MONEY, help_text="Vollkostensatz je Stunde (EUR)")
    time_cost = serializers.DecimalField(**MONEY, help_text="Stunden × Vollkostensatz (EUR)")
    personnel_share = serializers.DecimalField(**MONEY, help_text="davon Personalkosten (EUR)")
    material_share = serializers.DecimalField(**MONEY, help_text="davon Sachkosten des Arbeitsplatzes (EUR)")
    overhead_share = serializers.DecimalField(**MONEY, help_text="davon Gemeinkosten (EUR)")
    extra_material_cost = serializers.DecimalField(**MONEY, help_text="Zusätzliche Sachkosten der Aufgabe (EUR)")
    extra_material_source = serializers.CharField(allow_blank=True)
    own_cost = serializers.DecimalField(**MONEY, help_text="Vollkosten der Eigenerledigung je Jahr (EUR)")
    market_source = serializers.ChoiceField(choices=EconomicCheck.MarketSource.choices)
    market_price = serializers.DecimalField(**MONEY, help_text="Marktpreis je Jahr (EUR)")
    quotes_count = serializers.IntegerField(allow_null=True, help_text="Anzahl der Angebote (Markterkundung)")
    procedure_reference = serializers.CharField(allow_blank=True, help_text="Vergabenummer des Verfahrens")
    market_note = serializers.CharField(allow_blank=True)
    difference = serializers.DecimalField(
        **MONEY, help_text="Marktpreis minus Vollkosten (EUR): positiv heißt, die Eigenerledigung ist günstiger"
    )
    cheaper = serializers.ChoiceField(choices=EconomicCheck.Cheaper.choices, help_text="Die günstigere Möglichkeit")
    decision = serializers.ChoiceField(choices=EconomicCheck.Decision.choices)
    reason = serializers.CharField()
    recorded_at = serializers.DateTimeField()


class CaseDetailSerializer(CaseSummarySerializer):
    description = serializers.CharField(allow_blank=True)
    task_area = serializers.CharField(allow_blank=True)
    agreement_form = serializers.CharField(allow_blank=True)
    decision_rule = serializers.CharField()
    quorum = serializers.IntegerField(allow_null=True)
    recheck_on = serializers.DateField(allow_null=True)
    resolution_due = serializers.DateField(allow_null=True)
    rejection_reason = serializers.CharField(allow_blank=True)
    apply_for_funding = serializers.BooleanField(allow_null=True)
    current_order = ProjectOrderSerializer(allow_null=True)
    participants = ParticipantSerializer(many=True)
    consents = ConsentStateSerializer(many=True, help_text="Alle Zustimmungen, auch der Nicht-Beteiligten")
    statute_amendment = StatuteAmendmentStateSerializer(
        allow_null=True, help_text="Die Änderung der Satzung des DKZ (kreisweiter Weg); leer, solange keine ansteht"
    )
    supervisory_decision = SupervisoryDecisionStateSerializer(
        allow_null=True, help_text="Die jüngste Entscheidung der Aufsicht; leer, solange keine vorliegt"
    )
    competent_authority = CompetentAuthoritySerializer(help_text="Zuständige Aufsichtsbehörde (§ 35 KGG)")
    economic_check = EconomicCheckStateSerializer(
        allow_null=True, help_text="Die Prüfung der Wirtschaftlichkeit vor der Übertragung; leer bis zu ihr"
    )
    organisation = CountyOrganisationSerializer(
        allow_null=True, help_text="Die IKZ-Organisation des Landkreises und ihre Form; leer, wenn keine erfasst ist"
    )
    transfer = TransferStateSerializer(allow_null=True, help_text="Die Aufgabenübertragung; leer bis zu ihr")
    open_tasks = OpenTaskSerializer(many=True, help_text="Offene Aufgaben mit ihren Fristen")


class CaseCreateSerializer(serializers.Serializer):
    county = serializers.SlugRelatedField(slug_field="slug", queryset=County.objects.all(), label=_("Landkreis"))
    title = serializers.CharField(max_length=200, label=_("Titel"))
    description = serializers.CharField(required=False, allow_blank=True, default="")
    task_area = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    proposing_municipality = serializers.PrimaryKeyRelatedField(
        queryset=Municipality.objects.all(), required=False, allow_null=True, default=None
    )
    source = serializers.ChoiceField(choices=Case.Source.choices, default=Case.Source.OWN_IDEA)  # type: ignore[assignment]  # a field named like a DRF Field attribute


class AuditSubjectSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="projects.case (der Vorgang) oder viewflow.task (eine seiner Aufgaben)")
    id = serializers.CharField(help_text="ID des Objekts (als Text)")


class AuditEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    action = serializers.CharField()
    actor = serializers.CharField(allow_null=True)
    on_behalf_of = serializers.CharField(allow_null=True)
    subject = AuditSubjectSerializer(help_text="Der Vorgang oder eine seiner Aufgaben")
    municipality_id = serializers.IntegerField(allow_null=True)
    changes = serializers.DictField(help_text="Die Angaben der Aktion, je nach Aktion verschieden (frei strukturiert)")
    note = serializers.CharField(allow_blank=True)


# --- building the answers -----------------------------------------------------------------------------------------
# the check's own fields of EconomicCheckStateSerializer (pay_group comes from its rate)
ECONOMIC_CHECK_FIELDS = (*ECONOMIC_CHECK_FIGURES, "recorded_at")


def case_summary(case: Case, next_due=None) -> dict[str, Any]:
    """``next_due``: the earliest due date of the open tasks or the case's own deadline (next_due_by_case)."""
    return {
        "id": case.pk,
        "number": case.number,
        "title": case.title,
        "stage": case.stage,
        "stage_label": str(case.get_stage_display()),
        "route": case.route,
        "county": case.county.slug,
        "proposing_municipality": _municipality(case.proposing_municipality),
        "created_at": case.created_at,
        "next_due": next_due,
    }


def _consent(c) -> dict[str, Any]:
    return {
        "municipality": _municipality(c.municipality),
        "kind": c.kind,
        "agreed": c.agreed,
        "note": c.note,
        "decided_at": c.decided_at,
        "council_body": c.council_body,
        "council_session_date": c.council_session_date,
        "council_minute_reference": c.council_minute_reference,
    }


def case_detail(case: Case) -> dict[str, Any]:
    order = case.current_order
    approvals = {}
    if order is not None:
        approvals = {
            a.municipality_id: {
                "version": order.version,
                "decision": a.decision,
                "reason": a.reason,
                "decided_at": a.decided_at,
            }
            for a in order.approvals.all()
        }
    resolutions = {
        r.municipality_id: {
            "body": r.body,
            "session_date": r.session_date,
            "outcome": r.outcome,
            "minute_reference": r.minute_reference,
        }
        for r in case.resolutions.all()
    }
    deferrals = {  # the latest deferral per member; ordered by session date, the last one wins
        d.municipality_id: {
            "body": d.body,
            "session_date": d.session_date,
            "next_session_date": d.next_session_date,
            "minute_reference": d.minute_reference,
        }
        for d in case.resolution_deferrals.order_by("session_date", "pk")
    }
    consents = list(case.consents.select_related("municipality").order_by("municipality__ags"))
    consent_of = {c.municipality_id: _consent(c) for c in consents}
    participants = [
        {
            "municipality": _municipality(p.municipality),
            "is_lead": p.is_lead,
            "status": p.status,
            "approval": approvals.get(p.municipality_id),
            "resolution": resolutions.get(p.municipality_id),
            "deferral": deferrals.get(p.municipality_id) if p.municipality_id not in resolutions else None,
            "council_body": p.municipality.council_body,
            "consent": consent_of.get(p.municipality_id),
        }
        for p in case.participants.select_related("municipality").order_by("municipality__ags")
    ]
    amendment = getattr(case, "statute_amendment", None) if hasattr(case, "statute_amendment") else None
    supervision = case.supervisory_decisions.order_by("-decided_at").first()
    authority = case_competent_authority(case)
    transfer = getattr(case, "transfer", None) if hasattr(case, "transfer") else None
    check = economic_check_of(case)
    open_tasks = [
        {
            "id": t.pk,
            "node": t.flow_task.name if t.flow_task else "",
            "title": str(t.title or ""),
            "status": str(t.status).lower(),
            "municipality_id": (t.data or {}).get("municipality_id"),
            "assignee": t.owner.get_username() if t.owner_id else None,
            "due": (t.data or {}).get("due"),
        }
        for t in tasks_of_case(case=case).filter(status__in=[STATUS.NEW, STATUS.ASSIGNED], flow_task_type="HUMAN")
    ]
    return {
        **case_summary(case, next_due_by_case(cases=[case])[case.pk]),
        "description": case.description,
        "task_area": case.task_area,
        "agreement_form": case.agreement_form,
        "decision_rule": case.decision_rule,
        "quorum": case.quorum,
        "recheck_on": case.recheck_on,
        "resolution_due": case.resolution_due,
        "rejection_reason": case.rejection_reason,
        "apply_for_funding": case.apply_for_funding,
        "current_order": {
            "version": order.version,
            "goals": order.goals,
            "results": order.results,
            "start_date": order.start_date,
            "end_date": order.end_date,
            "cost_estimate": order.cost_estimate,
            "expected_saving": order.expected_saving,
            "project_lead": order.project_lead,
            "created_at": order.created_at,
        }
        if order is not None
        else None,
        "participants": participants,
        "consents": [_consent(c) for c in consents],
        "statute_amendment": _amendment(amendment) if amendment is not None else None,
        "supervisory_decision": {
            "subject": supervision.subject,
            "outcome": supervision.outcome,
            "note": supervision.note,
            "decided_at": supervision.decided_at,
        }
        if supervision is not None
        else None,
        "economic_check": {
            **{name: getattr(check, name) for name in ECONOMIC_CHECK_FIELDS},
            "pay_group": check.rate.pay_group,
        }
        if check is not None
        else None,
        "transfer": {
            "effective_date": transfer.effective_date,
            "term_years": transfer.term_years,
            "allocation_key": transfer.allocation_key,
            "cost_centre_code": transfer.cost_centre_code,
        }
        if transfer is not None
        else None,
        "open_tasks": open_tasks,
        "competent_authority": {"name": authority.name, "level": authority.level, "reason": authority.reason},
        "organisation": _organisation(dkz) if (dkz := county_dkz_or_none(case.county)) is not None else None,
    }


def _amendment(amendment: StatuteAmendment) -> dict[str, Any]:
    board = None
    if amendment.board_adopted is not None:
        board = {
            "adopted": amendment.board_adopted,
            "session_date": amendment.board_session_date,
            "minute_reference": amendment.board_minute_reference,
        }
    return {
        "status": amendment.status,
        "supervision": amendment.supervision,
        "board_first": amendment.board_first,
        "board_resolution": board,
    }


def _organisation(dkz: Institution) -> dict[str, Any]:
    return {
        "slug": dkz.slug,
        "name": dkz.name,
        "organisation_form": dkz.organisation_form,
        "organisation_form_label": str(dkz.get_organisation_form_display()),
        "host_municipality": _municipality(dkz.host_municipality),
        "steering_body": dkz.steering_body,
        "verwaltungsrat_resolves_first": dkz.verwaltungsrat_resolves_first,
        "summary": dkz.organisation_summary,
    }


# --- views --------------------------------------------------------------------------------------------------------
class CaseListView(generics.GenericAPIView):
    serializer_class = CaseSummarySerializer
    pagination_class = Pagination

    def get_queryset(self):
        queryset = case_list_for_user(user=self.request.user).order_by("-created_at", "-pk")
        stage = self.request.query_params.get("stage")
        if stage:
            if stage not in Case.Stage.values:
                raise serializers.ValidationError({"stage": [_("Unbekannte Phase.")]})
            queryset = queryset.filter(stage=stage)
        return queryset

    @extend_schema(
        summary="Sichtbare IKZ-Vorgänge",
        tags=["Vorgänge"],
        parameters=[OpenApiParameter("stage", str, enum=Case.Stage.values, description="Phase")],
        responses={200: CaseSummarySerializer(many=True), **errors(400, 401, 404)},
    )
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        due = next_due_by_case(cases=page)
        rows = [case_summary(c, due[c.pk]) for c in page or []]
        return self.get_paginated_response(CaseSummarySerializer(rows, many=True).data)

    @extend_schema(
        summary="IKZ-Vorgang beginnen",
        description="Erfasst die Idee und startet den Ablauf, genau wie im Portal (erste Aufgabe: Screening).",
        tags=["Vorgänge"],
        request=CaseCreateSerializer,
        responses={201: CaseDetailSerializer, **errors(400, 401, 403)},
    )
    def post(self, request):
        serializer = CaseCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with transaction.atomic():
            case = case_capture(
                county=data["county"],
                title=data["title"],
                by=request.user,
                description=data["description"],
                task_area=data["task_area"],
                proposing_municipality=data["proposing_municipality"],
                source=data["source"],
            )
            case_start(case=case)
        return Response(CaseDetailSerializer(case_detail(case)).data, status=status.HTTP_201_CREATED)


class CaseDetailView(generics.GenericAPIView):
    serializer_class = CaseDetailSerializer
    pagination_class = Pagination
    queryset = Case.objects.none()  # documentation only; the case comes from case_for_user

    @extend_schema(
        summary="Ein IKZ-Vorgang",
        tags=["Vorgänge"],
        parameters=[id_parameter("ID des Vorgangs")],
        responses={200: CaseDetailSerializer, **errors(401, 404)},
    )
    def get(self, request, id):
        case = case_for_user(user=request.user, pk=id)
        return Response(CaseDetailSerializer(case_detail(case)).data)


class CaseHistoryView(generics.GenericAPIView):
    serializer_class = AuditEntrySerializer
    pagination_class = Pagination
    queryset = Case.objects.none()  # documentation only; the case comes from case_for_user

    @extend_schema(
        summary="Verlauf eines Vorgangs",
        description="Die Protokolleinträge des Vorgangs und seiner Aufgaben, neueste zuerst.",
        tags=["Vorgänge"],
        parameters=[id_parameter("ID des Vorgangs")],
        responses={200: AuditEntrySerializer(many=True), **errors(401, 404)},
    )
    def get(self, request, id):
        case = case_for_user(user=request.user, pk=id)
        entries = reduce(
            lambda qs, task: qs | audit_for_subject(subject=task),
            tasks_of_case(case=case),
            audit_for_subject(subject=case),
        ).order_by("-created_at", "-pk")
        page = self.paginate_queryset(entries)
        rows = [
            {
                "id": e.pk,
                "created_at": e.created_at,
                "action": e.action,
                "actor": e.actor.get_username() if e.actor_id else None,
                "on_behalf_of": e.on_behalf_of.get_username() if e.on_behalf_of_id else None,
                "subject": {"type": e.subject_type, "id": e.subject_id},
                "municipality_id": e.municipality_id,
                "changes": e.changes,
                "note": e.note,
            }
            for e in page or []
        ]
        return self.get_paginated_response(AuditEntrySerializer(rows, many=True).data)
