"""Demo content of the procurement domain for `seed_demo` (idempotent)."""


def procurement_demo_seed() -> None:
    """Nothing yet."""
