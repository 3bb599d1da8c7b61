"""Pages of the funding domain: the funding officer's dashboard, an application's record, the XLSX export."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponse
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView
from viewflow.urls import Application

from funding.exports import funding_overview_xlsx
from funding.selectors import (
    FigureRow,
    application_for_user,
    application_list_for_user,
    deadline_list_for_user,
    funding_figures_for_user,
    pipeline_for_user,
)
from funding.services.applications import application_checklist, drawn_total
from funding.services.eligibility import euro
from projects.selectors import is_dkz_staff
from projects.services.audit import audit_for_subject

HORIZON_DAYS = 90


def _today(request) -> dt.date:
    return timezone.localdate()


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
            is_officer=is_dkz_staff(user=user),
            pipeline=pipeline_for_user(user=user),
            figures=figures,
            chart=chart_svg(figures),
            deadlines=deadlines,
            overdue_count=sum(1 for d in deadlines if d["overdue"]),
            applications=application_list_for_user(user=user)[:50],
        )
        return context


class ApplicationDetailView(LoginRequiredMixin, TemplateView):
    template_name = "funding/application.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        application = application_for_user(user=self.request.user, pk=kwargs["pk"])
        today = _today(self.request)
        decision = getattr(application, "decision", None)
        context.update(
            application=application,
            today=today,
            partners=application.partner_rows.select_related("municipality").order_by("municipality__name"),
            checklist=application_checklist(application=application),
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


class FundingApp(Application):
    title = _("Fördermittel")
    icon = "savings"
    app_name = "funding"

    index_path = path("", DashboardView.as_view(), name="index")
    detail_path = path("applications/<int:pk>/", ApplicationDetailView.as_view(), name="detail")
    export_path = path("export.xlsx", ExportView.as_view(), name="export")


app = FundingApp()
