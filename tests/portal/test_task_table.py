"""The task table's rows (portal_tags.task_table_rows) render as the template loop they replaced did.

The rows are built in Python for speed (the inbox renders 25 per request); the reference below is the former loop of
portal/_task_table.html, rendered by Django's template engine with the same rows, languages and choices.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.template import engines
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import translation
from viewflow.workflow.models import Task

from portal.selectors import TaskRow
from projects.models import Case, Municipality
from workflows.case import CaseFlow

pytestmark = pytest.mark.django_db

REFERENCE_LOOP = """{% load i18n portal_tags %}{% for row in rows %}
    <tr>
      {% if select %}<td><input type="checkbox" name="task" value="{{ row.pk }}" id="task-{{ row.pk }}" form="{{ select }}" aria-label="{% blocktranslate with title=row.title number=row.case.number|default:row.subject|default:row.pk %}{{ title }} ({{ number }}) auswählen{% endblocktranslate %}"></td>{% endif %}
      <td><a href="{% url 'portal:task' row.pk %}">{{ row.title }}</a></td>
      <td>{% if row.case %}<a href="{% url 'portal:case' row.case.pk %}">{{ row.case.number }}</a><br><span class="ikz-muted">{{ row.case.title }}</span>{% elif row.subject %}{{ row.subject }}{% else %}–{% endif %}</td>
      <td>{{ row.municipality.name|default:"–" }}</td>
      <td>{% if row.due %}<time datetime="{{ row.due|date:'Y-m-d' }}">{{ row.due|day }}</time>{% if row.overdue %} <strong class="ikz-badge ikz-badge--alert">{% translate "überfällig" %}</strong>{% endif %}{% else %}–{% endif %}</td>
      <td>{% if row.mine %}{% translate "bei Ihnen" %}{% elif row.task.owner %}{{ row.task.owner.get_full_name|default:row.task.owner.username }}{% else %}{% translate "offen" %}{% endif %}</td>
    </tr>
  {% endfor %}"""  # noqa: E501 (the template's lines as they were)


def _rows() -> list[TaskRow]:
    user_model = get_user_model()
    me = user_model(pk=9001, username="ich")
    named = user_model(pk=9002, username="k.m", first_name="Karla", last_name='Müller & "Partner"')
    unnamed = user_model(pk=9003, username="<kein Name>")
    case = Case.objects.order_by("pk").first()
    unnumbered = Case(pk=case.pk, number="", title="Ohne <Nummer>")
    municipality = Municipality.objects.order_by("pk").first()
    today = dt.date(2026, 11, 22)

    def row(pk, *, owner=None, **kwargs) -> TaskRow:
        task = Task(pk=pk, flow_task=CaseFlow.approve_project_order, owner=owner)
        return TaskRow(task=task, **{"case": None, "municipality": None, "due": None, **kwargs})

    return [
        row(
            1,
            case=case,
            subject=case,
            municipality=municipality,
            due=today - dt.timedelta(days=3),
            overdue=True,
            title="Projektauftrag freigeben",
        ),
        row(22, subject=municipality, due=today + dt.timedelta(days=5), owner=me, mine=True, title="Vergabe <prüfen>"),
        row(333, owner=named, title='Beschluss "erfassen" & melden'),
        row(4444, owner=unnamed, municipality=Municipality(name=""), title="Ohne Namen"),
        row(123456, case=unnumbered, subject=unnumbered, title="Nummer fehlt"),
    ]


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize("select", ["bulk", ""])
def test_the_rows_render_as_the_former_template_loop(language, select):
    rows = _rows()
    request = RequestFactory().get("/portal/aufgaben/")
    context = {"rows": rows, "select": select, "caption": "Aufgaben"}
    with translation.override(language):
        html = render_to_string("portal/_task_table.html", context, request=request)
        expected = engines["django"].from_string(REFERENCE_LOOP).render(context, request)
    body = html.split("<tbody>\n  ", 1)[1].rsplit("\n  </tbody>", 1)[0]
    assert body == expected
    assert body.count("<tr>") == len(rows)
