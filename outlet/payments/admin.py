from django.contrib import admin, messages

from outlet.payments import services
from outlet.payments.models import Payment, ProviderCustomer, ReconciliationCursor, WebhookEvent


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = ["received_at", "provider", "type", "status", "via", "attempts", "event_id"]
    list_filter = ["status", "provider", "type", "via"]
    search_fields = ["event_id", "type"]
    readonly_fields = [f.name for f in WebhookEvent._meta.fields]
    actions = ["reprocess"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Process the selected events again (safe: processing is idempotent)")
    def reprocess(self, request, queryset):
        count = services.reprocess_events(webhook_event_pks=list(queryset.values_list("pk", flat=True)))
        messages.success(request, f"Queued {count} event(s) for processing.")


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["paid_at", "purpose", "user", "email", "amount_minor", "currency", "amount_refunded_minor", "status", "provider"]
    list_filter = ["purpose", "status", "provider", "currency"]
    search_fields = ["provider_ref", "other_refs", "email", "user__email", "customer_id", "subscription_id"]
    list_select_related = ["user"]
    readonly_fields = [f.name for f in Payment._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(ProviderCustomer)
class ProviderCustomerAdmin(admin.ModelAdmin):
    list_display = ["customer_id", "provider", "user", "created_at"]
    search_fields = ["customer_id", "user__email"]
    raw_id_fields = ["user"]


@admin.register(ReconciliationCursor)
class ReconciliationCursorAdmin(admin.ModelAdmin):
    list_display = ["provider", "synced_until", "last_run_at", "last_run_ingested"]
    readonly_fields = ["provider", "synced_until", "last_run_at", "last_run_ingested"]
