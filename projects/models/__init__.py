from .audit import AuditEntry
from .organisation import Anstaltstraeger, BoardSeat, County, Institution, Membership, Municipality

__all__ = [
    "Anstaltstraeger",
    "AuditEntry",
    "BoardSeat",
    "County",
    "Institution",
    "Membership",
    "Municipality",
]
