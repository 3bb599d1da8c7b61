"""Demo content of the screening (idempotent)."""


def screening_demo_seed() -> None:
    """Nothing yet."""
