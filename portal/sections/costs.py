"""Pages of the costs domain: cost centres and their year pages, the controller's plan form, bookings and
settlement, members' statements (page, PDF, XLSX, CSV).

Every write goes through one service of ``costs.services``; the controller pages answer 404 to whoever does not see
the centre and 403 to whoever sees it but does not control it.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import cast

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import Max, Sum
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView
from viewflow.urls import Application

from costs import services
from costs.calculation import ROUNDING_RULE, agreement_for, is_locked, settlement_compute, settlement_latest
from costs.exports import statement_csv, statement_filename, statement_pdf, statement_xlsx
from costs.keys import key_get
from costs.models import ActualCost, Prepayment, Quantity, TimeEntry, YearPlan
from costs.selectors import (
    centre_for_controller,
    cost_centre_list_for_user,
    plan_page_for_user,
    statement_for_user,
    statement_municipality_list_for_user,
)

EXPORTS = {
    "pdf": (statement_pdf, "application/pdf"),
    "xlsx": (statement_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "csv": (statement_csv, "text/csv; charset=utf-8"),
}

# the plan input each key asks for when the year has none yet
DEFAULT_INPUTS = {"hours": ["hours"], "units": ["units"], "population": ["population"], "base_effort": ["effort"]}
INPUT_FAMILIES = {"hours": ("hours",), "units": ("units",), "population": ("population",), "base_effort": ("effort",)}
INPUT_LABELS = {
    "hours": _("Stunden"),
    "units": _("Mengen"),
    "population": _("Einwohner (leer: amtliche Zahl)"),
    "effort": _("Aufwand (EUR)"),
    "fte": _("Soll-VZÄ"),
}


def _year(kwargs) -> int:
    """The year of the URL; years outside 2000–2100 do not exist here."""
    if not 2000 <= kwargs["year"] <= 2100:
        raise Http404("Jahr nicht gefunden.")
    return kwargs["year"]


YEARS = range(2000, 2101)  # the years a plan or statement can be asked for (as the API's query)


def _year_or_404(year: int) -> int:
    if year not in YEARS:
        raise Http404(_("Für dieses Jahr gibt es keine Kostenplanung."))
    return year


def _default_year() -> int:
    return YearPlan.objects.aggregate(y=Max("year"))["y"] or timezone.localdate().year


def parse_amount(text: str, *, label: str) -> Decimal:
    """A number as people type it: 1.140.000,00 or 1140000,5 or 12.5; German message otherwise."""
    raw = (text or "").strip().replace(" ", "").replace("€", "")
    if "," in raw:
        raw = raw.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"-?\d{1,3}(\.\d{3})+", raw):
        raw = raw.replace(".", "")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValidationError(
            gettext("{label}: „{text}“ ist keine Zahl (Beispiel: 1.234,50).").format(label=label, text=text)
        ) from None
    if not value.is_finite() or abs(value) >= Decimal("1e12"):
        raise ValidationError(gettext("{label}: „{text}“ ist keine gültige Zahl.").format(label=label, text=text))
    return value


def _german(value: Decimal | None) -> str:
    if value is None:
        return ""
    text = f"{value.normalize():f}" if value == value.to_integral_value() else f"{value:f}".rstrip("0")
    return text.replace(".", ",")


class AmountField(forms.CharField):
    """Money or a quantity typed the German way; cleans to ``Decimal``."""

    def __init__(self, *args, minimum: Decimal | None = None, maximum: Decimal = Decimal("1e11"), **kwargs):
        self.minimum, self.maximum = minimum, maximum
        kwargs.setdefault("max_length", 30)
        super().__init__(*args, **kwargs)
        self.widget.attrs.setdefault("inputmode", "decimal")

    def clean(self, value):
        value = super().clean(value)
        if value in ("", None):
            return None
        number = parse_amount(value, label=str(self.label))
        if self.minimum is not None and number < self.minimum:
            raise ValidationError(gettext("Der Wert darf nicht negativ sein."))
        if abs(number) > self.maximum:
            raise ValidationError(gettext("Der Wert ist zu groß (höchstens {max}).").format(max=_german(self.maximum)))
        return number


def _key_inputs(*, centre, year, allocation_key: str) -> list[str]:
    """The input keys of the plan form: those the year already has, else the key's default input."""
    families = INPUT_FAMILIES[allocation_key]
    existing = sorted(
        {
            key
            for key in Quantity.objects.filter(centre=centre, year=year, basis="plan").values_list("key", flat=True)
            if any(key == f or key.startswith(f + ":") for f in families)
        }
    )
    return existing or DEFAULT_INPUTS[allocation_key]


def _input_label(key: str) -> str:
    family, _sep, kind = key.partition(":")
    label = str(INPUT_LABELS.get(family, family))
    return f"{label} ({kind.upper()})" if kind else label


class PlanForm(forms.Form):
    budget = AmountField(label=_("PLAN-Budget (EUR)"), required=False, minimum=Decimal(0))
    note = forms.CharField(label=_("Bemerkung"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, centre, year, agreement, **kwargs):
        super().__init__(*args, **kwargs)
        self.key = key_get(agreement.allocation_key)
        self.members = list(centre.members.order_by("name"))
        self.inputs = _key_inputs(centre=centre, year=year, allocation_key=agreement.allocation_key)
        stored = {
            (q.municipality_id, q.key): q.quantity
            for q in Quantity.objects.filter(centre=centre, year=year, basis="plan")
        }
        self.stored = stored
        plan = YearPlan.objects.filter(centre=centre, year=year).first()
        if plan is not None:
            self.initial.update(budget=_german(plan.budget), note=plan.note)
        if self.key.proportional:
            self.fields["budget"].help_text = _("Der Betrag, der nach dem Schlüssel auf die Mitglieder verteilt wird.")
        else:
            self.fields["budget"].help_text = _("Leer lassen: das Budget ist die Summe der Beiträge.")
        self.rows = []
        for municipality in self.members:
            cells = []
            for key in self.inputs:
                name = f"q_{municipality.pk}_{key.replace(':', '__')}"
                self.fields[name] = AmountField(
                    label=f"{municipality.name}: {_input_label(key)}",
                    required=False,
                    minimum=Decimal(0),
                    maximum=Decimal("1e9"),
                )
                self.initial[name] = _german(stored.get((municipality.pk, key)))
                cells.append(name)
            self.rows.append((municipality, cells))

    @property
    def input_labels(self) -> list[str]:
        return [_input_label(key) for key in self.inputs]

    def matrix(self):
        """Rows of (municipality, bound fields) for the table of inputs."""
        return [(municipality, [self[name] for name in names]) for municipality, names in self.rows]

    def quantities(self) -> dict:
        """The inputs to store: filled fields; an emptied field of a stored input is set to zero; a field that was
        not sent changes nothing."""
        result = {}
        for municipality in self.members:
            for key in self.inputs:
                name = f"q_{municipality.pk}_{key.replace(':', '__')}"
                if name not in self.data:
                    continue
                value = self.cleaned_data.get(name)
                if value is None:
                    if (municipality.pk, key) not in self.stored or key == "population":
                        continue
                    value = Decimal(0)
                if self.stored.get((municipality.pk, key)) != value:
                    result[(municipality, key)] = value
        return result


class ControllerMixin(LoginRequiredMixin):
    """The centre of the URL, for its controller only (404 unseen, 403 seen but not controlled)."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.year = _year(kwargs)
        self.centre = centre_for_controller(user=request.user, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def year_url(self) -> str:
        return reverse("costs:plan", args=[self.centre.pk, self.year])


class CostsIndexView(LoginRequiredMixin, TemplateView):
    template_name = "costs/index.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        try:
            year = _year_or_404(int(self.request.GET.get("year") or _default_year()))
        except (ValueError, Http404):
            year = _default_year()
        year = min(max(year, 2000), 2100)
        user = self.request.user
        context.update(
            year=year,
            centres=cost_centre_list_for_user(user=user),
            municipalities=statement_municipality_list_for_user(user=user),
        )
        return context


class PlanView(LoginRequiredMixin, TemplateView):
    """The year page of a cost centre: plan, publication, settlements; a missing plan is offered for creation."""

    template_name = "costs/plan.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        year = _year(kwargs)
        page = plan_page_for_user(user=self.request.user, centre_pk=kwargs["pk"], year=year)
        context.update(page=page, plan=page.split, settlement=page.settlement, year=year)
        return context


class PlanEditView(ControllerMixin, TemplateView):
    """Create or edit the plan of the year: budget and the key inputs per member (key of the agreement)."""

    template_name = "costs/plan_edit.html"

    def _agreement(self):
        try:
            return agreement_for(centre=self.centre, year=self.year)
        except ValidationError as error:
            raise Http404(" ".join(error.messages)) from error

    def get(self, request, *args, **kwargs):
        agreement = self._agreement()
        form = PlanForm(centre=self.centre, year=self.year, agreement=agreement)
        return self.render_to_response(self._context(form, agreement))

    def post(self, request, *args, **kwargs):
        agreement = self._agreement()
        form = PlanForm(request.POST, centre=self.centre, year=self.year, agreement=agreement)
        if form.is_valid():
            try:
                services.year_plan_save(
                    centre=self.centre,
                    year=self.year,
                    budget=form.cleaned_data["budget"],
                    quantities=form.quantities(),
                    note=form.cleaned_data["note"],
                    by=request.user,
                )
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                messages.success(request, gettext("Vorkalkulation {year} gespeichert.").format(year=self.year))
                return redirect(self.year_url())
        return self.render_to_response(self._context(form, agreement), status=400)

    def _context(self, form, agreement):
        return {
            "form": form,
            "centre": self.centre,
            "year": self.year,
            "agreement": agreement,
            "key": key_get(agreement.allocation_key),
            "locked": is_locked(centre=self.centre, year=self.year),
            "plan": YearPlan.objects.filter(centre=self.centre, year=self.year).first(),
        }


class PlanPublishView(ControllerMixin, View):
    """Publish the plan to the members (POST from the year page)."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        try:
            services.year_plan_publish(centre=self.centre, year=self.year, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                gettext("Vorkalkulation {year} den Mitgliedern veröffentlicht.").format(year=self.year),
            )
        return redirect(self.year_url())


class ActualCostForm(forms.Form):
    amount = AmountField(label=_("Betrag (EUR)"))
    description = forms.CharField(label=_("Beschreibung"), max_length=300)


class TimeEntryForm(forms.Form):
    municipality: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Kommune"), queryset=None)
    on = forms.DateField(label=_("Datum"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    hours = AmountField(label=_("Stunden"), maximum=Decimal(9999))
    activity = forms.CharField(label=_("Tätigkeit"), max_length=200)


class PrepaymentForm(forms.Form):
    municipality: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Kommune"), queryset=None)
    amount = AmountField(label=_("Betrag (EUR)"))
    received_on = forms.DateField(
        label=_("eingegangen am"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


class TimeEntryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return gettext("{on} – {m}: {h} Std., {a}").format(
            on=obj.on.strftime("%d.%m.%Y"), m=obj.municipality.name, h=_german(obj.hours), a=obj.activity
        )


class CorrectionForm(forms.Form):
    entry = TimeEntryChoiceField(label=_("Zeitbuchung"), queryset=None)
    hours = AmountField(
        label=_("Korrektur (Stunden)"),
        help_text=_("Die Differenz: positiv mehr Stunden, negativ weniger."),
        maximum=Decimal(9999),
    )
    reason = forms.CharField(label=_("Grund"), max_length=200)


class BookingsView(ControllerMixin, TemplateView):
    """Actual costs, time entries, prepayments and corrections of the year (one form each)."""

    template_name = "costs/bookings.html"
    form_classes = {
        "cost": ActualCostForm,
        "time": TimeEntryForm,
        "prepayment": PrepaymentForm,
        "correction": CorrectionForm,
    }

    def _forms(self, data=None, action=None) -> dict:
        members = self.centre.members.order_by("name")
        built = {}
        for name, form_class in self.form_classes.items():
            form = form_class(data if name == action else None, prefix=name)
            if "municipality" in form.fields:
                cast(forms.ModelChoiceField, form.fields["municipality"]).queryset = members
            if name == "correction":
                cast(forms.ModelChoiceField, form.fields["entry"]).queryset = TimeEntry.objects.filter(
                    centre=self.centre, on__year=self.year, is_correction=False
                ).select_related("municipality")
            built[name] = form
        return built

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self._context(self._forms()))

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action", "")
        if action not in self.form_classes:
            messages.error(request, gettext("Unbekannte Buchungsart."))
            return self.render_to_response(self._context(self._forms()), status=400)
        built = self._forms(request.POST, action)
        form = built[action]
        if form.is_valid():
            try:
                message = self._book(action, form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                messages.success(request, message)
                return redirect(reverse("costs:bookings", args=[self.centre.pk, self.year]))
        return self.render_to_response(self._context(built, action), status=400)

    def _book(self, action: str, data: dict) -> str:
        user, centre, year = self.request.user, self.centre, self.year
        if action == "cost":
            locked = is_locked(centre=centre, year=year)
            services.actual_cost_book(
                centre=centre,
                year=year,
                amount=data["amount"],
                description=data["description"],
                by=user,
                is_correction=locked,
            )
            return gettext("Korrekturbuchung der Ist-Kosten erfasst.") if locked else gettext("Ist-Kosten gebucht.")
        if action == "time":
            if data["on"].year != year:
                raise ValidationError(gettext("Das Datum liegt nicht im Jahr {year}.").format(year=year))
            services.time_entry_book(
                centre=centre,
                municipality=data["municipality"],
                hours=data["hours"],
                activity=data["activity"],
                booked_by=user,
                on=data["on"],
            )
            return gettext("Zeit gebucht.")
        if action == "prepayment":
            services.prepayment_record(
                centre=centre,
                year=year,
                municipality=data["municipality"],
                amount=data["amount"],
                received_on=data["received_on"],
                by=user,
            )
            return gettext("Vorauszahlung erfasst.")
        services.time_entry_correct(entry=data["entry"], hours=data["hours"], reason=data["reason"], by=user)
        return gettext("Korrekturbuchung erfasst.")

    def _context(self, built: dict, action: str | None = None) -> dict:
        centre, year = self.centre, self.year
        entries = list(
            TimeEntry.objects.filter(centre=centre, on__year=year)
            .select_related("municipality", "correction_of")
            .order_by("on", "pk")
        )
        costs = list(ActualCost.objects.filter(centre=centre, year=year).order_by("pk"))
        prepayments = list(
            Prepayment.objects.filter(centre=centre, year=year).select_related("municipality").order_by("pk")
        )
        return {
            "centre": centre,
            "year": year,
            "forms": built,
            "failed": action,
            "locked": is_locked(centre=centre, year=year),
            "entries": entries,
            "hours_total": TimeEntry.objects.filter(centre=centre, on__year=year).aggregate(s=Sum("hours"))["s"],
            "costs": costs,
            "costs_total": sum((c.amount for c in costs), Decimal(0)),
            "prepayments": prepayments,
            "prepayments_total": sum((p.amount for p in prepayments), Decimal(0)),
        }


class SettlementForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Die Buchungen sind geprüft; das Jahr wird abgerechnet und gesperrt."), required=False
    )
    reason = forms.CharField(
        label=_("Grund der Neuabrechnung"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=1000
    )


class SettleView(ControllerMixin, TemplateView):
    """The settlement as it would be stored, and the button that stores it (first settlement or re-settlement)."""

    template_name = "costs/settle.html"

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self._context(SettlementForm()))

    def post(self, request, *args, **kwargs):
        form = SettlementForm(request.POST)
        form.is_valid()
        previous = settlement_latest(centre=self.centre, year=self.year)
        try:
            if previous is None:
                if not form.cleaned_data.get("confirm"):
                    raise ValidationError(gettext("Bitte bestätigen Sie, dass die Buchungen geprüft sind."))
                settlement = services.year_settle(centre=self.centre, year=self.year, by=request.user)
            else:
                settlement = services.year_resettle(
                    centre=self.centre, year=self.year, reason=form.cleaned_data.get("reason", ""), by=request.user
                )
        except ValidationError as error:
            form.add_error(None, error.messages)
            return self.render_to_response(self._context(form), status=400)
        if settlement.version == 1:
            text = gettext("Jahr {year} abgerechnet; es ist jetzt gesperrt.").format(year=self.year)
        else:
            text = gettext("Jahr {year} neu abgerechnet (Version {v}).").format(year=self.year, v=settlement.version)
        messages.success(request, text)
        return redirect(self.year_url())

    def _context(self, form) -> dict:
        previous = settlement_latest(centre=self.centre, year=self.year)
        preview, problem = None, ""
        try:
            preview = settlement_compute(centre=self.centre, year=self.year, previous=previous)
        except ValidationError as error:
            problem = " ".join(error.messages)
        corrections = services.corrections_since(settlement=previous) if previous else None
        return {
            "centre": self.centre,
            "year": self.year,
            "form": form,
            "previous": previous,
            "preview": preview,
            "problem": problem,
            "corrections": corrections,
            "has_corrections": bool(corrections and (corrections["time_entries"] or corrections["actual_costs"])),
            "year_over": timezone.localdate().year > self.year,
            "rounding_rule": ROUNDING_RULE,
        }


class StatementView(LoginRequiredMixin, TemplateView):
    template_name = "costs/statement.html"

    def get(self, request, *args, **kwargs):
        statement = statement_for_user(user=request.user, municipality_pk=kwargs["municipality"], year=_year(kwargs))
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
    plan_edit_path = path("centres/<int:pk>/<int:year>/vorkalkulation/", PlanEditView.as_view(), name="plan_edit")
    plan_publish_path = path(
        "centres/<int:pk>/<int:year>/veroeffentlichen/", PlanPublishView.as_view(), name="plan_publish"
    )
    bookings_path = path("centres/<int:pk>/<int:year>/buchungen/", BookingsView.as_view(), name="bookings")
    settle_path = path("centres/<int:pk>/<int:year>/abrechnung/", SettleView.as_view(), name="settle")
    statement_path = path("statements/<int:year>/<int:municipality>/", StatementView.as_view(), name="statement")


app = CostsApp()
