"""The rest of staff's need-to-know (outlet/privacy/admin_donors.py masks the gifts themselves): a donor who chose
privacy is masked the same way wherever else their name or address shows in the admin, for staff without
privacy.see_private_donors: on their receipts, their monthly gift and their payments. The reveal lives on the gift's
page, where it is logged.

Each admin here replaces the one its part registered, from the top layer, so receipts, payments and donations know
nothing of roles or of this app."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import BooleanField, Exists, OuterRef, Q, Value
from django.utils.translation import gettext_lazy

import donations.admin  # noqa: F401  (registers the monthly-gift admin replaced here)
import outlet.payments.admin  # noqa: F401  (registers the payment admin replaced here)
import outlet.receipts.admin  # noqa: F401  (registers the receipt admin replaced here)
from donations.admin_monthly_gifts import RecurringDonationAdmin
from donations.models import Donation, RecurringDonation
from outlet.common.personal_data import mask_email, mask_name
from outlet.payments.admin import PaymentAdmin
from outlet.payments.models import Payment
from outlet.privacy.admin_donors import SEE_PRIVATE_DONORS
from outlet.receipts.admin import ReceiptAdmin
from outlet.receipts.models import Receipt

PRIVATE_GIFT = Q(anonymous=True) | Q(show_on_wall=False)


class _MasksPrivateDonors:
    """Annotates each row with whether it must be masked for the staff member looking (a per-request value on a
    shared admin instance would not be safe) and swaps the named fields for masked ones."""

    private_rows: Exists | Q  # what makes a row a private donor's
    shown_as: dict[str, str] = {}

    def _sees_all(self, request) -> bool:
        return request.user.has_perm(SEE_PRIVATE_DONORS)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)  # type: ignore[misc]
        if self._sees_all(request):
            return queryset.annotate(masked_donor=Value(False, output_field=BooleanField()))
        return queryset.annotate(masked_donor=self.private_rows)

    def get_list_display(self, request):
        return [self.shown_as.get(name, name) for name in super().get_list_display(request)]  # type: ignore[misc]

    def get_fields(self, request, obj=None):
        return [self.shown_as.get(name, name) for name in super().get_fields(request, obj)]  # type: ignore[misc]

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)  # type: ignore[misc]
        return [self.shown_as.get(name, name) for name in readonly]


def _masked(obj) -> bool:
    return bool(getattr(obj, "masked_donor", False))


class PrivateReceiptAdmin(_MasksPrivateDonors, ReceiptAdmin):
    private_rows = Exists(Donation.objects.filter(PRIVATE_GIFT, payment_id=OuterRef("payment_id")))
    shown_as = {"donor_name": "payer_name", "donor_email": "payer_email"}

    @admin.display(description=gettext_lazy("donor"), ordering="donor_email")
    def donor(self, obj: Receipt) -> str:
        if not _masked(obj):
            return super().donor(obj)
        email = mask_email(obj.donor_email)
        return f"{mask_name(obj.donor_name)} <{email}>" if obj.donor_name else email

    @admin.display(description=gettext_lazy("Donor's name"))
    def payer_name(self, obj: Receipt) -> str:
        return mask_name(obj.donor_name) if _masked(obj) else obj.donor_name

    @admin.display(description=gettext_lazy("Donor's email"))
    def payer_email(self, obj: Receipt) -> str:
        return mask_email(obj.donor_email) if _masked(obj) else obj.donor_email


class PrivateMonthlyGiftAdmin(_MasksPrivateDonors, RecurringDonationAdmin):
    private_rows = Q(checkout__anonymous=True) | Q(checkout__show_on_wall=False)
    shown_as = {"email": "donor_email"}

    @admin.display(description=gettext_lazy("Email"), ordering="email")
    def donor_email(self, obj: RecurringDonation) -> str:
        return mask_email(obj.email) if _masked(obj) else obj.email


class PrivatePaymentAdmin(_MasksPrivateDonors, PaymentAdmin):
    private_rows = Exists(Donation.objects.filter(PRIVATE_GIFT, payment_id=OuterRef("pk")))
    shown_as = {"email": "payer_email", "user": "payer_account"}

    @admin.display(description=gettext_lazy("Email"), ordering="email")
    def payer_email(self, obj: Payment) -> str:
        return mask_email(obj.email) if _masked(obj) else obj.email

    @admin.display(description=gettext_lazy("Account"))
    def payer_account(self, obj: Payment) -> str:
        if obj.user is None:
            return "—"
        return mask_email(obj.user.email) if _masked(obj) else obj.user.get_username()


for model, replacement in (
    (Receipt, PrivateReceiptAdmin),
    (RecurringDonation, PrivateMonthlyGiftAdmin),
    (Payment, PrivatePaymentAdmin),
):
    admin.site.unregister(model)
    admin.site.register(model, replacement)
