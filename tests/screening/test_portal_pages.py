"""The screening pages: who sees what, declaring in the portal, exports, chart, inventory and status report."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from projects.models import (
    AuditEntry,
    Case,
    InterestDeclaration,
    InventoryEntry,
    InventoryTopic,
    Municipality,
    ScreeningRound,
    TaskArea,
)
from projects.services.screening_analysis import bundle_analysis

pytestmark = pytest.mark.django_db


@pytest.fixture
def mkk_round():
    return ScreeningRound.objects.get(county__slug="mkk", name="MKK 2023")


def _login(client, users, username):
    client.force_login(users[username])
    return client


def test_project_manager_sees_ranking_chart_and_case_buttons(client, users, mkk_round):
    page = _login(client, users, "pm.mkk").get(f"/screening/rounds/{mkk_round.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Nutzwertanalyse und Rangfolge" in html
    assert "<svg" in html and "kreisweit" in html and "bilateral" in html
    assert "IKZ-Vorgang starten" in html


def test_clerk_sees_no_analysis_but_can_declare(client, users, mkk_round):
    _login(client, users, "sb.ronneburg")
    html = client.get(f"/screening/rounds/{mkk_round.pk}/").content.decode()
    assert "Nutzwertanalyse und Rangfolge" not in html
    assert "Interessen bekunden" in html
    assert client.get(f"/screening/rounds/{mkk_round.pk}/analysis.xlsx").status_code == 403


def test_clerk_declares_interest_in_the_portal(client, users, mkk_round):
    ronneburg = Municipality.objects.get(slug="ronneburg")
    area = TaskArea.objects.get(code="37.03")
    response = _login(client, users, "sb.ronneburg").post(
        f"/screening/rounds/{mkk_round.pk}/declarations/",
        {
            "municipality": ronneburg.pk,
            "task_area": area.pk,
            "interested": "1",
            "urgency": "6",
            "complexity": "4",
            "proposals": "Gemeinsamer Krisenstab",
        },
    )
    assert response.status_code == 302
    saved = InterestDeclaration.objects.get(round=mkk_round, municipality=ronneburg, task_area=area)
    assert (saved.interested, saved.urgency, saved.complexity, saved.source) == (True, 6, 4, "portal")
    assert AuditEntry.objects.filter(action="screening.declaration_saved", subject_id=str(saved.pk)).exists()


def test_clerk_cannot_declare_for_another_municipality_in_the_portal(client, users, mkk_round):
    neuberg = Municipality.objects.get(slug="neuberg")
    response = _login(client, users, "sb.ronneburg").post(
        f"/screening/rounds/{mkk_round.pk}/declarations/",
        {
            "municipality": neuberg.pk,
            "task_area": TaskArea.objects.get(code="37.03").pk,
            "interested": "1",
            "urgency": "6",
        },
    )
    assert response.status_code == 400
    assert not InterestDeclaration.objects.filter(round=mkk_round, municipality=neuberg, task_area__code="37.03")


def test_portal_import_lists_problems_in_german(client, users, mkk_round):
    _login(client, users, "sb.ronneburg")
    template = client.get(f"/screening/rounds/{mkk_round.pk}/questionnaire.xlsx")
    book = load_workbook(io.BytesIO(template.content))
    sheet = book["Fragebogen"]
    sheet["E2"], sheet["F2"] = "ja", 11
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    buffer.name = "fragebogen.xlsx"
    response = client.post(f"/screening/rounds/{mkk_round.pk}/declarations/", {"file": buffer})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Blatt „Fragebogen“, Zeile 2, Spalte F (Dringlichkeit (1–10))" in body
    assert "zwischen 1 und 10" in body


def test_analysis_exports_xlsx_pdf_and_svg(client, users, mkk_round):
    _login(client, users, "pm.mkk")
    rows = bundle_analysis(screening_round=mkk_round)
    xlsx = client.get(f"/screening/rounds/{mkk_round.pk}/analysis.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content))["Nutzwertanalyse"]
    assert [sheet.cell(3 + i, 2).value for i in range(len(rows))] == [r.name for r in rows]
    assert [sheet.cell(3 + i, 5).value for i in range(len(rows))] == [r.total for r in rows]
    pdf = client.get(f"/screening/rounds/{mkk_round.pk}/analysis.pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    svg = client.get(f"/screening/rounds/{mkk_round.pk}/analysis.svg").content.decode()
    assert svg.count('<rect x="240"') == len(rows)
    assert f"{rows[0].score} · {rows[0].route_label}" in svg  # route as text, not colour alone


def test_case_start_page_preselects_interested_and_creates_the_case(client, users, mkk_round):
    row = next(r for r in bundle_analysis(screening_round=mkk_round) if r.name == "Abwasser")
    _login(client, users, "pm.mkk")
    page = client.get(f"/screening/rounds/{mkk_round.pk}/bundles/{row.code}/case/").content.decode()
    assert page.count(" checked") == row.total
    response = client.post(
        f"/screening/rounds/{mkk_round.pk}/bundles/{row.code}/case/",
        {"municipalities": [str(pk) for pk in row.municipality_ids]},
    )
    assert response.status_code == 302
    case = Case.objects.filter(source=Case.Source.SCREENING, title="Abwasser").latest("created_at")
    assert set(case.participants.values_list("municipality_id", flat=True)) == set(row.municipality_ids)


def test_inventory_of_groß_gerau_shows_seed_002_and_records_changes(client, users):
    _login(client, users, "pm.gg")
    html = client.get("/screening/inventory/gg/").content.decode()
    assert "Postverbund" in html and "DV-Leistungen für Kommunen" in html
    ekom = InventoryTopic.objects.get(name="DV-Leistungen für Kommunen")
    assert InventoryEntry.objects.filter(topic=ekom, state="existing").count() == 15
    assert InventoryEntry.objects.get(topic__name="Rechtsamt").is_lead
    trebur = Municipality.objects.get(slug="trebur")
    postverbund = InventoryTopic.objects.get(name="Postverbund")
    response = client.post(
        "/screening/inventory/gg/",
        {"topic": postverbund.pk, "municipality": trebur.pk, "state": "expected", "note": "Vertrag in Vorbereitung"},
    )
    assert response.status_code == 302
    assert InventoryEntry.objects.get(topic=postverbund, municipality=trebur).state == "expected"
    assert "Vertrag in Vorbereitung" in client.get("/screening/inventory/gg/").content.decode()
    export = client.get("/screening/inventory/gg/?format=xlsx")
    sheet = load_workbook(io.BytesIO(export.content))["Bestandsaufnahme"]
    header = [c.value for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[1] == "Postverbund")
    assert row[header.index("Trebur")] == "◆"


def test_inventory_of_another_county_is_not_found(client, users):
    assert _login(client, users, "pm.mkk").get("/screening/inventory/gg/").status_code == 404


def test_inventory_of_another_municipality_is_refused_with_403_and_nothing_changes(client, users):
    ronneburg = Municipality.objects.get(slug="ronneburg")
    postverbund = InventoryTopic.objects.get(name="Postverbund")
    entries, audit = InventoryEntry.objects.count(), AuditEntry.objects.count()
    for username in ("sb.neuberg", "bm.ronneburg", "vergabe.mkk"):  # another municipality, no declare_interest, DKZ
        response = _login(client, users, username).post(
            "/screening/inventory/mkk/", {"topic": postverbund.pk, "municipality": ronneburg.pk, "state": "expected"}
        )
        assert response.status_code == 403
        assert "Bestandsaufnahme dieser Kommune nicht ändern" in response.content.decode()
    assert (InventoryEntry.objects.count(), AuditEntry.objects.count()) == (entries, audit)


def test_status_report_counts_cases_per_stage_and_renders_as_pdf(client, users):
    _login(client, users, "pm.mkk")
    html = client.get("/screening/steering/mkk/").content.decode()
    assert "Vorgänge je Phase" in html and "Mitglieder der Lenkungsgruppe" in html
    pdf = client.get("/screening/steering/mkk/?format=pdf")
    assert pdf.content.startswith(b"%PDF")
