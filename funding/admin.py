from django.contrib import admin

from funding.models import (
    AmountTier,
    Application,
    ApplicationDocument,
    ApplicationPartner,
    Attribution,
    Deadline,
    DeadlineNotice,
    Decision,
    Drawdown,
    NoticeKey,
    Programme,
    ProgrammeRule,
    ProofOfUse,
    Repayment,
)
from projects.admin_mixins import ReadOnlyAdminMixin


class AmountTierInline(admin.TabularInline):
    model = AmountTier
    extra = 0


class ProgrammeRuleInline(admin.StackedInline):
    model = ProgrammeRule
    extra = 0
    show_change_link = True


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "funder", "is_active")
    search_fields = ("name", "code")
    inlines = [ProgrammeRuleInline]


@admin.register(ProgrammeRule)
class ProgrammeRuleAdmin(admin.ModelAdmin):
    list_display = ("programme", "version", "valid_from", "valid_to", "method")
    list_filter = ("programme", "method")
    inlines = [AmountTierInline]


class PartnerInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ApplicationPartner
    extra = 0
    raw_id_fields = ("municipality",)


class DocumentInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ApplicationDocument
    extra = 0
    raw_id_fields = ("municipality", "added_by")


class DrawdownInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Drawdown
    extra = 0
    raw_id_fields = ("recorded_by",)


class DeadlineInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Deadline
    extra = 0
    fields = ("kind", "label", "due_on", "remind_on", "reminded_at", "escalated_at", "done_on")


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("title", "programme", "county", "state", "eligible_amount", "submitted_on")
    list_filter = ("state", "programme", "county")
    search_fields = ("title",)
    raw_id_fields = ("case", "created_by", "eligible_rule")
    inlines = [PartnerInline, DocumentInline, DrawdownInline, DeadlineInline]


class NoticeKeyInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = NoticeKey
    extra = 0


class AttributionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Attribution
    extra = 0


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("application", "outcome", "decided_on", "amount", "earmark_until")
    list_filter = ("outcome",)
    raw_id_fields = ("application", "recorded_by")
    inlines = [NoticeKeyInline, AttributionInline]


@admin.register(Attribution)
class AttributionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("decision", "municipality", "year", "amount")
    list_filter = ("year",)


@admin.register(Drawdown)
class DrawdownAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("application", "amount", "requested_on", "needed_on", "paid_on")


@admin.register(ProofOfUse)
class ProofOfUseAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("application", "due_on", "submitted_on", "amount_used", "accepted_on")


@admin.register(Repayment)
class RepaymentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("application", "revoked_on", "principal", "interest", "due_on", "paid_on")


@admin.register(Deadline)
class DeadlineAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("application", "kind", "due_on", "reminded_at", "escalated_at", "done_on")
    list_filter = ("kind",)


@admin.register(DeadlineNotice)
class DeadlineNoticeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("deadline", "kind", "created_at")
    list_filter = ("kind",)


@admin.register(ApplicationDocument)
class ApplicationDocumentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("application", "kind", "municipality", "title", "dated")


@admin.register(NoticeKey)
class NoticeKeyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("decision", "municipality", "weight")


@admin.register(AmountTier)
class AmountTierAdmin(admin.ModelAdmin):
    list_display = ("rule", "partners_from", "partners_to", "amount", "exception_only")


@admin.register(ApplicationPartner)
class ApplicationPartnerAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("application", "municipality", "previous_personnel_cost", "previous_material_cost")
