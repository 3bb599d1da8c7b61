"""Loading funding programmes and their dated rule versions from fixtures/ (idempotent)."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from funding.models import AmountTier, Programme, ProgrammeRule
from projects.services.reference import read_fixture

RULE_FIELDS = (
    "version",
    "valid_to",
    "method",
    "min_partners",
    "exception_min_partners",
    "min_duration_years",
    "max_duration_years",
    "min_saving_percent",
    "amount_min",
    "amount_max",
    "max_rate_percent",
    "amount_per_gvv_member",
    "amount_per_fire_brigade",
    "feasibility_repayable",
    "drawdown_months",
    "proof_of_use_months",
    "interest_points_above_base",
    "source",
)
DECIMAL_FIELDS = {
    "min_saving_percent",
    "amount_min",
    "amount_max",
    "max_rate_percent",
    "amount_per_gvv_member",
    "amount_per_fire_brigade",
    "interest_points_above_base",
}


def _value(field: str, value):
    if field in DECIMAL_FIELDS and value is not None:
        return Decimal(str(value))
    return value


@transaction.atomic
def funding_load_reference(*, path: str = "funding_programmes.json") -> dict[str, int]:
    """Programmes, rule versions (keyed by programme and valid_from) and their amount tiers."""
    data = read_fixture(path)
    for row in data["programmes"]:
        programme, _ = Programme.objects.update_or_create(
            code=row["code"],
            defaults={key: row.get(key, "") for key in ("name", "funder", "advice", "channel", "description")}
            | {"reminder_lead_days": row.get("reminder_lead_days", 28)},
        )
        for rule_row in row["rules"]:
            rule, _ = ProgrammeRule.objects.update_or_create(
                programme=programme,
                valid_from=rule_row["valid_from"],
                defaults={field: _value(field, rule_row.get(field)) for field in RULE_FIELDS if field in rule_row},
            )
            rule.tiers.all().delete()
            AmountTier.objects.bulk_create(
                AmountTier(
                    rule=rule,
                    partners_from=tier["partners_from"],
                    partners_to=tier.get("partners_to"),
                    amount=Decimal(tier["amount"]),
                    exception_only=tier.get("exception_only", False),
                )
                for tier in rule_row.get("tiers", [])
            )
    return {"programmes": Programme.objects.count(), "rules": ProgrammeRule.objects.count()}
