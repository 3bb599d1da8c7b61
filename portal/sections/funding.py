"""Pages of the funding domain: the funding officer's dashboard, an application's record, the XLSX export."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.defaultfilters import floatformat
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView
from viewflow.urls import Application as ViewflowApplication

from funding.exports import funding_overview_xlsx
from funding.models import Application
from funding.selectors import (
    FigureRow,
    application_document_for_user,
    application_for_user,
    application_list_for_user,
    deadline_list_for_user,
    document_deliverable_by,
    document_may_deliver,
    funding_figures_for_user,
    is_funding_officer,
    pipeline_for_user,
)
from funding.services.applications import (
    application_checklist,
    application_document_add,
    application_document_replace,
    application_saving_record,
    drawdown_record,
    drawn_total,
)
from funding.services.eligibility import euro
from portal.sections.funding_forms import (
    ApplicationCreateForm,
    DocumentForm,
    DrawdownForm,
    ReplaceForm,
    RevokeForm,
    SavingForm,
)
from projects.models import County
from projects.selectors import dkz_county_ids_of, municipalities_with_capability
from projects.services.audit import audit_for_subject
from projects.services.uploads import DOCUMENT_TYPES, upload_safe_name
from workflows.funding import funding_application_start, funding_flow_revoke, funding_open_tasks

HORIZON_DAYS = 90


def _today(request) -> dt.date:
    return timezone.localdate()


def officer_counties(user) -> list[County]:
    """The counties whose funding officer the user is (capability manage_funding on the county itself)."""
    anchors = municipalities_with_capability(user=user, capability="manage_funding").filter(
        county_id__in=dkz_county_ids_of(user=user), kind="landkreis"
    )
    return list(County.objects.filter(pk__in=anchors.values("county_id")).order_by("name"))


def _deadline_rows(user, today: dt.date) -> list[dict]:
    rows = []
    for deadline in deadline_list_for_user(user=user, until=today + dt.timedelta(days=HORIZON_DAYS)):
        overdue = deadline.due_on < today
        rows.append(
            {
                "deadline": deadline,
                "overdue": overdue,
                "days": abs((deadline.due_on - today).days),
                "escalated": deadline.escalated_at is not None,
            }
        )
    return rows


def chart_svg(figures: list[FigureRow]) -> SafeString:
    """Bar chart granted vs drawn per year, drawn on the server; every bar carries its value as text."""
    per_year: dict[int, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for row in figures:
        per_year[row.year][0] += row.granted
        per_year[row.year][1] += row.drawn
    years = sorted(per_year)
    if not years:
        return SafeString("")
    top = max(max(values) for values in per_year.values()) or Decimal(1)
    width, height, base, bar = 120 * len(years) + 40, 260, 210, 36
    bars = []
    for index, year in enumerate(years):
        x = 30 + index * 120
        for offset, (value, css, label) in enumerate(
            zip(per_year[year], ("granted", "drawn"), (_t("bewilligt"), _t("abgerufen")), strict=True)
        ):
            h = int(Decimal(170) * value / top)
            bars.append(
                format_html(
                    '<rect class="ikz-bar ikz-bar--{}" x="{}" y="{}" width="{}" height="{}">'
                    "<title>{} {}: {}</title></rect>"
                    '<text x="{}" y="{}" font-size="10" text-anchor="middle">{}</text>',
                    css,
                    x + offset * (bar + 4),
                    base - h,
                    bar,
                    h,
                    year,
                    label,
                    euro(value),
                    x + offset * (bar + 4) + bar // 2,
                    base - h - 4,
                    f"{value / 1000:.0f} T€",
                )
            )
        bars.append(format_html('<text x="{}" y="{}" font-size="12">{}</text>', x + 22, base + 18, year))
    legend = format_html(
        '<rect class="ikz-bar ikz-bar--granted" x="30" y="5" width="12" height="12"></rect>'
        '<text x="46" y="15" font-size="12">{}</text>'
        '<rect class="ikz-bar ikz-bar--drawn" x="140" y="5" width="12" height="12"></rect>'
        '<text x="156" y="15" font-size="12">{}</text>',
        _t("bewilligt"),
        _t("abgerufen"),
    )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="chart-title" width="{}" height="{}" '
        'viewBox="0 0 {} {}"><title id="chart-title">{}</title>'
        "<style>.ikz-bar--granted{{fill:#1f5f99}}.ikz-bar--drawn{{fill:#8fbf3f;stroke:#333;stroke-dasharray:3}}"
        "</style>{}{}</svg>",
        width,
        height,
        width,
        height,
        _t("Bewilligte und abgerufene Mittel je Jahr"),
        legend,
        format_html_join("", "{}", ((b,) for b in bars)),
    )


class DashboardView(LoginRequiredMixin, TemplateView):
    template_name = "funding/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, today = self.request.user, _today(self.request)
        figures = funding_figures_for_user(user=user)
        deadlines = _deadline_rows(user, today)
        context.update(
            today=today,
            horizon=HORIZON_DAYS,
            is_officer=bool(officer_counties(user)),
            pipeline=pipeline_for_user(user=user),
            figures=figures,
            chart=chart_svg(figures),
            deadlines=deadlines,
            overdue_count=sum(1 for d in deadlines if d["overdue"]),
            applications=application_list_for_user(user=user)[:50],
        )
        return context


def saving_against_rule(application: Application, today: dt.date) -> dict:
    """The computed saving % beside the minimum of the rule in force (dated reference data, with its source)."""
    rule = application.eligible_rule or application.programme.rule_on(application.checked_on or today)
    minimum = rule.min_saving_percent if rule else None
    percent = application.saving_percent
    return {
        "rule": rule,
        "minimum": minimum,
        "percent": percent,
        "met": None if percent is None or minimum is None else percent >= minimum,
    }


def application_context(application: Application, user, today: dt.date) -> dict:
    """What a decision about an application needs to show: the record, its checklist, the saving against the rule."""
    checklist = application_checklist(application=application)
    return {
        "application": application,
        "partners": application.partner_rows.select_related("municipality").order_by("municipality__name"),
        "checklist": checklist,
        "checklist_complete": all(item.done for item in checklist),
        "saving": saving_against_rule(application, today),
    }


class ApplicationDetailView(LoginRequiredMixin, TemplateView):
    """The application's record and its decision page: checklist, documents, saving calculation, decision, drawdowns,
    proof of use, revocation; the open step of the flow for the funding officer."""

    template_name = "funding/application.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        application = application_for_user(user=user, pk=kwargs["pk"])
        today = _today(self.request)
        decision = getattr(application, "decision", None)
        officer = is_funding_officer(user=user, application=application)
        deliverable = document_deliverable_by(user=user, application=application)
        documents = list(application.documents.select_related("municipality", "added_by").order_by("kind", "pk"))
        for document in documents:
            document.may_replace = document_may_deliver(
                user=user, application=application, kind=document.kind, municipality=document.municipality
            )
        context.update(application_context(application, user, today))
        context.update(
            today=today,
            is_officer=officer,
            documents=documents,
            document_form=kwargs.get("document_form")
            or (DocumentForm(deliverable=deliverable) if deliverable else None),
            replace_form=ReplaceForm(),
            drawdown_form=kwargs.get("drawdown_form")
            or (DrawdownForm() if officer and application.state == Application.State.GRANTED else None),
            may_revoke=officer and application.state in (Application.State.GRANTED, Application.State.PROOF_SUBMITTED),
            open_tasks=funding_open_tasks(application=application),
            decision=decision,
            attributions=decision.attributions.select_related("municipality") if decision else [],
            drawdowns=application.drawdowns.all(),
            drawn=drawn_total(application),
            proof=getattr(application, "proof", None),
            repayments=application.repayments.all(),
            deadlines=[
                {"deadline": d, "overdue": d.done_on is None and d.due_on < today} for d in application.deadlines.all()
            ],
            audit=audit_for_subject(subject=application)[:30],
        )
        return context


def _detail(application: Application, anchor: str = "") -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("funding:detail", args=[application.pk]) + (f"#{anchor}" if anchor else ""))


def _detail_with(request, pk: int, **forms) -> HttpResponse:
    """The application page again, with a form that did not validate (answer 400)."""
    view = ApplicationDetailView()
    view.setup(request, pk=pk)
    return view.render_to_response(view.get_context_data(pk=pk, **forms), status=400)


def _errors_to_messages(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


class DocumentUploadView(LoginRequiredMixin, View):
    def post(self, request, pk):
        application = application_for_user(user=request.user, pk=pk)
        deliverable = document_deliverable_by(user=request.user, application=application)
        if not deliverable:
            raise PermissionDenied(_t("Unterlagen dieses Antrags dürfen Sie nicht hochladen."))
        form = DocumentForm(request.POST, request.FILES, deliverable=deliverable)
        if not form.is_valid():
            return _detail_with(request, pk, document_form=form)
        kind, municipality = form.cleaned_data["item"]
        try:
            application_document_add(
                application=application,
                by=request.user,
                kind=kind,
                municipality=municipality,
                title=form.cleaned_data["title"],
                dated=form.cleaned_data["dated"],
                reference=form.cleaned_data["reference"],
                file=form.cleaned_data["file"],
            )
        except ValidationError as error:
            _errors_to_messages(request, error)
        else:
            messages.success(request, _t("Die Unterlage wurde hochgeladen."))
        return _detail(application, "unterlagen")

    def get(self, request, pk):
        return _detail(application_for_user(user=request.user, pk=pk), "unterlagen")


class DocumentDownloadView(LoginRequiredMixin, View):
    def get(self, request, pk, document_pk):
        document = application_document_for_user(user=request.user, application_pk=pk, document_pk=document_pk)
        if not document.file:
            raise Http404(_t("Zu dieser Unterlage ist keine Datei hinterlegt."))
        try:
            handle = document.file.open("rb")
        except FileNotFoundError as exc:
            raise Http404(_t("Dokument nicht gefunden")) from exc
        content_type = document.content_type if document.content_type in DOCUMENT_TYPES else "application/octet-stream"
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=upload_safe_name(name=document.file.name),
            content_type=content_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response


class DocumentReplaceView(LoginRequiredMixin, View):
    def post(self, request, pk, document_pk):
        document = application_document_for_user(user=request.user, application_pk=pk, document_pk=document_pk)
        form = ReplaceForm(request.POST, request.FILES)
        if not form.is_valid():
            for errors in form.errors.values():
                for message in errors:
                    messages.error(request, str(message))
            return _detail(document.application, "unterlagen")
        try:
            application_document_replace(
                document=document, by=request.user, file=form.cleaned_data["file"], dated=form.cleaned_data["dated"]
            )
        except ValidationError as error:
            _errors_to_messages(request, error)
        else:
            messages.success(request, _t("Die Datei der Unterlage wurde ersetzt."))
        return _detail(document.application, "unterlagen")


class _OfficerApplicationMixin(LoginRequiredMixin):
    """Pages of an application that only the county's funding officer opens (404 for everyone else)."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.application = application_for_user(user=request.user, pk=kwargs["pk"], capability="manage_funding")
        return super().dispatch(request, *args, **kwargs)


class SavingView(_OfficerApplicationMixin, TemplateView):
    """The saving calculation: previous costs per partner against the joint unit, the % against the rule's minimum."""

    template_name = "funding/saving.html"

    def get_context_data(self, form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            application=self.application,
            form=form or SavingForm(application=self.application),
            saving=saving_against_rule(self.application, _today(self.request)),
        )
        return context

    def post(self, request, pk):
        form = SavingForm(request.POST, application=self.application)
        if form.is_valid():
            try:
                percent = application_saving_record(
                    application=self.application,
                    by=request.user,
                    previous=form.previous(),
                    joint_personnel=form.cleaned_data["joint_personnel"],
                    joint_material=form.cleaned_data["joint_material"],
                )
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                if percent is None:
                    messages.warning(request, _t("Ohne bisherige Kosten lässt sich keine Einsparung berechnen."))
                else:
                    messages.success(
                        request, _t("Einsparberechnung gespeichert: %(p)s %%.") % {"p": floatformat(percent, "2g")}
                    )
                return _detail(self.application, "einsparung")
        return self.render_to_response(self.get_context_data(form=form), status=400)


class DrawdownCreateView(LoginRequiredMixin, View):
    def post(self, request, pk):
        application = application_for_user(user=request.user, pk=pk, capability="manage_funding")
        form = DrawdownForm(request.POST)
        if form.is_valid():
            try:
                drawdown_record(application=application, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    for field, errors in error.message_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    form.add_error(None, error.messages)
            else:
                messages.success(request, _t("Der Mittelabruf wurde erfasst."))
                return _detail(application, "mittelabrufe")
        return _detail_with(request, pk, drawdown_form=form)

    def get(self, request, pk):
        return _detail(application_for_user(user=request.user, pk=pk), "mittelabrufe")


class RevokeView(_OfficerApplicationMixin, TemplateView):
    """Widerruf des Zuwendungsbescheids: repayment with interest (base rate + the rule's points); the open steps end."""

    template_name = "funding/revoke.html"

    def get_context_data(self, form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        application = self.application
        rule = application.eligible_rule or application.programme.rule_on(_today(self.request))
        first_paid = application.drawdowns.exclude(paid_on=None).order_by("paid_on").first()
        context.update(
            application=application,
            decision=getattr(application, "decision", None),
            drawn=drawn_total(application),
            rule=rule,
            form=form
            or RevokeForm(
                initial={
                    "revoked_on": _today(self.request),
                    "interest_from": first_paid.paid_on if first_paid else None,
                }
            ),
        )
        return context

    def post(self, request, pk):
        form = RevokeForm(request.POST)
        if form.is_valid():
            try:
                funding_flow_revoke(application=self.application, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    for field, errors in error.message_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    form.add_error(None, error.messages)
            else:
                messages.success(request, _t("Der Widerruf ist erfasst; die Rückforderung ist fällig."))
                return _detail(self.application, "rueckforderung")
        return self.render_to_response(self.get_context_data(form=form), status=400)


class ApplicationCreateView(LoginRequiredMixin, TemplateView):
    """A new application outside an IKZ case (the funding officer); its flow starts at once."""

    template_name = "funding/application_new.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.counties = officer_counties(request.user)
        if not self.counties:
            raise PermissionDenied(_t("Nur die Fördermittelstelle des DKZ legt Förderanträge an."))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        context["form"] = form or ApplicationCreateForm(counties=self.counties)
        return context

    def post(self, request):
        form = ApplicationCreateForm(request.POST, counties=self.counties)
        if form.is_valid():
            data = form.cleaned_data
            try:
                application = funding_application_start(
                    by=request.user,
                    programme=data["programme"],
                    title=data["title"],
                    county=data["county"],
                    partners=list(data["partners"]),
                    form=data["form"],
                    duration_years=data["duration_years"],
                )
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    for field, errors in error.message_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    form.add_error(None, error.messages)
            else:
                messages.success(
                    request, _t("Der Förderantrag ist angelegt; der erste Schritt steht in Ihren Aufgaben.")
                )
                return redirect("funding:detail", pk=application.pk)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class ExportView(LoginRequiredMixin, View):
    def get(self, request):
        user, today = request.user, _today(request)
        content = funding_overview_xlsx(
            applications=application_list_for_user(user=user).prefetch_related("partners"),
            figures=funding_figures_for_user(user=user),
            deadlines=deadline_list_for_user(user=user),
            today=today,
        )
        response = HttpResponse(
            content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response["Content-Disposition"] = f'attachment; filename="foerdermittel-{today:%Y-%m-%d}.xlsx"'
        return response


class FundingApp(ViewflowApplication):
    title = _("Fördermittel")
    icon = "savings"
    app_name = "funding"

    index_path = path("", DashboardView.as_view(), name="index")
    new_path = path("applications/neu/", ApplicationCreateView.as_view(), name="new")
    detail_path = path("applications/<int:pk>/", ApplicationDetailView.as_view(), name="detail")
    documents_path = path("applications/<int:pk>/unterlagen/", DocumentUploadView.as_view(), name="document_upload")
    document_path = path(
        "applications/<int:pk>/unterlagen/<int:document_pk>/", DocumentDownloadView.as_view(), name="document"
    )
    document_replace_path = path(
        "applications/<int:pk>/unterlagen/<int:document_pk>/ersetzen/",
        DocumentReplaceView.as_view(),
        name="document_replace",
    )
    saving_path = path("applications/<int:pk>/einsparung/", SavingView.as_view(), name="saving")
    drawdown_path = path("applications/<int:pk>/mittelabrufe/", DrawdownCreateView.as_view(), name="drawdown")
    revoke_path = path("applications/<int:pk>/widerruf/", RevokeView.as_view(), name="revoke")
    export_path = path("export.xlsx", ExportView.as_view(), name="export")


app = FundingApp()
