"""Who sees which cost data, through pages, files and the API."""

import csv
import io
from decimal import Decimal

import pytest
from django.http import Http404
from django.urls import reverse
from openpyxl import load_workbook

from costs.selectors import cost_centre_list_for_user, statement_for_user

pytestmark = pytest.mark.django_db


def _statement_url(year, municipality, fmt=""):
    url = reverse("costs:statement", args=[year, municipality.pk])
    return f"{url}?format={fmt}" if fmt else url


def test_member_sees_only_its_own_statement(client, users, muni):
    ronneburg, neuberg = muni("Ronneburg"), muni("Neuberg")
    client.force_login(users["sb.ronneburg"])
    own = client.get(_statement_url(2024, ronneburg))
    assert own.status_code == 200
    assert "Interkommunales Vergabezentrum" in own.content.decode()
    assert client.get(_statement_url(2024, neuberg)).status_code == 404
    with pytest.raises(Http404):
        statement_for_user(user=users["bm.ronneburg"], municipality_pk=neuberg.pk, year=2024)


def test_controller_sees_every_statement_of_the_county_and_other_counties_get_404(client, users, muni):
    client.force_login(users["controlling.mkk"])
    for name in ("Ronneburg", "Maintal", "Main-Kinzig-Kreis"):
        assert client.get(_statement_url(2024, muni(name))).status_code == 200
    assert client.get(_statement_url(2024, muni("Trebur"))).status_code == 404
    client.force_login(users["controlling.gg"])
    assert client.get(_statement_url(2024, muni("Ronneburg"))).status_code == 404
    client.force_login(users["bm.trebur"])
    assert client.get(_statement_url(2024, muni("Ronneburg"))).status_code == 404


def test_dkz_staff_without_the_controller_capability_cannot_open_statements(client, users, muni):
    client.force_login(users["vergabe.mkk"])
    assert client.get(_statement_url(2024, muni("Ronneburg"))).status_code == 404


def test_other_county_sees_none_of_the_centres(users):
    assert not cost_centre_list_for_user(user=users["controlling.gg"]).exists()
    assert not cost_centre_list_for_user(user=users["bm.trebur"]).exists()
    codes = set(cost_centre_list_for_user(user=users["bm.maintal"]).values_list("code", flat=True))
    assert "vergabezentrum" in codes and "ozg" not in codes


def test_statement_files_pdf_xlsx_csv_carry_the_members_figures(client, users, muni):
    ronneburg = muni("Ronneburg")
    client.force_login(users["bm.ronneburg"])
    pdf = client.get(_statement_url(2024, ronneburg, "pdf"))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")

    page = client.get(reverse("api-costs-statements"), {"year": 2024, "municipality": ronneburg.pk}).json()
    lines = {line["centre_name"]: line for line in page["statements"][0]["lines"]}

    rows = list(
        csv.reader(io.StringIO(client.get(_statement_url(2024, ronneburg, "csv")).content.decode()), delimiter=";")
    )
    assert rows[0][:4] == ["Jahr", "AGS", "Kommune", "Kostenstelle"]
    by_centre = {row[3]: row for row in rows[1:]}
    assert set(by_centre) == set(lines)
    for name, line in lines.items():
        assert by_centre[name][1] == ronneburg.ags
        assert by_centre[name][5] == line["plan_contribution"].replace(".", ",")

    sheet = load_workbook(io.BytesIO(client.get(_statement_url(2024, ronneburg, "xlsx")).content)).active
    values = {row[0]: row[2] for row in sheet.iter_rows(min_row=4, values_only=True) if row and row[0] in lines}
    assert {k: Decimal(str(v)).quantize(Decimal("0.01")) for k, v in values.items()} == {
        k: Decimal(v["plan_contribution"]) for k, v in lines.items()
    }


def test_api_centres_lists_the_visible_centres_with_their_agreement(client, users):
    client.force_login(users["controlling.mkk"])
    data = client.get(reverse("api-costs-centres")).json()
    centres = {c["code"]: c for c in data["results"]}
    assert {"vergabezentrum", "datenschutz", "ozg"} <= set(centres)
    vgz = centres["vergabezentrum"]
    assert len(vgz["members"]) == 18
    assert vgz["agreement"]["allocation_key"] == "hours"
    assert Decimal(vgz["agreement"]["sockel_minimum"]) == Decimal("3000")
    assert vgz["agreement"]["startup_years"] == [2024, 2025]
    client.force_login(users["controlling.gg"])
    assert client.get(reverse("api-costs-centres")).json()["results"] == []


def test_api_plan_rows_add_up_and_show_the_rounding_rule(client, users):
    client.force_login(users["controlling.mkk"])
    centre = next(c for c in client.get(reverse("api-costs-centres")).json()["results"] if c["code"] == "ozg")
    data = client.get(reverse("api-costs-plans"), {"year": 2024, "centre": centre["id"]}).json()
    rows = {r["municipality"]["name"]: r for r in data["rows"]}
    assert {k: r["contribution_teur"] for k, r in rows.items()} == {
        "Großkrotzenburg": "26.8",
        "Ronneburg": "37.9",
        "Neuberg": "38.5",
    }
    assert sum(Decimal(r["contribution"]) for r in rows.values()) == Decimal(data["totals"]["budget"])
    assert Decimal(data["totals"]["budget"]) == Decimal("103200")
    assert Decimal(rows["Neuberg"]["inputs"]["units:ozg"]) == 115
    assert "größten Reste" in data["rounding_rule"]
    assert Decimal(rows["Ronneburg"]["payable"]) == Decimal(rows["Ronneburg"]["contribution"])


def test_api_plan_for_a_member_holds_only_its_own_row(client, users):
    client.force_login(users["bm.neuberg"])
    centre = next(c for c in client.get(reverse("api-costs-centres")).json()["results"] if c["code"] == "ozg")
    data = client.get(reverse("api-costs-plans"), {"year": 2024, "centre": centre["id"]}).json()
    assert [r["municipality"]["name"] for r in data["rows"]] == ["Neuberg"]


def test_api_errors_are_json(client, users, centre):
    client.force_login(users["controlling.gg"])
    missing = client.get(reverse("api-costs-plans"), {"year": 2024})
    assert missing.status_code == 400 and "centre" in missing.json()["errors"]
    hidden = client.get(reverse("api-costs-plans"), {"year": 2024, "centre": centre("ozg").pk})
    assert hidden.status_code == 404 and hidden.json()["detail"]
    client.force_login(users["controlling.mkk"])
    no_plan = client.get(reverse("api-costs-plans"), {"year": 2031, "centre": centre("ozg").pk})
    assert no_plan.status_code == 400 and "PLAN-Budget" in str(no_plan.json()["errors"])


def test_api_statements_for_the_controller_cover_the_county(client, users, muni):
    client.force_login(users["controlling.mkk"])
    data = client.get(reverse("api-costs-statements"), {"year": 2024}).json()
    names = {s["municipality"]["name"] for s in data["statements"]}
    assert {"Ronneburg", "Maintal", "Linsengericht"} <= names and "Trebur" not in names
    linsengericht = next(s for s in data["statements"] if s["municipality"]["name"] == "Linsengericht")
    assert linsengericht["lines"] == []
    client.force_login(users["sb.neuberg"])
    data = client.get(reverse("api-costs-statements"), {"year": 2024}).json()
    assert [s["municipality"]["name"] for s in data["statements"]] == ["Neuberg"]
    assert (
        client.get(reverse("api-costs-statements"), {"year": 2024, "municipality": muni("Ronneburg").pk}).status_code
        == 404
    )


def test_plan_page_shows_the_computed_values(client, users, centre):
    client.force_login(users["controlling.mkk"])
    response = client.get(reverse("costs:plan", args=[centre("vergabezentrum").pk, 2024]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "1.140.000,00 €" in body
    assert "Mindestbetrag" in body
    assert client.get(reverse("costs:index")).status_code == 200
