"""Admin building blocks shared by the domain apps."""

from __future__ import annotations


class ReadOnlyAdminMixin:
    """Records with legal or money weight are changed only through their services (with their checks and an audit
    entry), never in the admin: the admin shows them (docs/architecture.md, "The Django admin")."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
