"""The person's own profile: roles, notification preference, absence and substitute."""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView

from portal.models import NotificationPreference
from portal.services import delivery_of
from projects.models import Membership
from projects.selectors import memberships_of
from projects.services.absence import membership_absence_set, substitute_candidates


class ProfileView(LoginRequiredMixin, TemplateView):
    template_name = "portal/profile.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(
            memberships=memberships_of(user=user),
            delivery=dict(NotificationPreference.Delivery.choices)[delivery_of(user=user)],
        )
        return context


class SubstituteChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.username


class AbsenceForm(forms.Form):
    absent_from = forms.DateField(
        label=gettext_lazy("Abwesend ab"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("Erster Tag der Abwesenheit (TT.MM.JJJJ). Leer lassen, wenn Sie nicht abwesend sind."),
    )
    absent_until = forms.DateField(
        label=gettext_lazy("Abwesend bis"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("Letzter Tag der Abwesenheit (TT.MM.JJJJ)."),
    )
    substitute = SubstituteChoiceField(
        label=gettext_lazy("Vertretung"),
        queryset=None,
        required=False,
        empty_label=gettext_lazy("keine Vertretung"),
        help_text=gettext_lazy(
            "Nur Personen mit derselben Rolle in derselben Organisation. Während der Abwesenheit gehen Ihre "
            "übernommenen Aufgaben stündlich an die Vertretung."
        ),
    )

    def __init__(self, *args, membership: Membership, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["substitute"]).queryset = substitute_candidates(membership=membership)


class AbsenceView(LoginRequiredMixin, FormView):
    template_name = "portal/absence.html"
    form_class = AbsenceForm

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.membership = get_object_or_404(
            Membership.objects.select_related("municipality", "institution", "substitute"),
            pk=kwargs["pk"],
            user=request.user,
        )
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "membership": self.membership}

    def get_initial(self):
        m = self.membership
        return {"absent_from": m.absent_from, "absent_until": m.absent_until, "substitute": m.substitute}

    def get_context_data(self, **kwargs):
        return super().get_context_data(membership=self.membership, **kwargs)

    def form_valid(self, form):
        try:
            membership_absence_set(
                membership=self.membership,
                by=self.request.user,
                absent_from=form.cleaned_data["absent_from"],
                absent_until=form.cleaned_data["absent_until"],
                substitute=form.cleaned_data["substitute"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Abwesenheit und Vertretung sind gespeichert."))
        return redirect("portal:profile")

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)
