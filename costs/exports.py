"""A member's statement as files: CSV for the finance system, XLSX (openpyxl) and PDF (WeasyPrint)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from costs.calculation import ROUNDING_RULE, Statement
from projects.formats import number

COLUMNS = (
    ("plan_contribution", "PLAN-Kostenbeitrag (EUR)"),
    ("sockel", "Sockelbetrag (EUR)"),
    ("prepayments", "Vorauszahlungen (EUR)"),
    ("actual", "Ist abgerechnet (EUR)"),
    ("funding", "Fördermittel (EUR)"),
    ("balance", "Saldo (EUR)"),
)


def _status(line) -> str:
    if not line.settled:
        return _("Plan (vorläufig)")
    status = _("abgerechnet") if line.version <= 1 else _("neu abgerechnet (Version {v})").format(v=line.version)
    return f"{status}: {line.direction}"


def _german(value: Decimal | None) -> str:
    return number(value, grouping=False)


def statement_filename(statement: Statement, extension: str) -> str:
    return f"abrechnung-{statement.municipality.ags}-{statement.year}.{extension}"


def statement_csv(statement: Statement) -> bytes:
    """Semicolon-separated, decimal comma, one row per cost centre (for import into the finance system)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        ["Jahr", "AGS", "Kommune", "Kostenstelle", "Verteilungsschlüssel", *[str(_(c)) for _k, c in COLUMNS], "Status"]
    )
    for line in statement.lines:
        writer.writerow(
            [
                statement.year,
                statement.municipality.ags,
                statement.municipality.name,
                line.centre.name,
                line.key_label,
                *[_german(getattr(line, key)) for key, _c in COLUMNS],
                _status(line),
            ]
        )
    return buffer.getvalue().encode("utf-8")


def statement_xlsx(statement: Statement) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = f"Abrechnung {statement.year}"
    sheet.append(
        [
            _("Kostenabrechnung {year} – {name} (AGS {ags})").format(
                year=statement.year, name=statement.municipality.name, ags=statement.municipality.ags
            )
        ]
    )
    sheet["A1"].font = Font(bold=True)
    sheet.append([])
    sheet.append(
        [_("Kostenstelle"), _("Verteilungsschlüssel"), *[_(c) for _k, c in COLUMNS], _("Status"), _("Berechnung")]
    )
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for line in statement.lines:
        sheet.append(
            [
                line.centre.name,
                line.key_label,
                *[getattr(line, key) for key, _c in COLUMNS],
                _status(line),
                line.explanation,
            ]
        )
    sheet.append([_("Summe"), "", *[statement.totals[key] for key, _c in COLUMNS]])
    for row in sheet.iter_rows(min_row=4, min_col=3, max_col=2 + len(COLUMNS)):
        for cell in row:
            cell.number_format = "#,##0.00"
    sheet.append([])
    sheet.append([ROUNDING_RULE])
    sheet.column_dimensions["A"].width = 45
    sheet.column_dimensions["B"].width = 30
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def statement_pdf(statement: Statement) -> bytes:
    from weasyprint import HTML

    html = render_to_string(
        "costs/statement_pdf.html",
        {"statement": statement, "rounding_rule": ROUNDING_RULE, "columns": COLUMNS},
    )
    return HTML(string=html).write_pdf()
