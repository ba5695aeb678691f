"""Gifts as a CSV download for staff: the rows the admin list shows with its filters and search, streamed a batch
at a time (outlet.csv_stream), each batch read with its campaign, payment and receipts in three queries."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone

from donations.models import Donation, Receipt
from donations.reports import decimal_text
from outlet.csv_stream import queryset_csv_response

BATCH_SIZE = 2000


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _receipt_numbers(donation: Donation) -> str:
    return " ".join(receipt.number for receipt in donation.payment.receipts.all())


COLUMNS = [
    ("date", lambda d: _local(d.donated_at)),
    ("campaign", lambda d: d.campaign.title),
    ("donor_name", lambda d: d.name),
    ("email", lambda d: d.email),
    ("amount", lambda d: decimal_text(d.amount_minor, d.currency)),
    ("currency", lambda d: d.currency),
    ("fee_covered", lambda d: decimal_text(d.fee_covered_minor, d.currency)),
    ("net", lambda d: decimal_text(d.net_minor, d.currency)),
    ("refunded", lambda d: decimal_text(d.amount_refunded_minor, d.currency)),
    ("status", lambda d: d.get_status_display()),
    ("monthly", lambda d: "yes" if d.recurring_id else "no"),
    ("receipt_numbers", _receipt_numbers),
    ("payment_ref", lambda d: f"{d.payment.provider} {d.payment.provider_ref}"),
]


def export_queryset(queryset: QuerySet) -> QuerySet:
    """What each batch reads alongside the gifts; the caller's filters stay as they are."""
    receipts = Receipt.objects.only("pk", "payment_id", "number").order_by("issued_at", "pk")
    return (queryset.select_related("campaign", "payment")
            .prefetch_related(Prefetch("payment__receipts", queryset=receipts)))


def donations_csv_response(*, queryset: QuerySet) -> StreamingHttpResponse:
    filename = f"gifts-{timezone.localdate().isoformat()}.csv"
    return queryset_csv_response(filename=filename, queryset=export_queryset(queryset), columns=COLUMNS, batch_size=BATCH_SIZE)
