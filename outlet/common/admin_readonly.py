"""Admin pages for rows that change only through the services (provider events, receipts, imports): staff read
them and never add, edit or delete one by hand, whatever their role."""

from __future__ import annotations


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
