"""The in-app notification list and each person's e-mail preference."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView

from portal.models import Notification, NotificationPreference
from portal.services import delivery_of, notifications_mark_read, preference_set


class NotificationListView(LoginRequiredMixin, TemplateView):
    template_name = "portal/notifications.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        notifications = Notification.objects.filter(user=self.request.user.pk)
        context.update(
            page=Paginator(notifications, 25).get_page(self.request.GET.get("page")),
            unread=notifications.filter(read_at__isnull=True).count(),
            delivery=dict(NotificationPreference.Delivery.choices)[delivery_of(user=self.request.user)],
        )
        return context

    def post(self, request, *args, **kwargs):
        ids = [int(v) for v in request.POST.getlist("notification") if v.isdigit()]
        count = notifications_mark_read(user=request.user, ids=ids or None)
        messages.success(request, _("%(n)d Benachrichtigungen als gelesen markiert.") % {"n": count})
        return redirect("portal:notifications")


class PreferenceForm(forms.Form):
    delivery = forms.ChoiceField(
        label=gettext_lazy("Wie möchten Sie per E-Mail benachrichtigt werden?"),
        choices=NotificationPreference.Delivery.choices,
        widget=forms.RadioSelect,
        help_text=gettext_lazy(
            "Neue Aufgaben, Erinnerungen, überschrittene Fristen, Entscheidungen und Erwähnungen. "
            "In der Anwendung sehen Sie alle Benachrichtigungen immer."
        ),
    )


class NotificationSettingsView(LoginRequiredMixin, FormView):
    template_name = "portal/notification_settings.html"
    form_class = PreferenceForm

    def get_initial(self):
        return {"delivery": delivery_of(user=self.request.user)}

    def form_valid(self, form):
        preference_set(user=self.request.user, delivery=form.cleaned_data["delivery"])
        messages.success(self.request, _("Ihre Einstellung wurde gespeichert."))
        return redirect("portal:notifications")

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)
