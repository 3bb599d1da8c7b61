"""The inbox: everybody's open tasks, filtered, searched, sorted by due date; claim, release, pass on."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.generic import TemplateView
from viewflow.workflow import STATUS

from funding.models import Application as FundingApplication
from portal.sections.funding import application_context as funding_application_context
from portal.selectors import (
    InboxFilter,
    InboxPaginator,
    flow_choices,
    inbox_for_user,
    substitutes_of,
    task_rows,
    team_of,
)
from portal.services import task_pass_on
from portal.views_cases import order_comparison
from projects.models import Approval, Case, Consent, Municipality, StatuteAmendment
from projects.selectors import municipality_list_for_user
from workflows import engine
from workflows.case import CaseFlow
from workflows.selectors import task_count_known, task_for_user, tasks_of_case
from workflows.views import TaskFormView

PAGE_SIZE = 25


class InboxView(LoginRequiredMixin, TemplateView):
    template_name = "portal/inbox.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        filters = InboxFilter.from_query(self.request.GET)
        paginator = InboxPaginator(inbox_for_user(user=user, filters=filters), PAGE_SIZE)
        page = paginator.get_page(self.request.GET.get("page"))
        if filters == InboxFilter():  # unfiltered: the menu's badge counts the same tasks (it shows at most 99)
            task_count_known(user=user, count=paginator.count + (1 if paginator.more else 0))
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(
            filters=filters,
            page=page,
            rows=task_rows(tasks=list(page.object_list), user=user),
            flows=flow_choices(),
            stages=Case.Stage.choices,
            # the filter and the pass-on choices show a name only
            municipalities=list(
                municipality_list_for_user(user=user).select_related(None).only("name").order_by("name")
            ),
            team=list(team_of(user=user).only("username", "first_name", "last_name")[:200]),
            substitutes=substitutes_of(user=user),
            querystring=query.urlencode(),
        )
        return context

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action", "")
        ids = [value for value in request.POST.getlist("task") if value.isdigit()]
        target = None
        if action not in ("claim", "release", "reassign", "delegate"):
            messages.error(request, _("Unbekannte Aktion."))
            return self._back()
        if not ids:
            messages.warning(request, _("Bitte mindestens eine Aufgabe auswählen."))
            return self._back()
        if action == "reassign":
            target = team_of(user=request.user).filter(pk=request.POST.get("to") or 0).first()
            if target is None:
                messages.error(request, _("Bitte eine Kollegin oder einen Kollegen auswählen."))
                return self._back()
        if action == "delegate":
            substitutes = substitutes_of(user=request.user)
            if not substitutes:
                messages.error(request, _("Für Sie ist keine Vertretung hinterlegt."))
                return self._back()
        done, problems = 0, []
        for pk in ids:
            try:
                task = task_for_user(user=request.user, pk=pk)
                if action == "claim":
                    engine.task_assign(task=task, user=request.user)
                elif action == "release":
                    engine.task_unassign(task=task, user=request.user)
                elif action == "reassign":
                    task_pass_on(task=task, by=request.user, to=target)
                else:
                    task_pass_on(task=task, by=request.user, to=substitutes[0], as_substitute=True)
                done += 1
            except engine.TaskConflict as exc:
                problems.append(exc.message)
            except (PermissionDenied, Http404) as exc:
                problems.append(str(exc) or _("Diese Aufgabe steht Ihnen nicht zur Verfügung."))
        labels = {
            "claim": ngettext("%(n)d Aufgabe übernommen.", "%(n)d Aufgaben übernommen.", done),
            "release": ngettext("%(n)d Aufgabe zurückgegeben.", "%(n)d Aufgaben zurückgegeben.", done),
            "reassign": ngettext("%(n)d Aufgabe weitergegeben.", "%(n)d Aufgaben weitergegeben.", done),
            "delegate": ngettext(
                "%(n)d Aufgabe an Ihre Vertretung übergeben.", "%(n)d Aufgaben an Ihre Vertretung übergeben.", done
            ),
        }
        if done:
            messages.success(request, labels[action] % {"n": done})
        for problem in sorted(set(problems)):
            messages.warning(request, problem)
        return self._back()

    def _back(self):
        query = self.request.POST.get("querystring", "")
        return HttpResponseRedirect(self.request.path + (f"?{query}" if query else ""))


class TaskPageView(TaskFormView):
    """The task page: the workflows task view with the case context a decision needs."""

    def get_context_data(self, form=None, **kwargs):
        if self.request.method == "POST":
            # a failed completion rolled back in the database, but not on the task object in memory
            self.task.refresh_from_db()
        context = super().get_context_data(form=form, **kwargs)
        form = context.get("form")
        if form is not None and form.is_bound:
            for name, errors in list(form.errors.items()):  # the form and the service may report the same error
                unique = list(dict.fromkeys(errors))
                if len(unique) != len(errors):
                    form.errors[name] = form.error_class(unique)
        if form is not None:
            for field in form.fields.values():
                if isinstance(field, forms.DateField):
                    field.widget.input_type = "date"
                    field.widget.format = "%Y-%m-%d"
        (row,) = task_rows(tasks=[self.task], user=self.request.user)
        case = row.case
        order = case.current_order if case is not None else None
        if form is not None and order is not None and "version" in form.fields and not form.is_bound:
            form.initial.setdefault("version", order.version)
        previous = (
            case.orders.filter(version__lt=order.version).order_by("-version").first()
            if case is not None and order is not None
            else None
        )
        context.update(
            row=row,
            case=case,
            order=order,
            previous_order=previous,
            sections=order_comparison(previous, order) if order is not None else [],
            **(decision_context(case=case, node_name=self.task.flow_task.name) if case is not None else {}),
        )
        if isinstance(row.subject, FundingApplication):  # the funding application being decided, with its checklist
            context.update(funding_application_context(row.subject, self.request.user, timezone.localdate()))
        return context


def decision_context(*, case: Case, node_name: str) -> dict:
    """What a decision of the case flow is about, beyond the project order: the changes the municipalities asked
    for (the revision in "Entwicklung zur Beschlussreife"), the statute amendment with the consents given so far, or
    the agreement with its signatures."""
    context: dict = {}
    if node_name == "development":
        context["requested_changes"] = list(
            Approval.objects.filter(order__case=case, decision=Approval.Decision.CHANGES)
            .select_related("order", "municipality", "decided_by")
            .order_by("-order__version", "municipality__name")
        )
    kind = {
        "consent_statute_amendment": Consent.Kind.STATUTE,
        "supervisory_review": Consent.Kind.STATUTE,
        "sign_agreement": Consent.Kind.AGREEMENT,
    }.get(node_name)
    if kind is not None:
        context["amendment"] = StatuteAmendment.objects.filter(case=case).select_related("dkz").first()
        context["consent_kind"] = Consent.Kind(kind).label
        context["consents"] = list(
            Consent.objects.filter(case=case, kind=kind)
            .select_related("municipality", "decided_by")
            .order_by("municipality__name")
        )
        node = CaseFlow.sign_agreement if kind == Consent.Kind.AGREEMENT else CaseFlow.consent_statute_amendment
        waiting = [
            (task.data or {}).get("municipality_id")
            for task in tasks_of_case(case=case).filter(status__in=(STATUS.NEW, STATUS.ASSIGNED), flow_task=node)
        ]
        context["consents_waiting"] = list(
            Municipality.objects.filter(pk__in=[pk for pk in waiting if pk])
            .order_by("name")
            .values_list("name", flat=True)
        )
    return context
