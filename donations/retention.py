"""Donor personal data is kept only as long as receipts legally require (settings.DONOR_DATA_RETENTION_YEARS), then
blanked. Amounts, the allocation ledger, the campaign totals and the donor keys (a keyed hash, used to count
distinct donors) stay, so an anonymised gift still counts in the totals and in what each newsroom was owed.

Runs daily from Celery beat. Every step updates in batches of primary keys, so a table of millions of rows is never
loaded at once and no single transaction holds locks for long; a second run finds nothing left to do.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from donations.models import Donation, DonationCheckout, RecurringDonation
from outlet.common.batches import in_batches
from outlet.payments import services as payments
from outlet.receipts.models import Receipt
from outlet.receipts.personal_data import forget_payer_details

BATCH_SIZE = 2000
# A checkout nobody paid within this time will never become a gift: what the visitor typed is not kept.
ABANDONED_CHECKOUT_DAYS = 30


def retention_cutoff(now: datetime) -> datetime:
    """The moment before which donor data is past its retention period (calendar years; 29 Feb -> 28 Feb)."""
    years = settings.DONOR_DATA_RETENTION_YEARS
    try:
        return now.replace(year=now.year - years)
    except ValueError:
        return now.replace(year=now.year - years, day=28)


# --- The blanking itself: shared by the retention period's run below and by an erasure a donor asks for
# (donations.personal_data, called by outlet.privacy), so there is one definition of "this gift's donor is gone".

DONOR_FIELDS = {"email": "", "name": "", "display_name": "", "message": ""}
_HAS_DONOR_DATA = Q(email__gt="") | Q(name__gt="") | Q(display_name__gt="") | Q(message__gt="")


def blank_gifts(queryset: QuerySet[Donation], *, now: datetime, batch_size: int = BATCH_SIZE) -> int:
    """Blank the donor's name, display name (the donor wall's), address and message on these gifts and mark them
    anonymised; amounts, status, the ledger and the totals stay."""
    return in_batches(
        queryset.filter(anonymised_at=None),
        lambda ids: Donation.objects.filter(pk__in=ids, anonymised_at=None).update(**DONOR_FIELDS, anonymised_at=now),
        batch_size=batch_size,
    )


def blank_checkouts(queryset: QuerySet[DonationCheckout], *, batch_size: int = BATCH_SIZE) -> int:
    """Blank what the donor typed on the form; the chosen amounts and split stay."""
    return in_batches(
        queryset.filter(_HAS_DONOR_DATA),
        lambda ids: DonationCheckout.objects.filter(pk__in=ids).update(**DONOR_FIELDS),
        batch_size=batch_size,
    )


def blank_monthly_gift_emails(queryset: QuerySet[RecurringDonation], *, batch_size: int = BATCH_SIZE) -> int:
    return in_batches(
        queryset.exclude(email=""),
        lambda ids: RecurringDonation.objects.filter(pk__in=ids).update(email=""),
        batch_size=batch_size,
    )


def anonymise_expired_donor_data(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> dict[str, int]:
    """Blank donor personal data older than the retention period. Returns how many rows each step changed."""
    now = now or timezone.now()
    cutoff = retention_cutoff(now)
    counts = {}

    counts["donations"] = blank_gifts(Donation.objects.filter(donated_at__lt=cutoff), now=now, batch_size=batch_size)
    # A monthly gift that is still running (or ended within the period) copies name and display name from its
    # checkout onto each new donation, so that checkout is kept until the gift's own data expires.
    still_needed = RecurringDonation.objects.filter(checkout=OuterRef("pk")).filter(
        Q(ended_at=None) | Q(ended_at__gte=cutoff)
    )
    counts["checkouts"] = blank_checkouts(
        DonationCheckout.objects.filter(created_at__lt=cutoff).filter(~Exists(still_needed)), batch_size=batch_size
    )
    # Never paid: a visitor's typing, kept a month for support questions ("did my gift go through?"), then gone.
    # A paid checkout has completed_at set; one a monthly gift still points at is kept, because its later invoices
    # are matched to the donor's choices through it.
    followed = RecurringDonation.objects.filter(checkout=OuterRef("pk"))
    counts["abandoned_checkouts"] = in_batches(
        DonationCheckout.objects.filter(
            completed_at=None, created_at__lt=now - timedelta(days=ABANDONED_CHECKOUT_DAYS)
        ).filter(~Exists(followed)),
        lambda ids: (
            DonationCheckout.objects.filter(pk__in=ids, completed_at=None).filter(~Exists(followed)).delete()[0]
        ),
        batch_size=batch_size,
    )
    counts["recurring_donations"] = blank_monthly_gift_emails(
        RecurringDonation.objects.filter(ended_at__lt=cutoff), batch_size=batch_size
    )
    counts["receipts"] = forget_payer_details(Receipt.objects.filter(issued_at__lt=cutoff), batch_size=batch_size)
    # The payment rows and the provider's raw events name the donor too.
    counts["payments"] = payments.forget_payer_emails(purpose="donation", paid_before=cutoff, batch_size=batch_size)
    counts["webhook_events"] = payments.prune_webhook_events(received_before=cutoff, batch_size=batch_size)
    return counts
