"""Pages of the costs domain: cost centres and plans, members' statements (page, PDF, XLSX, CSV)."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import Max
from django.http import Http404, HttpResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from viewflow.urls import Application

from costs.calculation import ROUNDING_RULE
from costs.exports import statement_csv, statement_filename, statement_pdf, statement_xlsx
from costs.models import Settlement, YearPlan
from costs.selectors import (
    cost_centre_list_for_user,
    plan_for_user,
    statement_for_user,
    statement_municipality_list_for_user,
)

EXPORTS = {
    "pdf": (statement_pdf, "application/pdf"),
    "xlsx": (statement_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "csv": (statement_csv, "text/csv; charset=utf-8"),
}


YEARS = range(2000, 2101)  # the years a plan or statement can be asked for (as the API's query)


def _year_or_404(year: int) -> int:
    if year not in YEARS:
        raise Http404(_("Für dieses Jahr gibt es keine Kostenplanung."))
    return year


def _default_year() -> int:
    return YearPlan.objects.aggregate(y=Max("year"))["y"] or timezone.localdate().year


class CostsIndexView(LoginRequiredMixin, TemplateView):
    template_name = "costs/index.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        try:
            year = _year_or_404(int(self.request.GET.get("year") or _default_year()))
        except (ValueError, Http404):
            year = _default_year()
        user = self.request.user
        context.update(
            year=year,
            centres=cost_centre_list_for_user(user=user),
            municipalities=statement_municipality_list_for_user(user=user),
        )
        return context


class PlanView(LoginRequiredMixin, TemplateView):
    template_name = "costs/plan.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        try:
            plan = plan_for_user(user=self.request.user, centre_pk=kwargs["pk"], year=_year_or_404(kwargs["year"]))
        except ValidationError as error:
            raise Http404(" ".join(error.messages)) from error
        context["plan"] = plan
        context["settlement"] = Settlement.objects.filter(centre=plan.centre, year=plan.year).first()
        return context


class StatementView(LoginRequiredMixin, TemplateView):
    template_name = "costs/statement.html"

    def get(self, request, *args, **kwargs):
        year = _year_or_404(kwargs["year"])
        statement = statement_for_user(user=request.user, municipality_pk=kwargs["municipality"], year=year)
        export = EXPORTS.get(request.GET.get("format", ""))
        if export is None:
            return self.render_to_response({"statement": statement, "rounding_rule": ROUNDING_RULE})
        render, content_type = export
        response = HttpResponse(render(statement), content_type=content_type)
        extension = request.GET["format"]
        response["Content-Disposition"] = f'attachment; filename="{statement_filename(statement, extension)}"'
        return response


class CostsApp(Application):
    title = _("Kosten")
    icon = "euro"
    app_name = "costs"

    index_path = path("", CostsIndexView.as_view(), name="index")
    plan_path = path("centres/<int:pk>/<int:year>/", PlanView.as_view(), name="plan")
    statement_path = path("statements/<int:year>/<int:municipality>/", StatementView.as_view(), name="statement")


app = CostsApp()
