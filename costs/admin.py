from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError

from costs import models
from projects.admin_mixins import ReadOnlyAdminMixin
from projects.services.audit import audit_record


def _locked(obj) -> bool:
    """A row of a settled year (costs.models.LockedYearMixin): corrections are new rows, never edits."""
    if obj is None or not isinstance(obj, models.LockedYearMixin):
        return False
    try:
        obj._check_unlocked()
    except ValidationError:
        return True
    return False


class AuditedAdmin(admin.ModelAdmin):
    """Changes made in the admin are audited like those made through the services; rows of a settled year are
    shown only (neither changed nor deleted)."""

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not _locked(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not _locked(obj)

    def delete_queryset(self, request, queryset):
        """The list's bulk delete: row by row, each checked and audited like a single delete."""
        for obj in queryset:
            if _locked(obj):
                raise PermissionDenied
        for obj in queryset:
            self.delete_model(request, obj)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        changes = {name: form.cleaned_data.get(name) for name in form.changed_data}
        audit_record(actor=request.user, action="costs.admin_saved", subject=obj, changes=changes)

    def delete_model(self, request, obj):
        audit_record(actor=request.user, action="costs.admin_deleted", subject=obj, changes={"text": str(obj)})
        super().delete_model(request, obj)


class MemberInline(admin.TabularInline):
    model = models.CostCentreMember
    extra = 0


class AgreementInline(admin.StackedInline):
    model = models.Agreement
    extra = 0
    can_delete = False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(models.PayGroupRate)
class PayGroupRateAdmin(AuditedAdmin):
    list_display = ["pay_group", "valid_from", "valid_to", "personnel_cost", "hourly_rate"]
    list_filter = ["pay_group"]

    def get_readonly_fields(self, request, obj=None):
        return ["explanation"] if obj is not None else []  # derived from the saved rates


@admin.register(models.PersonnelCost)
class PersonnelCostAdmin(AuditedAdmin):
    list_display = ["pay_group", "step", "valid_from", "valid_to", "monthly_pay", "annual_cost"]
    list_filter = ["pay_group"]

    def get_readonly_fields(self, request, obj=None):
        return ["explanation"] if obj is not None else []  # computed from the saved figures


@admin.register(models.CostCentre)
class CostCentreAdmin(AuditedAdmin):
    list_display = ["name", "code", "dkz"]
    list_filter = ["dkz"]
    search_fields = ["name", "code"]
    inlines = [MemberInline, AgreementInline]
    readonly_fields = ["economic_check"]  # set at the transfer from the case's economic check


@admin.register(models.Agreement)
class AgreementAdmin(AuditedAdmin):
    list_display = ["centre", "version", "valid_from", "valid_to", "allocation_key", "created_at"]
    list_filter = ["centre"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)  # versions are added, never changed


@admin.register(models.YearPlan)
class YearPlanAdmin(AuditedAdmin):
    list_display = ["centre", "year", "budget"]
    list_filter = ["centre", "year"]


@admin.register(models.Quantity)
class QuantityAdmin(AuditedAdmin):
    list_display = ["centre", "year", "municipality", "basis", "key", "quantity"]
    list_filter = ["centre", "year", "basis"]


@admin.register(models.TimeEntry)
class TimeEntryAdmin(AuditedAdmin):
    list_display = ["on", "centre", "municipality", "hours", "activity", "is_correction", "booked_by"]
    list_filter = ["centre", "is_correction"]
    date_hierarchy = "on"


@admin.register(models.ActualCost)
class ActualCostAdmin(AuditedAdmin):
    list_display = ["centre", "year", "amount", "description", "is_correction"]
    list_filter = ["centre", "year"]


@admin.register(models.Prepayment)
class PrepaymentAdmin(AuditedAdmin):
    list_display = ["centre", "year", "municipality", "amount", "received_on"]
    list_filter = ["centre", "year"]


@admin.register(models.FundingCredit)
class FundingCreditAdmin(AuditedAdmin):
    list_display = ["centre", "year", "municipality", "amount", "source_type", "source_id"]
    list_filter = ["centre", "year"]


class SettlementLineInline(admin.TabularInline):
    model = models.SettlementLine
    extra = 0
    can_delete = False

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(models.Settlement)
class SettlementAdmin(admin.ModelAdmin):
    list_display = ["centre", "year", "actual_total", "charged_total", "startup_year", "settled_at"]
    list_filter = ["centre", "year"]
    inlines = [SettlementLineInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # a settlement is replaced by a re-settlement (a new version), never deleted


@admin.register(models.JoinRequest)
class JoinRequestAdmin(admin.ModelAdmin):
    list_display = ("municipality", "centre", "requested_by", "requested_at")
    list_filter = ("centre",)
    raw_id_fields = ("requested_by",)


@admin.register(models.EconomicCheck)
class EconomicCheckAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Recorded only through the case's step (``costs.economic.economic_check_record``): its figures are computed
    there and the cost centre takes its basis; the admin shows it."""

    list_display = ["case", "year", "own_cost", "market_price", "decision", "recorded_at"]
    list_filter = ["decision", "year"]
