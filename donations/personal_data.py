"""What donations hold about one donor, for their export and their erasure (outlet.privacy), by account or by
address (a guest donor has only their address).

An erasure blanks the donor's name, wall name, address and message with the same functions the retention period
uses (donations.retention), so "this donor is gone" means one thing. Amounts, the allocation ledger, campaign
totals and the donor key (a keyed hash that counts distinct donors) stay: the books and the newsrooms' shares
must still add up. A monthly gift still running is stopped at the provider first (stop_monthly_gifts)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from django.db.models import Q

from donations import retention
from donations.models import AllocationEntry, Campaign, Donation, DonationCheckout, RecurringDonation
from outlet.payments import subscriptions


def chose_privacy(*, anonymous: bool, show_on_wall: bool) -> bool:
    """A donor who gave anonymously, or did not ask to be named on the donor wall, chose privacy: staff outside
    Finance see them masked (outlet.privacy's gift admin), and only a logged reveal shows who they are."""
    return anonymous or not show_on_wall


def _owned(*, user_id: int | None, emails: Iterable[str]) -> Q:
    query = Q(user_id=user_id) if user_id else Q(pk__in=[])
    for address in {e for e in emails if e}:
        query |= Q(email__iexact=address)
    return query


def donor_names(*, user_id: int | None, emails: Iterable[str]) -> set[str]:
    """Every name and wall name the donor gave us: what an erasure looks for in free text elsewhere."""
    names: set[str] = set()
    for model in (Donation, DonationCheckout):
        for name, display_name in model.objects.filter(_owned(user_id=user_id, emails=emails)).values_list(
            "name", "display_name"
        ):
            names.update(n for n in (name, display_name) if n)
    return names


def donor_emails(*, user_id: int) -> set[str]:
    """The addresses an account's gifts were given with (a reader may give with another address than they sign in
    with)."""
    found: set[str] = set()
    for model in (Donation, DonationCheckout, RecurringDonation):
        found.update(e.lower() for e in model.objects.filter(user_id=user_id).values_list("email", flat=True) if e)
    return found


def running_monthly_gifts(*, user_id: int | None, emails: Iterable[str]) -> list[RecurringDonation]:
    return list(
        RecurringDonation.objects.filter(_owned(user_id=user_id, emails=emails)).exclude(
            status=RecurringDonation.Status.CANCELED
        )
    )


def stop_monthly_gifts(*, user_id: int | None, emails: Iterable[str]) -> int:
    """End every running monthly gift at the provider today (no further charge); raises the provider's
    ProviderError if one cannot be stopped, before anything is erased. Our row follows the provider's event."""
    gifts = running_monthly_gifts(user_id=user_id, emails=emails)
    for gift in gifts:
        subscriptions.cancel_now(gift)
    return len(gifts)


def gift_rows(*, user_id: int | None, emails: Iterable[str]) -> Iterator[dict[str, Any]]:
    gifts = Donation.objects.filter(_owned(user_id=user_id, emails=emails)).select_related("campaign")
    for gift in gifts.order_by("donated_at", "pk").iterator(chunk_size=500):
        yield {
            "id": gift.pk,
            "campaign": gift.campaign.title,
            "email": gift.email,
            "name": gift.name,
            "display_name": gift.display_name,
            "show_on_wall": gift.show_on_wall,
            "anonymous": gift.anonymous,
            "message": gift.message,
            "amount_minor": gift.amount_minor,
            "fee_covered_minor": gift.fee_covered_minor,
            "currency": gift.currency,
            "amount_refunded_minor": gift.amount_refunded_minor,
            "status": gift.status,
            "monthly_gift_id": gift.recurring_id or "",
            "donated_at": gift.donated_at.isoformat(),
        }


def allocation_rows(*, user_id: int | None, emails: Iterable[str]) -> Iterator[dict[str, Any]]:
    """How each gift was shared between the newsrooms (the ledger's entries for the donor's gifts)."""
    gifts = Donation.objects.filter(_owned(user_id=user_id, emails=emails)).values("pk")
    entries = AllocationEntry.objects.filter(donation_id__in=gifts).select_related("beneficiary")
    for entry in entries.order_by("booked_at", "pk").iterator(chunk_size=500):
        yield {
            "gift_id": entry.donation_id,
            "newsroom": entry.beneficiary.name,
            "kind": entry.kind,
            "amount_minor": entry.amount_minor,
            "currency": entry.currency,
            "booked_at": entry.booked_at.isoformat(),
        }


def monthly_gift_rows(*, user_id: int | None, emails: Iterable[str]) -> Iterator[dict[str, Any]]:
    gifts = RecurringDonation.objects.filter(_owned(user_id=user_id, emails=emails)).select_related("campaign")
    for gift in gifts.order_by("created_at", "pk").iterator(chunk_size=500):
        yield {
            "id": gift.pk,
            "campaign": gift.campaign.title,
            "email": gift.email,
            "amount_minor": gift.amount_minor,
            "currency": gift.currency,
            "status": gift.status,
            "started_at": gift.created_at.isoformat(),
            "ended_at": gift.ended_at.isoformat() if gift.ended_at else "",
        }


def erase_donor(*, user_id: int | None, emails: Iterable[str], now: datetime) -> dict[str, int]:
    """Blank the donor's personal data on every gift, form and monthly gift of theirs, now rather than after the
    retention period. Returns rows changed per kind."""
    owned = _owned(user_id=user_id, emails=emails)
    campaigns = set(Donation.objects.filter(owned, show_on_wall=True).values_list("campaign_id", flat=True))
    counts = {
        "gifts": retention.blank_gifts(Donation.objects.filter(owned), now=now),
        "checkouts": retention.blank_checkouts(DonationCheckout.objects.filter(owned)),
        "monthly_gifts": retention.blank_monthly_gift_emails(RecurringDonation.objects.filter(owned)),
    }
    # The campaign page's cached fragment (the donor wall) is keyed by the campaign's last edit: a new key drops the
    # donor's name from the wall now, not when the cache runs out.
    Campaign.objects.filter(pk__in=campaigns).update(updated_at=now)
    return counts
