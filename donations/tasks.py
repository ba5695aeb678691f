"""Celery tasks of the donations app: year-end statements and the donor data retention (receipts' tasks are
outlet.receipts.tasks).

Tasks take ids, run with acks_late (a worker killed mid-task leaves the message to be delivered again) and are
idempotent: the work is keyed on the database (one statement email per donor and year), so a second delivery finds
it done. A mail server that refuses or cannot be reached is retried with bounded backoff.
"""

from __future__ import annotations

from datetime import timedelta
from smtplib import SMTPException

from celery import shared_task
from django.utils import timezone

from donations import retention, statements

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


@shared_task(acks_late=True, ignore_result=True)
def send_year_end_statements(year: int | None = None) -> int:
    """Fan out one task per donor (by default for last year); each sends at most once, so a rerun is harmless."""
    year = year or timezone.localdate().year - 1
    donors = statements.donor_emails(year=year)
    for email in donors:
        send_year_end_statement.delay(year, email)
    return len(donors)


@shared_task(**MAIL_TASK)
def send_year_end_statement(year: int, email: str) -> bool:
    return statements.send_statement(year=year, email=email)


# After the yearly run, this many days of catching up (daily): donors whose statement task was lost to a broker
# outage (the beat run at 06:00 on 10 January, or part of its fan-out) still get it, once.
STATEMENT_CATCH_UP_DAYS = 60


@shared_task(acks_late=True, ignore_result=True)
def catch_up_year_end_statements() -> int:
    """Daily: once the year-end run's day has come (the schedule staff keep under Periodic tasks), send last
    year's statements that have not gone out yet. Each is keyed, so nothing is ever sent twice."""
    year = timezone.localdate().year - 1
    run_day = statements.year_end_run_day(year=year + 1)
    today = timezone.localdate()
    if run_day is None or not run_day <= today < run_day + timedelta(days=STATEMENT_CATCH_UP_DAYS):
        return 0
    owed = statements.donors_still_owed_a_statement(year=year)
    for email in owed:
        send_year_end_statement.delay(year, email)
    return len(owed)


@shared_task(acks_late=True, ignore_result=True)
def anonymise_expired_donor_data() -> dict[str, int]:
    """Daily: blank donor data past DONOR_DATA_RETENTION_YEARS. Batched and idempotent, so a retry, a redelivery
    after a worker dies, or two overlapping runs only finish the same work."""
    return retention.anonymise_expired_donor_data()
