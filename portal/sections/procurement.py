"""Pages of the procurement centre: procedures, a new procedure, the detail with its open steps, the record PDF.

Steps themselves are completed on the task page of the inbox (the same form and service as the API).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import cast

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView, TemplateView
from viewflow.urls import Application
from viewflow.workflow import STATUS

from procurement.models import Kind, Procedure
from procurement.selectors import (
    bundle_candidates,
    planning_talk_list_for_user,
    procedure_award_notice_due,
    procedure_for_user,
    procedure_list_for_user,
    procedure_summary,
)
from procurement.services import procedure as svc
from projects.selectors import has_capability, municipalities_with_capability
from workflows.procurement import procurement_flow_start, procurement_process_of
from workflows.procurement_views import AmountField
from workflows.selectors import task_list_for_user


def _task_url(task) -> str | None:
    try:
        return reverse("portal:task", kwargs={"task_pk": task.pk})
    except NoReverseMatch:
        return None


class ProcurementIndexView(LoginRequiredMixin, TemplateView):
    template_name = "procurement/index.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        year = timezone.localdate().year + 1
        context.update(
            procedures=procedure_list_for_user(user=user).order_by("-created_at", "-pk")[:100],
            talks=planning_talk_list_for_user(user=user).order_by("-year", "municipality__name")[:100],
            bundles=bundle_candidates(user=user, year=year),
            year=year,
            may_request=municipalities_with_capability(user=user, capability="request_procurement").exists(),
        )
        return context


class ProcedureDetailView(LoginRequiredMixin, TemplateView):
    template_name = "procurement/detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        procedure = procedure_for_user(user=self.request.user, pk=kwargs["pk"])
        process = procurement_process_of(procedure=procedure)
        open_tasks = []
        if process is not None:
            tasks = list(process.task_set.filter(status__in=[STATUS.NEW, STATUS.ASSIGNED]).order_by("pk"))
            # a step is linked only for those who may open it (another role's step would answer 404)
            mine = set(
                task_list_for_user(user=self.request.user)
                .filter(pk__in=[t.pk for t in tasks])
                .values_list("pk", flat=True)
            )
            for task in tasks:
                url = _task_url(task) if task.pk in mine else None
                open_tasks.append({"title": task.flow_task.task_title, "url": url})
        context.update(
            procedure_summary(procedure=procedure, user=self.request.user),
            answers=svc.procedure_answers_public(procedure=procedure),
            open_tasks=open_tasks,
            award_notice_due=procedure_award_notice_due(procedure=procedure),
        )
        return context


class ProcedureRequestForm(forms.Form):
    municipality: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Kommune"), queryset=None)
    subject = forms.CharField(label=_("Gegenstand"), max_length=200)
    kind = forms.ChoiceField(label=_("Leistungsart"), choices=Kind.choices)
    estimated_value = forms.CharField(label=_("Geschätzter Auftragswert netto (EUR, alle Lose, ganze Laufzeit)"))
    need = forms.CharField(label=_("Bedarf"), widget=forms.Textarea, required=False)
    housing = forms.BooleanField(label=_("Wohnungsbau"), required=False)
    openers_from = forms.ChoiceField(label=_("Angebotsöffnung durch"), choices=Procedure.Openers.choices)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["municipality"]).queryset = municipalities_with_capability(
            user=user, capability="request_procurement"
        )

    def clean_estimated_value(self):
        raw = self.cleaned_data["estimated_value"].replace(".", "").replace(",", ".").strip()
        try:
            return Decimal(raw)
        except InvalidOperation as exc:
            raise ValidationError(_("Bitte einen Betrag in Euro angeben, z. B. 80.000,00.")) from exc


class ProcedureRequestView(LoginRequiredMixin, FormView):
    """Only a municipality hands a procedure to the centre: without ``request_procurement`` on any municipality
    (DKZ staff, the supervisory authority) the page answers 403, like the form for a new IKZ idea."""

    template_name = "procurement/new.html"
    form_class = ProcedureRequestForm

    def dispatch(self, request, *args, **kwargs):
        if (
            request.user.is_authenticated
            and not municipalities_with_capability(user=request.user, capability="request_procurement").exists()
        ):
            raise PermissionDenied(_("Ein Vergabeverfahren beauftragt nur eine Kommune."))
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        try:
            with transaction.atomic():
                procedure = svc.procedure_request(by=self.request.user, **form.cleaned_data)
                procurement_flow_start(procedure=procedure)
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, exc.messages if isinstance(exc, ValidationError) else str(exc))
            return self.form_invalid(form)
        messages.success(self.request, _("Vergabeverfahren %(ref)s angelegt.") % {"ref": procedure.reference})
        return redirect("procurement:detail", pk=procedure.pk)

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


class RecordPdfView(LoginRequiredMixin, TemplateView):
    def get(self, request, *args, **kwargs):
        procedure = procedure_for_user(user=request.user, pk=kwargs["pk"])
        if not procedure.record_pdf:
            raise Http404(_("Der Vergabevermerk ist noch nicht erstellt."))
        return FileResponse(
            procedure.record_pdf.open("rb"),
            content_type="application/pdf",
            filename=f"{procedure.reference}-vergabevermerk.pdf",
        )


class OfferRecordForm(forms.Form):
    """An offer as the centre receives it; the receipt time is stamped by the server when the form is saved."""

    lot = forms.TypedChoiceField(label=_("Los"), coerce=int)
    bidder = forms.CharField(label=_("Bieter"), max_length=200)
    price = AmountField(label=_("Angebotspreis netto (EUR)"), help_text=_("z. B. 65.000,00"))
    document = forms.FileField(
        label=_("Angebotsunterlagen"),
        required=False,
        help_text=_("PDF, DOCX, XLSX oder ODT. Der Eingang wird beim Speichern vom System gestempelt."),
    )

    def __init__(self, *args, procedure: Procedure, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["lot"]).choices = [
            (lot.pk, f"{lot.number}: {lot.title} ({lot.municipality})")
            for lot in procedure.lots.select_related("municipality").order_by("number")
        ]


class OfferRecordView(LoginRequiredMixin, FormView):
    """The procurement centre records a received offer: bidder, lot, price, documents (receipt stamped now)."""

    template_name = "procurement/offer_new.html"
    form_class = OfferRecordForm

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.procedure = procedure_for_user(user=request.user, pk=kwargs["pk"])
        if not has_capability(
            user=request.user, capability="run_procurement", municipality=self.procedure.municipality
        ):
            raise PermissionDenied(_("Angebote erfasst nur das Vergabezentrum."))
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "procedure": self.procedure}

    def get_context_data(self, **kwargs):
        return super().get_context_data(procedure=self.procedure, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            offer = svc.offer_receive(
                procedure=self.procedure,
                by=self.request.user,
                bidder=data["bidder"],
                price=data["price"],
                lot=self.procedure.lots.filter(pk=data["lot"]).first(),
                document=data.get("document"),
            )
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
            for field, messages_ in errors.items():
                form.add_error(field if field in form.fields else None, messages_)
            return self.form_invalid(form)
        if offer.is_late:
            messages.warning(
                self.request,
                _("Angebot von %(bidder)s verspätet erfasst und ausgeschlossen: %(note)s")
                % {"bidder": offer.bidder, "note": offer.formal_note},
            )
        else:
            messages.success(self.request, _("Angebot von %(bidder)s erfasst.") % {"bidder": offer.bidder})
        return redirect("procurement:detail", pk=self.procedure.pk)

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


class InformationPdfView(LoginRequiredMixin, TemplateView):
    """The § 134 GWB letters of a lot (one PDF, a letter per unsuccessful bidder)."""

    def get(self, request, *args, **kwargs):
        procedure = procedure_for_user(user=request.user, pk=kwargs["pk"])
        lot = procedure.lots.filter(number=kwargs["number"]).first()
        if lot is None or not lot.information_pdf:
            raise Http404(_("Die Bieterinformation ist noch nicht erstellt."))
        return FileResponse(
            lot.information_pdf.open("rb"),
            content_type="application/pdf",
            filename=f"{procedure.reference}-los{lot.number}-bieterinformation.pdf",
        )


class ProcurementApp(Application):
    title = _("Vergabezentrum")
    icon = "gavel"
    app_name = "procurement"

    index_path = path("", ProcurementIndexView.as_view(), name="index")
    new_path = path("neu/", ProcedureRequestView.as_view(), name="new")
    detail_path = path("<int:pk>/", ProcedureDetailView.as_view(), name="detail")
    record_path = path("<int:pk>/vergabevermerk.pdf", RecordPdfView.as_view(), name="record")
    offer_new_path = path("<int:pk>/angebote/neu/", OfferRecordView.as_view(), name="offer_new")
    information_path = path(
        "<int:pk>/lose/<int:number>/bieterinformation.pdf", InformationPdfView.as_view(), name="information"
    )


app = ProcurementApp()
