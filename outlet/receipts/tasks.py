"""Celery tasks of receipts: issue, reflect a refund, email (also staff's resends), sweep.

Tasks take ids, run with acks_late (a worker killed mid-task leaves the message to be delivered again) and are
idempotent: the work is keyed on the database (one receipt per payment state, one email per key), so a second
delivery finds it done. A mail server that refuses or cannot be reached is retried with bounded backoff.

Each task keeps the name it had when receipts lived in donations (name=...): messages already queued, the beat
schedule and the periodic tasks staff keep in the admin carry that name. (celery ships no type hints: each
decorator carries a type: ignore.)
"""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task

from outlet.receipts import services

# smtplib's errors are OSErrors already; named for the reader. Backoff 30 s, 60 s, ... capped at 30 min, 8 tries.
MAIL_TASK = {
    "acks_late": True,
    "ignore_result": True,
    "autoretry_for": (SMTPException, ConnectionError, OSError),
    "retry_backoff": 30,
    "retry_backoff_max": 1800,
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task(name="donations.tasks.issue_receipt", **MAIL_TASK)  # type: ignore[untyped-decorator]
def issue_receipt(payment_id: int) -> str | None:
    receipt = services.issue_and_email(payment_id=payment_id)
    return receipt.number if receipt is not None else None


@shared_task(name="donations.tasks.reflect_refund", **MAIL_TASK)  # type: ignore[untyped-decorator]
def reflect_refund(payment_id: int) -> str | None:
    correction = services.apply_refund(payment_id=payment_id)
    if correction is None:
        return None
    services.email_receipt(receipt_id=correction.pk)
    return correction.number


@shared_task(name="donations.tasks.email_receipt", **MAIL_TASK)  # type: ignore[untyped-decorator]
def email_receipt(receipt_id: int, key: str | None = None) -> bool:
    return services.email_receipt(receipt_id=receipt_id, key=key)


@shared_task(name="donations.tasks.sweep_receipts", acks_late=True, ignore_result=True)  # type: ignore[untyped-decorator]
def sweep_receipts() -> dict[str, int]:
    return services.sweep()
