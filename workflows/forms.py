"""Completion forms of the human tasks. The same form validates the portal and the API (task_complete)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from projects.formats import number
from projects.models import Approval, Case, CouncilResolution, Municipality, ProjectOrder

# Dates of daily administration lie in this range. Beyond it, deadlines and terms computed from a date (years added,
# months added) would leave the calendar: a typing error like 9999 is refused here, in German.
EARLIEST_DATE = dt.date(1990, 1, 1)
LATEST_DATE = dt.date(2099, 12, 31)
DATE_RANGE_MESSAGE = _("Bitte ein Datum zwischen 1990 und 2099 angeben.")


class DateField(forms.DateField):
    def validate(self, value):
        super().validate(value)
        if value is not None and not EARLIEST_DATE <= value <= LATEST_DATE:
            raise forms.ValidationError(DATE_RANGE_MESSAGE, code="date_range")


class DateTimeField(forms.DateTimeField):
    def validate(self, value):
        super().validate(value)
        if value is not None and not EARLIEST_DATE <= value.date() <= LATEST_DATE:
            raise forms.ValidationError(DATE_RANGE_MESSAGE, code="date_range")


class YearField(forms.IntegerField):
    def __init__(self, **kwargs):
        super().__init__(min_value=EARLIEST_DATE.year, max_value=LATEST_DATE.year, **kwargs)


def _task_municipality(task):
    from projects.models import Municipality

    municipality_id = (getattr(task, "data", None) or {}).get("municipality_id")
    return Municipality.objects.filter(pk=municipality_id).first() if municipality_id else None


class TaskForm(forms.Form):
    """Base: knows its task (for choices and initial values)."""

    def __init__(self, *args, task=None, **kwargs):
        self.task = task
        super().__init__(*args, **kwargs)

    @property
    def case(self) -> Case:
        return self.task.process.coerced.case if hasattr(self.task.process, "coerced") else self.task.process.case


class ScreeningForm(TaskForm):
    decision = forms.ChoiceField(
        label=_("Entscheidung"),
        choices=[("pursue", _("Fortführen")), ("park", _("Zurückstellen")), ("reject", _("Ablehnen"))],
    )
    route = forms.ChoiceField(label=_("Weg"), choices=[("", "—"), *Case.Route.choices], required=False)
    agreement_form = forms.ChoiceField(
        label=_("Form der Vereinbarung (bilateral)"),
        choices=[("", "—"), *Case.AgreementForm.choices],
        required=False,
    )
    recheck_on = DateField(label=_("Wiedervorlage am"), required=False)
    reason = forms.CharField(label=_("Begründung"), widget=forms.Textarea, required=False)


class DevelopmentForm(TaskForm):
    participants = forms.ModelMultipleChoiceField(label=_("Beteiligte Kommunen"), queryset=Municipality.objects.none())
    lead = forms.ModelChoiceField(label=_("Federführende Kommune"), queryset=Municipality.objects.none())
    decision_rule = forms.ChoiceField(
        label=_("Entscheidungsregel"), choices=Case.DecisionRule.choices, initial=Case.DecisionRule.UNANIMOUS
    )
    quorum = forms.IntegerField(label=_("Quorum"), required=False, min_value=1)
    goals = forms.CharField(label=_("Projektziele"), widget=forms.Textarea)
    results = forms.CharField(label=_("Zu liefernde Ergebnisse"), widget=forms.Textarea)
    start_date = DateField(label=_("Beginn"))
    end_date = DateField(label=_("Ende"))
    costs = forms.CharField(label=_("Kosten"), widget=forms.Textarea, required=False)
    cost_estimate = forms.DecimalField(label=_("Kostenschätzung (EUR)"), max_digits=14, decimal_places=2)
    expected_saving = forms.DecimalField(
        label=_("Erwartete Einsparung (EUR/Jahr)"), max_digits=14, decimal_places=2, required=False
    )
    project_lead = forms.CharField(label=_("Projektleitung"), max_length=200)
    project_group = forms.CharField(label=_("Projektgruppe"), widget=forms.Textarea, required=False)
    information_management = forms.CharField(label=_("Informationsmanagement"), widget=forms.Textarea, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.task is not None:
            case = self.case
            members = Municipality.objects.filter(county_id=case.county_id).order_by("name")
            cast(forms.ModelChoiceField, self.fields["participants"]).queryset = members
            cast(forms.ModelChoiceField, self.fields["lead"]).queryset = members
            order = case.current_order
            if order is not None and not self.is_bound:
                self.initial.update(order.snapshot())
                self.initial["participants"] = list(case.participants.values_list("municipality_id", flat=True))
                lead = case.participants.filter(is_lead=True).first()
                self.initial["lead"] = lead.municipality_id if lead else None


class ApprovalForm(TaskForm):
    decision = forms.ChoiceField(label=_("Entscheidung"), choices=Approval.Decision.choices)
    reason = forms.CharField(label=_("Begründung"), widget=forms.Textarea, required=False)
    version = forms.IntegerField(
        label=_("Geprüfte Version"),
        required=False,
        help_text=_("Die Version des Projektauftrags, die Sie geprüft haben."),
    )


class ResolutionForm(TaskForm):
    body = forms.CharField(
        label=_("Gremium"),
        max_length=120,
        required=False,
        help_text=_("Vorbelegt nach der Art der Kommune (Gemeindevertretung, Stadtverordnetenversammlung, Kreistag)."),
    )
    session_date = DateField(label=_("Sitzungsdatum"))
    outcome = forms.ChoiceField(label=_("Ergebnis"), choices=CouncilResolution.Outcome.choices)
    minute_reference = forms.CharField(label=_("Niederschrift / Vorlage"), max_length=120, required=False)
    next_session_date = DateField(
        label=_("Nächste Sitzung (bei Vertagung)"),
        required=False,
        help_text=_("Bei „Vertagt“: die Kommune bleibt beteiligt; die Aufgabe kommt zu diesem Termin wieder."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        municipality = _task_municipality(self.task)
        if municipality is not None:
            self.fields["body"].initial = municipality.council_body


class FundingDecisionForm(TaskForm):
    apply = forms.TypedChoiceField(
        label=_("Förderantrag stellen?"),
        coerce=lambda v: v == "yes",
        choices=[("yes", _("Ja")), ("no", _("Nein"))],
    )
    note = forms.CharField(label=_("Vermerk"), widget=forms.Textarea, required=False)


class FundingApplicationForm(TaskForm):
    programme: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Förderprogramm"), queryset=None)
    title = forms.CharField(label=_("Titel des Antrags"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        from funding.models import Programme

        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["programme"]).queryset = Programme.objects.order_by("name")


class ConsentForm(TaskForm):
    agreed = forms.TypedChoiceField(
        label=_("Entscheidung"),
        coerce=lambda v: v == "yes",
        choices=[("yes", _("Zustimmen")), ("no", _("Ablehnen"))],
    )
    note = forms.CharField(label=_("Bemerkung"), widget=forms.Textarea, required=False)
    council_session_date = DateField(
        label=_("Beschluss des Gremiums vom"),
        required=False,
        help_text=_("Leer: der in diesem Vorgang erfasste Gremienbeschluss der Kommune ist die Grundlage."),
    )
    council_minute_reference = forms.CharField(label=_("Niederschrift / Vorlage"), max_length=120, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        municipality = _task_municipality(self.task)
        if municipality is not None:
            self.fields["council_session_date"].label = _("%(resolution)s vom") % {
                "resolution": municipality.council_resolution
            }


class BoardResolutionForm(TaskForm):
    """The Verwaltungsrat's resolution on the statute amendment (where the DKZ's statute lets it resolve first)."""

    adopted = forms.ChoiceField(
        label=_("Beschluss des Verwaltungsrats"),
        choices=[("yes", _("Satzungsänderung beschlossen")), ("no", _("abgelehnt"))],
        widget=forms.RadioSelect,
    )
    session_date = DateField(label=_("Sitzung des Verwaltungsrats am"))
    minute_reference = forms.CharField(label=_("Niederschrift / Vorlage"), max_length=120)
    note = forms.CharField(label=_("Begründung (bei Ablehnung)"), widget=forms.Textarea, required=False)


class SupervisoryForm(TaskForm):
    outcome = forms.ChoiceField(
        label=_("Entscheidung"),
        choices=[
            ("approved", _("Genehmigen")),
            ("acknowledged", _("Anzeige zur Kenntnis nehmen")),
            ("refused", _("Versagen")),
        ],
    )
    note = forms.CharField(label=_("Vermerk"), widget=forms.Textarea, required=False)


class TransferForm(TaskForm):
    effective_date = DateField(label=_("Wirksam ab"))
    term_years = forms.IntegerField(label=_("Laufzeit (Jahre)"), min_value=1, max_value=50, initial=5)
    allocation_key = forms.ChoiceField(
        label=_("Verteilungsschlüssel"),
        choices=[
            ("hours", _("Nach Stunden")),
            ("base_effort", _("Sockel + Aufwand")),
            ("units", _("Nach Mengen")),
            ("population", _("Nach Einwohnern")),
        ],
    )
    agreement_note = forms.CharField(
        label=_("Tätigkeits- und Budgetvereinbarung"), widget=forms.Textarea, required=False
    )


ORDER_FIELDS = [name for name in ProjectOrder.SECTIONS]


class MoneyField(forms.DecimalField):
    """An amount as people type it: "75.000,00", "75000,5" or "75000.50" (a German thousands point is dropped)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("localize", True)  # a text field showing "75.000,00", not a number field refusing it
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), "inputmode": "decimal"}

    def to_python(self, value):
        if isinstance(value, str):
            text = value.strip().replace("\u00a0", "").replace(" ", "").removesuffix("€")
            if "," in text or re.fullmatch(r"-?\d{1,3}(\.\d{3})+", text):
                text = text.replace(".", "").replace(",", ".")
            value = text
        return super().to_python(value)


class EconomicCheckForm(TaskForm):
    """Wirtschaftlichkeitsprüfung before the transfer: the figures a person enters; the comparison is computed by
    the service (costs.economic.economic_check_record), never typed in. A procedure of the procurement centre is
    chosen here and handed to the service by its reference (costs does not import procurement)."""

    year = YearField(label=_("Bezugsjahr"), help_text=_("Der Vollkostensatz dieses Jahres wird angesetzt."))
    hours_per_year = MoneyField(  # a decimal as people type it ("1.200" or "1200,5"), not an amount
        label=_("Stunden je Jahr"),
        max_digits=9,
        min_value=Decimal("0.01"),
        help_text=_("Arbeitszeit, die die DKZ für die Aufgabe im Jahr aufwenden würde."),
    )
    pay_group = forms.ChoiceField(label=_("Entgeltgruppe (Vollkostensatz)"), choices=[])
    extra_material_cost = MoneyField(
        label=_("Zusätzliche Sachkosten der Aufgabe (EUR je Jahr)"),
        required=False,
        min_value=Decimal("0"),
        help_text=_("Nur was der Vollkostensatz nicht enthält, z. B. Fachsoftware oder Lizenzen."),
    )
    extra_material_source = forms.CharField(
        label=_("Quelle der zusätzlichen Sachkosten"), max_length=300, required=False
    )
    market_source = forms.ChoiceField(
        label=_("Marktpreis aus"),
        choices=[
            ("inquiry", _("Markterkundung")),
            ("procedure", _("Vergabeverfahren des Vergabezentrums")),
        ],
        widget=forms.RadioSelect,
    )
    market_price = MoneyField(label=_("Marktpreis je Jahr (EUR)"), min_value=Decimal("0.01"))
    quotes_count = forms.IntegerField(
        label=_("Anzahl der Angebote (Markterkundung)"), min_value=1, max_value=999, required=False
    )
    procedure: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Vergabeverfahren (Vergabenummer)"), queryset=None, required=False
    )
    market_note = forms.CharField(
        label=_("Vermerk zum Marktpreis"),
        widget=forms.Textarea,
        required=False,
        help_text=_("Bei einer Markterkundung: wer wann angefragt wurde und was angeboten wurde."),
    )
    decision = forms.ChoiceField(
        label=_("Entscheidung"),
        choices=[("own", _("Eigenerledigung")), ("buy", _("Fremdvergabe"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(label=_("Begründung"), widget=forms.Textarea)

    def __init__(self, *args, **kwargs):
        from costs.models import PayGroupRate
        from procurement.models import Procedure

        super().__init__(*args, **kwargs)
        rates = list(PayGroupRate.objects.order_by("pay_group", "-valid_from"))
        groups = sorted({r.pay_group for r in rates})
        cast(forms.ChoiceField, self.fields["pay_group"]).choices = [(g, g) for g in groups]
        self.fields["pay_group"].help_text = "; ".join(
            _("%(group)s ab %(day)s: %(rate)s €/Std.")
            % {"group": r.pay_group, "day": r.valid_from.strftime("%d.%m.%Y"), "rate": number(r.hourly_rate)}
            for r in rates
        )
        procedures = Procedure.objects.order_by("-pk")
        if self.task is not None:
            procedures = procedures.filter(county_id=self.case.county_id)
        cast(forms.ModelChoiceField, self.fields["procedure"]).queryset = procedures
        if not self.is_bound:
            self.initial.setdefault("year", timezone.localdate().year)
