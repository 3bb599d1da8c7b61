"""The IKZ case flow: from idea to transferred task (issue 3, seeds 000 and 002).

Reads like the procedure: idea → screening (pursue / park with a timer / reject) → development to resolution
readiness → approval by each participating municipality → council resolutions → funding decision → statute
amendment (county-wide: every Anstaltsträger consents, then the supervisory authority) or agreement (bilateral:
participants sign, then the supervisory authority) → economic check of doing the task itself (DKZ controlling) →
task transfer → cost centre on the check's basis. Every decision is recorded by a domain service
in projects.services.cases; the flow only decides where to go next.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow

from costs.economic import economic_check_record
from projects.models import Case
from projects.services import cases as svc
from projects.services import deadlines
from workflows import forms
from workflows.integrations import cost_centre_for_transfer
from workflows.models import CaseProcess
from workflows.nodes import DkzTask, ForEachMunicipality, Function, MunicipalityTask, WaitForChildFlow, when
from workflows.prepared import SelectForUpdateLock


def _municipality_of(activation):
    from projects.models import Municipality

    return Municipality.objects.get(pk=activation.task.data["municipality_id"])


def same_municipality(activation) -> dict:
    """Carry the municipality of a per-municipality task on to the next node (a deferred resolution loops)."""
    return {"municipality_id": activation.task.data["municipality_id"]}


def due_in_days(days: int):
    """Due date of a new task: ``days`` calendar days from today."""

    def due(activation):
        return timezone.localdate() + dt.timedelta(days=days)

    return due


class CaseFlow(flow.Flow):
    """IKZ-Vorgang"""

    process_class = CaseProcess
    process_title = _("IKZ-Vorgang")
    process_description = _("Von der Idee bis zur Aufgabenübertragung")
    # Blocking row lock: 30 approvals at the same moment wait for each other instead of failing.
    lock_impl = SelectForUpdateLock(nowait=False, attempts=1)

    start = flow.StartHandle(this.start_case).Annotation(title=_("Idee erfasst")).Next(this.screening)

    screening = (
        DkzTask(
            form_class=forms.ScreeningForm,
            handler=this.do_screening,
            title=_("Screening"),
            due=due_in_days(14),
        )
        .Permission("projects.manage_case")
        .Next(this.screening_outcome)
    )
    screening_outcome = (
        flow.Switch()
        .Annotation(title=_("Ergebnis des Screenings"))
        .Case(this.parked, when(_("zurückgestellt"), lambda act: act.process.case.stage == Case.Stage.PARKED))
        .Case(this.rejected, when(_("abgelehnt"), lambda act: act.process.case.stage == Case.Stage.REJECTED))
        .Default(this.development)
    )
    parked = flow.Timer(this.recheck_at).Annotation(title=_("Zurückgestellt bis zur Wiedervorlage")).Next(this.recheck)
    recheck = Function(this.do_recheck).Annotation(title=_("Wiedervorlage")).Next(this.screening)

    development = (
        DkzTask(
            form_class=forms.DevelopmentForm,
            handler=this.do_development,
            title=_("Entwicklung zur Beschlussreife"),
            due=due_in_days(60),
        )
        .Permission("projects.manage_case")
        .Next(this.approvals)
    )
    approvals = (
        ForEachMunicipality(this.participant_items)
        .Annotation(title=_("Freigabe durch jede beteiligte Kommune"))
        .Next(this.approve_project_order)
    )
    approve_project_order = (
        MunicipalityTask(
            form_class=forms.ApprovalForm,
            handler=this.do_approve,
            title=_("Projektauftrag freigeben"),
            due=due_in_days(28),
        )
        .Permission("projects.approve_project_order")
        .Next(this.approvals_join)
    )
    approvals_join = flow.Join().Annotation(title=_("Alle Freigaben liegen vor")).Next(this.conclude_approvals)
    conclude_approvals = (
        Function(this.do_conclude_approvals).Annotation(title=_("Freigaben auswerten")).Next(this.approval_outcome)
    )
    approval_outcome = (
        flow.Switch()
        .Annotation(title=_("Ergebnis der Freigaben"))
        .Case(
            this.development, when(_("zur Überarbeitung"), lambda act: act.process.case.stage == Case.Stage.DEVELOPMENT)
        )
        .Case(this.rejected, when(_("abgelehnt"), lambda act: act.process.case.stage == Case.Stage.REJECTED))
        .Default(this.resolutions)
    )

    resolutions = (
        ForEachMunicipality(this.participant_items)
        .Annotation(title=_("Gremienbeschlüsse der Beteiligten"))
        .Next(this.record_resolution)
    )
    record_resolution = (
        MunicipalityTask(
            form_class=forms.ResolutionForm,
            handler=this.do_resolution,
            title=_("Gremienbeschluss erfassen"),
            due=this.resolution_due,
        )
        .Permission("projects.record_council_resolution")
        .OnTimeout(
            this.resolution_reminder_at,
            this.remind_resolution,
            interrupting=False,
            title=_("Erinnerung vor Fristablauf"),
        )
        .OnTimeout(
            this.resolution_escalation_at,
            this.escalate_resolution,
            interrupting=False,
            title=_("Eskalation nach Fristablauf"),
        )
        .Next(this.resolution_deferred, task_data=same_municipality)
    )
    resolution_deferred = (
        flow.If(this.is_deferred)
        .Annotation(title=_("Beschluss vertagt?"))
        .Then(this.record_resolution, task_data=same_municipality)
        .Else(this.resolutions_join)
    )
    remind_resolution = (
        Function(this.do_remind_resolution)
        .Annotation(title=_("An den Gremienbeschluss erinnern"))
        .Next(this.reminder_sent)
    )
    reminder_sent = flow.End().Annotation(title=_("Erinnerung versandt"))
    escalate_resolution = (
        Function(this.do_escalate_resolution)
        .Annotation(title=_("Fristüberschreitung an das Projektmanagement melden"))
        .Next(this.escalation_sent)
    )
    escalation_sent = flow.End().Annotation(title=_("Eskalation gemeldet"))
    resolutions_join = flow.Join().Annotation(title=_("Alle Beschlüsse liegen vor")).Next(this.conclude_resolutions)
    conclude_resolutions = (
        Function(this.do_conclude_resolutions)
        .Annotation(title=_("Beschlüsse auswerten"))
        .Next(this.resolutions_outcome)
    )
    resolutions_outcome = (
        flow.Switch()
        .Annotation(title=_("Ergebnis der Beschlüsse"))
        .Case(this.rejected, when(_("abgelehnt"), lambda act: act.process.case.stage == Case.Stage.REJECTED))
        .Default(this.funding_decision)
    )

    funding_decision = (
        DkzTask(
            form_class=forms.FundingDecisionForm,
            handler=this.do_funding,
            title=_("Förderung entscheiden"),
            due=due_in_days(14),
        )
        .Permission("projects.manage_case")
        .Next(this.route)
    )
    route = (
        flow.Switch()
        .Annotation(title=_("Kreisweit oder bilateral?"))
        .Case(this.board_first, when(_("kreisweit"), lambda act: act.process.case.route == Case.Route.COUNTY_WIDE))
        .Default(this.agreement_signatures)
    )
    board_first = (
        flow.If(lambda act: svc.statute_board_resolution_due(act.process.case))
        .Annotation(title=_("Verwaltungsrat zuerst?"))
        .Then(this.board_resolution)
        .Else(this.statute_consents)
    )
    board_resolution = (
        DkzTask(
            form_class=forms.BoardResolutionForm,
            handler=this.do_board_resolution,
            title=_("Beschluss des Verwaltungsrats erfassen"),
            due=due_in_days(42),
        )
        .Permission("projects.manage_case")
        .Next(this.board_outcome)
    )
    board_outcome = (
        flow.Switch()
        .Annotation(title=_("Ergebnis im Verwaltungsrat"))
        .Case(this.rejected, when(_("abgelehnt"), lambda act: act.process.case.stage == Case.Stage.REJECTED))
        .Default(this.statute_consents)
    )

    statute_consents = (
        ForEachMunicipality(this.consent_items)
        .Annotation(title=_("Zustimmung aller Anstaltsträger"))
        .Next(this.consent_statute_amendment)
    )
    consent_statute_amendment = (
        MunicipalityTask(
            form_class=forms.ConsentForm,
            handler=this.do_consent,
            title=_("Satzungsänderung zustimmen"),
            due=due_in_days(42),
        )
        .Permission("projects.consent_statute_amendment")
        .Next(this.statute_consents_join)
    )
    statute_consents_join = flow.Join().Annotation(title=_("Alle Zustimmungen liegen vor")).Next(this.conclude_consents)

    agreement_signatures = (
        ForEachMunicipality(this.consent_items).Annotation(title=_("Vereinbarung zeichnen")).Next(this.sign_agreement)
    )
    sign_agreement = (
        MunicipalityTask(
            form_class=forms.ConsentForm,
            handler=this.do_consent,
            title=_("Öffentlich-rechtliche Vereinbarung zeichnen"),
            due=due_in_days(42),
        )
        .Permission("projects.sign_agreement")
        .Next(this.agreement_join)
    )
    agreement_join = flow.Join().Annotation(title=_("Alle Unterschriften liegen vor")).Next(this.conclude_consents)

    conclude_consents = (
        Function(this.do_conclude_consents).Annotation(title=_("Zustimmungen auswerten")).Next(this.consents_outcome)
    )
    consents_outcome = (
        flow.Switch()
        .Annotation(title=_("Ergebnis der Zustimmungen"))
        .Case(this.rejected, when(_("abgelehnt"), lambda act: act.process.case.stage == Case.Stage.REJECTED))
        .Default(this.supervisory_review)
    )
    supervisory_review = (
        DkzTask(
            form_class=forms.SupervisoryForm,
            handler=this.do_supervision,
            title=_("Aufsichtsrechtliche Prüfung"),
            due=due_in_days(60),
        )
        .Permission("projects.supervise")
        .Next(this.supervision_outcome)
    )
    supervision_outcome = (
        flow.Switch()
        .Annotation(title=_("Ergebnis der Aufsicht"))
        .Case(this.rejected, when(_("abgelehnt"), lambda act: act.process.case.stage == Case.Stage.REJECTED))
        .Default(this.economic_check)
    )
    # Seed 000: the DKZ takes the task over only after the economic check of doing it itself. The DKZ's controlling
    # does it (control_costs): it owns the full-cost rates the check applies and plans the cost centre that is
    # created on the check's basis; the project management (manage_case) then records the transfer.
    economic_check = (
        DkzTask(
            form_class=forms.EconomicCheckForm,
            handler=this.do_economic_check,
            title=_("Wirtschaftlichkeit prüfen"),
            due=due_in_days(30),
        )
        .Permission("projects.control_costs")
        .Next(this.task_transfer)
    )
    task_transfer = (
        DkzTask(
            form_class=forms.TransferForm,
            handler=this.do_transfer,
            title=_("Aufgabe übertragen"),
            due=due_in_days(30),
        )
        .Permission("projects.manage_case")
        .Next(this.create_cost_centre)
    )
    create_cost_centre = (
        Function(this.do_create_cost_centre).Annotation(title=_("Kostenstelle anlegen")).Next(this.funding_route)
    )
    funding_route = (
        flow.Switch()
        .Annotation(title=_("Förderantrag stellen?"))
        .Case(this.funding_application, when(_("ja"), lambda act: bool(act.process.case.apply_for_funding)))
        .Default(this.transferred)
    )
    # Funds are applied for only after the transfer (seed 000). The application runs as a child process; the
    # case waits for its decision (granted or rejected) and then ends.
    funding_application = (
        DkzTask(
            form_class=forms.FundingApplicationForm,
            handler=this.do_funding_application,
            title=_("Förderantrag anlegen"),
            due=due_in_days(30),
        )
        .Permission("projects.manage_funding")
        .Next(this.await_funding_decision)
    )
    await_funding_decision = (
        WaitForChildFlow(this.on_funding_decided, child="funding")
        .Annotation(title=_("Warten auf den Förderbescheid"))
        .Next(this.transferred)
    )
    transferred = flow.End().Annotation(title=_("Übertragen"))
    rejected = flow.End().Annotation(title=_("Abgelehnt oder eingestellt"))

    # --- start --------------------------------------------------------------------------------------------------
    def start_case(self, activation, case: Case):
        activation.process.artifact_content_type = ContentType.objects.get_for_model(Case)
        activation.process.artifact_object_id = case.pk
        return activation.process

    # --- items and dates ----------------------------------------------------------------------------------------
    def participant_items(self, activation):
        return [
            {"municipality_id": p.municipality_id}
            for p in svc.active_participants(activation.process.case).order_by("municipality__ags")
        ]

    def consent_items(self, activation):
        return [{"municipality_id": m.pk} for m in svc.consent_parties(activation.process.case)]

    def recheck_at(self, activation):
        recheck_on = activation.process.case.recheck_on or timezone.localdate()
        return timezone.make_aware(dt.datetime.combine(recheck_on, dt.time(6, 0)))

    def resolution_due(self, activation):
        """The case's deadline for the resolutions; after a deferral the member's next session date."""
        due = svc.resolution_due_of(case=activation.process.case, municipality=self._host_municipality(activation))
        return due or timezone.localdate() + dt.timedelta(days=90)

    def is_deferred(self, activation):
        """The council deferred: the member's resolution task opens again for its next session."""
        from projects.models import CouncilResolution

        municipality_id = activation.task.data["municipality_id"]
        return not CouncilResolution.objects.filter(
            case=activation.process.case, municipality_id=municipality_id
        ).exists()

    def resolution_reminder_at(self, activation):
        """Reminder before the deadline (the lead time is part of the case: resolution_reminder_days)."""
        due = self.resolution_due(activation)
        days = activation.process.case.reminder_lead_days
        return timezone.make_aware(dt.datetime.combine(due - dt.timedelta(days=days), dt.time(7, 0)))

    def resolution_escalation_at(self, activation):
        return timezone.make_aware(
            dt.datetime.combine(self.resolution_due(activation) + dt.timedelta(days=1), dt.time(7, 0))
        )

    def _host_municipality(self, activation):
        """The municipality of the task a boundary timer is attached to (walking back from the timer's path)."""
        from projects.models import Municipality

        task = activation.task
        for _step in range(3):
            if "municipality_id" in task.data:
                return Municipality.objects.get(pk=task.data["municipality_id"])
            task = task.previous.first()
            if task is None:
                break
        return None

    def do_remind_resolution(self, activation):
        deadlines.deadline_notify(
            case=activation.process.case,
            municipality=self._host_municipality(activation),
            kind="reminder",
            due=self.resolution_due(activation),
            topic="council_resolution",
        )

    def do_escalate_resolution(self, activation):
        deadlines.deadline_notify(
            case=activation.process.case,
            municipality=self._host_municipality(activation),
            kind="escalation",
            due=self.resolution_due(activation),
            topic="council_resolution",
        )

    # --- handlers (each calls one domain service) ---------------------------------------------------------------
    def do_screening(self, activation, user, data):
        return svc.case_screen(
            case=activation.process.case,
            by=user,
            decision=data["decision"],
            route=data.get("route") or "",
            agreement_form=data.get("agreement_form") or "",
            recheck_on=data.get("recheck_on"),
            reason=data.get("reason") or "",
        )

    def do_recheck(self, activation):
        svc.case_recheck(case=activation.process.case)

    def do_development(self, activation, user, data):
        case = activation.process.case
        svc.case_participants_set(
            case=case,
            municipalities=list(data["participants"]),
            lead=data["lead"],
            by=user,
            decision_rule=data["decision_rule"],
            quorum=data.get("quorum"),
        )
        sections = {name: data.get(name) for name in forms.ORDER_FIELDS if name in data}
        if sections.get("expected_saving") is None:
            sections.pop("expected_saving", None)
        current = case.current_order
        if current is None or any(current.snapshot().get(k) != v for k, v in sections.items()):
            svc.project_order_save(case=case, by=user, **sections)
        return svc.case_submit_for_approval(case=case, by=user)

    def do_approve(self, activation, user, data):
        case = activation.process.case
        order = case.current_order
        if data.get("version") and order and data["version"] != order.version:
            raise svc.TaskAlreadyDecided(
                _("Der Projektauftrag wurde inzwischen geändert. Bitte die neue Version prüfen.")
            )
        return svc.project_order_decide(
            case=case,
            municipality=_municipality_of(activation),
            decision=data["decision"],
            reason=data.get("reason") or "",
            by=user,
        )

    def do_conclude_approvals(self, activation):
        svc.approvals_conclude(case=activation.process.case)

    def do_resolution(self, activation, user, data):
        return svc.council_resolution_record(
            case=activation.process.case,
            municipality=_municipality_of(activation),
            body=data["body"],
            session_date=data["session_date"],
            outcome=data["outcome"],
            minute_reference=data.get("minute_reference") or "",
            next_session_date=data.get("next_session_date"),
            by=user,
        )

    def do_conclude_resolutions(self, activation):
        svc.resolutions_conclude(case=activation.process.case)

    def do_funding(self, activation, user, data):
        case = activation.process.case
        svc.case_funding_decide(case=case, apply=data["apply"], note=data.get("note") or "", by=user)
        if case.route == Case.Route.COUNTY_WIDE:
            svc.statute_amendment_open(case=case)  # approval or notification: from the DKZ's statute

    def do_board_resolution(self, activation, user, data):
        svc.statute_board_resolution_record(
            case=activation.process.case,
            by=user,
            adopted=data["adopted"] == "yes",
            session_date=data.get("session_date"),
            minute_reference=data.get("minute_reference") or "",
            note=data.get("note") or "",
        )

    def do_consent(self, activation, user, data):
        return svc.consent_record(
            case=activation.process.case,
            municipality=_municipality_of(activation),
            agreed=data["agreed"],
            note=data.get("note") or "",
            council_session_date=data.get("council_session_date"),
            council_minute_reference=data.get("council_minute_reference") or "",
            by=user,
        )

    def do_conclude_consents(self, activation):
        svc.consents_conclude(case=activation.process.case)

    def do_supervision(self, activation, user, data):
        return svc.supervisory_decide(
            case=activation.process.case, outcome=data["outcome"], note=data.get("note") or "", by=user
        )

    def do_economic_check(self, activation, user, data):
        procedure = data.get("procedure")
        return economic_check_record(
            case=activation.process.case,
            by=user,
            year=data["year"],
            hours_per_year=data["hours_per_year"],
            pay_group=data["pay_group"],
            extra_material_cost=data.get("extra_material_cost") or Decimal(0),
            extra_material_source=data.get("extra_material_source") or "",
            market_source=data["market_source"],
            market_price=data["market_price"],
            quotes_count=data.get("quotes_count"),
            procedure_reference=procedure.reference if procedure is not None else "",
            market_note=data.get("market_note") or "",
            decision=data["decision"],
            reason=data.get("reason") or "",
        )

    def do_transfer(self, activation, user, data):
        return svc.task_transfer_record(
            case=activation.process.case,
            effective_date=data["effective_date"],
            term_years=data["term_years"],
            allocation_key=data["allocation_key"],
            agreement_note=data.get("agreement_note") or "",
            by=user,
        )

    def do_funding_application(self, activation, user, data):
        """Create the application for the participants and start its flow as a child of this task."""
        from funding.services.applications import application_create
        from workflows.funding import funding_flow_start

        case = activation.process.case
        application = application_create(
            by=user,
            programme=data["programme"],
            title=data.get("title") or case.title,
            county=case.county,
            partners=[p.municipality for p in svc.active_participants(case)],
            case=case,
            duration_years=case.transfer.term_years,
        )
        funding_flow_start(application=application, parent_task=activation.task)
        return application

    def on_funding_decided(self, activation, **kwargs):
        """Resumed by the funding flow once the grant notice (or the rejection) is recorded."""

    def do_create_cost_centre(self, activation):
        cost_centre_for_transfer(case=activation.process.case)


def case_start(*, case: Case) -> CaseProcess:
    """Start the flow for a captured case."""
    return CaseFlow.start.run(case=case)
