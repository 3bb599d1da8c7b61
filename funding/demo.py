"""Demo content of the funding domain for `seed_demo` (idempotent)."""


def funding_demo_seed() -> None:
    """Nothing yet."""
