"""Completion forms of the procurement flow's tasks (the portal and the API validate with the same form)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from procurement.models import Procedure
from workflows.forms import DateTimeField, TaskForm


def procedure_of_task(task) -> Procedure:
    return Procedure.objects.select_related("municipality").get(pk=task.process.artifact_object_id)


class ConfirmForm(TaskForm):
    confirm = forms.BooleanField(label=_("Bestätigen"), required=True)


class TypeForm(TaskForm):
    procedure_type = forms.ChoiceField(label=_("Verfahrensart"))
    reason = forms.CharField(
        label=_("Begründung (bei strengerer Verfahrensart)"), widget=forms.Textarea, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.task is not None:
            procedure = procedure_of_task(self.task)
            self.fields["procedure_type"].choices = [
                (t["procedure_type"], f"{t['label']} – {t['legal_basis']}") for t in procedure.admissible_types
            ]
            self.fields["procedure_type"].initial = procedure.proposed_type


class SpecificationForm(TaskForm):
    text = forms.CharField(label=_("Leistungsbeschreibung"), widget=forms.Textarea)


class DocumentsForm(TaskForm):
    tender_documents = forms.CharField(label=_("Vergabeunterlagen"), widget=forms.Textarea)
    suitability_criteria = forms.CharField(label=_("Eignungskriterien"), widget=forms.Textarea, required=False)
    price_weight = forms.DecimalField(label=_("Gewichtung Preis (%)"), max_digits=5, decimal_places=2)
    quality_name = forms.CharField(label=_("Weiteres Kriterium"), max_length=120, required=False)
    quality_weight = forms.DecimalField(label=_("Gewichtung (%)"), max_digits=5, decimal_places=2, required=False)
    hours = forms.DecimalField(label=_("Stunden (leer: Standardwert)"), max_digits=6, decimal_places=2, required=False)


def criteria_from(data: dict) -> list[dict]:
    """Award criteria from the documents form: the price and at most one further criterion."""
    result = [{"name": str(_("Preis")), "weight": data["price_weight"], "is_price": True}]
    if data.get("quality_name"):
        result.append({"name": data["quality_name"], "weight": data.get("quality_weight") or 0})
    return result


class PublishForm(TaskForm):
    offer_deadline = DateTimeField(label=_("Angebotsfrist"))
    electronic = forms.BooleanField(label=_("elektronische Angebotsabgabe"), required=False, initial=True)
    medium = forms.CharField(label=_("Bekanntmachung in"), max_length=100, required=False)


class OpenForm(TaskForm):
    second_person = forms.CharField(label=_("Zweite Person (Benutzername)"), max_length=150)


def _number_key(key: Any, message: str) -> int:
    if isinstance(key, bool) or not str(key).strip().isdigit():
        raise forms.ValidationError(message)
    return int(str(key).strip())


class FormalCheckForm(TaskForm):
    excluded = forms.JSONField(
        label=_("Ausgeschlossene Angebote"),
        required=False,
        help_text=_('{"<Angebots-Nr.>": "Grund", ...}; alle anderen Angebote sind zugelassen.'),
    )

    def clean_excluded(self) -> dict[int, str]:
        value = self.cleaned_data.get("excluded") or {}
        if not isinstance(value, dict):
            raise forms.ValidationError(_('Bitte in der Form {"<Angebots-Nr.>": "Grund"} angeben.'))
        excluded = {}
        for key, reason in value.items():
            number = _number_key(key, _("Angebots-Nummern sind ganze Zahlen."))
            if not isinstance(reason, str) or not reason.strip():
                raise forms.ValidationError(_("Bitte für jedes ausgeschlossene Angebot einen Grund angeben."))
            excluded[number] = reason.strip()
        return excluded


class EvaluationForm(TaskForm):
    scores = forms.JSONField(
        label=_("Punkte je Angebot und Kriterium"), help_text=_('{"<Angebots-Nr.>": {"<Kriterium-Nr.>": 80}}')
    )

    def clean_scores(self) -> dict[int, dict[int, Decimal]]:
        value = self.cleaned_data.get("scores")
        shape = _('Bitte in der Form {"<Angebots-Nr.>": {"<Kriterium-Nr.>": 80}} angeben.')
        if not isinstance(value, dict) or not value:
            raise forms.ValidationError(shape)
        scores: dict[int, dict[int, Decimal]] = {}
        for offer, by_criterion in value.items():
            if not isinstance(by_criterion, dict):
                raise forms.ValidationError(shape)
            points_of: dict[int, Decimal] = {}
            for criterion, points in by_criterion.items():
                number = _number_key(criterion, _("Kriterium-Nummern sind ganze Zahlen."))
                try:
                    if isinstance(points, bool):
                        raise InvalidOperation
                    points = Decimal(str(points))
                except (InvalidOperation, ValueError) as exc:
                    raise forms.ValidationError(_("Punkte müssen eine Zahl zwischen 0 und 100 sein.")) from exc
                if not points.is_finite():
                    raise forms.ValidationError(_("Punkte müssen eine Zahl zwischen 0 und 100 sein."))
                points_of[number] = points
            scores[_number_key(offer, _("Angebots-Nummern sind ganze Zahlen."))] = points_of
        return scores


class DecisionForm(TaskForm):
    offer = forms.IntegerField(label=_("Angebot (leer: Vergabevorschlag)"), required=False)
    note = forms.CharField(label=_("Begründung bei Abweichung"), widget=forms.Textarea, required=False)


class InformForm(TaskForm):
    electronic = forms.BooleanField(label=_("elektronisch versandt"), required=False, initial=True)
