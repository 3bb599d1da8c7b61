"""The procurement flow: from the need to the Vergabevermerk (issue 6, seeds 000 04.2 and 002).

Every step is recorded by a domain service in procurement.services; the flow only decides who acts next. Steps of
the municipality are claimable with its capability on its municipality; steps of the centre with run_procurement
(DKZ staff hold it on every municipality of their county). Per lot: each mayor decides the award of its lot; in EU
procedures a timer waits for the end of the standstill before the award task opens.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow
from viewflow.workflow.models import Process

from procurement.models import Lot, Procedure
from procurement.selectors import procedure_summary
from procurement.services import direct as direct_svc
from procurement.services import planning as planning_svc
from procurement.services import procedure as svc
from procurement.services.direct import is_direct
from procurement.services.record import procedure_record_create
from workflows import procurement_views as forms
from workflows.nodes import BusinessTask, ForEachMunicipality, MunicipalityTask
from workflows.prepared import SelectForUpdateLock


def lot_data(activation) -> dict:
    """Task data handed on within a lot's branch: the lot and its municipality."""
    return {key: activation.task.data[key] for key in ("municipality_id", "lot_id") if key in activation.task.data}


class ProcedureTaskMixin:
    """Every procurement step's page shows its procedure (summary, offers after the opening) and links to it."""

    def url_after_completion(self, task) -> str:
        """After a step, back to the procedure page: it shows the result and the next open step."""
        return reverse("procurement:detail", kwargs={"pk": task.process.artifact_object_id})

    def page_context(self, task, user) -> dict:
        procedure = procedure_of(task.process)
        return {
            "task_context_template": "procurement/_task_context.html",
            "lot_id": (task.data or {}).get("lot_id"),
            **procedure_summary(user=user, procedure=procedure),
        }


class LotTask(ProcedureTaskMixin, MunicipalityTask):
    """A task on one lot: claimable with the capability on the lot's municipality."""


class ProcedureTask(ProcedureTaskMixin, BusinessTask):
    """A task on the whole procedure: claimable with the capability on the lead municipality."""

    def calc_owner_permission_obj(self, activation):
        return procedure_of(activation.process).municipality

    def can_assign(self, user, task):
        if task.owner_id or user is None or not user.is_authenticated or not user.is_active:
            return False
        return user.has_perm(task.owner_permission, task.owner_permission_obj)


def procedure_of(process) -> Procedure:
    return Procedure.objects.select_related("municipality", "county").get(pk=process.artifact_object_id)


def _lot(activation) -> Lot:
    return Lot.objects.select_related("procedure", "municipality").get(pk=activation.task.data["lot_id"])


class SpecificationReleaseTask(ProcedureTask):
    """Four-eyes: listed for the mayor; claimable by the mayor or another clerk, never by the author."""

    def can_assign(self, user, task):
        if task.owner_id or user is None or not user.is_authenticated or not user.is_active:
            return False
        return svc.may_release_specification(user=user, procedure=procedure_of(task.process))


class OpeningTask(ProcedureTask):
    """Claimable only by the persons the municipality designated to open the offers."""

    def can_assign(self, user, task):
        if task.owner_id or user is None or not user.is_authenticated or not user.is_active:
            return False
        return svc.is_designated_opener(user=user, procedure=procedure_of(task.process))


class OpeningCoSignTask(OpeningTask):
    """The second designated person confirms the opening in their own session; the first cannot take this task."""

    def can_assign(self, user, task):
        if not super().can_assign(user, task):
            return False
        return procedure_of(task.process).opened_by_first_id != user.pk


def opening_permission(activation) -> str:
    """The municipality chose whose staff open the offers: the centre's (default) or its own."""
    if procedure_of(activation.process).openers_from == Procedure.Openers.MUNICIPALITY:
        return "projects.evaluate_offers"
    return "projects.run_procurement"


def _hours(data) -> Decimal | None:
    return data.get("hours")


class ProcurementFlow(flow.Flow):
    """Vergabeverfahren"""

    process_title = _("Vergabeverfahren")
    process_description = _("Vom Bedarf bis zum Vergabevermerk")
    lock_impl = SelectForUpdateLock(nowait=False, attempts=1)

    start = flow.StartHandle(this.start_procedure).Annotation(title=_("Bedarf erfasst")).Next(this.joint_check)
    joint_check = (
        flow.If(lambda act: procedure_of(act.process).status == Procedure.Status.PROPOSED_JOINT)
        .Annotation(title=_("Gemeinsame Beschaffung?"))
        .Then(this.participations)
        .Else(this.choose_type)
    )
    participations = (
        ForEachMunicipality(this.lot_items).Annotation(title=_("Teilnahme je Kommune")).Next(this.confirm_participation)
    )
    confirm_participation = (
        LotTask(
            form_class=forms.ConfirmForm,
            handler=this.do_confirm_participation,
            title=_("Teilnahme an gemeinsamer Beschaffung bestätigen"),
        )
        .Permission("projects.request_procurement")
        .Next(this.participations_join)
    )
    participations_join = flow.Join().Annotation(title=_("Alle Teilnahmen bestätigt")).Next(this.choose_type)

    choose_type = (
        ProcedureTask(form_class=forms.TypeForm, handler=this.do_choose_type, title=_("Verfahrensart wählen"))
        .Permission("projects.request_procurement")
        .Next(this.direct_check)
    )
    direct_check = (
        flow.If(lambda act: is_direct(procedure_of(act.process)))
        .Annotation(title=_("Direktauftrag?"))
        .Then(this.direct_award)
        .Else(this.write_specification)
    )
    direct_award = (
        ProcedureTask(
            form_class=forms.DirectAwardForm,
            handler=this.do_direct_award,
            title=_("Direktauftrag vergeben und dokumentieren"),
        )
        .Permission("projects.request_procurement")
        .Next(this.done)
    )
    write_specification = (
        ProcedureTask(
            form_class=forms.SpecificationForm,
            handler=this.do_write_specification,
            title=_("Leistungsbeschreibung erstellen"),
        )
        .Permission("projects.write_specification")
        .Next(this.approve_specification)
    )
    approve_specification = (
        SpecificationReleaseTask(
            form_class=forms.ConfirmForm,
            handler=this.do_approve_specification,
            title=_("Leistungsbeschreibung freigeben"),
        )
        .Permission("projects.decide_award")
        .Next(this.prepare_documents)
    )
    prepare_documents = (
        ProcedureTask(
            form_class=forms.DocumentsForm,
            handler=this.do_prepare_documents,
            title=_("Vergabeunterlagen und Zuschlagskriterien erstellen"),
        )
        .Permission("projects.run_procurement")
        .Next(this.publish)
    )
    publish = (
        ProcedureTask(form_class=forms.PublishForm, handler=this.do_publish, title=_("Bekanntmachung"))
        .Permission("projects.run_procurement")
        .Next(this.participation_check)
    )
    participation_check = (
        flow.If(lambda act: svc.has_participation_stage(procedure_of(act.process)))
        .Annotation(title=_("Mit Teilnahmewettbewerb?"))
        .Then(this.participation_period)
        .Else(this.offer_period)
    )
    participation_period = (
        flow.Timer(this.participation_deadline)
        .Annotation(title=_("Teilnahmefrist (Teilnahmeanträge)"))
        .Next(this.invite_candidates)
    )
    invite_candidates = (
        ProcedureTask(
            form_class=forms.InviteCandidatesForm,
            handler=this.do_invite_candidates,
            title=_("Bewerber auswählen und zur Angebotsabgabe auffordern"),
        )
        .Permission("projects.run_procurement")
        .Next(this.offer_period)
    )
    offer_period = (
        flow.Timer(this.offer_deadline)
        .Annotation(title=_("Angebotsfrist (Bieterfragen und Angebote)"))
        .Next(this.open_offers)
    )
    open_offers = (
        OpeningTask(form_class=forms.OpenForm, handler=this.do_open, title=_("Angebote öffnen (erste Person)"))
        .Permission(opening_permission)
        .Next(this.cosign_opening)
    )
    cosign_opening = (
        OpeningCoSignTask(
            form_class=forms.CoSignOpeningForm,
            handler=this.do_cosign_opening,
            title=_("Angebotsöffnung bestätigen (zweite Person)"),
        )
        .Permission(opening_permission)
        .Next(this.formal_check)
    )
    formal_check = (
        ProcedureTask(
            form_class=forms.FormalCheckForm, handler=this.do_formal_check, title=_("Formale Prüfung und Eignung")
        )
        .Permission("projects.run_procurement")
        .Next(this.evaluations)
    )
    evaluations = (
        ForEachMunicipality(this.lot_items).Annotation(title=_("Fachliche Wertung je Los")).Next(this.evaluate_lot)
    )
    evaluate_lot = (
        LotTask(form_class=forms.EvaluationForm, handler=this.do_evaluate, title=_("Angebote fachlich bewerten"))
        .Permission("projects.evaluate_offers")
        .Next(this.evaluations_join)
    )
    evaluations_join = flow.Join().Annotation(title=_("Alle Lose bewertet")).Next(this.award_proposal)
    award_proposal = (
        ProcedureTask(form_class=forms.ConfirmForm, handler=this.do_propose, title=_("Vergabevorschlag"))
        .Permission("projects.run_procurement")
        .Next(this.eu_check)
    )
    eu_check = (
        flow.If(lambda act: procedure_of(act.process).eu)
        .Annotation(title=_("EU-Verfahren?"))
        .Then(this.eu_decisions)
        .Else(this.decisions)
    )

    decisions = ForEachMunicipality(this.lot_items).Annotation(title=_("Zuschlag je Los")).Next(this.decide_award)
    decide_award = (
        LotTask(form_class=forms.DecisionForm, handler=this.do_decide, title=_("Zuschlagsentscheidung"))
        .Permission("projects.decide_award")
        .Next(this.award, task_data=lot_data)
    )
    award = (
        LotTask(form_class=forms.ConfirmForm, handler=this.do_award, title=_("Zuschlag erteilen"))
        .Permission("projects.run_procurement")
        .Next(this.awards_join)
    )

    eu_decisions = (
        ForEachMunicipality(this.lot_items).Annotation(title=_("Zuschlag je Los (EU)")).Next(this.eu_decide_award)
    )
    eu_decide_award = (
        LotTask(form_class=forms.DecisionForm, handler=this.do_decide, title=_("Zuschlagsentscheidung"))
        .Permission("projects.decide_award")
        .Next(this.inform_bidders, task_data=lot_data)
    )
    inform_bidders = (
        LotTask(
            form_class=forms.InformForm, handler=this.do_inform, title=_("Unterlegene Bieter informieren (§ 134 GWB)")
        )
        .Permission("projects.run_procurement")
        .Next(this.standstill, task_data=lot_data)
    )
    standstill = (
        flow.Timer(this.standstill_end).Annotation(title=_("Wartefrist")).Next(this.eu_award, task_data=lot_data)
    )
    eu_award = (
        LotTask(form_class=forms.ConfirmForm, handler=this.do_award, title=_("Zuschlag erteilen"))
        .Permission("projects.run_procurement")
        .Next(this.awards_join)
    )

    awards_join = flow.Join().Annotation(title=_("Alle Lose bezuschlagt")).Next(this.record)
    record = (
        ProcedureTask(form_class=forms.ConfirmForm, handler=this.do_record, title=_("Vergabevermerk erstellen"))
        .Permission("projects.run_procurement")
        .Next(this.done)
    )
    done = flow.End().Annotation(title=_("Abgeschlossen"))

    # --- start, items, dates -------------------------------------------------------------------------------------
    def start_procedure(self, activation, procedure: Procedure):
        activation.process.artifact_content_type = ContentType.objects.get_for_model(Procedure)
        activation.process.artifact_object_id = procedure.pk
        return activation.process

    def lot_items(self, activation):
        lots = procedure_of(activation.process).lots.order_by("number")
        return [{"municipality_id": lot.municipality_id, "lot_id": lot.pk} for lot in lots]

    def offer_deadline(self, activation):
        return procedure_of(activation.process).offer_deadline

    def participation_deadline(self, activation):
        return procedure_of(activation.process).participation_deadline

    def standstill_end(self, activation):
        """The start of the first day after the standstill (Hessian local time)."""
        ends_on = _lot(activation).standstill_ends_on
        assert ends_on is not None  # the step after the award decision, which sets the standstill
        day = ends_on + dt.timedelta(days=1)
        return timezone.make_aware(dt.datetime.combine(day, dt.time(0, 0)))

    # --- handlers (each calls one domain service) ---------------------------------------------------------------
    def do_confirm_participation(self, activation, user, data):
        return planning_svc.joint_procedure_confirm(lot=_lot(activation), by=user)

    def do_choose_type(self, activation, user, data):
        procedure = svc.procedure_type_choose(
            procedure=procedure_of(activation.process),
            by=user,
            procedure_type=data["procedure_type"],
            reason=data.get("reason") or "",
        )
        if is_direct(procedure):
            return procedure
        openers = list(get_user_model().objects.filter(pk__in=data.get("openers") or []))
        return svc.procedure_openers_designate(
            procedure=procedure,
            by=user,
            openers_from=data.get("openers_from") or procedure.openers_from,
            openers=openers,
        )

    def do_direct_award(self, activation, user, data):
        return direct_svc.procedure_direct_award(
            procedure=procedure_of(activation.process),
            by=user,
            bidder=data["bidder"],
            price=data["price"],
            price_comparison=data.get("price_comparison") or "",
            justification=data.get("justification") or "",
        )

    def do_write_specification(self, activation, user, data):
        return svc.procedure_specification_write(procedure=procedure_of(activation.process), by=user, text=data["text"])

    def do_approve_specification(self, activation, user, data):
        return svc.procedure_specification_approve(procedure=procedure_of(activation.process), by=user)

    def do_prepare_documents(self, activation, user, data):
        return svc.procedure_documents_prepare(
            procedure=procedure_of(activation.process),
            by=user,
            tender_documents=data["tender_documents"],
            suitability_criteria=data.get("suitability_criteria") or "",
            criteria=forms.criteria_from(data),
            hours=_hours(data),
        )

    def do_publish(self, activation, user, data):
        return svc.procedure_publish(
            procedure=procedure_of(activation.process),
            by=user,
            offer_deadline=data.get("offer_deadline"),
            participation_deadline=data.get("participation_deadline"),
            electronic=bool(data.get("electronic")),
            medium=data.get("medium") or "",
            urgency_reason=data.get("urgency_reason") or "",
        )

    def do_invite_candidates(self, activation, user, data):
        return svc.procedure_candidates_invite(
            procedure=procedure_of(activation.process),
            by=user,
            candidates=data["candidates"],
            offer_deadline=data["offer_deadline"],
        )

    def do_open(self, activation, user, data):
        return svc.procedure_opening_start(procedure=procedure_of(activation.process), by=user)

    def do_cosign_opening(self, activation, user, data):
        return svc.procedure_opening_confirm(procedure=procedure_of(activation.process), by=user)

    def do_formal_check(self, activation, user, data):
        return svc.offer_formal_check(
            procedure=procedure_of(activation.process), by=user, results=forms.formal_results(data)
        )

    def do_evaluate(self, activation, user, data):
        return svc.lot_evaluate(lot=_lot(activation), by=user, scores=forms.evaluation_scores(data))

    def do_propose(self, activation, user, data):
        return svc.procedure_award_propose(procedure=procedure_of(activation.process), by=user)

    def do_decide(self, activation, user, data):
        lot = _lot(activation)
        offer = lot.offers.filter(pk=data["offer"]).first() if data.get("offer") else None
        if data.get("offer") and offer is None:
            raise ValidationError({"offer": _g("Dieses Angebot gehört nicht zu diesem Los.")})
        return svc.lot_award_decide(lot=lot, by=user, offer=offer, note=data.get("note") or "")

    def do_inform(self, activation, user, data):
        return svc.lot_bidders_inform(lot=_lot(activation), by=user, electronic=bool(data.get("electronic")))

    def do_award(self, activation, user, data):
        return svc.lot_award(lot=_lot(activation), by=user)

    def do_record(self, activation, user, data):
        return procedure_record_create(procedure=procedure_of(activation.process), by=user)


def procurement_flow_start(*, procedure: Procedure) -> Process:
    """Start the flow for a requested procedure or a proposed joint procedure."""
    return ProcurementFlow.start.run(procedure=procedure)


def procurement_process_of(*, procedure: Procedure) -> Process | None:
    return Process.objects.filter(
        flow_class=ProcurementFlow,
        artifact_content_type=ContentType.objects.get_for_model(Procedure),
        artifact_object_id=procedure.pk,
    ).first()


def procurement_flow_cancel(*, procedure: Procedure, by, reason: str) -> Procedure:
    """Aufhebung: the domain decision (mayor, with reason) and the end of every open task, in one transaction."""
    with transaction.atomic():
        procedure = svc.procedure_cancel(procedure=procedure, by=by, reason=reason)
        process = procurement_process_of(procedure=procedure)
        if process is not None and process.status not in ("DONE", "CANCELED"):
            ProcurementFlow.instance.cancel(process)
    return procedure
