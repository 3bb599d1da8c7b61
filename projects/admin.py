from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group

from projects.admin_mixins import ReadOnlyAdminMixin
from projects.models import Anstaltstraeger, AuditEntry, BoardSeat, County, Institution, Membership, Municipality
from projects.services.audit import audit_record
from projects.services.organisation import role_grant, role_revoke, role_scope_check


@admin.register(County)
class CountyAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "ags", "population")
    search_fields = ("name", "ags")


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    """No per-object permission pages (guardian's): capabilities come only from role groups, kept by the role
    services from the memberships."""

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
    """The institution's statute settings (organisation form, approval or notification of amendments, Verwaltungsrat
    first) and its owners and board decide how cases run: every change made here leaves an audit entry."""

    list_display = ("name", "kind", "slug")
    inlines = [AnstaltstraegerInline, BoardSeatInline]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user,
            action="projects.institution_changed" if change else "projects.institution_created",
            subject=obj,
            changes={name: form.cleaned_data.get(name) for name in form.changed_data},
        )

    def save_formset(self, request, form, formset, change):
        """Owners (Anstaltsträger with their Stammkapital) and board seats added, changed or removed."""
        super().save_formset(request, form, formset, change)
        rows = [("added", o, None) for o in formset.new_objects]
        rows += [("changed", o, fields) for o, fields in formset.changed_objects]
        rows += [("removed", o, None) for o in formset.deleted_objects]
        for what, row, fields in rows:
            audit_record(
                actor=request.user,
                action=f"projects.institution_{formset.model._meta.model_name}_{what}",
                subject=form.instance,
                changes={"row": str(row), **({"fields": list(fields)} if fields else {})},
            )

    def delete_model(self, request, obj):
        audit_record(actor=request.user, action="projects.institution_deleted", subject=obj, changes={"text": str(obj)})
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


class MembershipAdminForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["user", "role", "municipality", "institution"]

    def clean(self):
        cleaned = super().clean() or {}
        if self.instance.pk is None and cleaned.get("role"):
            role_scope_check(
                role=cleaned["role"], municipality=cleaned.get("municipality"), institution=cleaned.get("institution")
            )
        return cleaned


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    """A membership is a role with its capabilities (guardian groups): it is granted and revoked only through the
    services, which keep the groups in step and write the audit entry. A role is changed by revoking it and granting
    the new one; absence and substitute are set by the person on the profile page."""

    form = MembershipAdminForm
    list_display = ("user", "role", "municipality", "institution", "substitute", "absent_from", "absent_until")
    list_filter = ("role", "institution")
    search_fields = ("user__username", "municipality__name")
    raw_id_fields = ("user",)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["user", "role", "municipality", "institution"]
        return ["user", "role", "municipality", "institution", "substitute", "absent_from", "absent_until"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.get_fields(request, obj)

    def has_change_permission(self, request, obj=None):
        return False  # shown; changing a role is revoke + grant

    def save_model(self, request, obj, form, change):
        membership = role_grant(
            user=obj.user, role=obj.role, municipality=obj.municipality, institution=obj.institution, by=request.user
        )
        obj.pk = membership.pk

    def delete_model(self, request, obj):
        role_revoke(membership=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for membership in queryset.select_related("user", "municipality", "institution"):
            role_revoke(membership=membership, by=request.user)


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


class RoleGroupsFromMembershipsUserAdmin(UserAdmin):
    """A person's groups and permissions follow from their memberships (role groups, kept by the role services):
    shown here, changed only by granting or revoking a membership."""

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "groups", "user_permissions"]


class RoleGroupAdmin(ReadOnlyAdminMixin, GroupAdmin):
    """Role groups hold the capabilities of a role on its municipalities; the role services create and fill them."""


admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), RoleGroupsFromMembershipsUserAdmin)
admin.site.unregister(Group)
admin.site.register(Group, RoleGroupAdmin)

from projects import admin_screening  # noqa: E402, F401  (screening models)
