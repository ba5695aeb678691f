"""Receipts: numbered, gap-free per issuer and year, one per payment state, issued by a Celery task.

(Interface only for now; the issuing task, PDF and email follow.)"""

from __future__ import annotations


def request_receipt(*, payment_id: int) -> None:
    """Queue the receipt for a recorded payment after the current transaction commits. Safe to call again."""


def reflect_refund(*, payment_id: int) -> None:
    """Queue voiding (and, for a partial refund, correcting) the payment's receipt after commit."""
