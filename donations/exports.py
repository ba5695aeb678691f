"""Gifts as a CSV download for staff: the rows the admin list shows with its filters and search, streamed through
outlet.common.csv_stream a batch at a time, walking forward by primary key. Each batch is two queries (the gifts with
their campaign and payment columns, then their receipt numbers) and builds no model instances: plain rows were
three times faster than models with select_related at the bench, for the same file."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from django.db.models import QuerySet
from django.http import StreamingHttpResponse

from donations.models import Donation
from donations.personal_data import chose_privacy
from donations.reports import decimal_text
from outlet.common.csv_stream import csv_response
from outlet.common.local_time import csv_datetime, site_today, zone_label
from outlet.common.personal_data import mask_email, mask_name
from outlet.receipts.models import Receipt

BATCH_SIZE = 2000
DATE_COLUMN = "donated at"  # its header names the zone: "donated at (Tbilisi time)"
HEADER = [
    DATE_COLUMN,
    "campaign",
    "donor name",
    "email",
    "amount",
    "currency",
    "fee covered",
    "net to newsrooms",
    "refunded",
    "status",
    "monthly",
    "receipt numbers",
    "payment",
]
FIELDS = [
    "pk",
    "donated_at",
    "campaign__title",
    "name",
    "email",
    "amount_minor",
    "currency",
    "fee_covered_minor",
    "net_minor",
    "amount_refunded_minor",
    "status",
    "recurring_id",
    "payment_id",
    "payment__provider",
    "payment__provider_ref",
    "anonymous",
    "show_on_wall",
]
STATUS_LABELS = dict(Donation.Status.choices)


def _row(gift: dict, receipt_numbers: list[str], *, mask_private: bool = False) -> list:
    currency = gift["currency"]
    masked = mask_private and chose_privacy(anonymous=gift["anonymous"], show_on_wall=gift["show_on_wall"])
    return [
        csv_datetime(gift["donated_at"]),
        gift["campaign__title"],
        mask_name(gift["name"]) if masked else gift["name"],
        mask_email(gift["email"]) if masked else gift["email"],
        decimal_text(gift["amount_minor"], currency),
        currency,
        decimal_text(gift["fee_covered_minor"], currency),
        decimal_text(gift["net_minor"], currency),
        decimal_text(gift["amount_refunded_minor"], currency),
        STATUS_LABELS.get(gift["status"], gift["status"]),
        "yes" if gift["recurring_id"] else "no",
        " ".join(receipt_numbers),
        f"{gift['payment__provider']} {gift['payment__provider_ref']}",
    ]


def gift_rows(queryset: QuerySet, *, batch_size: int | None = None, mask_private: bool = False) -> Iterator[list]:
    """Every gift of the queryset as a CSV row, oldest first; keyset pagination, so each batch is an index range.
    mask_private: donors who chose privacy show as "A••• B•••" / "a•••@g•••.com" (staff outside Finance)."""
    batch_size = batch_size or BATCH_SIZE
    gifts = queryset.order_by("pk").values(*FIELDS)
    last_pk = None
    while True:
        batch = list((gifts if last_pk is None else gifts.filter(pk__gt=last_pk))[:batch_size])
        if not batch:
            return
        numbers: dict[int, list[str]] = defaultdict(list)
        receipts = Receipt.objects.filter(payment_id__in=[gift["payment_id"] for gift in batch]).order_by(
            "issued_at", "pk"
        )
        for payment_id, number in receipts.values_list("payment_id", "number"):
            numbers[payment_id].append(number)
        for gift in batch:
            yield _row(gift, numbers.get(gift["payment_id"], []), mask_private=mask_private)
        last_pk = batch[-1]["pk"]


def header() -> list[str]:
    return [f"{DATE_COLUMN} ({zone_label()})", *HEADER[1:]]


def donations_csv_response(*, queryset: QuerySet, mask_private: bool = False) -> StreamingHttpResponse:
    return csv_response(
        filename=f"gifts-{site_today().isoformat()}.csv",
        header=header(),
        rows=gift_rows(queryset, mask_private=mask_private),
    )
