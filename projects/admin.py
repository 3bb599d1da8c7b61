from django.contrib import admin
from guardian.admin import GuardedModelAdmin

from projects.models import Anstaltstraeger, AuditEntry, BoardSeat, County, Institution, Membership, Municipality


@admin.register(County)
class CountyAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "ags", "population")
    search_fields = ("name", "ags")


@admin.register(Municipality)
class MunicipalityAdmin(GuardedModelAdmin):
    list_display = ("name", "ags", "kind", "county", "population", "population_is_estimate", "staff_count")
    list_filter = ("county", "kind")
    search_fields = ("name", "ags", "slug")


class AnstaltstraegerInline(admin.TabularInline):
    model = Anstaltstraeger
    extra = 0


class BoardSeatInline(admin.TabularInline):
    model = BoardSeat
    extra = 0


@admin.register(Institution)
class InstitutionAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "slug")
    inlines = [AnstaltstraegerInline, BoardSeatInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "municipality", "institution", "substitute", "absent_from", "absent_until")
    list_filter = ("role", "institution")
    search_fields = ("user__username", "municipality__name")
    raw_id_fields = ("user", "substitute")


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: audit entries cannot be changed or deleted."""

    list_display = ("created_at", "actor", "action", "subject_type", "subject_id", "municipality")
    list_filter = ("action", "subject_type")
    search_fields = ("subject_id", "action", "actor__username")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


from projects import admin_screening  # noqa: E402, F401  (screening models)
