"""What a membership charge's receipt says, told to outlet.receipts (which imports no product): the payer is the
member's account, the payment's own description says what it paid for, and the membership receipt email carries
it. Registered in MembersConfig.ready()."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from outlet.common import emails
from outlet.payments.models import Payment
from outlet.receipts import describers


def describe(payment: Payment, refund_level_minor: int) -> describers.Description:
    """The account's name and email, and the charge's description (set by the provider's invoice). Runs when the
    receipt is issued (in the Celery worker): the default words are translated then, in the worker's language."""
    # Translators: what a membership payment's receipt is for when the payment names nothing else.
    return describers.describe_payer(
        payment, default_description=_("%(site_name)s membership") % {"site_name": settings.SITE_NAME}
    )


def email(payment: Payment) -> describers.Email:
    return describers.Email(send=emails.membership_receipt)


def register() -> None:
    describers.register_describer(Payment.Purpose.MEMBERSHIP, describe=describe, email=email)
