"""What a gift's receipt says, told to outlet.receipts (which imports no product): the donor, the fundraiser, how
the amount is shared between the newsrooms; the gift's receipt email with its "manage your monthly gift" link; and
the year-end statements' section of the account's receipts page. Registered in DonationsConfig.ready().

describe() runs when a receipt is issued (in the Celery worker), in the donor's language (language() below): its
words are translated then (gettext, not lazy) and copied onto the receipt, which never changes afterwards."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from donations import recurring, statements
from donations.models import AllocationEntry, Donation
from outlet.common import emails, languages
from outlet.payments.models import Payment
from outlet.receipts import describers

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django.http import HttpRequest


def _gifts() -> QuerySet[Donation]:
    return Donation.objects.select_related("campaign", "checkout", "recurring")


def _donation_of(payment: Payment) -> Donation | None:
    """Issuing a receipt asks for the gift twice (its language, then its words), and a refund's correction again:
    one query, kept on the payment object the task locked, instead of one per question."""
    if not hasattr(payment, "_receipt_donation"):
        payment._receipt_donation = _gifts().filter(payment=payment).first()  # type: ignore[attr-defined]
    return payment._receipt_donation  # type: ignore[attr-defined,no-any-return]


def _gift_entries(donation: Donation, refund_level_minor: int) -> list[AllocationEntry]:
    """The gift's ledger entries up to a refund level, in the receipt's order (read ahead by prepare for a batch)."""
    if refund_level_minor == 0 and hasattr(donation, "_receipt_entries"):
        return donation._receipt_entries  # type: ignore[no-any-return]
    return list(_entries().filter(donation=donation, refund_level_minor__lte=refund_level_minor))


def _entries() -> QuerySet[AllocationEntry]:
    return AllocationEntry.objects.select_related("beneficiary").order_by(
        "donation_id", "beneficiary__position", "beneficiary_id", "id"
    )


def prepare(payments: list[Payment]) -> None:
    """A batch of gifts about to get their receipts: their donations and first ledger entries in two queries."""
    unread = [payment for payment in payments if not hasattr(payment, "_receipt_donation")]
    if not unread:
        return
    gifts = {gift.payment_id: gift for gift in _gifts().filter(payment__in=unread)}
    entries: dict[int, list[AllocationEntry]] = {gift.pk: [] for gift in gifts.values()}
    for entry in _entries().filter(donation__in=list(gifts.values()), refund_level_minor=0):
        entries[entry.donation_id].append(entry)
    for payment in unread:
        gift = gifts.get(payment.pk)
        if gift is not None:
            gift._receipt_entries = entries[gift.pk]  # type: ignore[attr-defined]
        payment._receipt_donation = gift  # type: ignore[attr-defined]


def describe(payment: Payment, refund_level_minor: int) -> describers.Description:
    """Who gave, to what, and how it is shared; a snapshot, so the receipt never changes later."""
    donation = _donation_of(payment)
    if donation is None:
        # Never in practice (the gift is recorded in the transaction that records its payment); the words the
        # receipt had for a payment without a gift before receipts asked the products.
        return describers.describe_payer(
            payment, default_description=_("%(site_name)s membership") % {"site_name": settings.SITE_NAME}
        )
    by_newsroom: dict[int, dict[str, Any]] = {}
    for entry in _gift_entries(donation, refund_level_minor):
        # Gift entries, less the refund entries booked up to this refund level.
        line = by_newsroom.setdefault(
            # "outlet" is the kind issued receipts hold for a newsroom's part (outlet.receipts.describers).
            entry.beneficiary_id,
            {"kind": "outlet", "name": entry.beneficiary.name, "amount_minor": 0},
        )
        line["amount_minor"] += entry.amount_minor
    lines = [line for line in by_newsroom.values() if line["amount_minor"]]
    remaining = payment.amount_minor - refund_level_minor
    fee = remaining - sum(line["amount_minor"] for line in lines)
    if fee:
        lines.append(
            {"kind": "fee", "name": _("Payment processing fee (kept by the payment provider)"), "amount_minor": fee}
        )
    if donation.fee_covered_minor:
        lines.append(
            {
                "kind": "fee_cover",
                "name": _("Included at your choice to cover the processing fee"),
                "amount_minor": donation.fee_covered_minor,
            }
        )
    return describers.Description(
        name=donation.name,
        email=donation.email or payment.email,
        # Translators: what a gift's receipt is for; title is the fundraiser's.
        description=_("Gift to %(title)s") % {"title": donation.campaign.title},
        lines=lines,
    )


def language(payment: Payment) -> str:
    """A donor with an account reads their account's language; a guest the language of the page they gave from."""
    donation = _donation_of(payment)
    page_language = donation.checkout.language if donation is not None and donation.checkout is not None else None
    return languages.for_user(payment.user_id, default=page_language)


def email(payment: Payment) -> describers.Email:
    """The gift's thank-you email; a monthly gift still running gets the link to manage it."""
    donation = _donation_of(payment)
    gift = donation.recurring if donation is not None and donation.recurring_id else None
    manage_url = recurring.manage_url(gift) if gift is not None and gift.status != gift.Status.CANCELED else ""
    return describers.Email(send=emails.donation_receipt, manage_url=manage_url)


def statements_section(request: HttpRequest) -> str:
    """The year-end statements on the account's receipts page."""
    user = request.user
    years = statements.statement_years(email=user.email, user_id=user.pk)  # type: ignore[union-attr]
    return render_to_string("donations/_statement_links.html", {"statement_years": years}, request=request)


def register() -> None:
    describers.register_describer(
        Payment.Purpose.DONATION, describe=describe, email=email, language=language, prepare=prepare
    )
    describers.register_account_section(statements_section)
