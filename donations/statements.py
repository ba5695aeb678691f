"""Year-end statements: one PDF per donor summarising the year's gifts, for their records (and tax office).

A donor is an email address (case-insensitive): guests have nothing else, and a signed-in donor's gifts carry
their account too. Anonymised gifts have no email left and appear on no statement; gifts refunded in full are
left out; partly refunded ones show what was refunded. Each donor is emailed at most once per year.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Q
from django.db.models.functions import ExtractYear, Lower
from django.urls import reverse
from django.utils import timezone, translation

from donations.models import Donation
from donations.services import donor_key
from outlet.common import emails, languages
from outlet.common.local_time import site_today
from outlet.common.models import SentEmail
from outlet.common.money import format_money
from outlet.receipts.models import Receipt


@dataclass(frozen=True)
class StatementLine:
    donated_at: datetime
    campaign: str
    receipt_number: str
    currency: str
    amount_minor: int
    refunded_minor: int

    @property
    def kept_minor(self) -> int:
        return self.amount_minor - self.refunded_minor


@dataclass(frozen=True)
class CurrencyTotal:
    currency: str
    kept_minor: int
    refunded_minor: int


@dataclass(frozen=True)
class Statement:
    year: int
    email: str
    name: str
    lines: list[StatementLine]
    totals: list[CurrencyTotal]


FIRST_STATEMENT_YEAR = 1970  # before any gift this site could hold


def is_statement_year(year: int) -> bool:
    """A year a statement can cover: from the first possible gift to this year. A year from a URL may be 0, 10000
    or 10**20, which datetime cannot hold (and no gift has)."""
    return FIRST_STATEMENT_YEAR <= year <= site_today().year


def year_bounds(year: int) -> tuple[datetime, datetime]:
    if not is_statement_year(year):
        raise ValueError(f"No statement can cover the year {year}")
    tz = timezone.get_current_timezone()
    return datetime(year, 1, 1, tzinfo=tz), datetime(year + 1, 1, 1, tzinfo=tz)


def _gifts(year: int):
    if not is_statement_year(year):
        return Donation.objects.none()
    start, end = year_bounds(year)
    return (
        Donation.objects.filter(donated_at__gte=start, donated_at__lt=end, anonymised_at=None)
        .exclude(email="")
        .exclude(status=Donation.Status.REFUNDED)
    )


def donor_emails(*, year: int) -> list[str]:
    """Everyone who gave that year and still has a gift standing, one address each (lower-cased)."""
    return list(
        _gifts(year).annotate(address=Lower("email")).order_by("address").values_list("address", flat=True).distinct()
    )


def build_statement(*, year: int, email: str, user_id: int | None = None) -> Statement | None:
    """The donor's year; None when nothing stands (no gifts, or all refunded in full)."""
    who = Q(email__iexact=email.strip())
    if user_id is not None:
        who |= Q(user_id=user_id)
    gifts = list(_gifts(year).filter(who).select_related("campaign").order_by("donated_at", "pk"))
    if not gifts:
        return None
    numbers = dict(
        Receipt.objects.filter(payment_id__in=[gift.payment_id for gift in gifts], voided_at=None)
        .order_by("payment_id", "refund_level_minor")
        .values_list("payment_id", "number")
    )  # the receipt in force per payment (a correction sorts after the original it replaced)
    lines = [
        StatementLine(
            donated_at=gift.donated_at,
            campaign=gift.campaign.title,
            receipt_number=numbers.get(gift.payment_id, ""),
            currency=gift.currency,
            amount_minor=gift.amount_minor,
            refunded_minor=gift.amount_refunded_minor,
        )
        for gift in gifts
    ]
    totals: dict[str, list[int]] = {}
    for line in lines:
        kept_refunded = totals.setdefault(line.currency, [0, 0])
        kept_refunded[0] += line.kept_minor
        kept_refunded[1] += line.refunded_minor
    name = next((gift.name for gift in reversed(gifts) if gift.name), "")
    return Statement(
        year=year,
        email=email.strip().lower(),
        name=name,
        lines=lines,
        totals=[CurrencyTotal(currency, kept, refunded) for currency, (kept, refunded) in sorted(totals.items())],
    )


def statement_years(*, email: str, user_id: int | None = None) -> list[int]:
    """Years with a gift standing, newest first, for the account page's statement links."""
    who = Q(email__iexact=email.strip())
    if user_id is not None:
        who |= Q(user_id=user_id)
    years = (
        Donation.objects.filter(who, anonymised_at=None)
        .exclude(status=Donation.Status.REFUNDED)
        .annotate(year=ExtractYear("donated_at"))
        .values_list("year", flat=True)
        .distinct()
    )
    return sorted(set(years), reverse=True)


def statement_key(*, year: int, email: str) -> str:
    """One statement email per donor and year, whatever retries or reruns of the fan-out happen."""
    return f"statement-{year}-{donor_key(email)}"


def donor_language(*, year: int, email: str) -> str:
    """The language a donor reads: their account's setting, else the page their latest gift that year came from."""
    gift = _gifts(year).filter(email__iexact=email.strip()).select_related("checkout").order_by("-donated_at").first()
    if gift is None:
        return settings.LANGUAGE_CODE
    return languages.for_user(gift.user_id, default=gift.checkout.language if gift.checkout else None)


def send_statement(*, year: int, email: str) -> bool:
    from donations.statement_pdf import render_statement

    statement = build_statement(year=year, email=email)
    if statement is None or SentEmail.objects.filter(key=statement_key(year=year, email=statement.email)).exists():
        return False  # (the cheap check; _send_once's locked one decides)
    with translation.override(donor_language(year=year, email=statement.email)):
        return emails.year_end_statement(
            key=statement_key(year=year, email=statement.email),
            to=statement.email,
            name=statement.name,
            year=year,
            totals=[format_money(total.kept_minor, total.currency) for total in statement.totals],
            account_url=f"{settings.SITE_URL}{reverse('receipts:list')}",
            pdf=render_statement(statement),
        )


def donors_still_owed_a_statement(*, year: int) -> list[str]:
    """Donors of `year` whose statement email has not gone out (the fan-out's tasks were lost with the broker)."""
    donors = donor_emails(year=year)
    sent = set(
        SentEmail.objects.filter(key__in=[statement_key(year=year, email=email) for email in donors]).values_list(
            "key", flat=True
        )
    )
    return [email for email in donors if statement_key(year=year, email=email) not in sent]


YEAR_END_TASK = "Year-end donation statements"  # the PeriodicTask made by migration 0002, which staff may edit


def year_end_run_day(*, year: int):
    """The day of `year` the year-end run is scheduled for, read from its crontab (None if staff disabled it or
    the schedule names no single day and month)."""
    from datetime import date

    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.filter(name=YEAR_END_TASK, enabled=True).select_related("crontab").first()
    if task is None or task.crontab is None:
        return None
    day, month = task.crontab.day_of_month, task.crontab.month_of_year
    if not (day.isdigit() and month.isdigit()):
        return None
    try:
        return date(year, int(month), int(day))
    except ValueError:
        return None
