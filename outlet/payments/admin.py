"""The payment pipeline in the admin: the webhook event log (what each provider told us, what became of it, and a
confirmed "process again"), payments, provider customers and the reconciliation cursor. All read only: rows here
change only through the pipeline (outlet/payments/services.py)."""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.admin import helpers
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Q
from django.template.response import TemplateResponse
from django.utils.functional import cached_property
from django.utils.html import format_html

from outlet.admin_readonly import ReadOnlyMixin
from outlet.payments import services
from outlet.payments.models import Payment, ProviderCustomer, ReconciliationCursor, WebhookEvent

REPROCESS_PERMISSION = "payments.reprocess_webhookevent"
REPROCESS_AT_ONCE = 500
  # one confirmation lists (and queues) at most this many events


class CappedCountPaginator(Paginator):
    """Counts at most `cap` + 1 rows: past that, staff narrow a list rather than page through it, and an exact
    COUNT(*) over a million rows cost 50-300 ms on every page view at the bench. The admin's pagination.html
    shows `capped_summary` instead of the count when capped."""

    cap = 10_000
    noun = "rows"

    @cached_property
    def count(self) -> int:
        return self.object_list.order_by()[: self.cap + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.cap

    @property
    def capped_summary(self) -> str:
        return f"More than {self.cap:,} {self.noun}: the newest are shown first; narrow the list with the filters or search."


class EventPaginator(CappedCountPaginator):
    noun = "events"


class CachedValuesFilter(admin.SimpleListFilter):
    """Choices from a DISTINCT over a big table, remembered for ten minutes: the event log and the payments grow
    with every event, and Django's plain field filter would scan them on every page view."""

    model: type = WebhookEvent
    field = ""

    def lookups(self, request, model_admin):
        key = f"admin:{self.model._meta.label_lower}:{self.field}-choices"
        values = cache.get(key)
        if values is None:
            values = list(self.model.objects.order_by(self.field).values_list(self.field, flat=True).distinct()[:200])
            cache.set(key, values, 600)
        return [(value, value) for value in values]

    def queryset(self, request, queryset):
        return queryset.filter(**{self.field: self.value()}) if self.value() else queryset


class TypeFilter(CachedValuesFilter):
    title = parameter_name = field = "type"


class ProviderFilter(CachedValuesFilter):
    title = parameter_name = field = "provider"


class PaymentProviderFilter(CachedValuesFilter):
    model = Payment
    title = parameter_name = field = "provider"


class PaymentCurrencyFilter(CachedValuesFilter):
    model = Payment
    title = parameter_name = field = "currency"


class PaymentPaginator(CappedCountPaginator):
    noun = "payments"


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["received_at", "provider", "type", "status", "via", "attempts", "event_id", "error_summary"]
    list_filter = ["status", TypeFilter, ProviderFilter, "via", "livemode"]
    search_fields = ["=event_id"]
    search_help_text = "The provider's event id (evt_…), whole."
    show_full_result_count = False
    paginator = EventPaginator
    # Newest first by id (the order they were received in): sorting by received_at had no index and took 0.6 s
    # over 300,000 events at the bench.
    ordering = ["-pk"]
    actions = ["reprocess"]
    fields = ["provider", "event_id", "type", "status", "via", "livemode", "created_at_provider", "received_at",
              "processed_at", "requeued_at", "attempts", "error", "pretty_payload"]
    readonly_fields = fields

    def get_queryset(self, request):
        # The payloads are the bulk of the table: the list never reads them; the event's own page does.
        queryset = super().get_queryset(request)
        return queryset if request.resolver_match and request.resolver_match.url_name.endswith("_change") else queryset.defer("payload")

    def has_reprocess_permission(self, request) -> bool:
        return request.user.has_perm(REPROCESS_PERMISSION)

    @admin.display(description="error")
    def error_summary(self, obj: WebhookEvent) -> str:
        first_line = obj.last_error.strip().splitlines()[0] if obj.last_error.strip() else ""
        return first_line[:120] + ("…" if len(first_line) > 120 else "")

    @admin.display(description="error")
    def error(self, obj: WebhookEvent):
        if not obj.last_error:
            return "None"
        return format_html('<pre style="white-space: pre-wrap; color: var(--error-fg)">{}</pre>', obj.last_error)

    @admin.display(description="payload")
    def pretty_payload(self, obj: WebhookEvent):
        text = json.dumps(obj.payload, indent=2, sort_keys=True, ensure_ascii=False)
        return format_html('<pre style="white-space: pre-wrap; max-height: 60em; overflow: auto">{}</pre>', text)

    @admin.action(description="Process the selected events again…", permissions=["reprocess"])
    def reprocess(self, request, queryset):
        """Confirmed first. Safe by design: handlers are idempotent, so an applied event changes nothing and a
        failed one is applied now."""
        chosen = list(queryset.defer("payload").order_by("received_at")[:REPROCESS_AT_ONCE])
        if request.POST.get("confirmed") != "yes":
            return TemplateResponse(request, "admin/payments/webhookevent/reprocess_confirm.html", {
                **self.admin_site.each_context(request), "title": "Process these events again?", "events": chosen,
                "count": len(chosen), "opts": self.model._meta, "action": "reprocess",
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            })
        count = services.reprocess_events(webhook_event_pks=[event.pk for event in chosen])
        for event in chosen:
            self.log_change(request, event, "Asked to process this event again.")
        self.message_user(request, f"Queued {count} event(s) for processing again. Events already applied change nothing.",
                          messages.SUCCESS)
        return None


@admin.register(Payment)
class PaymentAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["paid_at", "purpose", "user", "email", "amount_minor", "currency", "amount_refunded_minor", "status", "provider"]
    list_filter = ["purpose", "status", PaymentProviderFilter, PaymentCurrencyFilter]
    search_fields = ["provider_ref", "other_refs", "email", "user__email", "customer_id", "subscription_id"]
    list_select_related = ["user"]
    readonly_fields = [f.name for f in Payment._meta.fields]
    show_full_result_count = False
    search_help_text = "A payment, invoice or subscription id (pi_…, in_…, sub_…) or a whole email finds payments at once."
    paginator = PaymentPaginator
    ordering = ["-pk"]  # recorded order; paid_at alone has no index (0.33 s to sort 1M payments at the bench)

    def get_search_results(self, request, queryset, search_term):
        """Ids are matched whole on their indexes and an email whole (Django's substring search over six columns
        took 1.2 s over a million payments); anything else falls back to that search."""
        term = search_term.strip()
        if services.PROVIDER_ID.fullmatch(term):  # an id matches whole or not at all
            return queryset.filter(pk__in=services.payment_ids_for_ref(ref=term)), False
        if "@" in term and " " not in term:
            # Two index lookups (payment_email_upper_idx, account_email_upper_idx); an OR across the join would scan.
            accounts = get_user_model().objects.filter(email__iexact=term).values("pk")
            return queryset.filter(Q(email__iexact=term) | Q(user_id__in=accounts)), False
        return super().get_search_results(request, queryset, search_term)


@admin.register(ProviderCustomer)
class ProviderCustomerAdmin(admin.ModelAdmin):
    list_display = ["customer_id", "provider", "user", "created_at"]
    search_fields = ["customer_id", "user__email"]
    raw_id_fields = ["user"]


@admin.register(ReconciliationCursor)
class ReconciliationCursorAdmin(admin.ModelAdmin):
    list_display = ["provider", "synced_until", "last_run_at", "last_run_ingested"]
    readonly_fields = ["provider", "synced_until", "last_run_at", "last_run_ingested"]
