"""Completion forms of the procurement flow's tasks (the portal and the API validate with the same form)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import cast

from django import forms
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from procurement.models import Procedure
from procurement.models.choices import TWO_STAGE_TYPES
from workflows.forms import DateTimeField, TaskForm


class AmountField(forms.DecimalField):
    """A euro amount as people write it: "65.000,00", "65000,5" or "65000.50"."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("min_value", Decimal("0.01"))
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal"}))
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            text = value.strip().replace(" ", "").replace("\u00a0", "").removesuffix("€").removesuffix("EUR")
            if "," in text:
                text = text.replace(".", "").replace(",", ".")
            elif re.fullmatch(r"\d{1,3}(\.\d{3})+", text):
                text = text.replace(".", "")
            value = text
        return super().to_python(value)


def procedure_of_task(task) -> Procedure:
    return Procedure.objects.select_related("municipality").get(pk=task.process.artifact_object_id)


class ConfirmForm(TaskForm):
    confirm = forms.BooleanField(label=_("Bestätigen"), required=True)


class TypeForm(TaskForm):
    procedure_type = forms.ChoiceField(label=_("Verfahrensart"))
    reason = forms.CharField(
        label=_("Begründung (bei strengerer Verfahrensart)"), widget=forms.Textarea, required=False
    )
    openers_from = forms.ChoiceField(
        label=_("Angebotsöffnung durch"),
        choices=Procedure.Openers.choices,
        required=False,
        help_text=_("Die Kommune bestimmt, wessen Beschäftigte die Angebote öffnen (nicht bei einem Direktauftrag)."),
    )
    openers = forms.TypedMultipleChoiceField(
        label=_("Bestimmte Personen für die Öffnung"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Mindestens zwei Personen der gewählten Seite. Die Öffnung beginnt eine von ihnen; "
            "eine zweite bestätigt sie in ihrer eigenen Anmeldung."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.task is not None:
            from procurement.services.procedure import opener_candidates

            procedure = procedure_of_task(self.task)
            cast(forms.ChoiceField, self.fields["procedure_type"]).choices = [
                (t["procedure_type"], f"{t['label']} – {t['legal_basis']}") for t in procedure.admissible_types
            ]
            self.fields["procedure_type"].initial = procedure.proposed_type
            self.fields["openers_from"].initial = procedure.openers_from
            choices = []
            for side, side_label in Procedure.Openers.choices:
                for user in opener_candidates(procedure=procedure, side=side):
                    name = user.get_full_name() or user.get_username()
                    choices.append((user.pk, f"{name} ({user.get_username()}) – {side_label}"))
            cast(forms.ChoiceField, self.fields["openers"]).choices = choices


class SpecificationForm(TaskForm):
    text = forms.CharField(label=_("Leistungsbeschreibung"), widget=forms.Textarea)


FURTHER_CRITERIA = 3


class DocumentsForm(TaskForm):
    """Tender documents and award criteria: the price and up to three further criteria, weights adding up to 100."""

    tender_documents = forms.CharField(label=_("Vergabeunterlagen"), widget=forms.Textarea)
    suitability_criteria = forms.CharField(label=_("Eignungskriterien"), widget=forms.Textarea, required=False)
    price_weight = forms.DecimalField(
        label=_("Gewichtung Preis (%)"),
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=Decimal("100"),
        localize=True,
        help_text=_("Die Gewichte aller Kriterien müssen zusammen 100 % ergeben."),
    )
    hours = forms.DecimalField(
        label=_("Stunden (leer: Standardwert)"), max_digits=6, decimal_places=2, required=False, localize=True
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for number in range(1, FURTHER_CRITERIA + 1):
            self.fields[f"criterion_{number}_name"] = forms.CharField(
                label=_("Weiteres Kriterium %(n)s") % {"n": number}, max_length=120, required=False
            )
            self.fields[f"criterion_{number}_weight"] = forms.DecimalField(
                label=_("Gewichtung Kriterium %(n)s (%%)") % {"n": number},
                max_digits=5,
                decimal_places=2,
                min_value=Decimal("0.01"),
                max_value=Decimal("100"),
                required=False,
                localize=True,
            )
        self.order_fields(["tender_documents", "suitability_criteria", "price_weight"])

    def clean(self):
        super().clean()
        data = self.cleaned_data
        total = data.get("price_weight") or Decimal("0")
        for number in range(1, FURTHER_CRITERIA + 1):
            name, weight = data.get(f"criterion_{number}_name"), data.get(f"criterion_{number}_weight")
            if name and weight is None:
                self.add_error(f"criterion_{number}_weight", _("Bitte die Gewichtung dieses Kriteriums angeben."))
            elif weight is not None and not name:
                self.add_error(f"criterion_{number}_name", _("Bitte den Namen dieses Kriteriums angeben."))
            total += weight or Decimal("0")
        if data.get("price_weight") is not None and total != Decimal("100"):
            raise forms.ValidationError(
                _("Die Gewichte der Zuschlagskriterien ergeben %(total)s %%; sie müssen zusammen 100 %% ergeben.")
                % {"total": number_format(total, 2)}
            )
        return data


def criteria_from(data: dict) -> list[dict]:
    """Award criteria from the documents form: the price and the further criteria that are filled in."""
    result = [{"name": str(_("Preis")), "weight": data["price_weight"], "is_price": True}]
    for number in range(1, FURTHER_CRITERIA + 1):
        if data.get(f"criterion_{number}_name"):
            result.append({"name": data[f"criterion_{number}_name"], "weight": data[f"criterion_{number}_weight"]})
    return result


class PublishForm(TaskForm):
    """Publication: the offer deadline, or for EU procedures with a participation competition the participation
    deadline (the offer deadline follows with the invitation). A shortened urgent period needs its reason."""

    offer_deadline = DateTimeField(
        label=_("Angebotsfrist"),
        help_text=_("Datum und Uhrzeit, z. B. 20.01.2027 12:00."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    participation_deadline = DateTimeField(
        label=_("Teilnahmefrist"),
        help_text=_("Frist für Teilnahmeanträge, mindestens 30 Tage (15 bei begründeter Dringlichkeit)."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    urgency_reason = forms.CharField(
        label=_("Begründung der Dringlichkeit"),
        help_text=_(
            "Nur ausfüllen, wenn die verkürzte Frist wegen hinreichend begründeter Dringlichkeit gelten soll "
            "(§§ 15–17 VgV)."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
    )
    electronic = forms.BooleanField(label=_("elektronische Angebotsabgabe"), required=False, initial=True)
    medium = forms.CharField(label=_("Bekanntmachung in"), max_length=100, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        two_stage = self.task is not None and procedure_of_task(self.task).procedure_type in TWO_STAGE_TYPES
        # the deadline that belongs to this stage is required, the other one is not asked
        del self.fields["offer_deadline" if two_stage else "participation_deadline"]


class InviteCandidatesForm(TaskForm):
    candidates = forms.CharField(
        label=_("Ausgewählte Bewerber"),
        help_text=_("Einer je Zeile; sie werden zur Abgabe eines Angebots aufgefordert."),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
    )
    offer_deadline = DateTimeField(
        label=_("Angebotsfrist"),
        help_text=_("Datum und Uhrzeit, z. B. 20.01.2027 12:00."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


class OpenForm(TaskForm):
    confirm = forms.BooleanField(
        label=_("Ich öffne die Angebote nach Ablauf der Angebotsfrist."),
        help_text=_("Die Öffnung ist erst vollständig, wenn eine zweite bestimmte Person sie bestätigt."),
        required=True,
    )


class CoSignOpeningForm(TaskForm):
    confirm = forms.BooleanField(
        label=_("Ich bestätige als zweite Person die Öffnung der Angebote."),
        required=True,
    )


ADMIT = "admit"
EXCLUDE = "exclude"


class FormalCheckForm(TaskForm):
    """Per offer: admitted or excluded with a reason (late offers are excluded already, with their reason)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.offers = []
        if self.task is None:
            return
        procedure = procedure_of_task(self.task)
        for offer in procedure.offers.select_related("lot").order_by("lot__number", "pk"):
            if offer.is_late:
                continue
            self.offers.append(offer)
            label = _("Angebot %(number)s: %(bidder)s (Los %(lot)s)") % {
                "number": offer.pk,
                "bidder": offer.bidder,
                "lot": offer.lot.number,
            }
            self.fields[f"result_{offer.pk}"] = forms.ChoiceField(
                label=label,
                choices=[(ADMIT, _("zugelassen")), (EXCLUDE, _("ausgeschlossen"))],
                initial=ADMIT,
                widget=forms.RadioSelect,
            )
            self.fields[f"reason_{offer.pk}"] = forms.CharField(
                label=_("Grund des Ausschlusses (%(bidder)s)") % {"bidder": offer.bidder},
                max_length=500,
                required=False,
            )

    def clean(self):
        super().clean()
        data = self.cleaned_data
        for offer in self.offers:
            if data.get(f"result_{offer.pk}") == EXCLUDE and not (data.get(f"reason_{offer.pk}") or "").strip():
                self.add_error(f"reason_{offer.pk}", _("Bitte den Grund des Ausschlusses angeben."))
        return data


def formal_results(data: dict) -> dict[int, tuple[bool, str]]:
    """The per-offer results from the cleaned data of :class:`FormalCheckForm`."""
    results = {}
    for key, value in data.items():
        if key.startswith("result_"):
            pk = int(key.removeprefix("result_"))
            excluded = value == EXCLUDE
            results[pk] = (not excluded, (data.get(f"reason_{pk}") or "").strip() if excluded else "")
    return results


class EvaluationForm(TaskForm):
    """The evaluation matrix: admitted offers of the lot × technical criteria, 0–100 points each."""

    form_template = "procurement/_evaluation_matrix.html"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.offers, self.criteria = [], []
        if self.task is None:
            return
        from procurement.models import Lot

        lot = Lot.objects.select_related("procedure").get(pk=self.task.data["lot_id"])
        self.offers = list(lot.offers.filter(formally_admitted=True).order_by("pk"))
        self.criteria = list(lot.procedure.criteria.filter(is_price=False))
        for offer in self.offers:
            for criterion in self.criteria:
                self.fields[f"score_{offer.pk}_{criterion.pk}"] = forms.DecimalField(
                    label=_("%(bidder)s – %(criterion)s: Punkte (0–100)")
                    % {"bidder": offer.bidder, "criterion": criterion.name},
                    min_value=Decimal("0"),
                    max_value=Decimal("100"),
                    max_digits=5,
                    decimal_places=2,
                    localize=True,
                )

    def rows(self):
        """The matrix for the template: one row per offer with its bound fields per criterion."""
        return [
            {"offer": offer, "cells": [self[f"score_{offer.pk}_{c.pk}"] for c in self.criteria]}
            for offer in self.offers
        ]


def evaluation_scores(data: dict) -> dict[int, dict[int, Decimal]]:
    """{offer id: {criterion id: points}} from the cleaned data of :class:`EvaluationForm`."""
    scores: dict[int, dict[int, Decimal]] = {}
    for key, value in data.items():
        if key.startswith("score_"):
            offer, criterion = (int(part) for part in key.removeprefix("score_").split("_"))
            scores.setdefault(offer, {})[criterion] = value
    return scores


class DecisionForm(TaskForm):
    offer = forms.TypedChoiceField(label=_("Zuschlag auf das Angebot"), coerce=int, required=False, empty_value=None)
    note = forms.CharField(label=_("Begründung bei Abweichung vom Vorschlag"), widget=forms.Textarea, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.task is None or "lot_id" not in (self.task.data or {}):
            return
        from procurement.models import Lot

        lot = Lot.objects.get(pk=self.task.data["lot_id"])
        offers = lot.offers.filter(formally_admitted=True).order_by("-total_points", "price", "pk")
        cast(forms.ChoiceField, self.fields["offer"]).choices = [
            (
                o.pk,
                _("%(bidder)s – %(price)s EUR – %(points)s Punkte%(proposal)s")
                % {
                    "bidder": o.bidder,
                    "price": number_format(o.price, 2, force_grouping=True),
                    "points": number_format(o.total_points, 2) if o.total_points is not None else "–",
                    "proposal": _(" (Vergabevorschlag)") if o.pk == lot.proposed_offer_id else "",
                },
            )
            for o in offers
        ]
        self.fields["offer"].initial = lot.proposed_offer_id


class InformForm(TaskForm):
    electronic = forms.BooleanField(label=_("elektronisch versandt"), required=False, initial=True)


class DirectAwardForm(TaskForm):
    bidder = forms.CharField(label=_("Auftragnehmer"), max_length=200)
    price = AmountField(label=_("Preis netto (EUR)"), help_text=_("z. B. 889,90"))
    price_comparison = forms.CharField(
        label=_("Preisvergleich"),
        widget=forms.Textarea,
        required=False,
        help_text=_("Verglichene Anbieter und Preise (Kataloge, Webshops, Angebote)."),
    )
    justification = forms.CharField(
        label=_("Begründung, falls kein Preisvergleich möglich war"), widget=forms.Textarea, required=False
    )
