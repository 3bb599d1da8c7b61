from .audit import AuditEntry
from .cases import (
    Approval,
    Case,
    CaseComment,
    CaseDocument,
    CaseParticipant,
    Consent,
    CouncilResolution,
    ProjectOrder,
    StatuteAmendment,
    StatuteTask,
    SupervisoryDecision,
    TaskTransfer,
)
from .organisation import Anstaltstraeger, BoardSeat, County, Institution, Membership, Municipality

__all__ = [
    "Approval",
    "Case",
    "CaseComment",
    "CaseDocument",
    "CaseParticipant",
    "Consent",
    "CouncilResolution",
    "ProjectOrder",
    "StatuteAmendment",
    "StatuteTask",
    "SupervisoryDecision",
    "TaskTransfer",
    "Anstaltstraeger",
    "AuditEntry",
    "BoardSeat",
    "County",
    "Institution",
    "Membership",
    "Municipality",
]
