"""What the account page says about each payment: its numbered receipt (a link once issued), and which years have
a statement of gifts. Receipts are found through the payment (Payment.receipts), so members never imports the
product that issues them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models.functions import ExtractYear
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from outlet.payments.models import Payment

# A receipt is issued by a task a moment after the payment; until this long after it, "being issued" is the truth.
RECEIPT_EXPECTED_WITHIN = timedelta(hours=1)


@dataclass(frozen=True)
class PaymentRow:
    payment: Payment
    receipt_number: str = ""
    receipt_url: str = ""
    receipt_note: str = ""  # what to say when there is no receipt to link


def payment_row(payment: Payment) -> PaymentRow:
    """The receipt that stands for the payment now: the newest valid one (a correction after a partial refund),
    else the newest, void."""
    receipts = sorted(payment.receipts.all(), key=lambda r: (r.voided_at is None, r.issued_at, r.pk), reverse=True)
    if receipts:
        receipt = receipts[0]
        # Translators: after a receipt number on the account page, in brackets: "(void)".
        note = pgettext("receipt", "void") if receipt.voided_at else ""
        return PaymentRow(payment, receipt.number, reverse("receipts:pdf", kwargs={"number": receipt.number}), note)
    if timezone.now() - payment.paid_at < RECEIPT_EXPECTED_WITHIN:
        # Translators: a receipt not issued yet, in the account page's receipt column (shown capitalised).
        return PaymentRow(payment, receipt_note=_("being issued"))
    # Translators: a receipt not issued yet, in the account page's receipt column (shown capitalised).
    return PaymentRow(payment, receipt_note=_("on its way: ask us if it has not arrived"))


def statement_years(user) -> list[int]:
    """Years (in the site's zone) in which this account gave, newest first: each has a year-end statement."""
    years = (
        Payment.objects.filter(user=user, purpose=Payment.Purpose.DONATION)
        .exclude(status=Payment.Status.REFUNDED)
        .annotate(year=ExtractYear("paid_at"))
        .values_list("year", flat=True)
        .distinct()
    )
    return sorted(set(years), reverse=True)
