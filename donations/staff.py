"""What staff do to a gift from the admin: refund it through the provider, send its receipt again.

The admin calls these and records who asked (LogEntry); the rules and the messages staff read live here. A refund
changes nothing in our rows by itself: the gift, the ledger, the totals and the receipt change when the provider's
refund event comes back through the payment pipeline, exactly as for a refund made in the provider's dashboard."""

from __future__ import annotations

from django.utils.translation import gettext as _

from donations.models import Donation
from outlet.payments import services as payments
from outlet.receipts import services as receipts
from outlet.receipts.models import Receipt


class GiftActionRefused(Exception):
    """A staff action on a gift that we will not do, with a message to show them as it is."""


def refundable_minor(donation: Donation) -> int:
    return donation.amount_minor - donation.amount_refunded_minor


def refund_gift(
    *, donation_id: int, amount_minor: int | None, staff_user_id: int, expected_refunded_minor: int | None = None
) -> str:
    """Ask the provider to refund a gift, all that is left (amount_minor None) or part of it. Returns the provider's
    refund id. expected_refunded_minor is what staff saw as refunded when they confirmed: a second click after the
    first refund came back is refused rather than refunding twice."""
    donation = Donation.objects.filter(pk=donation_id).first()
    if donation is None:
        raise GiftActionRefused(_("This gift no longer exists."))
    if donation.status == Donation.Status.DISPUTED:
        raise GiftActionRefused(
            _(
                "This gift is disputed by the donor's bank: the dispute decides the money, so it cannot be refunded "
                "here."
            )
        )
    try:
        return payments.request_refund(
            payment_id=donation.payment_id,
            amount_minor=amount_minor,
            staff_user_id=staff_user_id,
            expected_refunded_minor=expected_refunded_minor,
        )
    except payments.RefundRefused as refused:
        raise GiftActionRefused(str(refused)) from refused


def receipt_to_resend(donation: Donation) -> Receipt | None:
    """The receipt in force (a correction after a partial refund), else the newest one (void, after a full refund)."""
    newest_first = Receipt.objects.filter(payment_id=donation.payment_id).order_by("-issued_at", "-pk")
    return newest_first.filter(voided_at=None).first() or newest_first.first()


def resend_gift_receipt(*, donation_id: int, staff_user_id: int) -> Receipt:
    """Email the gift's receipt to the donor again (sent by the worker, a new message each time staff ask)."""
    donation = Donation.objects.filter(pk=donation_id).first()
    if donation is None:
        raise GiftActionRefused(_("This gift no longer exists."))
    receipt = receipt_to_resend(donation)
    if receipt is None:
        raise GiftActionRefused(
            _("This gift has no receipt yet: it is issued within minutes of the payment. Try again shortly.")
        )
    if not receipt.donor_email:
        raise GiftActionRefused(
            _("This receipt has no email address (the donor's details were removed after the retention period).")
        )
    if receipts.resend_receipt(receipt_id=receipt.pk, staff_user_id=staff_user_id) is None:
        raise GiftActionRefused(_("This receipt no longer exists."))
    return receipt
