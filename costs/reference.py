"""Loading the costs reference data from fixtures/ (idempotent): full-cost rates and seed plan inputs."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction

from costs.models import PayGroupRate, PersonnelCost, YearPlan
from costs.services import cost_centre_ensure, plan_quantity_set, year_plan_publish, year_plan_set
from projects.models import Institution, Municipality
from projects.services.reference import read_fixture


def _date(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


@transaction.atomic
def pay_group_rate_load_reference(*, path: str = "costs_rates.json") -> int:
    """Full-cost rates per pay group and period; rows are matched by (pay group, valid from)."""
    rows = read_fixture(path)["rates"]
    for row in rows:
        PayGroupRate.objects.update_or_create(
            pay_group=row["pay_group"],
            valid_from=datetime.date.fromisoformat(row["valid_from"]),
            defaults={
                "valid_to": _date(row.get("valid_to")),
                "personnel_cost": Decimal(row["personnel_cost"]),
                "material_cost": Decimal(row["material_cost"]),
                "overhead_percent": Decimal(row["overhead_percent"]),
                "annual_hours": Decimal(row["annual_hours"]),
                "source": row.get("source", ""),
            },
        )
    return len(rows)


@transaction.atomic
def personnel_cost_load_reference(*, path: str = "costs_rates.json") -> int:
    """Personnel cost of a position per pay group and step; rows are matched by (pay group, step, valid from)."""
    rows = read_fixture(path).get("personnel_costs", [])
    for row in rows:
        PersonnelCost.objects.update_or_create(
            pay_group=row["pay_group"],
            step=int(row["step"]),
            valid_from=datetime.date.fromisoformat(row["valid_from"]),
            defaults={
                "valid_to": _date(row.get("valid_to")),
                "monthly_pay": Decimal(row["monthly_pay"]),
                "special_payment_percent": Decimal(row["special_payment_percent"]),
                "employer_share_percent": Decimal(row["employer_share_percent"]),
                "source": row.get("source", ""),
            },
        )
    return len(rows)


@transaction.atomic
def plan_inputs_load(*, path: str = "costs_plan_2024.json", by: Any = None) -> list[str]:
    """Cost centres, agreements, budgets and key inputs of a plan year (inputs only, never results), published."""
    data = read_fixture(path)
    dkz = Institution.objects.get(slug=data["dkz"], kind=Institution.Kind.DKZ)
    year = int(data["year"])
    codes = []
    for spec in data["centres"]:
        members = {
            name: Municipality.objects.get(name=name, county__in=dkz.counties.all()) for name in spec["quantities"]
        }
        centre = cost_centre_ensure(
            dkz=dkz,
            code=spec["code"],
            name=spec["name"],
            members=members.values(),
            allocation_key=spec["allocation_key"],
            valid_from=datetime.date.fromisoformat(spec["valid_from"]),
            valid_to=_date(spec.get("valid_to")),
            rate_pay_group=spec.get("rate_pay_group", ""),
            effort_pay_step=spec.get("effort_pay_step"),
            staff_per_fte=Decimal(spec["staff_per_fte"]) if spec.get("staff_per_fte") else None,
            base_amount=Decimal(spec.get("base_amount", "0")),
            sockel_share_percent=Decimal(spec.get("sockel_share_percent", "0")),
            sockel_minimum=Decimal(spec.get("sockel_minimum", "0")),
            startup_years=spec.get("startup_years", []),
            note=spec.get("note", ""),
            by=by,
        )
        budget = spec.get("budget")
        year_plan_set(centre=centre, year=year, budget=Decimal(budget) if budget is not None else None, by=by)
        for name, values in spec["quantities"].items():
            for key, quantity in values.items():
                plan_quantity_set(
                    centre=centre,
                    year=year,
                    municipality=members[name],
                    key=key,
                    quantity=Decimal(str(quantity)),
                    by=by,
                )
        if YearPlan.objects.filter(centre=centre, year=year, published_at__isnull=True).exists():
            year_plan_publish(centre=centre, year=year, by=by)  # the seed's plans are the members' current plans
        codes.append(centre.code)
    return codes
