"""Demo content of the costs domain for `seed_demo` (idempotent)."""


def costs_demo_seed() -> None:
    """Nothing yet."""
