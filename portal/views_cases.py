"""Case pages: list, new idea, the case itself (stage, participants, project order versions, flow chart, timeline,
documents, comments), the project order as PDF. Everything outside the user's visibility answers 404."""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import FormView, TemplateView
from viewflow.workflow import STATUS

from costs.economic import economic_check_of
from portal.selectors import next_due_of, task_rows
from portal.timeline import timeline_of
from projects.models import Case, Consent, Municipality, ProjectOrder, StatuteAmendment
from projects.selectors import case_for_user, case_list_for_user, dkz_county_ids_of, municipalities_with_capability
from projects.services.cases import case_capture, case_comment_add, case_document_add, county_dkz
from projects.services.supervision import case_competent_authority
from projects.services.uploads import DOCUMENT_TYPES, upload_safe_name
from workflows.case import case_start
from workflows.diagram import steps_of
from workflows.engine import task_actions_for
from workflows.selectors import process_of_case, tasks_of_case

PAGE_SIZE = 25


class CaseListView(LoginRequiredMixin, TemplateView):
    template_name = "portal/case_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        cases = case_list_for_user(user=self.request.user).order_by("-updated_at", "-pk")
        stage = self.request.GET.get("stage", "")
        q = (self.request.GET.get("q") or "").strip()[:100]
        if stage in Case.Stage.values:
            cases = cases.filter(stage=stage)
        if q:
            cases = cases.filter(Q(title__icontains=q) | Q(number__icontains=q))
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(
            page=Paginator(cases, PAGE_SIZE).get_page(self.request.GET.get("page")),
            stages=Case.Stage.choices,
            stage=stage,
            q=q,
            querystring=query.urlencode(),
            can_propose=bool(proposer_choices(self.request.user)),
        )
        return context


# --- new idea -------------------------------------------------------------------------------------------------
def proposer_choices(user) -> list[tuple[str, str]]:
    """For whom the user may capture an idea: the county (DKZ project management) or own municipalities."""
    choices = []
    anchors = (
        municipalities_with_capability(user=user, capability="manage_case")
        .filter(kind=Municipality.Kind.LANDKREIS, county_id__in=dkz_county_ids_of(user=user))
        .select_related("county")
    )
    for anchor in anchors:
        choices.append(
            (f"county:{anchor.county_id}", _("DKZ %(county)s (kreisweite Idee)") % {"county": anchor.county})
        )
    for municipality in municipalities_with_capability(user=user, capability="propose_case").exclude(
        kind=Municipality.Kind.LANDKREIS
    ):
        if municipality.county_id:
            choices.append((f"municipality:{municipality.pk}", municipality.name))
    return choices


class IdeaForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Titel der Idee"), max_length=200)
    proposer = forms.ChoiceField(label=gettext_lazy("Eingebracht von"))
    task_area = forms.CharField(label=gettext_lazy("Aufgabenbereich oder -bündel"), max_length=200, required=False)
    source = forms.ChoiceField(
        label=gettext_lazy("Herkunft"), choices=Case.Source.choices, initial=Case.Source.OWN_IDEA
    )
    description = forms.CharField(
        label=gettext_lazy("Beschreibung"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        help_text=gettext_lazy("Was soll gemeinsam erledigt werden, und welchen Nutzen erwarten Sie?"),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["proposer"]).choices = proposer_choices(user)


class CaseCreateView(LoginRequiredMixin, FormView):
    template_name = "portal/case_new.html"
    form_class = IdeaForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not proposer_choices(request.user):
            raise PermissionDenied(_("Sie dürfen keine IKZ-Ideen erfassen."))
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        kind, pk = form.cleaned_data["proposer"].split(":", 1)
        if kind == "county":
            municipality = None
            county = Municipality.objects.get(county_id=pk, kind=Municipality.Kind.LANDKREIS).county
        else:
            municipality = Municipality.objects.select_related("county").get(pk=pk)
            county = municipality.county
        assert county is not None  # every municipality belongs to a county
        try:
            case = case_capture(
                county=county,
                title=form.cleaned_data["title"],
                by=self.request.user,
                description=form.cleaned_data["description"],
                task_area=form.cleaned_data["task_area"],
                proposing_municipality=municipality,
                source=form.cleaned_data["source"],
            )
            case_start(case=case)
        except ValidationError as exc:
            for field, errors in getattr(exc, "message_dict", {"__all__": exc.messages}).items():
                form.add_error(field if field in form.fields else None, errors)
            return self.render_to_response(self.get_context_data(form=form), status=400)
        except PermissionDenied as exc:
            form.add_error("proposer", str(exc))
            return self.render_to_response(self.get_context_data(form=form), status=400)
        messages.success(self.request, _("Die Idee %(number)s wurde erfasst.") % {"number": case.number})
        return redirect("portal:case", pk=case.pk)

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


# --- the case page --------------------------------------------------------------------------------------------
SECTIONS = [
    (gettext_lazy("1. Projektziele"), ("goals",)),
    (gettext_lazy("2. Zu liefernde Ergebnisse"), ("results",)),
    (gettext_lazy("3. Beginn und Ende"), ("start_date", "end_date")),
    (gettext_lazy("4. Kosten"), ("costs", "cost_estimate", "expected_saving")),
    (gettext_lazy("5. Projektleitung"), ("project_lead",)),
    (gettext_lazy("6. Projektgruppe"), ("project_group",)),
    (gettext_lazy("7. Informationsmanagement"), ("information_management",)),
]
MONEY_FIELDS = {"cost_estimate", "expected_saving"}
DATE_FIELDS = {"start_date", "end_date"}


def order_comparison(left: ProjectOrder | None, right: ProjectOrder) -> list[dict]:
    """The 7 sections of two versions side by side, each field marked as changed or not."""
    rows = []
    for section, names in SECTIONS:
        for name in names:
            old = getattr(left, name) if left is not None else None
            new = getattr(right, name)
            rows.append(
                {
                    "section": section,
                    "first": name == names[0],
                    "span": len(names),
                    "label": cast(models.Field, ProjectOrder._meta.get_field(name)).verbose_name,
                    "kind": "money" if name in MONEY_FIELDS else "date" if name in DATE_FIELDS else "text",
                    "old": old,
                    "new": new,
                    "changed": left is not None and old != new,
                }
            )
    return rows


def _version(versions: list[ProjectOrder], value: str | None, default: ProjectOrder | None) -> ProjectOrder | None:
    for order in versions:
        if str(order.version) == (value or ""):
            return order
    return default


def current_steps_of(process) -> list[str]:
    """The names of the current steps of a case's process (the diagram marks them; the page also says them in
    text); none before the case has a process."""
    if process is None:
        return []
    return list(dict.fromkeys(s.name for s in steps_of(flow_name="case", process=process) if s.state == "current"))


class CaseDetailView(LoginRequiredMixin, TemplateView):
    template_name = "portal/case_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        case = case_for_user(user=user, pk=kwargs["pk"])
        participants = list(case.participants.select_related("municipality").order_by("municipality__name"))
        versions = list(case.orders.order_by("version"))
        current = versions[-1] if versions else None
        right = _version(versions, self.request.GET.get("b"), current)
        left_default = None
        if right is not None and right.version > 1:
            left_default = next((o for o in versions if o.version == right.version - 1), None)
        left = _version(versions, self.request.GET.get("a"), left_default)
        approvals = {a.municipality_id: a for a in current.approvals.all()} if current else {}
        resolutions = {r.municipality_id: r for r in case.resolutions.all()}
        consents = {c.municipality_id: c for c in case.consents.select_related("municipality")}
        deferrals = {d.municipality_id: d for d in case.resolution_deferrals.order_by("session_date", "pk")}
        for p in participants:
            p.approval = approvals.get(p.municipality_id)
            p.resolution = resolutions.get(p.municipality_id)
            p.deferral = deferrals.get(p.municipality_id)  # the latest; shown while no resolution is recorded
            p.consent = consents.get(p.municipality_id)
        other_consents = [c for mid, c in consents.items() if mid not in {p.municipality_id for p in participants}]
        open_tasks = list(tasks_of_case(case=case).filter(status__in=(STATUS.NEW, STATUS.ASSIGNED)))
        rows = task_rows(tasks=open_tasks, user=user) if open_tasks else []
        for row in rows:
            row.actions = task_actions_for(task=row.task, user=user)
        process = process_of_case(case=case)  # read once: the steps in text and the diagram
        context.update(
            case=case,
            process=process,
            competent_authority=case_competent_authority(case, participants=participants),
            economic_check=economic_check_of(case),
            organisation=county_dkz(case.county),
            amendment=StatuteAmendment.objects.filter(case=case).select_related("board_recorded_by").first(),
            participants=participants,
            other_consents=sorted(other_consents, key=lambda c: c.municipality.name if c.municipality else ""),
            consent_label=Consent.Kind.STATUTE.label
            if case.route == Case.Route.COUNTY_WIDE
            else Consent.Kind.AGREEMENT.label,
            versions=versions,
            order=current,
            left=left,
            right=right,
            comparison=order_comparison(left, right) if right is not None else [],
            current_steps=current_steps_of(process),
            open_tasks=rows,
            next_due=next_due_of(case=case),
            timeline=timeline_of(case=case),
            documents=list(case.documents.select_related("uploaded_by").order_by("-uploaded_at")),
            comments=list(case.comments.select_related("author").prefetch_related("mentions")),
        )
        return context


class CaseCommentView(LoginRequiredMixin, View):
    def post(self, request, pk):
        case = case_for_user(user=request.user, pk=pk)
        try:
            case_comment_add(case=case, text=request.POST.get("text", ""), by=request.user)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Ihr Kommentar wurde gespeichert."))
        return HttpResponseRedirect(reverse("portal:case", args=[case.pk]) + "#kommentare")


class CaseDocumentUploadView(LoginRequiredMixin, View):
    def post(self, request, pk):
        case = case_for_user(user=request.user, pk=pk)
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, _("Bitte eine Datei auswählen."))
        else:
            try:
                case_document_add(case=case, upload=upload, title=request.POST.get("title", ""), by=request.user)
            except ValidationError as exc:
                for message in exc.messages:
                    messages.error(request, message)
            else:
                messages.success(request, _("Das Dokument wurde hochgeladen."))
        return HttpResponseRedirect(reverse("portal:case", args=[case.pk]) + "#dokumente")


class CaseDocumentDownloadView(LoginRequiredMixin, View):
    def get(self, request, pk, document_pk):
        case = case_for_user(user=request.user, pk=pk)
        document = case.documents.filter(pk=document_pk).first()
        if document is None:
            raise Http404(_("Dokument nicht gefunden"))
        try:
            handle = document.file.open("rb")
        except FileNotFoundError as exc:
            raise Http404(_("Dokument nicht gefunden")) from exc
        # the type detected at upload; anything else (an older row) is served as opaque bytes
        content_type = document.content_type if document.content_type in DOCUMENT_TYPES else "application/octet-stream"
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=upload_safe_name(name=document.file.name),
            content_type=content_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response


class ProjectOrderPdfView(LoginRequiredMixin, View):
    def get(self, request, pk):
        from weasyprint import HTML

        case = case_for_user(user=request.user, pk=pk)
        versions = list(case.orders.order_by("version"))
        order = _version(versions, request.GET.get("version"), versions[-1] if versions else None)
        if order is None:
            raise Http404(_("Es gibt noch keinen Projektauftrag."))
        html = render_to_string(
            "portal/project_order_pdf.html",
            {"case": case, "order": order, "sections": order_comparison(None, order)},
            request=request,
        )
        pdf = HTML(string=html).write_pdf()
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="Projektauftrag_{case.number}_v{order.version}.pdf"'
        return response
