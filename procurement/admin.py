from django.contrib import admin

from procurement.models import (
    AwardCriterion,
    BidderQuestion,
    EUThreshold,
    LegalPeriod,
    Lot,
    Offer,
    OfferScore,
    PlanningItem,
    PlanningTalk,
    Procedure,
    ProcedureTypeHours,
    StepTime,
    ValueLimit,
)
from projects.admin_mixins import ReadOnlyAdminMixin


@admin.register(ValueLimit)
class ValueLimitAdmin(admin.ModelAdmin):
    list_display = [
        "procedure_type",
        "regime",
        "kind_group",
        "housing",
        "max_value",
        "max_inclusive",
        "valid_from",
        "valid_to",
    ]
    list_filter = ["regime", "kind_group", "housing"]


@admin.register(EUThreshold)
class EUThresholdAdmin(admin.ModelAdmin):
    list_display = ["kind_group", "amount", "valid_from", "valid_to"]


@admin.register(LegalPeriod)
class LegalPeriodAdmin(admin.ModelAdmin):
    list_display = ["purpose", "procedure_type", "electronic", "days", "valid_from", "valid_to"]
    list_filter = ["purpose", "electronic"]


@admin.register(ProcedureTypeHours)
class ProcedureTypeHoursAdmin(admin.ModelAdmin):
    list_display = ["procedure_type", "valid_from", "valid_to"]


class PlanningItemInline(admin.TabularInline):
    model = PlanningItem
    extra = 0


@admin.register(PlanningTalk)
class PlanningTalkAdmin(admin.ModelAdmin):
    list_display = ["municipality", "year", "version", "status"]
    list_filter = ["year", "status", "county"]
    inlines = [PlanningItemInline]


@admin.register(PlanningItem)
class PlanningItemAdmin(admin.ModelAdmin):
    list_display = ["subject", "talk", "kind", "category", "estimated_value", "quarter", "eu", "estimated_hours"]


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Records with legal weight (procedures, offers, scores, awards, hours) change only through their services,
    which check the roles (four-eyes opening, release by another person) and write the audit entry."""


LOT_FIELDS = ("number", "municipality", "title", "estimated_value", "decided_at", "standstill_ends_on", "awarded_at")


class LotInline(admin.TabularInline):
    model = Lot
    extra = 0
    fields = LOT_FIELDS
    readonly_fields = LOT_FIELDS

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Procedure)
class ProcedureAdmin(ReadOnlyAdmin):
    list_display = ["reference", "subject", "municipality", "is_joint", "procedure_type", "eu", "status"]
    list_filter = ["status", "eu", "is_joint", "county"]
    search_fields = ["reference", "subject"]
    inlines = [LotInline]

    def has_delete_permission(self, request, obj=None):
        """Deleting goes through procedure_delete (retention of § 8 Abs. 4 VgV), never the admin."""
        return False


for model in (AwardCriterion, BidderQuestion, Lot, Offer, OfferScore, StepTime):
    admin.site.register(model, ReadOnlyAdmin)
