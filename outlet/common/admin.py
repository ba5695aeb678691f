"""Staff's view of who gets which email: addresses the email service reported as bouncing or complaining
(searchable, filtered by reason, with a confirmed "Lift suppression" when a reader says their mailbox works again)
and, read-only, every yes and no a reader gave to an optional email (they change it themselves, from their account
or any email's link; staff never decide for them)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from outlet.common import email_preferences
from outlet.common.admin_columns import time_column, time_field
from outlet.common.admin_readonly import ReadOnlyMixin
from outlet.common.models import EmailConsent, SuppressedAddress

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django.http import HttpRequest

    _SuppressedAdmin = admin.ModelAdmin[SuppressedAddress]
    _ConsentAdmin = admin.ModelAdmin[EmailConsent]
else:
    _SuppressedAdmin = _ConsentAdmin = admin.ModelAdmin


@admin.register(SuppressedAddress)
class SuppressedAddressAdmin(_SuppressedAdmin):
    list_display = ["address", "reason", "source", "detail", "reported"]
    list_filter = ["reason", "source"]
    search_fields = ["address"]
    fields = ["address", "reason", "source", "detail", "reported_on"]
    readonly_fields = ["address", "reason", "source", "detail", "reported_on"]
    actions = ["lift_suppression"]
    ordering = ["-created_at"]

    reported = time_column("created_at", gettext_lazy("Reported"))  # type: ignore[arg-type]
    reported_on = time_field("created_at", gettext_lazy("Reported"))  # type: ignore[arg-type]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the email service reports these; staff only lift them

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    # Django's own delete (its page and "Delete selected") lifts through the same service as the action.
    def delete_model(self, request: HttpRequest, obj: SuppressedAddress) -> None:
        email_preferences.lift_suppression(obj.address)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[SuppressedAddress]) -> None:
        for address in queryset.values_list("address", flat=True):
            email_preferences.lift_suppression(address)

    @admin.action(description=gettext_lazy("Lift suppression"), permissions=["delete"])
    def lift_suppression(self, request: HttpRequest, queryset: QuerySet[SuppressedAddress]) -> TemplateResponse | None:
        if request.POST.get("confirmed") != "yes":
            chosen = list(queryset[:100])
            return TemplateResponse(
                request,
                "admin/common/suppressedaddress/lift_confirm.html",
                {
                    **self.admin_site.each_context(request),
                    "title": _("Lift suppression?"),
                    "rows": chosen,
                    "count": len(chosen),
                    "opts": self.model._meta,
                    "action": "lift_suppression",
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                },
            )
        chosen = list(queryset[:100])
        self.log_deletions(request, queryset.filter(pk__in=[row.pk for row in chosen]))  # who lifted which, when
        lifted = sum(email_preferences.lift_suppression(row.address) for row in chosen)
        self.message_user(
            request,
            _("Suppressions lifted: %(count)s. Those addresses may get optional emails again.") % {"count": lifted},
        )
        return None


@admin.register(EmailConsent)
class EmailConsentAdmin(ReadOnlyMixin, _ConsentAdmin):
    list_display = ["address", "topic", "subscribed", "source", "changed"]
    list_filter = ["topic", "subscribed", "source"]
    search_fields = ["address"]
    fields = ["address", "topic", "subscribed", "source", "changed_on"]
    readonly_fields = ["address", "topic", "subscribed", "source", "changed_on"]
    ordering = ["-changed_at"]

    changed = time_column("changed_at", gettext_lazy("Changed"))  # type: ignore[arg-type]
    changed_on = time_field("changed_at", gettext_lazy("Changed"))  # type: ignore[arg-type]
