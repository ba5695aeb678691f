"""What the receipts hold about one person, for their export (with each receipt's PDF) and their erasure.

A receipt is a bookkeeping record: its number, amounts, currency, lines and dates are kept for as long as the law
asks. Only the payer's name and address on it are blanked (by the retention period, donations.retention, or by an
erasure, outlet.privacy); a PDF drawn afterwards shows neither."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import Q, QuerySet

from outlet.common.batches import in_batches
from outlet.receipts.models import Receipt


def receipts_of(*, payment_ids: Iterable[int], emails: Iterable[str]) -> QuerySet[Receipt]:
    query = Q(payment_id__in=list(payment_ids))
    for address in {e for e in emails if e}:
        query |= Q(donor_email__iexact=address)
    return Receipt.objects.filter(query)


def receipt_rows(*, payment_ids: Iterable[int], emails: Iterable[str]) -> Iterator[tuple[dict[str, Any], Receipt]]:
    """Each receipt as a row, with the row itself so the export can draw its PDF."""
    for receipt in receipts_of(payment_ids=payment_ids, emails=emails).order_by("issued_at", "pk").iterator(100):
        yield (
            {
                "number": receipt.number,
                "kind": receipt.kind,
                "payment_id": receipt.payment_id,
                "donor_name": receipt.donor_name,
                "donor_email": receipt.donor_email,
                "description": receipt.description,
                "amount_minor": receipt.amount_minor,
                "currency": receipt.currency,
                "issued_at": receipt.issued_at.isoformat(),
                "voided_at": receipt.voided_at.isoformat() if receipt.voided_at else "",
                "pdf": f"receipts/receipt-{receipt.number}.pdf",
            },
            receipt,
        )


def forget_payer_details(queryset: QuerySet[Receipt], *, batch_size: int = 2000) -> int:
    """Blank the payer's name and address on these receipts; numbers, amounts and lines stay. Used by the
    retention period's daily run and by an erasure alike."""
    return in_batches(
        queryset.filter(Q(donor_name__gt="") | Q(donor_email__gt="")),
        lambda ids: Receipt.objects.filter(pk__in=ids).update(donor_name="", donor_email=""),
        batch_size=batch_size,
    )


def donor_names(*, payment_ids: Iterable[int], emails: Iterable[str]) -> set[str]:
    names = receipts_of(payment_ids=payment_ids, emails=emails).values_list("donor_name", flat=True)
    return {name for name in names if name}
