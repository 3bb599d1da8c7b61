"""Loading the dated legal reference data of the procurement centre from fixtures/ (idempotent)."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from procurement.models import EUThreshold, LegalPeriod, ProcedureTypeHours, ValueLimit
from projects.services.reference import read_fixture


def _decimal(value):
    return None if value in (None, "") else Decimal(value)


@transaction.atomic
def procurement_load_reference(
    *, limits_path: str = "procurement_limits.json", hours_path: str = "procurement_hours.json"
) -> dict[str, int]:
    """Value limits, EU thresholds, periods and default hours; update or create by natural key.

    Rows an administrator added in the admin (other keys or other start dates) are left alone.
    """
    data = read_fixture(limits_path)
    for row in data["value_limits"]:
        ValueLimit.objects.update_or_create(
            regime=row["regime"],
            kind_group=row["kind_group"],
            procedure_type=row["procedure_type"],
            housing=row["housing"],
            valid_from=row["valid_from"],
            defaults={
                "valid_to": row["valid_to"],
                "max_value": _decimal(row["max_value"]),
                "max_inclusive": row["max_inclusive"],
                "condition": row["condition"],
                "per_trade_lot": row.get("per_trade_lot", False),
                "legal_basis": row["legal_basis"],
            },
        )
    for row in data["eu_thresholds"]:
        EUThreshold.objects.update_or_create(
            kind_group=row["kind_group"],
            valid_from=row["valid_from"],
            defaults={"valid_to": row["valid_to"], "amount": Decimal(row["amount"]), "legal_basis": row["legal_basis"]},
        )
    for row in data["periods"]:
        LegalPeriod.objects.update_or_create(
            purpose=row["purpose"],
            procedure_type=row["procedure_type"],
            electronic=row["electronic"],
            urgent=row.get("urgent", False),
            valid_from=row["valid_from"],
            defaults={
                "valid_to": row["valid_to"],
                "days": row["days"],
                "unit": row.get("unit", LegalPeriod.Unit.DAYS),
                "moves_to_working_day": row.get("moves_to_working_day", True),
                "legal_basis": row["legal_basis"],
            },
        )
    for row in read_fixture(hours_path)["procedure_type_hours"]:
        ProcedureTypeHours.objects.update_or_create(
            procedure_type=row["procedure_type"],
            valid_from=row["valid_from"],
            defaults={"valid_to": row["valid_to"], "step_hours": row["step_hours"], "legal_basis": row["legal_basis"]},
        )
    return {
        "value_limits": ValueLimit.objects.count(),
        "eu_thresholds": EUThreshold.objects.count(),
        "periods": LegalPeriod.objects.count(),
        "hours": ProcedureTypeHours.objects.count(),
    }
