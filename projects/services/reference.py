"""Loading reference data from fixtures/ (idempotent: update or create by natural key)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from projects.models import Anstaltstraeger, BoardSeat, County, Institution, Municipality
from projects.services.organisation import dkz_add_member
from projects.text import german_slug

FIXTURES_DIR = Path(settings.BASE_DIR) / "fixtures"


def read_fixture(name: str) -> Any:
    with open(FIXTURES_DIR / name, encoding="utf-8") as handle:
        return json.load(handle)


@transaction.atomic
def organisation_load_reference(*, path: str = "organisation.json") -> dict[str, int]:
    """Counties, municipalities, DKZs and the supervisory authority from the reference file."""
    data = read_fixture(path)
    counties: dict[str, County] = {}
    for row in data["counties"]:
        county, _ = County.objects.update_or_create(
            slug=row["slug"],
            defaults={
                "name": row["name"],
                "ags": row["ags"],
                "population": row.get("population"),
                "population_year": row.get("population_year"),
            },
        )
        counties[county.slug] = county
    for row in data["municipalities"]:
        Municipality.objects.update_or_create(
            ags=row["ags"],
            defaults={
                "name": row["name"],
                "slug": german_slug(row["name"]),
                "county": counties.get(row["county"]) if row.get("county") else None,
                "kind": row["kind"],
                "population": row.get("population"),
                "population_is_estimate": row.get("population_is_estimate", True),
                "staff_count": row.get("staff_count"),
                "left_county_on": row.get("left_county_on"),
                "rp_supervised": row.get("rp_supervised", False),
            },
        )
    for row in data["institutions"]:
        institution, _ = Institution.objects.update_or_create(
            slug=row["slug"],
            defaults={
                "kind": row["kind"],
                "name": row["name"],
                "stammkapital_per_member": Decimal(row.get("stammkapital_per_member", "0")),
                "supervisory_level": row.get("supervisory_level", ""),
                "statute_amendment_supervision": row.get(
                    "statute_amendment_supervision", Institution.AmendmentSupervision.NOTIFICATION
                ),
                "verwaltungsrat_resolves_first": row.get("verwaltungsrat_resolves_first", False),
                "organisation_form": row.get("organisation_form", Institution.OrganisationForm.JOINT_INSTITUTION),
                "host_municipality": Municipality.objects.get(ags=row["host_ags"]) if row.get("host_ags") else None,
                "steering_body": row.get("steering_body", ""),
                "organisation_note": row.get("organisation_note", ""),
            },
        )
        institution.counties.set([counties[slug] for slug in row["counties"]])
        if institution.kind == Institution.Kind.DKZ and not institution.is_joint_institution:
            # an IKZ office has no owners: members recorded under an earlier form of the fixture are removed
            Anstaltstraeger.objects.filter(dkz=institution).delete()
            BoardSeat.objects.filter(dkz=institution, body=BoardSeat.Body.VERWALTUNGSRAT).delete()
        elif row.get("members") == "all":
            for municipality in Municipality.objects.filter(county__in=institution.counties.all()):
                dkz_add_member(dkz=institution, municipality=municipality)
    return {
        "counties": County.objects.count(),
        "municipalities": Municipality.objects.count(),
        "institutions": Institution.objects.count(),
    }
