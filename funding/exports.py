"""XLSX export of the funding officer's overview (applications, figures per programme and year, deadlines)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Set
from io import BytesIO

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from funding.models import Application, Deadline
from funding.selectors import FigureRow

EURO_FORMAT = '#,##0.00 "€"'


def _sheet(
    workbook,
    title: str,
    header: list[str],
    rows: Iterable[list],
    money_columns: Set[int] = frozenset(),
):
    sheet = workbook.create_sheet(title)
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    for column in money_columns:
        for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
            cell.number_format = EURO_FORMAT
    for column_cells in sheet.columns:
        width = max(len(str(c.value or "")) for c in column_cells)
        sheet.column_dimensions[column_cells[0].column_letter].width = min(max(width + 2, 10), 60)
    sheet.freeze_panes = "A2"
    return sheet


def funding_overview_xlsx(
    *, applications: Iterable[Application], figures: list[FigureRow], deadlines: Iterable[Deadline], today: dt.date
) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    _sheet(
        workbook,
        _("Anträge"),
        [
            _("Nr."),
            _("Titel"),
            _("Programm"),
            _("Stand"),
            _("Beteiligte Kommunen"),
            _("Förderfähig (EUR)"),
            _("Richtlinienfassung"),
            _("Beantragt (EUR)"),
            _("Eingereicht am"),
            _("Bewilligt (EUR)"),
        ],
        (
            [
                a.pk,
                a.title,
                a.programme.name,
                a.get_state_display(),
                ", ".join(p.name for p in a.partners.all()),
                a.eligible_amount,
                str(a.eligible_rule or ""),
                a.requested_amount,
                a.submitted_on,
                getattr(getattr(a, "decision", None), "amount", None),
            ]
            for a in applications
        ),
        money_columns={6, 8, 10},
    )
    _sheet(
        workbook,
        _("Summen"),
        [
            _("Programm"),
            _("Jahr"),
            _("Beantragt"),
            _("Bewilligt"),
            _("Abgerufen"),
            _("Nachgewiesen"),
            _("Zurückgezahlt"),
        ],
        ([f.programme, f.year, f.applied, f.granted, f.drawn, f.proven, f.repaid] for f in figures),
        money_columns={3, 4, 5, 6, 7},
    )
    _sheet(
        workbook,
        _("Fristen"),
        [_("Fällig am"), _("Frist"), _("Antrag"), _("Status")],
        (
            [d.due_on, d.label, d.application.title, _("überfällig") if d.due_on < today else _("offen")]
            for d in deadlines
        ),
    )
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
