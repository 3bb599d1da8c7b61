"""Forms of the funding pages: documents, the saving calculation, drawdowns, revocation, a new application.

Plain fields only (no JSON): one row of inputs per participating municipality where the data is per partner.
"""

from __future__ import annotations

from decimal import Decimal
from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from funding.models import Application, ApplicationDocument, Programme
from projects.models import County, Municipality
from workflows.forms import DateField, MoneyField


def _money(label, **kwargs) -> forms.DecimalField:
    return MoneyField(label=label, min_value=0, **kwargs)


class DocumentForm(forms.Form):
    """Upload a document of the checklist; ``choices`` are the (kind, municipality) pairs the user may deliver."""

    item = forms.ChoiceField(label=_("Unterlage"))
    title = forms.CharField(label=_("Bezeichnung"), max_length=200)
    dated = DateField(label=_("Datum der Unterlage"), widget=forms.DateInput(attrs={"type": "date"}))
    reference = forms.CharField(label=_("Aktenzeichen / Fundstelle"), max_length=200, required=False)
    file = forms.FileField(label=_("Datei (PDF, DOCX, XLSX, ODT oder TXT)"))

    def __init__(self, *args, deliverable=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.deliverable = {
            f"{kind}:{municipality.pk if municipality else ''}": (kind, municipality)
            for kind, municipality in deliverable
        }
        labels = dict(ApplicationDocument.Kind.choices)
        cast(forms.ChoiceField, self.fields["item"]).choices = [
            (key, f"{labels[kind]}: {municipality.name}" if municipality else labels[kind])
            for key, (kind, municipality) in self.deliverable.items()
        ]

    def clean_item(self):
        return self.deliverable[self.cleaned_data["item"]]


class ReplaceForm(forms.Form):
    file = forms.FileField(label=_("Neue Datei"))
    dated = DateField(
        label=_("Datum der neuen Fassung"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class SavingForm(forms.Form):
    """Previous personnel and material costs per partner against the joint unit's costs (EUR per year)."""

    joint_personnel = _money(_("Personalkosten der gemeinsamen Einheit (EUR/Jahr)"))
    joint_material = _money(_("Sachkosten der gemeinsamen Einheit (EUR/Jahr)"))

    def __init__(self, *args, application: Application, **kwargs):
        super().__init__(*args, **kwargs)
        self.partner_rows = list(application.partner_rows.select_related("municipality").order_by("municipality__name"))
        self.rows = []
        for row in self.partner_rows:
            name = row.municipality.name
            personnel, material = f"personnel_{row.municipality_id}", f"material_{row.municipality_id}"
            self.fields[personnel] = _money(
                _("%(name)s: bisherige Personalkosten (EUR/Jahr)") % {"name": name},
                initial=row.previous_personnel_cost,
            )
            self.fields[material] = _money(
                _("%(name)s: bisherige Sachkosten (EUR/Jahr)") % {"name": name}, initial=row.previous_material_cost
            )
            self.rows.append((row.municipality, self[personnel], self[material]))
        self.fields["joint_personnel"].initial = application.joint_personnel_cost
        self.fields["joint_material"].initial = application.joint_material_cost

    def previous(self) -> dict[Municipality, tuple[Decimal, Decimal]]:
        data = self.cleaned_data
        return {
            row.municipality: (data[f"personnel_{row.municipality_id}"], data[f"material_{row.municipality_id}"])
            for row in self.partner_rows
        }


class DrawdownForm(forms.Form):
    amount = _money(_("Betrag (EUR)"))
    requested_on = DateField(label=_("Abgerufen am"), widget=forms.DateInput(attrs={"type": "date"}))
    needed_on = DateField(label=_("Benötigt am"), widget=forms.DateInput(attrs={"type": "date"}))
    paid_on = DateField(label=_("Ausgezahlt am"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    purpose = forms.CharField(label=_("Verwendungszweck"), max_length=200, required=False)


class RevokeForm(forms.Form):
    revoked_on = DateField(label=_("Widerruf vom"), widget=forms.DateInput(attrs={"type": "date"}))
    principal = _money(_("Erstattungsbetrag (EUR)"), help_text=_("Höchstens die ausgezahlten Mittel."))
    base_rate_percent = forms.DecimalField(
        label=_("Basiszinssatz (% p. a.)"),
        max_digits=6,
        decimal_places=3,
        localize=True,
        help_text=_("Der Basiszinssatz nach § 247 BGB am Tag des Widerrufs; die Punkte darüber nimmt die Richtlinie."),
    )
    interest_from = DateField(
        label=_("Verzinsung ab"),
        help_text=_("In der Regel der Tag der Auszahlung."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    due_on = DateField(label=_("Zahlbar bis"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("Grund des Widerrufs"), widget=forms.Textarea(attrs={"rows": 3}))


class ApplicationCreateForm(forms.Form):
    """A new application outside an IKZ case: programme, title and the participating municipalities."""

    programme = forms.ModelChoiceField(label=_("Förderprogramm"), queryset=Programme.objects.none())
    title = forms.CharField(label=_("Titel"), max_length=200)
    county = forms.ModelChoiceField(label=_("Landkreis"), queryset=County.objects.none())
    partners = forms.ModelMultipleChoiceField(
        label=_("Beteiligte Kommunen"), queryset=Municipality.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    form = forms.ChoiceField(label=_("Form"), choices=Application.Form.choices, initial=Application.Form.COOPERATION)
    duration_years = forms.IntegerField(label=_("Laufzeit der Zusammenarbeit (Jahre)"), min_value=1, max_value=99)

    def __init__(self, *args, counties, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["programme"]).queryset = Programme.objects.filter(
            is_active=True
        ).order_by("name")
        cast(forms.ModelChoiceField, self.fields["county"]).queryset = County.objects.filter(
            pk__in=[c.pk for c in counties]
        ).order_by("name")
        county_ids = [c.pk for c in counties]
        cast(forms.ModelChoiceField, self.fields["partners"]).queryset = (
            Municipality.objects.filter(county__in=county_ids)
            .exclude(kind=Municipality.Kind.LANDKREIS)
            .order_by("name")
        )
        if len(counties) == 1:
            self.fields["county"].initial = counties[0]
