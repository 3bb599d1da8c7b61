"""Pages people use. Thin: they call selectors and services, nothing else."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView

from projects.selectors import memberships_of, municipality_list_for_user


class StartPageView(LoginRequiredMixin, TemplateView):
    template_name = "portal/start.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["memberships"] = memberships_of(user=user)
        context["municipality_count"] = municipality_list_for_user(user=user).count()
        return context
