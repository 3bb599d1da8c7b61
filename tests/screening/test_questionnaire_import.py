"""XLSX questionnaire: template pre-filled with the catalogue, all-or-nothing import with positioned problems."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from projects.models import AuditEntry, InterestDeclaration, Municipality, ScreeningRound, TaskArea
from projects.services.screening_import import QuestionnaireInvalid, declaration_import, questionnaire_template

pytestmark = pytest.mark.django_db


@pytest.fixture
def mkk_round():
    return ScreeningRound.objects.get(county__slug="mkk", name="MKK 2023")


@pytest.fixture
def ronneburg():
    return Municipality.objects.get(slug="ronneburg")


def _workbook(screening_round, municipality):
    return load_workbook(io.BytesIO(questionnaire_template(screening_round=screening_round, municipality=municipality)))


def _row_of(sheet, code):
    for row in range(2, sheet.max_row + 1):
        if sheet.cell(row, 2).value == code:
            return row
    raise AssertionError(code)


def _answer(sheet, code, interest="ja", urgency=None, complexity=None, proposals=None):
    row = _row_of(sheet, code)
    sheet.cell(row, 5).value = interest
    sheet.cell(row, 6).value = urgency
    sheet.cell(row, 7).value = complexity
    sheet.cell(row, 8).value = proposals
    return row


def _file(book):
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return buffer


def _declarations(screening_round, municipality):
    return InterestDeclaration.objects.filter(round=screening_round, municipality=municipality)


def test_template_lists_every_active_task_area_pre_filled_with_the_municipality(mkk_round, ronneburg):
    sheet = _workbook(mkk_round, ronneburg)["Fragebogen"]
    codes = [sheet.cell(row, 2).value for row in range(2, sheet.max_row + 1)]
    assert codes == list(TaskArea.objects.filter(is_active=True).order_by("code").values_list("code", flat=True))
    assert len(codes) >= 140
    assert {sheet.cell(row, 1).value for row in range(2, sheet.max_row + 1)} == {ronneburg.ags}


def test_clerk_imports_a_valid_questionnaire(mkk_round, ronneburg, users):
    book = _workbook(mkk_round, ronneburg)
    sheet = book["Fragebogen"]
    _answer(sheet, "10.21", "ja", 9, 3, "Gemeinsame/r Datenschutzbeauftragte/r mit Nachbarkommunen")
    _answer(sheet, "34.03", "ja", "7", None)  # a number typed as text is still a number
    _answer(sheet, "68.02", "nein")
    sheet.cell(_row_of(sheet, "10.35"), 9).value = "vergabezentrum"
    sheet.cell(_row_of(sheet, "10.35"), 5).value = "ja"
    sheet.cell(_row_of(sheet, "10.35"), 6).value = 8
    result = declaration_import(screening_round=mkk_round, file=_file(book), by=users["sb.ronneburg"])

    assert result.rows == 4
    saved = {d.task_area.code: d for d in _declarations(mkk_round, ronneburg)}
    assert (saved["10.21"].interested, saved["10.21"].urgency, saved["10.21"].complexity) == (True, 9, 3)
    assert saved["10.21"].proposals.startswith("Gemeinsame")
    assert saved["34.03"].urgency == 7
    assert saved["68.02"].interested is False
    assert saved["10.35"].idea.key == "vergabezentrum"
    assert {d.source for d in saved.values() if d.task_area.code in {"10.21", "34.03", "68.02", "10.35"}} == {"import"}
    assert (
        AuditEntry.objects.filter(
            action="screening.declaration_saved", municipality=ronneburg, actor=users["sb.ronneburg"]
        ).count()
        >= 4
    )


@pytest.mark.parametrize(
    ("column", "value", "expected_column", "fragment"),
    [
        (6, 11, "F", "zwischen 1 und 10"),
        (2, "99.99", "B", "Unbekannter Aufgabenbereich „99.99“"),
        (1, None, "A", "Die Kommune fehlt"),
        (6, "sehr hoch", "F", "ganze Zahl"),
    ],
    ids=["urgency-11", "unknown-code", "missing-municipality", "text-in-number-cell"],
)
def test_one_bad_row_imports_nothing_and_names_its_position(
    mkk_round, ronneburg, users, column, value, expected_column, fragment
):
    before = list(_declarations(mkk_round, ronneburg).values_list("pk", "urgency"))
    book = _workbook(mkk_round, ronneburg)
    sheet = book["Fragebogen"]
    _answer(sheet, "10.21", "ja", 9)
    bad_row = _answer(sheet, "11.02", "ja", 5)
    sheet.cell(bad_row, column).value = value

    with pytest.raises(QuestionnaireInvalid) as caught:
        declaration_import(screening_round=mkk_round, file=_file(book), by=users["sb.ronneburg"])

    problems = caught.value.problems
    assert [(p.sheet, p.row, p.column) for p in problems] == [("Fragebogen", bad_row, expected_column)]
    assert fragment in problems[0].message
    assert f"Zeile {bad_row}, Spalte {expected_column}" in caught.value.messages[0]
    assert list(_declarations(mkk_round, ronneburg).values_list("pk", "urgency")) == before


def test_every_problem_of_a_questionnaire_is_reported_at_once(mkk_round, ronneburg, users):
    book = _workbook(mkk_round, ronneburg)
    sheet = book["Fragebogen"]
    row_a = _answer(sheet, "10.21", "ja", 11)
    row_b = _answer(sheet, "11.02", "ja", "hoch", 12)
    row_c = _answer(sheet, "20.03", "vielleicht", 4)
    with pytest.raises(QuestionnaireInvalid) as caught:
        declaration_import(screening_round=mkk_round, file=_file(book), by=users["sb.ronneburg"])
    assert {(p.row, p.column) for p in caught.value.problems} == {
        (row_a, "F"),
        (row_b, "F"),
        (row_b, "G"),
        (row_c, "E"),
    }


def test_a_workbook_without_the_questionnaire_sheet_is_rejected(mkk_round, ronneburg, users):
    book = _workbook(mkk_round, ronneburg)
    book["Fragebogen"].title = "Tabelle1"
    with pytest.raises(QuestionnaireInvalid) as caught:
        declaration_import(screening_round=mkk_round, file=_file(book), by=users["sb.ronneburg"])
    (problem,) = caught.value.problems
    assert problem.sheet == "Tabelle1"
    assert "„Fragebogen“ fehlt" in problem.message


def test_a_clerk_cannot_import_for_another_municipality(mkk_round, users):
    neuberg = Municipality.objects.get(slug="neuberg")
    before = _declarations(mkk_round, neuberg).count()
    book = _workbook(mkk_round, neuberg)
    row = _answer(book["Fragebogen"], "10.21", "ja", 9)
    with pytest.raises(QuestionnaireInvalid) as caught:
        declaration_import(screening_round=mkk_round, file=_file(book), by=users["sb.ronneburg"])
    assert [(p.row, p.column) for p in caught.value.problems] == [(row, "A")]
    assert "Neuberg" in caught.value.problems[0].message
    assert _declarations(mkk_round, neuberg).count() == before


def test_a_municipality_of_another_county_is_rejected(mkk_round, users):
    book = _workbook(mkk_round, Municipality.objects.get(slug="raunheim"))
    row = _answer(book["Fragebogen"], "10.21", "ja", 9)
    with pytest.raises(QuestionnaireInvalid) as caught:
        declaration_import(screening_round=mkk_round, file=_file(book), by=users["pm.mkk"])
    assert [(p.row, p.column) for p in caught.value.problems] == [(row, "A")]
