"""Demo content of the costs domain for `seed_demo` (idempotent): KGSt rates and the 2024 plan inputs of
seed 000 (Vergabezentrum, data protection, OZG) for the DKZ Main-Kinzig."""

from costs.reference import pay_group_rate_load_reference, personnel_cost_load_reference, plan_inputs_load


def costs_demo_seed() -> None:
    pay_group_rate_load_reference()
    personnel_cost_load_reference()
    plan_inputs_load()
