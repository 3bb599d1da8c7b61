"""Formatting for the portal pages: money and dates in the active language (German: 1.140,00 €, 22.11.2026)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.formats import date_format, number_format

register = template.Library()


@register.filter
def euro(value) -> str:
    """A Decimal amount with two places and thousands separators, followed by the euro sign."""
    if value in (None, ""):
        return ""
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    return f"{number_format(amount, decimal_pos=2, use_l10n=True, force_grouping=True)}\u00a0€"


@register.filter
def day(value) -> str:
    """A date in the short local form (German: 22.11.2026)."""
    if not value:
        return ""
    return date_format(value, "SHORT_DATE_FORMAT")


@register.filter
def moment(value) -> str:
    """A date and time in the short local form (German: 22.11.2026 14:05)."""
    if not value:
        return ""
    from django.utils import timezone

    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return date_format(value, "SHORT_DATETIME_FORMAT")


@register.simple_tag
def field_widget(field):
    """Render a bound field's widget with its help text and errors tied to it (aria-describedby, aria-invalid)."""
    described = []
    if field.help_text:
        described.append(f"{field.auto_id}_help")
    if field.errors:
        described.append(f"{field.auto_id}_errors")
    attrs = {}
    if described:
        attrs["aria-describedby"] = " ".join(described)
    if field.errors:
        attrs["aria-invalid"] = "true"
    if field.field.required and getattr(field.field.widget, "input_type", "") not in ("radio", "checkbox"):
        attrs["required"] = True
    return field.as_widget(attrs=attrs)


@register.filter
def is_choice_group(field) -> bool:
    return getattr(field.field.widget, "input_type", "") in ("radio",) or field.field.widget.__class__.__name__ in (
        "CheckboxSelectMultiple",
        "RadioSelect",
    )
