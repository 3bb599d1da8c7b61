from .choices import CentreStep, Kind, KindGroup, ProcedureType, Regime
from .planning import PlanningItem, PlanningTalk
from .procedure import AwardCriterion, BidderQuestion, Lot, Offer, OfferScore, Procedure, StepTime
from .reference import EUThreshold, LegalPeriod, ProcedureTypeHours, ValueLimit

__all__ = [
    "AwardCriterion",
    "BidderQuestion",
    "CentreStep",
    "EUThreshold",
    "Kind",
    "KindGroup",
    "LegalPeriod",
    "Lot",
    "Offer",
    "OfferScore",
    "PlanningItem",
    "PlanningTalk",
    "Procedure",
    "ProcedureType",
    "ProcedureTypeHours",
    "Regime",
    "StepTime",
    "ValueLimit",
]
