"""Pages of the screening: rounds, declarations (form and XLSX), utility analysis with chart and exports,
starting a case from a bundle, the inventory of co-operations and the steering group's status report."""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView, View
from viewflow.urls import Application

from projects.models import Case, IkzIdea, InventoryEntry, InventoryTopic, Municipality, TaskArea
from projects.selectors import dkz_county_ids_of, municipality_ids_of
from projects.selectors_screening import (
    can_manage_screening,
    county_for_user,
    declaration_list_for_user,
    declaring_municipalities_for_user,
    round_for_analysis,
    round_for_user,
    round_list_for_user,
)
from projects.services.screening import (
    bundle_complexity_set,
    bundle_rank_decide,
    declaration_save,
    round_settings_update,
    screening_case_start,
)
from projects.services.screening_analysis import (
    FROM_STEERING,
    analysis_xlsx,
    bilateral_rule,
    bundle_analysis,
    bundle_row,
    chart_bars,
)
from projects.services.screening_import import QuestionnaireInvalid, declaration_import, questionnaire_template
from projects.services.screening_inventory import (
    SYMBOLS,
    inventory_entry_set,
    inventory_history,
    inventory_matrix,
    inventory_xlsx,
)
from projects.services.screening_steering import status_report

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _download(content: bytes | str, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _pdf(template: str, context: dict) -> bytes:
    from weasyprint import HTML

    return HTML(string=render_to_string(template, context)).write_pdf()


class DeclarationForm(forms.Form):
    municipality = forms.ModelChoiceField(queryset=Municipality.objects.none(), label=_("Kommune"))
    task_area = forms.ModelChoiceField(
        queryset=TaskArea.objects.filter(is_active=True).select_related("bundle"), label=_("Aufgabenbereich")
    )
    interested = forms.TypedChoiceField(
        label=_("Interesse an IKZ"),
        choices=[("1", _("ja")), ("0", _("nein"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    urgency = forms.IntegerField(label=_("Dringlichkeit (1–10)"), required=False, min_value=1, max_value=10)
    complexity = forms.IntegerField(label=_("Komplexität (1–10)"), required=False, min_value=1, max_value=10)
    proposals = forms.CharField(label=_("IKZ-Vorschläge"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    idea = forms.ModelChoiceField(queryset=IkzIdea.objects.all(), label=_("IKZ-Idee aus der Datenbank"), required=False)

    def __init__(self, *args, municipalities: list[Municipality], **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["municipality"]).queryset = Municipality.objects.filter(
            pk__in=[m.pk for m in municipalities]
        )
        if len(municipalities) == 1:
            self.fields["municipality"].initial = municipalities[0]


class BundleComplexityForm(forms.Form):
    complexity = forms.IntegerField(
        label=_("Komplexität der Umsetzung (1–10)"),
        min_value=1,
        max_value=10,
        help_text=_("1 = einfach umzusetzen, 10 = sehr aufwendig. Ersetzt den Ø der Interessenbekundungen."),
        error_messages={
            "required": _("Bitte eine Komplexität von 1 bis 10 angeben."),
            "invalid": _("Die Komplexität muss eine ganze Zahl von 1 bis 10 sein."),
            "min_value": _("Die Komplexität muss zwischen 1 und 10 liegen."),
            "max_value": _("Die Komplexität muss zwischen 1 und 10 liegen."),
        },
    )
    note = forms.CharField(
        label=_("Begründung (z. B. Beschluss der Lenkungsgruppe)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Ausgefüllter Fragebogen (XLSX)"))


class RoundListView(LoginRequiredMixin, TemplateView):
    template_name = "screening/index.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rounds = list(round_list_for_user(user=self.request.user))
        context["rounds"] = rounds
        context["counties"] = sorted({r.county for r in rounds}, key=lambda c: c.name)
        return context


class RoundView(LoginRequiredMixin, TemplateView):
    """The round: for DKZ staff the ranked analysis and chart, for municipalities their declarations."""

    template_name = "screening/round.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        screening_round = round_for_user(user=user, pk=kwargs["pk"])
        context["round"] = screening_round
        if screening_round.county_id in dkz_county_ids_of(user=user):
            rows = bundle_analysis(screening_round=screening_round)
            bars, height = chart_bars(rows=rows)
            context.update(
                rows=rows,
                bars=bars,
                chart_height=height,
                criteria=screening_round.criteria.all(),
                may_manage=can_manage_screening(user=user, county=screening_round.county),
                bilateral_rule=bilateral_rule(on=screening_round.starts_on),
            )
        context["declaring"] = declaring_municipalities_for_user(user=user, screening_round=screening_round)
        return context


class DeclarationsView(LoginRequiredMixin, TemplateView):
    """A municipality's declarations: one form per task area answer, the XLSX template and the import."""

    template_name = "screening/declarations.html"

    def _setup(self, pk):
        self.round = round_for_user(user=self.request.user, pk=pk)
        self.municipalities = declaring_municipalities_for_user(user=self.request.user, screening_round=self.round)
        if not self.municipalities:
            raise PermissionDenied(_("Sie dürfen in dieser Runde keine Interessen bekunden."))

    def get(self, request, *args, **kwargs):
        self._setup(kwargs["pk"])
        return self.render_to_response(self._context(DeclarationForm(municipalities=self.municipalities), ImportForm()))

    def post(self, request, *args, **kwargs):
        self._setup(kwargs["pk"])
        form, import_form = DeclarationForm(municipalities=self.municipalities), ImportForm()
        problems: list[str] = []
        if "file" in request.FILES:
            import_form = ImportForm(request.POST, request.FILES)
            if import_form.is_valid():
                try:
                    result = declaration_import(screening_round=self.round, file=request.FILES["file"], by=request.user)
                except QuestionnaireInvalid as error:
                    problems = error.messages
                else:
                    messages.success(
                        request,
                        _("%(rows)d Antworten übernommen (%(created)d neu, %(updated)d geändert).") % result.__dict__,
                    )
                    return redirect(request.path)
        else:
            form = DeclarationForm(request.POST, municipalities=self.municipalities)
            if form.is_valid():
                try:
                    declaration_save(screening_round=self.round, by=request.user, **form.cleaned_data)
                except ValidationError as error:
                    for field, errors in error.message_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    messages.success(request, _("Interessenbekundung gespeichert."))
                    return redirect(request.path)
        return self.render_to_response(self._context(form, import_form, problems), status=400)

    def _context(self, form, import_form, problems=()):
        return {
            "round": self.round,
            "form": form,
            "import_form": import_form,
            "problems": problems,
            "municipalities": self.municipalities,
            "declarations": declaration_list_for_user(user=self.request.user, screening_round=self.round).filter(
                municipality__in=self.municipalities
            ),
        }


class TemplateDownloadView(LoginRequiredMixin, TemplateView):
    def get(self, request, *args, **kwargs):
        screening_round = round_for_user(user=request.user, pk=kwargs["pk"])
        own = declaring_municipalities_for_user(user=request.user, screening_round=screening_round)
        municipality = own[0] if len(own) == 1 else None
        content = questionnaire_template(screening_round=screening_round, municipality=municipality)
        suffix = f"-{municipality.slug}" if municipality else ""
        return _download(content, XLSX, f"fragebogen-{screening_round.pk}{suffix}.xlsx")


class AnalysisExportView(LoginRequiredMixin, TemplateView):
    def get(self, request, *args, **kwargs):
        if kwargs["fmt"] not in {"xlsx", "pdf", "svg"}:
            raise Http404(_("Unbekanntes Format."))
        screening_round = round_for_analysis(user=request.user, pk=kwargs["pk"])
        rows = bundle_analysis(screening_round=screening_round)
        name = f"nutzwertanalyse-{screening_round.pk}"
        if kwargs["fmt"] == "xlsx":
            return _download(analysis_xlsx(screening_round=screening_round, rows=rows), XLSX, f"{name}.xlsx")
        bars, height = chart_bars(rows=rows)
        context = {
            "round": screening_round,
            "rows": rows,
            "bars": bars,
            "chart_height": height,
            "criteria": screening_round.criteria.all(),
            "today": timezone.localdate(),
        }
        if kwargs["fmt"] == "svg":
            return HttpResponse(render_to_string("screening/chart.svg", context), content_type="image/svg+xml")
        return _download(_pdf("screening/analysis_pdf.html", context), "application/pdf", f"{name}.pdf")


class CriteriaView(LoginRequiredMixin, View):  # POST only: a GET answers 405, not a 500
    def post(self, request, *args, **kwargs):
        screening_round = round_for_analysis(user=request.user, pk=kwargs["pk"])
        weights = {c.key: request.POST.get(f"weight_{c.key}", c.weight) for c in screening_round.criteria.all()}
        try:
            round_settings_update(
                screening_round=screening_round,
                by=request.user,
                weights=weights,
                county_wide_share=request.POST.get("county_wide_share", ""),
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Kriterien gespeichert."))
        return redirect("screening:round", pk=screening_round.pk)


class RankDecisionView(LoginRequiredMixin, View):  # POST only: a GET answers 405, not a 500
    """The steering group's decided rank of a bundle, with its reason, beside the computed rank."""

    def post(self, request, *args, **kwargs):
        screening_round = round_for_analysis(user=request.user, pk=kwargs["pk"])
        try:
            bundle_rank_decide(
                screening_round=screening_round,
                code=kwargs["code"],
                decided_rank=request.POST.get("decided_rank", ""),
                reason=request.POST.get("reason", ""),
                by=request.user,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Entschiedener Rang gespeichert."))
        return redirect("screening:round", pk=screening_round.pk)


class BundleComplexityView(LoginRequiredMixin, TemplateView):
    """The steering group enters the complexity score of a bundle; the page shows the bundle's figures first."""

    template_name = "screening/complexity.html"

    def _row(self, kwargs):
        self.round = round_for_analysis(user=self.request.user, pk=kwargs["pk"])
        if not can_manage_screening(user=self.request.user, county=self.round.county):
            raise PermissionDenied(_("Nur das DKZ-Projektmanagement legt die Komplexität eines Aufgabenbündels fest."))
        try:
            return bundle_row(screening_round=self.round, code=kwargs["code"])
        except LookupError:
            raise Http404(_("Für dieses Aufgabenbündel liegt kein Interesse vor.")) from None

    def get(self, request, *args, **kwargs):
        row = self._row(kwargs)
        entered = row.complexity_source == FROM_STEERING
        initial = {"complexity": row.complexity if entered else None, "note": row.complexity_note}
        return self.render_to_response(self._context(row, BundleComplexityForm(initial=initial)))

    def post(self, request, *args, **kwargs):
        row = self._row(kwargs)
        form = BundleComplexityForm(request.POST)
        if form.is_valid():
            try:
                bundle_complexity_set(
                    screening_round=self.round,
                    code=row.code,
                    complexity=form.cleaned_data["complexity"],
                    note=form.cleaned_data["note"],
                    by=request.user,
                )
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("Komplexität für %(name)s gespeichert.") % {"name": row.name})
                return redirect("screening:round", pk=self.round.pk)
        return self.render_to_response(self._context(row, form), status=400)

    def _context(self, row, form):
        return {"round": self.round, "row": row, "form": form}


class CaseStartView(LoginRequiredMixin, TemplateView):
    """Start an IKZ case from a ranked bundle; the interested municipalities are pre-selected."""

    template_name = "screening/case_start.html"

    def _row(self, kwargs):
        self.round = round_for_analysis(user=self.request.user, pk=kwargs["pk"])
        if not can_manage_screening(user=self.request.user, county=self.round.county):
            raise PermissionDenied(_("Nur das DKZ-Projektmanagement startet Vorgänge aus dem Screening."))
        try:
            return bundle_row(screening_round=self.round, code=kwargs["code"])
        except LookupError:
            raise PermissionDenied(_("Für dieses Aufgabenbündel liegt kein Interesse vor.")) from None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        row = self._row(kwargs)
        context.update(
            round=self.round,
            row=row,
            candidates=Municipality.objects.filter(county=self.round.county).order_by("name"),
            selected=set(row.municipality_ids),
        )
        return context

    def post(self, request, *args, **kwargs):
        row = self._row(kwargs)
        chosen = list(
            Municipality.objects.filter(
                county=self.round.county, pk__in=request.POST.getlist("municipalities")
            ).order_by("name")
        )
        try:
            case = screening_case_start(
                screening_round=self.round, bundle_code=row.code, by=request.user, municipalities=chosen or None
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(request.path)
        from workflows.case import case_start

        case_start(case=case)
        messages.success(request, _("IKZ-Vorgang %(number)s angelegt.") % {"number": case.number})
        return redirect("screening:round", pk=self.round.pk)


class InventoryForm(forms.Form):
    topic = forms.ModelChoiceField(queryset=InventoryTopic.objects.select_related("area"), label=_("Kooperationsfeld"))
    municipality = forms.ModelChoiceField(queryset=Municipality.objects.none(), label=_("Kommune"))
    state = forms.ChoiceField(
        choices=[("", _("– keine Kooperation –")), *InventoryEntry.State.choices], required=False, label=_("Stand")
    )
    is_lead = forms.BooleanField(required=False, label=_("Federführend / erbringt Leistung für andere"))
    note = forms.CharField(required=False, label=_("Erläuterung"))
    case = forms.ModelChoiceField(queryset=Case.objects.none(), required=False, label=_("IKZ-Vorgang"))


class InventoryView(LoginRequiredMixin, TemplateView):
    template_name = "screening/inventory.html"

    def get(self, request, *args, **kwargs):
        county = county_for_user(user=request.user, slug=kwargs["county"])
        if request.GET.get("format") == "xlsx":
            return _download(inventory_xlsx(county=county), XLSX, f"bestandsaufnahme-{county.slug}.xlsx")
        return self.render_to_response(self._context(county, self._form(county)))

    def post(self, request, *args, **kwargs):
        county = county_for_user(user=request.user, slug=kwargs["county"])
        form = self._form(county, request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                inventory_entry_set(
                    topic=data["topic"],
                    municipality=data["municipality"],
                    state=data["state"],
                    is_lead=data["is_lead"],
                    note=data["note"],
                    case=data["case"],
                    by=request.user,
                )
            except (ValidationError, PermissionDenied) as error:
                form.add_error(None, " ".join(getattr(error, "messages", [str(error)])))
                if isinstance(error, PermissionDenied):  # not this user's municipality: a refusal, not bad input
                    return self.render_to_response(self._context(county, form), status=403)
            else:
                messages.success(request, _("Bestandsaufnahme gespeichert."))
                return redirect(request.path)
        return self.render_to_response(self._context(county, form), status=400)

    def _form(self, county, data=None):
        form = InventoryForm(data)
        cast(forms.ModelChoiceField, form.fields["municipality"]).queryset = Municipality.objects.filter(
            county=county
        ).order_by("name")
        cases = Case.objects.filter(county=county)
        if county.pk not in dkz_county_ids_of(user=self.request.user):
            cases = cases.filter(participants__municipality_id__in=municipality_ids_of(user=self.request.user))
        cast(forms.ModelChoiceField, form.fields["case"]).queryset = cases.distinct().order_by("number")
        return form

    def _context(self, county, form):
        municipalities, rows = inventory_matrix(county=county)
        return {
            "county": county,
            "municipalities": municipalities,
            "rows": rows,
            "form": form,
            "symbols": list(SYMBOLS.items()),
            "history": inventory_history(county=county),
        }


class SteeringView(LoginRequiredMixin, TemplateView):
    template_name = "screening/steering.html"

    def get(self, request, *args, **kwargs):
        county = county_for_user(user=request.user, slug=kwargs["county"])
        report = status_report(county=county, today=timezone.localdate(), viewer=request.user)
        if request.GET.get("format") == "pdf":
            return _download(
                _pdf("screening/steering_pdf.html", {"report": report}),
                "application/pdf",
                f"statusbericht-{county.slug}.pdf",
            )
        return self.render_to_response({"report": report, "county": county})


class ScreeningApp(Application):
    title = _("Screening")
    icon = "insights"
    app_name = "screening"
    menu_template_name = "screening/menu.html"

    index_path = path("", RoundListView.as_view(), name="index")
    round_path = path("rounds/<int:pk>/", RoundView.as_view(), name="round")
    declarations_path = path("rounds/<int:pk>/declarations/", DeclarationsView.as_view(), name="declarations")
    template_path = path("rounds/<int:pk>/questionnaire.xlsx", TemplateDownloadView.as_view(), name="template")
    export_path = path("rounds/<int:pk>/analysis.<str:fmt>", AnalysisExportView.as_view(), name="export")
    criteria_path = path("rounds/<int:pk>/criteria/", CriteriaView.as_view(), name="criteria")
    case_path = path("rounds/<int:pk>/bundles/<slug:code>/case/", CaseStartView.as_view(), name="case_start")
    rank_path = path("rounds/<int:pk>/bundles/<slug:code>/rank/", RankDecisionView.as_view(), name="rank")
    complexity_path = path(
        "rounds/<int:pk>/bundles/<slug:code>/complexity/", BundleComplexityView.as_view(), name="complexity"
    )
    inventory_path = path("inventory/<slug:county>/", InventoryView.as_view(), name="inventory")
    steering_path = path("steering/<slug:county>/", SteeringView.as_view(), name="steering")


app = ScreeningApp()
