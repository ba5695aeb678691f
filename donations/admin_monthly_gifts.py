"""Staff's side of monthly gifts: a read-only list and page (a monthly gift changes only through the provider's
events), and which provider subscriptions are monthly gifts, for the webhook log's owner column."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

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

    # outlet.common.admin_columns types the titles `str`; a lazy translation works the same.
    amount = money_column("amount_minor", gettext_lazy("Monthly amount"))  # type: ignore[arg-type]
    fee_covered = money_column("fee_covered_minor", gettext_lazy("Of which fee covered by the donor"), sortable=False)  # type: ignore[arg-type]
    started = time_column("created_at", gettext_lazy("Started"))  # type: ignore[arg-type]
    next_charge = time_column("current_period_end", gettext_lazy("Next charge"))  # type: ignore[arg-type]
    ended = time_column("ended_at", gettext_lazy("Ended"))  # type: ignore[arg-type]
    started_text = time_field("created_at", gettext_lazy("Started"))  # type: ignore[arg-type]
    next_charge_text = time_field("current_period_end", gettext_lazy("Paid until (next charge)"))  # type: ignore[arg-type]
    ended_text = time_field("ended_at", gettext_lazy("Ended"))  # type: ignore[arg-type]

    @admin.display(description=gettext_lazy("Ends after this month"), boolean=True, ordering="cancel_at_period_end")
    def ends_at_period_end(self, obj: RecurringDonation) -> bool:
        return obj.cancel_at_period_end

    @admin.display(description=gettext_lazy("Split"))
    def split(self, obj: RecurringDonation) -> str:
        return _("The donor's own split") if obj.weights else _("The campaign's split")
