"""Staff's side of monthly gifts: a read-only list and page (a monthly gift changes only through the provider's
events), and which provider subscriptions are monthly gifts, for the webhook log's owner column."""

from __future__ import annotations

from django.contrib import admin

from donations.admin_gifts import ReadOnlyAdmin
from donations.models import RecurringDonation
from outlet.common.admin_columns import money_column, time_column, time_field
from outlet.payments import event_owners


def _subscriptions_of_monthly_gifts(provider: str, ids: set[str]) -> set[str]:
    """For the webhook log's owner column (outlet.payments.event_owners): which of these ids are monthly gifts."""
    return set(
        RecurringDonation.objects.filter(provider=provider, subscription_id__in=ids).values_list(
            "subscription_id", flat=True
        )
    )


event_owners.register_product_lookup("Donation", _subscriptions_of_monthly_gifts)


@admin.register(RecurringDonation)
class RecurringDonationAdmin(ReadOnlyAdmin):
    list_display = ["started", "campaign", "email", "amount", "status", "ends_at_period_end", "next_charge", "ended"]
    list_filter = ["status", "campaign", "cancel_at_period_end"]
    search_fields = ["email", "subscription_id", "customer_id"]
    list_select_related = ["campaign"]
    fields = [
        "campaign",
        "email",
        "amount",
        "fee_covered",
        "status",
        "ends_at_period_end",
        "started_text",
        "next_charge_text",
        "ended_text",
        "split",
        "provider",
        "subscription_id",
        "customer_id",
    ]
    readonly_fields = fields  # type: ignore[assignment]  # valid; the stubs' list types are invariant
    show_full_result_count = False

    amount = money_column("amount_minor", "Monthly amount")
    fee_covered = money_column("fee_covered_minor", "Of which fee covered by the donor", sortable=False)
    started = time_column("created_at", "Started")
    next_charge = time_column("current_period_end", "Next charge")
    ended = time_column("ended_at", "Ended")
    started_text = time_field("created_at", "Started")
    next_charge_text = time_field("current_period_end", "Paid until (next charge)")
    ended_text = time_field("ended_at", "Ended")

    @admin.display(description="Ends after this month", boolean=True, ordering="cancel_at_period_end")
    def ends_at_period_end(self, obj: RecurringDonation) -> bool:
        return obj.cancel_at_period_end

    @admin.display(description="Split")
    def split(self, obj: RecurringDonation) -> str:
        return "The donor's own split" if obj.weights else "The campaign's split"
