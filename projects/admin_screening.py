"""Admin of the screening: the catalogue, ideas and criteria are reference data edited here."""

from django.contrib import admin

from projects.models import (
    CooperationArea,
    IkzIdea,
    InterestDeclaration,
    InventoryEntry,
    InventoryTopic,
    Milestone,
    PortfolioItem,
    ScoringCriterion,
    ScreeningRound,
    SteeringGroupMember,
    TaskArea,
    TaskBundle,
)


class TaskAreaInline(admin.TabularInline):
    model = TaskArea
    extra = 0
    fields = ("code", "name", "office", "cooperation_area", "is_active")


@admin.register(TaskBundle)
class TaskBundleAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "position")
    search_fields = ("name", "code")
    inlines = [TaskAreaInline]


@admin.register(CooperationArea)
class CooperationAreaAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "position")


@admin.register(TaskArea)
class TaskAreaAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "bundle", "cooperation_area", "office", "is_active")
    list_filter = ("bundle", "cooperation_area", "is_active")
    search_fields = ("code", "name")


@admin.register(IkzIdea)
class IkzIdeaAdmin(admin.ModelAdmin):
    list_display = ("title", "region", "origin", "task_area")
    list_filter = ("region",)
    search_fields = ("title", "description", "origin")
    raw_id_fields = ("task_area",)


class ScoringCriterionInline(admin.TabularInline):
    model = ScoringCriterion
    extra = 0


@admin.register(ScreeningRound)
class ScreeningRoundAdmin(admin.ModelAdmin):
    list_display = ("name", "county", "starts_on", "ends_on", "status", "grouping", "county_wide_share")
    list_filter = ("county", "status")
    filter_horizontal = ("survey_partners",)
    inlines = [ScoringCriterionInline]


@admin.register(InterestDeclaration)
class InterestDeclarationAdmin(admin.ModelAdmin):
    list_display = ("round", "municipality", "task_area", "interested", "urgency", "complexity", "source")
    list_filter = ("round", "interested", "source", "task_area__bundle")
    search_fields = ("municipality__name", "task_area__code", "task_area__name")
    raw_id_fields = ("task_area", "idea", "entered_by")


@admin.register(InventoryTopic)
class InventoryTopicAdmin(admin.ModelAdmin):
    list_display = ("name", "area", "position")
    list_filter = ("area",)


@admin.register(InventoryEntry)
class InventoryEntryAdmin(admin.ModelAdmin):
    list_display = ("topic", "municipality", "state", "is_lead", "case", "updated_at")
    list_filter = ("state", "is_lead", "municipality__county")
    raw_id_fields = ("case", "updated_by")


@admin.register(SteeringGroupMember)
class SteeringGroupMemberAdmin(admin.ModelAdmin):
    list_display = ("name", "function", "county", "municipality", "user")
    list_filter = ("county",)
    raw_id_fields = ("user",)


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0


@admin.register(PortfolioItem)
class PortfolioItemAdmin(admin.ModelAdmin):
    list_display = ("priority", "case", "county")
    list_filter = ("county",)
    raw_id_fields = ("case",)
    inlines = [MilestoneInline]
