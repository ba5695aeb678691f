"""Staff views of tiers and memberships: the member list (search, filters, lifetime value, CSV export) and the
member page (key facts, one timeline, staff actions). Every change to a membership goes through members.services or
members.staff, so it is recorded on the timeline with the staff user (the action views: admin_member_actions).

Prices are typed and shown as people write them ("15", "GEL 15"); dates are the site's, a time with its zone."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ORDER_VAR, PAGE_VAR
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.text import smart_split, unescape_string_literal
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from modeltranslation.admin import TranslationAdmin

from members import admin_import, exports, staff, stats
from members.admin_member_actions import CompForm, MemberActionsMixin, available_actions
from members.models import MemberEvent, Membership, MembershipCheckout, Tier, TierPrice
from members.services import membership_grants_access
from members.timeline import lifetime_value, member_timeline, with_lifetime_value
from outlet.common.admin_columns import EMPTY, date_column, money_column, time_column, time_field
from outlet.common.admin_money import CurrencyFromFormMixin, MoneyField
from outlet.common.admin_readonly import ReadOnlyMixin
from outlet.common.csv_stream import too_big_to_export
from outlet.common.local_time import short_date_text
from outlet.common.money import format_money
from outlet.payments import event_owners

__all__ = ["CompForm", "MembershipAdmin", "TierAdmin"]

# Column and field titles are lazy translations; outlet.common.admin_columns types them `str`, hence the
# `type: ignore[arg-type]` on its calls below.

WHOLE_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _subscriptions_members_follow(provider: str, ids: set[str]) -> set[str]:
    """For the webhook log's owner column (outlet.payments.event_owners): which of these ids are members'
    subscriptions (imported members' subscriptions carry no metadata of ours)."""
    return set(
        Membership.objects.filter(provider=provider, provider_subscription_id__in=ids).values_list(
            "provider_subscription_id", flat=True
        )
    )


event_owners.register_product_lookup("Membership", _subscriptions_members_follow)


class TierPriceForm(CurrencyFromFormMixin, forms.ModelForm):
    amount_minor = MoneyField(
        label=gettext_lazy("Price"), help_text=gettext_lazy("As you would write it: 15 or 15.50.")
    )

    class Meta:
        model = TierPrice
        fields = ["interval", "currency", "amount_minor", "is_active"]
        labels = {"is_active": gettext_lazy("On sale")}
        widgets = {"currency": forms.TextInput(attrs={"size": 4})}


class TierPriceInline(admin.TabularInline):
    model = TierPrice
    form = TierPriceForm
    extra = 0
    fields = ["interval", "currency", "amount_minor", "is_active"]


@admin.register(Tier)
class TierAdmin(TranslationAdmin):
    list_display = ["name", "prices", "position", "is_active"]
    list_editable = ["position", "is_active"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [TierPriceInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("prices")

    @admin.display(description=gettext_lazy("Prices on sale"))
    def prices(self, tier: Tier) -> str:
        shown = [
            f"{format_money(p.amount_minor, p.currency)} {p.get_interval_display().lower()}"
            for p in sorted(tier.prices.all(), key=lambda p: (p.currency, p.interval))
            if p.is_active
        ]
        return ", ".join(shown) or EMPTY


# --- The member list ----------------------------------------------------------------------------------------


class AccessNowFilter(admin.SimpleListFilter):
    """Whether the membership opens members-only articles right now: the same rule as
    members.services.membership_grants_access, written as one SQL condition."""

    title = gettext_lazy("access now")
    parameter_name = "access"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    @staticmethod
    def condition(now) -> Q:
        Status, Source = Membership.Status, Membership.Source
        in_grace = Q(status=Status.PAST_DUE, grace_until__isnull=False)
        renewing_paid = Q(source=Source.PAID, status=Status.ACTIVE)
        leeway = timedelta(hours=settings.MEMBERSHIP_RENEWAL_LEEWAY_HOURS)
        by_period = (
            Q(current_period_end__isnull=True)
            | (renewing_paid & Q(current_period_end__gt=now - leeway))
            | (~renewing_paid & Q(current_period_end__gt=now))
        )
        return ~Q(status=Status.LAPSED) & ((in_grace & Q(grace_until__gt=now)) | (~in_grace & by_period))

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(self.condition(timezone.now()))
        if self.value() == "no":
            return queryset.exclude(self.condition(timezone.now()))
        return queryset


class CurrencyFilter(admin.SimpleListFilter):
    """The currencies members can pay in; comps without a currency are not an empty choice."""

    title = gettext_lazy("currency")
    parameter_name = "currency"

    def lookups(self, request, model_admin):
        # From the prices (a few rows), not a DISTINCT over every membership (a scan of 100k rows per page view).
        currencies = TierPrice.objects.order_by("currency").values_list("currency", flat=True).distinct()
        return [(code, code) for code in currencies]

    def queryset(self, request, queryset):
        return queryset.filter(currency=self.value()) if self.value() else queryset


class JoinedFilter(admin.DateFieldListFilter):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.title = _("joined")


class EndedFilter(admin.DateFieldListFilter):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.title = _("ended (lapsed)")


def next_charge_text(membership: Membership) -> str:
    """What happens next, in the words staff use: a renewal date (and amount), an end date, or nothing."""
    Status = Membership.Status
    if membership.status == Status.LAPSED:
        if membership.ended_at:
            return _("ended %(date)s") % {"date": short_date_text(membership.ended_at)}
        return _("ended")
    end = membership.current_period_end
    if end is None:
        return EMPTY
    if membership.source == Membership.Source.COMP:
        return _("comp ends %(date)s") % {"date": short_date_text(end)}
    if membership.status == Status.CANCELLED or membership.cancel_at_period_end:
        return _("ends %(date)s") % {"date": short_date_text(end)}
    amount = format_money(membership.amount_minor, membership.currency)
    return f"{short_date_text(end)} · {amount}" if amount else short_date_text(end)


def lifetime_text(membership: Membership) -> str:
    total = getattr(membership, "lifetime_minor", None)
    text = format_money(total, membership.currency) if total is not None else "—"
    if getattr(membership, "paid_other_currency", False):
        return _("%(amount)s + other currencies") % {"amount": text}
    return text


class WholeListCountPaginator(Paginator):
    """The whole list's count (no filter, no search) comes from members.stats (membership_count,
    member_event_count): exact, and counted again only after a membership or timeline row changed. A filtered or
    searched list is counted as Django counts it."""

    def __init__(self, *args, whole_count: Callable[[], int] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.whole_count = whole_count

    @cached_property
    def count(self) -> int:
        return self.whole_count() if self.whole_count else super().count


def whole_list_paginator(request, whole_count: Callable[[], int], *args) -> WholeListCountPaginator:
    whole_list = not (set(request.GET) - {PAGE_VAR, ORDER_VAR})  # a page or an order counts the same rows
    return WholeListCountPaginator(*args, whole_count=whole_count if whole_list else None)


@admin.register(Membership)
class MembershipAdmin(MemberActionsMixin, admin.ModelAdmin):
    list_display = ["member", "tier", "status_label", "since", "next_charge", "lifetime_value"]
    list_filter = [
        "status",
        AccessNowFilter,
        "tier",
        "interval",
        CurrencyFilter,
        "source",
        ("started_at", JoinedFilter),
        ("ended_at", EndedFilter),
        "awaiting_provider_sync",
    ]
    search_fields = [
        "user__email",
        "user__first_name",
        "user__last_name",
        "provider_customer_id",
        "provider_subscription_id",
    ]
    search_help_text = gettext_lazy("Search by email, name, or the payment provider's customer or subscription id.")
    list_select_related = ["user", "tier"]
    # Newest first by primary key: an index scan. Ordering by "since" sorts all 100k rows (about 0.3 s on PostgreSQL).
    ordering = ["-pk"]
    # Counting 100k members on every page load is the slowest part of the page; a filtered count is enough.
    show_full_result_count = False
    # Each row costs ~0.3 ms of Django's list rendering (seven cells): 50 a page keeps the page near 30 ms of CPU.
    list_per_page = 50
    # State comes from the provider or from services (comp): staff never edit these fields by hand.
    readonly_fields = [
        "user",
        "tier",
        "status",
        "source",
        "interval",
        "price",
        "started",
        "paid_until",
        "ends_at_period_end",
        "grace_until_text",
        "ended",
        "provider",
        "customer_at_provider",
        "subscription_at_provider",
        "provider_state_as_of",
        "awaiting_confirmation",
        "last_changed",
    ]
    fieldsets = [(gettext_lazy("The stored record"), {"classes": ["collapse"], "fields": readonly_fields})]  # type: ignore[typeddict-item]  # a list[str] is valid here; the stubs' list type is invariant
    change_list_template = "admin/members/membership/change_list.html"
    change_form_template = "admin/members/membership/change_form.html"

    def has_add_permission(self, request) -> bool:
        return False

    def get_actions(self, request):
        # No bulk delete: a membership ends through the provider or "End the comp", and its history stays.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def get_queryset(self, request):
        return with_lifetime_value(super().get_queryset(request).select_related("user", "tier"))

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        return whole_list_paginator(
            request, stats.membership_count, queryset, per_page, orphans, allow_empty_first_page
        )

    def get_search_results(self, request, queryset, search_term):
        """Each kind of term on its index (Django's default, substring search over five columns and a join, read
        all 100k accounts: 0.5-1.2 s): a whole email or its start, a provider id whole, names anywhere (trigrams)."""
        term = search_term.strip()
        if not term:
            return queryset, False
        if "@" in term and " " not in term:
            lookup = "user__email__iexact" if WHOLE_EMAIL.fullmatch(term) else "user__email__istartswith"
            return queryset.filter(**{lookup: term}), False
        if term.startswith("cus_"):
            return queryset.filter(provider_customer_id=term), False
        if term.startswith("sub_"):
            return queryset.filter(provider_subscription_id=term), False
        for word in smart_split(term):
            if word.startswith(('"', "'")) and len(word) > 1 and word[0] == word[-1]:
                word = unescape_string_literal(word)
            queryset = queryset.filter(
                Q(user__first_name__icontains=word)
                | Q(user__last_name__icontains=word)
                | Q(user__email__istartswith=word)
            )
        return queryset, False

    @admin.display(description=gettext_lazy("member"), ordering="user__email")
    def member(self, membership: Membership):
        name = membership.user.get_full_name()
        return format_html("{}<br><small>{}</small>", membership.user.email, name) if name else membership.user.email

    @admin.display(description=gettext_lazy("status"), ordering="status")
    def status_label(self, membership: Membership) -> str:
        label = {"cancelled": _("Cancelled"), "past_due": _("Past due")}.get(
            membership.status, membership.get_status_display()
        )
        if membership.source == Membership.Source.COMP:
            # Translators: a membership's status on the member list, e.g. "Active (comp)": given free by staff
            return _("%(status)s (comp)") % {"status": label}
        return label

    since = date_column("started_at", gettext_lazy("since"))  # type: ignore[arg-type]

    # --- The stored record, in words (members/models.py keeps the database's names) ---
    price = money_column("amount_minor", gettext_lazy("Price"), sortable=False)  # type: ignore[arg-type]
    started = time_field("started_at", gettext_lazy("Started"))  # type: ignore[arg-type]
    paid_until = time_field("current_period_end", gettext_lazy("Access until (end of the paid-for period)"))  # type: ignore[arg-type]
    grace_until_text = time_field("grace_until", gettext_lazy("Grace period until (payment failed)"))  # type: ignore[arg-type]
    ended = time_field("ended_at", gettext_lazy("Ended"))  # type: ignore[arg-type]
    provider_state_as_of = time_field("provider_state_at", gettext_lazy("Provider's state as of"))  # type: ignore[arg-type]
    last_changed = time_field("updated_at", gettext_lazy("Last changed"))  # type: ignore[arg-type]

    @admin.display(description=gettext_lazy("Ends at the period end"), boolean=True)
    def ends_at_period_end(self, membership: Membership) -> bool:
        return membership.cancel_at_period_end

    @admin.display(description=gettext_lazy("Customer at the payment provider"))
    def customer_at_provider(self, membership: Membership) -> str:
        return membership.provider_customer_id or EMPTY

    @admin.display(description=gettext_lazy("Subscription at the payment provider"))
    def subscription_at_provider(self, membership: Membership) -> str:
        return membership.provider_subscription_id or EMPTY

    @admin.display(description=gettext_lazy("Imported: waiting for the payment provider to confirm"), boolean=True)
    def awaiting_confirmation(self, membership: Membership) -> bool:
        return membership.awaiting_provider_sync

    @admin.display(description=gettext_lazy("next charge"))
    def next_charge(self, membership: Membership) -> str:
        return next_charge_text(membership)

    @admin.display(description=gettext_lazy("lifetime value"))
    def lifetime_value(self, membership: Membership) -> str:
        return lifetime_text(membership)

    # --- Export --------------------------------------------------------------------------------------------

    def get_urls(self):
        return [
            path("export/", self.admin_site.admin_view(self.export_view), name="members_membership_export"),
            *admin_import.import_urls(self),
            *super().get_urls(),
        ]

    def export_view(self, request):
        """The members the list shows now (its filters and search), as a streamed CSV."""
        if not request.user.has_perm("members.export_members"):
            raise PermissionDenied
        try:
            queryset = self.get_changelist_instance(request).get_queryset(request)
        except IncorrectLookupParameters:
            messages.error(
                request, _("Those filters are not valid any more; the export was not made. Choose the filters again.")
            )
            return redirect("admin:members_membership_changelist")
        refusal = too_big_to_export(queryset)
        if refusal:
            messages.error(request, refusal)
            return redirect(
                reverse("admin:members_membership_changelist") + (f"?{request.GET.urlencode()}" if request.GET else "")
            )
        return exports.members_csv_response(queryset)

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(
            request,
            {
                **(extra_context or {}),
                "can_export": request.user.has_perm("members.export_members"),
                "can_comp": request.user.has_perm("members.comp_membership"),
            },
        )

    # --- The member page -----------------------------------------------------------------------------------

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context.update(
            show_save=False, show_save_and_continue=False, show_save_and_add_another=False, show_delete=False
        )
        if obj is not None:
            context.update(self.member_page_context(request, obj))
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def member_page_context(self, request, membership: Membership) -> dict:
        user = membership.user
        customer_url = ""
        if membership.provider == "stripe" and membership.provider_customer_id:
            customer_url = f"https://dashboard.stripe.com/customers/{membership.provider_customer_id}"
        price = ""
        if membership.amount_minor is not None and membership.currency:
            price = format_money(membership.amount_minor, membership.currency)
            price += f" {membership.get_interval_display().lower()}" if membership.interval else ""
        return {
            "member": user,
            "facts": {
                "status": self.status_label(membership),
                "awaiting_provider_sync": membership.awaiting_provider_sync,
                "access_now": membership_grants_access(membership, now=timezone.now()),
                "tier": membership.tier.name,
                "price": price,
                "source": membership.get_source_display(),
                "since": membership.started_at,
                "next_charge": next_charge_text(membership),
                "lifetime": lifetime_value(user_id=user.pk),
                "provider": membership.provider,
                "customer_id": membership.provider_customer_id,
                "customer_url": customer_url,
                "subscription_id": membership.provider_subscription_id,
                "at_provider": _at_provider(membership, customer_url),
                "email_verified": staff.email_is_verified(user),
            },
            "timeline": member_timeline(user=user, viewer=request.user),
            "member_actions": available_actions(request, membership),
        }


def _at_provider(membership: Membership, customer_url: str) -> str:
    """The member page's "Payment provider" line: "stripe customer cus_123, subscription sub_456" (the customer
    linked to the provider's dashboard when there is one), or "none"."""
    customer_id = membership.provider_customer_id
    if not customer_id:
        return pgettext("payment provider", "none")
    customer = (
        format_html('<a href="{}" rel="noopener" target="_blank">{}</a>', customer_url, customer_id)
        if customer_url
        else customer_id
    )
    if membership.provider_subscription_id:
        return format_html(
            _("{provider} customer {customer}, subscription {subscription}"),
            provider=membership.provider,
            customer=customer,
            subscription=membership.provider_subscription_id,
        )
    return format_html(_("{provider} customer {customer}"), provider=membership.provider, customer=customer)


@admin.register(MemberEvent)
class MemberEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """The audit trail: written by the services, never edited or deleted, by any role or a superuser."""

    list_display = ["created", "user", "kind", "summary", "staff_user", "webhook_event"]
    list_filter = ["kind", "reader_visible"]
    search_fields = ["user__email", "summary"]
    list_select_related = ["user", "staff_user", "webhook_event"]
    readonly_fields = [
        "created_text",
        "user",
        "membership",
        "kind",
        "summary",
        "status_change",
        "cause",
        "webhook_event",
        "staff_user",
        "shown_to_member",
    ]
    fields = readonly_fields  # type: ignore[assignment]  # a list[str] is valid here; the stubs' list type is invariant
    # Newest first by id (events are written in order); sorting half a million rows by time cost 0.2 s, counting
    # them all twice more.
    ordering = ["-pk"]
    show_full_result_count = False

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        return whole_list_paginator(
            request, stats.member_event_count, queryset, per_page, orphans, allow_empty_first_page
        )

    created = time_column("created_at", gettext_lazy("When"))  # type: ignore[arg-type]
    created_text = time_field("created_at", gettext_lazy("When"))  # type: ignore[arg-type]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("webhook_event__payload")

    @admin.display(description=gettext_lazy("Status change"))
    def status_change(self, event: MemberEvent) -> str:
        if not (event.from_status or event.to_status):
            return EMPTY
        before = event.from_status or pgettext("member status", "none")
        after = event.to_status or pgettext("member status", "unchanged")
        return f"{before} → {after}"

    @admin.display(description=gettext_lazy("Caused by"))
    def cause(self, event: MemberEvent) -> str:
        return event.cause

    @admin.display(description=gettext_lazy("Shown to the member on their account page"), boolean=True)
    def shown_to_member(self, event: MemberEvent) -> bool:
        return event.reader_visible


@admin.register(MembershipCheckout)
class MembershipCheckoutAdmin(admin.ModelAdmin):
    list_display = ["started", "user", "tier", "interval", "price", "provider", "completed"]
    list_filter = ["provider", "tier", "interval"]
    search_fields = ["user__email", "reference", "provider_session_id"]
    list_select_related = ["user", "tier"]
    readonly_fields = [
        "reference",
        "user",
        "tier",
        "interval",
        "price",
        "provider",
        "session_at_provider",
        "started_text",
        "completed_text",
    ]
    fields = readonly_fields  # type: ignore[assignment]  # a list[str] is valid here; the stubs' list type is invariant

    price = money_column("amount_minor", gettext_lazy("Price"))  # type: ignore[arg-type]
    started = time_column("created_at", gettext_lazy("Started"))  # type: ignore[arg-type]
    completed = time_column("completed_at", gettext_lazy("Paid"))  # type: ignore[arg-type]
    started_text = time_field("created_at", gettext_lazy("Started"))  # type: ignore[arg-type]
    completed_text = time_field("completed_at", gettext_lazy("Paid (checkout completed)"))  # type: ignore[arg-type]

    @admin.display(description=gettext_lazy("Checkout session at the payment provider"))
    def session_at_provider(self, checkout: MembershipCheckout) -> str:
        return checkout.provider_session_id or EMPTY

    def has_add_permission(self, request) -> bool:
        return False
