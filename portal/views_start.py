"""The start page, per role: municipality, DKZ staff, supervisory authority (a person may see several parts)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, F, Max
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from costs.models import Settlement, YearPlan
from costs.selectors import (
    cost_centre_list_for_user,
    join_request_list_for_user,
    joinable_centres_for_user,
    statement_for_user,
)
from costs.services import cost_centre_join_request
from funding.selectors import application_list_for_user, deadline_list_for_user
from funding.selectors import pipeline_for_user as funding_pipeline_for_user
from portal.selectors import case_tasks_for_user, due_expression, pipeline_for_user, task_rows
from procurement.models import Lot, Procedure
from procurement.selectors import procedure_list_for_user, procurement_calendar_for_user
from projects.models import Case, ScreeningRound
from projects.roles import Role
from projects.selectors import (
    case_list_for_user,
    is_dkz_staff,
    is_supervisor,
    memberships_of,
    municipality_ids_of,
    roles_of,
)
from projects.selectors_screening import declaration_list_for_user, round_list_for_user
from workflows.case import CaseFlow
from workflows.selectors import task_count_for_user, task_list_for_user

LIST_SIZE = 10
STALLED_DAYS = 60  # a case without any change for this long is listed as stalled on the project management start
CLOSED_STAGES = ("transferred", "rejected", "parked")
DECISION_STAGES = ("approval", "resolutions", "statute", "agreement")


def _by_due(tasks):
    return tasks.annotate(due_text=due_expression()).order_by(F("due_text").asc(nulls_last=True), "pk")


class StartPageView(LoginRequiredMixin, TemplateView):
    template_name = "portal/start.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        today = timezone.localdate()
        context.update(memberships=memberships_of(user=user), today=today)
        if municipality_ids_of(user=user):
            context["municipal"] = self._municipal(user)
        if is_dkz_staff(user=user):
            context["dkz"] = self._dkz(user, today)
        if is_supervisor(user=user):
            context["supervision"] = self._supervision(user)
        return context

    def _municipal(self, user) -> dict:
        my_tasks = list(_by_due(task_list_for_user(user=user))[:LIST_SIZE])
        screening_round = (
            round_list_for_user(user=user).filter(status=ScreeningRound.Status.OPEN).order_by("-pk").first()
        )
        return {
            "tasks": task_rows(tasks=my_tasks, user=user),
            "task_count": task_count_for_user(user=user),
            "cases": list(case_list_for_user(user=user).order_by("-updated_at")[:LIST_SIZE]),
            "services": list(cost_centre_list_for_user(user=user)[:20]),
            "costs": self._costs(user, timezone.localdate()),
            "joinable": joinable_centres_for_user(user=user),
            "funding": list(application_list_for_user(user=user)[:5]),
            "procedures": list(procedure_list_for_user(user=user).order_by("-pk")[:5]),
            "round": screening_round,
            "declarations": list(declaration_list_for_user(user=user, screening_round=screening_round)[:20])
            if screening_round
            else [],
        }

    def _costs(self, user, today: dt.date) -> list:
        """Our costs: this year's statement, or that of the latest year with a published plan (labelled with it)."""
        statements = []
        for municipality_pk in sorted(municipality_ids_of(user=user)):
            year = YearPlan.objects.filter(
                centre__memberships__municipality_id=municipality_pk,
                year__lte=today.year,
                published_at__isnull=False,  # a draft plan is not the members' yet
            ).aggregate(latest=Max("year"))["latest"]
            if year is not None:
                statements.append(statement_for_user(user=user, municipality_pk=municipality_pk, year=year))
        return statements

    def _dkz(self, user, today: dt.date) -> dict:
        """The DKZ part: "Was ist zu tun" (own tasks, overdue, this week) first, then what the person's role needs."""
        roles = roles_of(user=user)
        show = {
            "pm": Role.PROJECT_MANAGER in roles,
            "procurement": Role.PROCUREMENT in roles,
            "funding": Role.FUNDING in roles,
            "controlling": Role.CONTROLLING in roles,
            "board": Role.BOARD in roles,
        }
        week = today + dt.timedelta(days=7)
        mine = list(_by_due(task_list_for_user(user=user))[:LIST_SIZE])
        overdue = case_tasks_for_user(user=user).filter(due_text__lt=today.isoformat())
        this_week = case_tasks_for_user(user=user).filter(
            due_text__gte=today.isoformat(), due_text__lte=week.isoformat()
        )
        context = {
            "show": show,
            "week_end": week,
            "tasks": task_rows(tasks=mine, user=user),
            "my_task_count": task_count_for_user(user=user),
        }
        if show["pm"]:
            overdue_tasks = list(overdue.select_related("process", "owner").order_by("due_text", "pk")[:LIST_SIZE])
            week_tasks = list(this_week.select_related("process", "owner").order_by("due_text", "pk")[:LIST_SIZE])
            rows = task_rows(tasks=overdue_tasks + week_tasks, user=user)
            stalled_since = timezone.now() - dt.timedelta(days=STALLED_DAYS)
            context.update(
                overdue=rows[: len(overdue_tasks)],
                overdue_count=overdue.count(),
                week=rows[len(overdue_tasks) :],
                week_count=this_week.count(),
                stalled=list(
                    case_list_for_user(user=user)
                    .filter(updated_at__lt=stalled_since)
                    .exclude(stage__in=CLOSED_STAGES)
                    .order_by("updated_at")[:LIST_SIZE]
                ),
                stalled_days=STALLED_DAYS,
            )
        if show["pm"] or show["board"]:
            context["pipeline"] = pipeline_for_user(user=user)
        if show["board"]:
            context["decisions"] = list(
                case_list_for_user(user=user).filter(stage__in=DECISION_STAGES).order_by("stage", "number")[:LIST_SIZE]
            )
            context["figures"] = {
                "procedures": procedure_list_for_user(user=user).count(),
                "applications": application_list_for_user(user=user).count(),
            }
        if show["funding"] or show["board"]:
            context["funding_pipeline"] = funding_pipeline_for_user(user=user)
        if show["funding"]:
            context["funding_deadlines"] = list(deadline_list_for_user(user=user, until=week)[:LIST_SIZE])
        if show["procurement"]:
            procedures = procedure_list_for_user(user=user).order_by()
            labels = dict(Procedure.Status.choices)
            context["procedures_by_status"] = [
                {"label": labels.get(status, status), "count": n}
                for status, n in procedures.values_list("status").annotate(n=Count("pk")).values_list("status", "n")
            ]
            context["standstills"] = list(
                Lot.objects.filter(
                    procedure__in=procedures, standstill_ends_on__gte=today, standstill_ends_on__lte=week
                ).select_related("procedure")[:LIST_SIZE]
            )
            context["procurement"] = procurement_calendar_for_user(
                user=user, years=[today.year, today.year + 1], today=today
            )
        if show["controlling"]:
            centres = cost_centre_list_for_user(user=user)
            plans = dict(
                YearPlan.objects.filter(centre__in=centres)
                .order_by()
                .values_list("year")
                .annotate(n=Count("pk"))
                .values_list("year", "n")
            )
            settled = dict(
                Settlement.objects.filter(centre__in=centres)
                .order_by()
                .values_list("year")
                .annotate(n=Count("pk"))
                .values_list("year", "n")
            )
            context.update(
                centres=list(centres[:LIST_SIZE]),
                plans=[
                    {"year": year, "plans": n, "settled": settled.get(year, 0), "open": n - settled.get(year, 0)}
                    for year, n in sorted(plans.items(), reverse=True)
                ],
                join_requests=list(join_request_list_for_user(user=user)[:LIST_SIZE]),
            )
        return context

    def _supervision(self, user) -> dict:
        waiting = list(
            _by_due(task_list_for_user(user=user).filter(flow_task=CaseFlow.supervisory_review)).select_related(
                "process", "owner"
            )[:LIST_SIZE]
        )
        return {
            "tasks": task_rows(tasks=waiting, user=user),
            "cases": list(
                case_list_for_user(user=user)
                .filter(stage=Case.Stage.SUPERVISION)
                .select_related("statute_amendment")[:LIST_SIZE]
            ),
        }


class JoinRequestView(LoginRequiredMixin, View):
    """POST: the mayor asks to join another service of the DKZ (cafeteria principle)."""

    http_method_names = ["post"]

    def post(self, request, centre_pk: int, municipality_pk: int):
        rows = {(m.pk, c.pk): (m, c) for m, c, _requested in joinable_centres_for_user(user=request.user)}
        if (municipality_pk, centre_pk) not in rows:
            raise Http404("Leistung nicht gefunden")
        municipality, centre = rows[(municipality_pk, centre_pk)]
        try:
            cost_centre_join_request(
                centre=centre, municipality=municipality, by=request.user, note=request.POST.get("note", "")[:2000]
            )
        except (PermissionDenied, ValidationError) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        else:
            messages.success(request, _("Der Beitritt zu „%(name)s“ ist angefragt.") % {"name": centre.name})
        return redirect("portal:index")
