"""Thin task view: validate → call one service (the node's handler) → advance the flow."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from workflows import engine
from workflows.selectors import task_for_user


class TaskFormView(LoginRequiredMixin, TemplateView):
    template_name = "workflows/task_form.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        pk = kwargs.get("task_pk") or kwargs.get("pk")
        self.task = task_for_user(user=request.user, pk=pk)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        node = self.task.flow_task
        context.update(
            task=self.task,
            node=node,
            form=form or (node.form_for(self.task) if hasattr(node, "form_for") else None),
            actions=engine.task_actions_for(task=self.task, user=self.request.user),
            case=getattr(self.task.process.coerced, "case", None),
        )
        page_context = getattr(node, "page_context", None)  # what the step decides on, shown above its form
        if page_context is not None:
            context.update(page_context(self.task, self.request.user))
        return context

    def post(self, request, *args, **kwargs):
        action = request.POST.get("_action", "complete")
        try:
            if action == "assign":
                engine.task_assign(task=self.task, user=request.user)
                messages.success(request, _("Sie haben die Aufgabe übernommen."))
                return redirect(request.path)
            if action == "unassign":
                engine.task_unassign(task=self.task, user=request.user)
                messages.success(request, _("Sie haben die Aufgabe zurückgegeben."))
                return redirect("portal:inbox")
            engine.task_complete(task=self.task, user=request.user, data=request.POST, files=request.FILES)
        except engine.TaskConflict as exc:
            messages.warning(request, exc.message)
            return redirect(request.path)
        except PermissionDenied as exc:
            messages.error(request, str(exc) or _("Das dürfen Sie nicht."))
            return self.render_to_response(self.get_context_data(), status=403)
        except ValidationError as exc:
            form = self.task.flow_task.form_for(self.task, data=request.POST, files=request.FILES)
            if not form.is_valid():  # the form's own errors are already on it; do not show them twice
                return self.render_to_response(self.get_context_data(form=form), status=400)
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc.messages)
            return self.render_to_response(self.get_context_data(form=form), status=400)
        messages.success(request, _("Erledigt: %(title)s") % {"title": self.task.flow_task.task_title})
        after = getattr(self.task.flow_task, "url_after_completion", None)  # e.g. back to the procedure
        return redirect((after(self.task) if after is not None else None) or "portal:inbox")
