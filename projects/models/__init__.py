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
    ResolutionDeferral,
    StatuteAmendment,
    StatuteTask,
    SupervisoryDecision,
    TaskTransfer,
)
from .organisation import Anstaltstraeger, BoardSeat, County, Institution, Membership, Municipality
from .screening import *  # noqa: F403  (screening models, listed in screening.__all__)

__all__ = [
    "Approval",
    "Case",
    "CaseComment",
    "CaseDocument",
    "CaseParticipant",
    "Consent",
    "CouncilResolution",
    "ProjectOrder",
    "ResolutionDeferral",
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
