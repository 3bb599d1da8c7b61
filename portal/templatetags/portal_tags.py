"""Formatting for the portal pages: money and dates in the active language (German: 1.140,00 €, 22.11.2026)."""

from __future__ import annotations

import html
from typing import Any

from django import template
from django.template.base import render_value_in_context
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from projects import formats

register = template.Library()


@register.filter
def euro(value) -> str:
    """A Decimal amount with two places and thousands separators, followed by the euro sign (projects.formats)."""
    return formats.money(value)


@register.filter
def day(value) -> str:
    """A date in the short local form (German: 22.11.2026)."""
    return formats.day(value)


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
    attrs: dict[str, Any] = {}
    if described:
        attrs["aria-describedby"] = " ".join(described)
    if field.errors:
        attrs["aria-invalid"] = "true"
    input_type = getattr(field.field.widget, "input_type", "")
    if field.field.required and input_type not in ("radio", "checkbox"):
        attrs["required"] = True
    attrs["class"] = " ".join(
        filter(None, [field.field.widget.attrs.get("class", ""), _kern_class(field.field.widget, input_type)])
    )
    if field.errors and input_type not in ("radio", "checkbox"):
        attrs["class"] += " kern-form-input__input--error"
    return field.as_widget(attrs=attrs)


def _kern_class(widget, input_type: str) -> str:
    """The KERN UX class of a widget: text-like inputs, selects, check boxes and radio buttons."""
    if input_type == "radio":
        return "kern-form-check__radio"
    if input_type == "checkbox":
        return "kern-form-check__checkbox"
    if input_type == "select" or widget.__class__.__name__ in ("Select", "SelectMultiple", "NullBooleanSelect"):
        return "kern-form-input__select"
    return "kern-form-input__input"


@register.filter
def is_choice_group(field) -> bool:
    return getattr(field.field.widget, "input_type", "") in ("radio",) or field.field.widget.__class__.__name__ in (
        "CheckboxSelectMultiple",
        "RadioSelect",
    )


# --- task table -------------------------------------------------------------------------------------------------
_PK_PLACEHOLDER = 2_147_483_647


def _url_maker(name: str, current_app: str | None):
    """``pk -> url`` for a URL with one integer argument: one ``reverse`` per table instead of one per row."""
    head, _, tail = reverse(name, args=[_PK_PLACEHOLDER], current_app=current_app).rpartition(str(_PK_PLACEHOLDER))
    return lambda pk: f"{head}{pk}{tail}"


@register.simple_tag(takes_context=True)
def task_table_rows(context, rows, select=""):
    """The ``<tr>`` rows of portal/_task_table.html for TaskRow objects (portal.selectors.task_rows).

    Rendered here rather than with template tags per cell: the inbox shows 25 rows per request, and the template
    loop (a URL, a translated label with three filters, six conditions per row) was the largest part of the page's
    CPU time. The markup, the translations and the escaping are those the template had; tests/portal compare them.
    """

    autoescape = context.autoescape

    def value(obj) -> str:  # as {{ obj }}: localized and escaped (a plain string needs only the escaping)
        if type(obj) is str:
            return html.escape(obj) if autoescape else obj
        return render_value_in_context(obj, context)

    request = getattr(context, "request", None)  # the current app as {% url %} finds it
    current_app = getattr(request, "current_app", None)
    if current_app is None:
        current_app = getattr(getattr(request, "resolver_match", None), "namespace", None)
    task_url = _url_maker("portal:task", current_app)
    case_url = _url_maker("portal:case", current_app) if any(row.case for row in rows) else None
    overdue = value(gettext("überfällig"))
    mine = value(gettext("bei Ihnen"))
    unowned = value(gettext("offen"))
    select_label = gettext("%(title)s (%(number)s) auswählen")
    parts = []
    for row in rows:
        pk = value(row.pk)
        parts.append("\n    <tr>\n      ")
        if select:
            number = (row.case.number if row.case else "") or row.subject or row.pk
            label = select_label % {"title": value(row.title), "number": value(number)}
            parts.append(
                f'<td><input type="checkbox" name="task" value="{pk}" id="task-{pk}" form="{value(select)}"'
                f' aria-label="{label}"></td>'
            )
        parts.append(f'\n      <td><a href="{value(task_url(row.pk))}">{value(row.title)}</a></td>\n      <td>')
        if row.case and case_url is not None:
            parts.append(
                f'<a href="{value(case_url(row.case.pk))}">{value(row.case.number)}</a><br>'
                f'<span class="ikz-muted">{value(row.case.title)}</span>'
            )
        elif row.subject:
            parts.append(value(row.subject))
        else:
            parts.append("–")
        municipality = row.municipality.name if row.municipality is not None else ""
        parts.append(f"</td>\n      <td>{value(municipality or '–')}</td>\n      <td>")
        if row.due:
            parts.append(f'<time datetime="{value(date_format(row.due, "Y-m-d"))}">{value(day(row.due))}</time>')
            if row.overdue:
                parts.append(f' <strong class="ikz-badge ikz-badge--alert">{overdue}</strong>')
        else:
            parts.append("–")
        parts.append("</td>\n      <td>")
        owner = row.task.owner
        if row.mine:
            parts.append(mine)
        elif owner:
            parts.append(value(owner.get_full_name() or owner.username))
        else:
            parts.append(unowned)
        parts.append("</td>\n    </tr>\n  ")
    return mark_safe("".join(parts))  # noqa: S308 (every value above is escaped)


@register.filter
def action_text(action: str) -> str:
    """The German sentence of an audit action for histories and timelines (never the technical key)."""
    from portal.timeline import describe

    return str(describe(action))
