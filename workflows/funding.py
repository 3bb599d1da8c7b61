"""The funding application flow (issue 7): prepare → internal review → submit → decision → purpose fulfilled →
proof of use (reminder before, escalation after its deadline) → closed; or rejected.

Runs on its own or as a child of a case (``funding_flow_start(application=..., parent_task=...)``). The process is
viewflow's plain ``Process``; its ``artifact`` is the :class:`funding.models.Application`. Every step calls one
service of ``funding.services.applications``; drawdowns and revocation are recorded there too (portal/API), at any
time while the grant runs.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import cast

from django import forms
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock
from viewflow.workflow.models import Process, Task

from funding.models import Application, Decision
from funding.selectors import county_anchor
from funding.services import applications as svc
from funding.services.deadlines import funding_deadlines_notify
from projects.models import Municipality
from workflows.forms import DateField, MoneyField, TaskForm, YearField
from workflows.nodes import DkzTask, when
from workflows.prepared import SelectForUpdateLock

State = Application.State


def application_of(process: Process) -> Application:
    return Application.objects.select_related("county", "programme").get(pk=process.artifact_object_id)


class FundingTask(DkzTask):
    """A task of the county's funding officer (capability manage_funding on the county itself)."""

    def calc_owner_permission_obj(self, activation):
        return county_anchor(application_of(activation.process).county)


# --- forms ---------------------------------------------------------------------------------------------------
class PrepareForm(TaskForm):
    checked_on = DateField(label=_("Förderprüfung zum Stichtag"))


class ReviewForm(TaskForm):
    decision = forms.ChoiceField(
        label=_("Ergebnis der internen Prüfung"),
        choices=[("approve", _("Einreichen")), ("return", _("Zur Überarbeitung zurück"))],
    )
    note = forms.CharField(label=_("Vermerk"), widget=forms.Textarea, required=False)


class SubmitForm(TaskForm):
    submitted_on = DateField(label=_("Eingereicht am"))
    channel = forms.CharField(label=_("Antragsweg"), max_length=200, required=False)
    requested_amount = MoneyField(label=_("Beantragter Betrag (EUR)"), required=False)


class DecisionForm(TaskForm):
    outcome = forms.ChoiceField(label=_("Bescheid"), choices=Decision.Outcome.choices)
    decided_on = DateField(label=_("Bescheid vom"))
    reference = forms.CharField(label=_("Aktenzeichen"), max_length=120, required=False)
    amount = MoneyField(label=_("Bewilligter Betrag (EUR)"), required=False)
    conditions = forms.CharField(label=_("Nebenbestimmungen"), widget=forms.Textarea, required=False)
    earmark_until = DateField(label=_("Zweckbindung bis"), required=False)
    first_year = YearField(label=_("Erstes gefördertes Planjahr"), required=False)
    last_year = YearField(label=_("Letztes gefördertes Planjahr"), required=False)
    cost_centre_id = forms.TypedChoiceField(
        label=_("Kostenstelle, der die Zurechnung gutgeschrieben wird"),
        help_text=_("Die Anteile senken die Planbeiträge der Kommunen und erscheinen in ihren Kostenaufstellungen."),
        coerce=int,
        empty_value=None,
        required=False,
    )
    # the key as lines "AGS=weight" (kept for API clients); the page offers one weight field per partner instead
    key = forms.CharField(widget=forms.HiddenInput, required=False)
    reason = forms.CharField(label=_("Begründung der Ablehnung"), widget=forms.Textarea, required=False)

    def __init__(self, *args, **kwargs):
        from costs.models import CostCentre

        super().__init__(*args, **kwargs)
        self.partners: list[Municipality] = []
        centres = CostCentre.objects.none()
        if self.task is not None:
            application = application_of(self.task.process)
            self.partners = [
                row.municipality
                for row in application.partner_rows.select_related("municipality").order_by("municipality__name")
            ]
            centres = CostCentre.objects.filter(dkz__counties=application.county_id).order_by("code")
            if application.case_id and not self.is_bound:
                transfer = getattr(application.case, "transfer", None)
                own = centres.filter(code=transfer.cost_centre_code).first() if transfer else None
                self.fields["cost_centre_id"].initial = own.pk if own else None
        cast(forms.ChoiceField, self.fields["cost_centre_id"]).choices = [
            ("", _("keine")),
            *[(c.pk, f"{c.code} – {c.name}") for c in centres],
        ]
        for municipality in self.partners:
            self.fields[f"weight_{municipality.ags}"] = forms.DecimalField(
                label=_("Gewicht laut Bescheid: %(name)s") % {"name": municipality.name},
                help_text=_(
                    "z. B. die Zahl der OZG-Leistungen; leer lassen, wenn der Schlüssel der Kostenstelle gilt."
                ),
                max_digits=14,
                decimal_places=4,
                min_value=0,
                required=False,
                localize=True,
            )
        # the reason belongs to a rejection: keep it last
        self.fields["reason"] = self.fields.pop("reason")

    def clean_key(self) -> dict[Municipality, Decimal]:
        key: dict[Municipality, Decimal] = {}
        for line in (self.cleaned_data.get("key") or "").splitlines():
            if not line.strip():
                continue
            ags, _sep, weight = line.partition("=")
            municipality = Municipality.objects.filter(ags=ags.strip()).first()
            try:
                value = Decimal(weight.strip())
            except ArithmeticError:
                value = None
            if municipality is None or value is None or value < 0:
                raise ValidationError(_("Zeile „%(line)s“: erwartet Gemeindeschlüssel=Gewicht."), params={"line": line})
            key[municipality] = value
        return key

    def clean(self):
        super().clean()
        data = self.cleaned_data
        weights = {m: data[f"weight_{m.ags}"] for m in self.partners if data.get(f"weight_{m.ags}") not in (None, "")}
        if weights:
            data["key"] = weights
        return data


class PurposeForm(TaskForm):
    fulfilled_on = DateField(label=_("Zuwendungszweck erfüllt am"))


class ProofForm(TaskForm):
    submitted_on = DateField(label=_("Verwendungsnachweis eingereicht am"))
    amount_used = MoneyField(label=_("Nachgewiesene Ausgaben (EUR)"), min_value=0)


class CloseForm(TaskForm):
    accepted_on = DateField(label=_("Verwendungsnachweis anerkannt am"))


def _at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(7, 0)))


class FundingFlow(flow.Flow):
    """Förderantrag"""

    process_title = _("Förderantrag")
    process_description = _("Vom Antrag bis zum Verwendungsnachweis")
    lock_impl = SelectForUpdateLock(nowait=False, attempts=1)

    start = flow.StartHandle(this.start_application).Annotation(title=_("Antrag angelegt")).Next(this.prepare)
    prepare = (
        FundingTask(form_class=PrepareForm, handler=this.do_prepare, title=_("Antrag vorbereiten"))
        .Permission("projects.manage_funding")
        .Next(this.review)
    )
    review = (
        FundingTask(form_class=ReviewForm, handler=this.do_review, title=_("Interne Prüfung"))
        .Permission("projects.manage_funding")
        .Next(this.review_outcome)
    )
    review_outcome = (
        flow.Switch()
        .Annotation(title=_("Ergebnis der internen Prüfung"))
        .Case(
            this.prepare,
            when(_("zur Überarbeitung zurück"), lambda act: application_of(act.process).state == State.IDEA),
        )
        .Default(this.submit)
    )
    submit = (
        FundingTask(form_class=SubmitForm, handler=this.do_submit, title=_("Antrag einreichen"))
        .Permission("projects.manage_funding")
        .Next(this.decision)
    )
    decision = (
        FundingTask(form_class=DecisionForm, handler=this.do_decision, title=_("Bescheid erfassen"))
        .Permission("projects.manage_funding")
        .Next(this.decision_outcome)
    )
    decision_outcome = (
        flow.Switch()
        .Annotation(title=_("Bewilligt oder abgelehnt?"))
        .Case(this.rejected, when(_("abgelehnt"), lambda act: application_of(act.process).state == State.REJECTED))
        .Default(this.purpose)
    )
    purpose = (
        FundingTask(form_class=PurposeForm, handler=this.do_purpose, title=_("Erfüllung des Zuwendungszwecks melden"))
        .Permission("projects.manage_funding")
        .Next(this.proof)
    )
    proof = (
        FundingTask(
            form_class=ProofForm, handler=this.do_proof, title=_("Verwendungsnachweis einreichen"), due=this.proof_due
        )
        .Permission("projects.manage_funding")
        .OnTimeout(this.proof_reminder_at, this.remind, interrupting=False, title=_("Erinnerung vor Fristablauf"))
        .OnTimeout(this.proof_escalation_at, this.escalate, interrupting=False, title=_("Eskalation nach Fristablauf"))
        .Next(this.closing)
    )
    remind = (
        flow.Function(this.do_notify).Annotation(title=_("An den Verwendungsnachweis erinnern")).Next(this.reminded)
    )
    reminded = flow.End().Annotation(title=_("Erinnerung versandt"))
    escalate = flow.Function(this.do_notify).Annotation(title=_("Fristüberschreitung melden")).Next(this.escalated)
    escalated = flow.End().Annotation(title=_("Eskalation gemeldet"))
    closing = (
        FundingTask(form_class=CloseForm, handler=this.do_close, title=_("Prüfung abschließen"))
        .Permission("projects.manage_funding")
        .Next(this.closed)
    )
    closed = flow.End().Annotation(title=_("Abgeschlossen"))
    rejected = flow.End().Annotation(title=_("Abgelehnt"))

    # --- start and dates -------------------------------------------------------------------------------------
    def start_application(self, activation, application: Application):
        activation.process.artifact_content_type = ContentType.objects.get_for_model(Application)
        activation.process.artifact_object_id = application.pk
        return activation.process

    def proof_due(self, activation):
        return application_of(activation.process).proof.due_on

    def proof_reminder_at(self, activation):
        application = application_of(activation.process)
        return _at(application.proof.due_on - dt.timedelta(days=application.programme.reminder_lead_days))

    def proof_escalation_at(self, activation):
        return _at(application_of(activation.process).proof.due_on + dt.timedelta(days=1))

    # --- handlers: one service each ----------------------------------------------------------------------------
    def do_prepare(self, activation, user, data):
        return svc.application_prepare(application=application_of(activation.process), by=user, on=data["checked_on"])

    def do_review(self, activation, user, data):
        application = application_of(activation.process)
        if data["decision"] == "return":
            return svc.application_review_return(application=application, by=user, note=data.get("note") or "")
        return svc.application_review_start(application=application, by=user)

    def do_submit(self, activation, user, data):
        return svc.application_submit(
            application=application_of(activation.process),
            by=user,
            submitted_on=data["submitted_on"],
            channel=data.get("channel") or "",
            requested_amount=data.get("requested_amount"),
        )

    def do_decision(self, activation, user, data):
        key = data.get("key") or None
        if activation.process.parent_task_id:
            parent_task = activation.process.parent_task
            application_id = activation.process.artifact_object_id
            # resume the waiting case only after this flow's lock is released (no nested locks, viewflow.md §5)
            lock.after_lock_released(lambda: resume_parent_case(parent_task=parent_task, application_id=application_id))
        return svc.decision_record(
            application=application_of(activation.process),
            by=user,
            outcome=data["outcome"],
            decided_on=data["decided_on"],
            amount=data.get("amount") or Decimal("0"),
            conditions=data.get("conditions") or "",
            earmark_until=data.get("earmark_until"),
            first_year=data.get("first_year"),
            last_year=data.get("last_year"),
            key=key,
            key_source=Decision.KeySource.NOTICE if key or not data.get("cost_centre_id") else "cost_centre",
            cost_centre_id=data.get("cost_centre_id"),
            reference=data.get("reference") or "",
            reason=data.get("reason") or "",
        )

    def do_purpose(self, activation, user, data):
        return svc.application_purpose_fulfilled(
            application=application_of(activation.process), by=user, fulfilled_on=data["fulfilled_on"]
        )

    def do_proof(self, activation, user, data):
        return svc.proof_submit(
            application=application_of(activation.process),
            by=user,
            submitted_on=data["submitted_on"],
            amount_used=data["amount_used"],
        )

    def do_close(self, activation, user, data):
        return svc.application_close(
            application=application_of(activation.process), by=user, accepted_on=data["accepted_on"]
        )

    def do_notify(self, activation):
        """Boundary timer fired: produce the reminders and escalations due now (idempotent)."""
        funding_deadlines_notify(now=timezone.now())


def resume_parent_case(*, parent_task: Task, application_id: int) -> None:
    """The case waiting for this application's decision continues (idempotent: only an open wait is resumed,
    and only once the decision is really recorded: this also runs after a rolled-back attempt)."""
    from viewflow.workflow import STATUS

    from workflows.case import CaseFlow

    if not Decision.objects.filter(application_id=application_id).exists():
        return
    waiting = Task.objects.filter(
        process_id=parent_task.process_id, flow_task=CaseFlow.await_funding_decision, status=STATUS.NEW
    ).first()
    if waiting is not None:
        CaseFlow.await_funding_decision.run(waiting)


def funding_flow_start(*, application: Application, parent_task: Task | None = None) -> Process:
    """Start the flow for an application; from a case, pass the case's waiting task as ``parent_task``."""
    if parent_task is not None:
        return FundingFlow.start.run(application=application, _parent_task=parent_task)
    return FundingFlow.start.run(application=application)


def funding_process_of(*, application: Application) -> Process | None:
    return (
        Process.objects.filter(
            flow_class=FundingFlow,
            artifact_content_type=ContentType.objects.get_for_model(Application),
            artifact_object_id=application.pk,
        )
        .order_by("-pk")
        .first()
    )


def funding_open_tasks(*, application: Application) -> list[Task]:
    """The application's open steps (new or assigned), oldest first."""
    from viewflow.workflow import STATUS

    process = funding_process_of(application=application)
    if process is None:
        return []
    return list(
        Task.objects.filter(process=process, status__in=[STATUS.NEW, STATUS.ASSIGNED], flow_task_type="HUMAN")
        .select_related("owner")
        .order_by("pk")
    )


def funding_application_start(*, by, **fields) -> Application:
    """An application outside an IKZ case: created and its flow started in one transaction."""
    with transaction.atomic():
        application = svc.application_create(by=by, **fields)
        funding_flow_start(application=application)
    return application


def funding_flow_revoke(*, application: Application, by, **fields) -> Application:
    """Widerruf: the repayment with interest (the service) and the end of every open step, in one transaction."""
    from viewflow.workflow import PROCESS

    with transaction.atomic():
        svc.application_revoke(application=application, by=by, **fields)
        process = funding_process_of(application=application)
        if process is not None and process.status not in (PROCESS.DONE, PROCESS.CANCELED):
            FundingFlow.instance.cancel(process)
    application.refresh_from_db()
    return application
