"""The XLSX questionnaire: a template pre-filled with the catalogue, and an all-or-nothing import."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from projects.models import IkzIdea, InterestDeclaration, Municipality, ScreeningRound, TaskArea
from projects.services.screening import declaration_problems, declaration_record, may_declare_for
from projects.services.uploads import XLSX, upload_type_detect

SHEET = "Fragebogen"
# (key, header) in column order
COLUMNS = [
    ("municipality", "Kommune (AGS oder Name)"),
    ("code", "Code"),
    ("task_area", "Aufgabenbereich"),
    ("bundle", "Aufgabenbündel"),
    ("interested", "Interesse (ja/nein)"),
    ("urgency", "Dringlichkeit (1–10)"),
    ("complexity", "Komplexität (1–10)"),
    ("proposals", "IKZ-Vorschläge"),
    ("idea", "IKZ-Idee (Schlüssel)"),
]
COLUMN_INDEX = {key: index for index, (key, _header) in enumerate(COLUMNS)}
YES = {"ja", "j", "x", "yes", "1", "true", "wahr"}
NO = {"nein", "n", "no", "0", "false", "falsch", "-"}


@dataclass(frozen=True)
class Problem:
    """One problem of an import, with its position in the workbook."""

    sheet: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        position = _("Blatt „%(sheet)s“") % {"sheet": self.sheet}
        if self.row is not None:
            position += _(", Zeile %(row)d") % {"row": self.row}
        if self.column is not None:
            header = dict((get_column_letter(i + 1), h) for i, (_k, h) in enumerate(COLUMNS)).get(self.column, "")
            position += _(", Spalte %(column)s") % {"column": self.column} + (f" ({header})" if header else "")
        return f"{position}: {self.message}"


class QuestionnaireInvalid(ValidationError):
    """The questionnaire was not imported; ``problems`` lists every problem with its position."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__([str(p) for p in problems])


@dataclass
class ImportResult:
    rows: int
    created: int
    updated: int


def _letter(key: str) -> str:
    return get_column_letter(COLUMN_INDEX[key] + 1)


def _number(value: Any) -> Any:
    """An integer from a cell, None when empty; anything else is returned as it is (and then reported)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def questionnaire_template(*, screening_round: ScreeningRound, municipality: Municipality | None = None) -> bytes:
    """The questionnaire to download: one row per active task area, pre-filled with the catalogue."""
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet.append([header for _key, header in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for area in TaskArea.objects.filter(is_active=True).select_related("bundle").order_by("code"):
        sheet.append(
            [
                municipality.ags if municipality else None,
                area.code,
                area.name,
                area.bundle.name,
                None,
                None,
                None,
                None,
                None,
            ]
        )
    last = sheet.max_row
    interest = DataValidation(type="list", formula1='"ja,nein"', allow_blank=True)
    interest.error = _("Bitte „ja“ oder „nein“ eintragen.")
    scale = DataValidation(type="whole", operator="between", formula1="1", formula2="10", allow_blank=True)
    scale.error = _("Bitte eine ganze Zahl von 1 bis 10 eintragen.")
    for validation in (interest, scale):
        sheet.add_data_validation(validation)
    interest.add(f"{_letter('interested')}2:{_letter('interested')}{last}")
    scale.add(f"{_letter('urgency')}2:{_letter('complexity')}{last}")
    for index, width in enumerate([24, 10, 55, 30, 18, 18, 18, 50, 24], start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    notes = book.create_sheet("Hinweise")
    for line in (
        _("Fragebogen der Screening-Runde „%(round)s“ (%(county)s)")
        % {"round": screening_round.name, "county": screening_round.county.name},
        _(
            "Je Aufgabenbereich: Interesse ja/nein, Dringlichkeit 1 (gering) bis 10 (sehr dringend),"
            " Komplexität der Umsetzung 1 (einfach) bis 10 (sehr komplex), freie IKZ-Vorschläge."
        ),
        _(
            "Zeilen ohne Angabe zum Interesse werden nicht übernommen. Eine fehlerhafte Zeile verhindert den"
            " Import der ganzen Datei; alle Fehler werden mit Blatt, Zeile und Spalte gemeldet."
        ),
        _("IKZ-Ideen aus der Datenbank: Schlüssel aus dem Blatt „IKZ-Ideen“ in Spalte I eintragen."),
    ):
        notes.append([line])
    ideas = book.create_sheet("IKZ-Ideen")
    ideas.append([_("Schlüssel"), _("Titel"), _("Aufgabenbereich"), _("Land"), _("Herkunft")])
    for idea in IkzIdea.objects.select_related("task_area").order_by("title"):
        ideas.append([idea.key, idea.title, idea.task_area.code if idea.task_area else "", idea.region, idea.origin])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _municipality_lookup(screening_round: ScreeningRound) -> dict[str, Municipality]:
    lookup: dict[str, Municipality] = {}
    for m in Municipality.objects.filter(county=screening_round.county):
        lookup[m.ags] = m
        lookup[m.name.casefold()] = m
    return lookup


def _check_row(
    *,
    values: list[Any],
    row: int,
    by: Any,
    municipalities: dict[str, Municipality],
    areas: dict[str, TaskArea],
    ideas: dict[str, IkzIdea],
    allowed: dict[int, bool],
) -> tuple[list[Problem], dict[str, Any] | None]:
    problems: list[Problem] = []

    def problem(key: str, message: str) -> None:
        problems.append(Problem(SHEET, row, _letter(key), message))

    def cell(key: str) -> Any:
        index = COLUMN_INDEX[key]
        return values[index] if index < len(values) else None

    raw_interest = _text(cell("interested")).casefold()
    if not raw_interest:
        if any(_text(cell(k)) for k in ("urgency", "complexity", "proposals", "idea")):
            problem("interested", _("Bitte „ja“ oder „nein“ zum Interesse angeben."))
        return problems, None
    interested = raw_interest in YES
    if not interested and raw_interest not in NO:
        problem(
            "interested",
            _("„%(value)s“ ist keine gültige Angabe; erlaubt sind „ja“ oder „nein“.")
            % {"value": _text(cell("interested"))},
        )
    municipality_key = _text(cell("municipality"))
    municipality = municipalities.get(municipality_key) or municipalities.get(municipality_key.casefold())
    if not municipality_key:
        problem("municipality", _("Die Kommune fehlt."))
    elif municipality is None:
        problem(
            "municipality",
            _("Die Kommune „%(value)s“ gehört nicht zum Landkreis der Runde.") % {"value": municipality_key},
        )
    else:
        if municipality.pk not in allowed:
            allowed[municipality.pk] = may_declare_for(user=by, municipality=municipality)
        if not allowed[municipality.pk]:
            problem("municipality", _("Sie dürfen nicht für „%(name)s“ importieren.") % {"name": municipality.name})
    code = _text(cell("code"))
    area = areas.get(code)
    if not code:
        problem("code", _("Der Code des Aufgabenbereichs fehlt."))
    elif area is None:
        problem("code", _("Unbekannter Aufgabenbereich „%(code)s“.") % {"code": code})
    urgency, complexity = _number(cell("urgency")), _number(cell("complexity"))
    for key, message in declaration_problems(interested=interested, urgency=urgency, complexity=complexity).items():
        problem(key, message)
    idea_key = _text(cell("idea"))
    idea = ideas.get(idea_key) if idea_key else None
    if idea_key and idea is None:
        problem("idea", _("Unbekannte IKZ-Idee „%(key)s“.") % {"key": idea_key})
    if problems:
        return problems, None
    return [], {
        "municipality": municipality,
        "task_area": area,
        "interested": interested,
        "urgency": urgency,
        "complexity": complexity,
        "proposals": _text(cell("proposals")),
        "idea": idea,
    }


def questionnaire_check(*, screening_round: ScreeningRound, file: IO[bytes], by: Any) -> list[dict[str, Any]]:
    """Every answered row of the questionnaire, checked; raises QuestionnaireInvalid listing all problems."""
    size = getattr(file, "size", None)
    if size is not None and size > settings.DOCUMENT_MAX_BYTES:
        raise QuestionnaireInvalid(
            [
                Problem(
                    SHEET,
                    None,
                    None,
                    _("Die Datei ist zu groß (höchstens %(mb)d MB).")
                    % {"mb": settings.DOCUMENT_MAX_BYTES // (1024 * 1024)},
                )
            ]
        )
    if upload_type_detect(file=file) != XLSX:  # by the content: an XLSX package, not any ZIP and not a macro workbook
        raise QuestionnaireInvalid([Problem(SHEET, None, None, _("Die Datei ist keine gültige XLSX-Arbeitsmappe."))])
    try:
        book = load_workbook(file, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError):
        raise QuestionnaireInvalid(
            [Problem(SHEET, None, None, _("Die Datei ist keine gültige XLSX-Arbeitsmappe."))]
        ) from None
    if SHEET not in book.sheetnames:
        found = ", ".join(f"„{name}“" for name in book.sheetnames)
        raise QuestionnaireInvalid(
            [
                Problem(
                    book.sheetnames[0] if book.sheetnames else SHEET,
                    None,
                    None,
                    _("Das Tabellenblatt „%(sheet)s“ fehlt (gefunden: %(found)s).") % {"sheet": SHEET, "found": found},
                )
            ]
        )
    rows = book[SHEET].iter_rows(values_only=True)
    header = [_text(v) for v in next(rows, ())]
    problems = [
        Problem(
            SHEET,
            1,
            get_column_letter(index + 1),
            _("Spaltenüberschrift „%(expected)s“ erwartet.") % {"expected": expected},
        )
        for index, (_key, expected) in enumerate(COLUMNS)
        if (header[index] if index < len(header) else "") != expected
    ]
    if problems:
        raise QuestionnaireInvalid(problems)
    if screening_round.status != ScreeningRound.Status.OPEN:
        raise QuestionnaireInvalid([Problem(SHEET, None, None, _("Die Screening-Runde ist abgeschlossen."))])
    municipalities = _municipality_lookup(screening_round)
    areas = {a.code: a for a in TaskArea.objects.all()}
    ideas = {i.key: i for i in IkzIdea.objects.all()}
    allowed: dict[int, bool] = {}
    seen: dict[tuple[int, int], int] = {}
    checked: list[dict[str, Any]] = []
    for row_number, values in enumerate(rows, start=2):
        row_problems, data = _check_row(
            values=list(values),
            row=row_number,
            by=by,
            municipalities=municipalities,
            areas=areas,
            ideas=ideas,
            allowed=allowed,
        )
        problems += row_problems
        if data is None:
            continue
        key = (data["municipality"].pk, data["task_area"].pk)
        if key in seen:
            problems.append(
                Problem(
                    SHEET,
                    row_number,
                    _letter("code"),
                    _("Der Aufgabenbereich steht für diese Kommune schon in Zeile %(row)d.") % {"row": seen[key]},
                )
            )
            continue
        seen[key] = row_number
        checked.append(data)
    if problems:
        raise QuestionnaireInvalid(problems)
    if not checked:
        raise QuestionnaireInvalid([Problem(SHEET, None, None, _("Der Fragebogen enthält keine Antworten."))])
    return checked


@transaction.atomic
def declaration_import(*, screening_round: ScreeningRound, file: IO[bytes], by: Any) -> ImportResult:
    """Import a questionnaire: every row is checked first; one problem and nothing is imported."""
    checked = questionnaire_check(screening_round=screening_round, file=file, by=by)
    existing = set(
        InterestDeclaration.objects.filter(round=screening_round)
        .filter(Q(municipality__in={d["municipality"] for d in checked}))
        .values_list("municipality_id", "task_area_id")
    )
    created = 0
    for data in checked:
        declaration_record(screening_round=screening_round, by=by, source=InterestDeclaration.Source.IMPORT, **data)
        created += (data["municipality"].pk, data["task_area"].pk) not in existing
    return ImportResult(rows=len(checked), created=created, updated=len(checked) - created)
