"""What each newsroom is owed: sums of the allocation ledger per beneficiary and currency, for a campaign's page in
the admin and for the payout report staff download as CSV.

The ledger is the only source: a refund is booked (negative) on the day it happened, so a report for March shows a
January gift refunded in March as a March refund, and March's net owed is what to pay out for March.
"""

from __future__ import annotations

import calendar
import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django import forms
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from donations.models import AllocationEntry, Beneficiary, BeneficiaryTotal, Campaign
from outlet.common.local_time import site_today, site_zone
from outlet.common.money import to_major

GIFT, REFUND = AllocationEntry.Kind.GIFT, AllocationEntry.Kind.REFUND
# Dates far outside these are typing mistakes, and would overflow when turned into times.
EARLIEST_REPORT_DATE = date(2000, 1, 1)
LATEST_REPORT_DATE = date(2999, 12, 31)

CSV_HEADER = ["newsroom", "newsroom slug", "currency", "gifts", "refunds", "net owed", "number of gifts", "from", "to"]


@dataclass(frozen=True)
class BeneficiaryLine:
    """One newsroom's sums in one currency. Amounts are minor units; refunds are negative, as booked."""

    beneficiary_id: int
    name: str
    slug: str
    currency: str
    gifts_minor: int
    refunds_minor: int
    number_of_gifts: int

    @property
    def net_minor(self) -> int:
        return self.gifts_minor + self.refunds_minor


def local_day_bounds(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    """[start of date_from, start of the day after date_to) in the site's time zone: both dates inclusive."""
    zone = site_zone()
    start = timezone.make_aware(datetime.combine(date_from, time.min), zone)
    end = timezone.make_aware(datetime.combine(date_to + timedelta(days=1), time.min), zone)
    return start, end


def beneficiary_lines(
    *,
    campaign: Campaign,
    date_from: date | None = None,
    date_to: date | None = None,
    newsrooms: list[Beneficiary] | None = None,
) -> list[BeneficiaryLine]:
    """One grouped query over the ledger: sums per newsroom and currency, optionally within local dates (inclusive).

    The newsrooms' ids go into the query as a literal list rather than a join: PostgreSQL then sees that they are
    most of the table and scans it once (1.7 s over 3M entries on the bench machine, against 7 s through the join's
    nested loop), and with dates it uses the (beneficiary, booked_at) index."""
    if newsrooms is None:
        newsrooms = list(Beneficiary.objects.filter(campaign=campaign).order_by("position", "id"))
    by_id = {b.pk: b for b in newsrooms}
    entries = AllocationEntry.objects.filter(beneficiary_id__in=list(by_id))
    if date_from is not None and date_to is not None:
        start, end = local_day_bounds(date_from, date_to)
        entries = entries.filter(booked_at__gte=start, booked_at__lt=end)
    rows = (
        (
            entries.values("beneficiary_id", "currency")
            .annotate(
                gifts=Coalesce(Sum("amount_minor", filter=Q(kind=GIFT)), 0),
                refunds=Coalesce(Sum("amount_minor", filter=Q(kind=REFUND)), 0),
                number_of_gifts=Count("id", filter=Q(kind=GIFT)),
            )
            .order_by()
        )
        if by_id
        else []
    )
    order = {pk: i for i, pk in enumerate(by_id)}
    lines = [
        BeneficiaryLine(
            beneficiary_id=row["beneficiary_id"],
            name=by_id[row["beneficiary_id"]].name,
            slug=by_id[row["beneficiary_id"]].slug,
            currency=row["currency"],
            gifts_minor=row["gifts"],
            refunds_minor=row["refunds"],
            number_of_gifts=row["number_of_gifts"],
        )
        for row in rows
    ]
    return sorted(lines, key=lambda line: (order[line.beneficiary_id], line.currency))


def campaign_breakdown(*, campaign: Campaign) -> list[BeneficiaryLine]:
    """All-time sums for the campaign's admin page, read from the newsrooms' running sums (BeneficiaryTotal: a few rows,
    where summing the ledger took 0.84 s at a million gifts), with a zero line for each newsroom that has no entries
    yet (in the goal's currency), so staff see every newsroom."""
    newsrooms = list(
        Beneficiary.objects.filter(campaign=campaign).order_by("position", "id").prefetch_related("totals")
    )
    lines = []
    for newsroom in newsrooms:
        totals = sorted(newsroom.totals.all(), key=lambda total: total.currency)
        lines += [
            BeneficiaryLine(
                beneficiary_id=newsroom.pk,
                name=newsroom.name,
                slug=newsroom.slug,
                currency=total.currency,
                gifts_minor=total.gifts_minor,
                refunds_minor=total.refunds_minor,
                number_of_gifts=total.number_of_gifts,
            )
            for total in totals
        ]
        if not totals:
            lines.append(
                BeneficiaryLine(
                    beneficiary_id=newsroom.pk,
                    name=newsroom.name,
                    slug=newsroom.slug,
                    currency=campaign.currency,
                    gifts_minor=0,
                    refunds_minor=0,
                    number_of_gifts=0,
                )
            )
    return lines


def recount_beneficiary_totals(*, campaign: Campaign | None = None) -> int:
    """Rebuild the newsrooms' running sums from the ledger (after a bulk load, or to check them). Returns the rows
    written. Takes the counters' row locks, so run it when no gifts are being booked for the campaign."""
    newsrooms = Beneficiary.objects.all() if campaign is None else Beneficiary.objects.filter(campaign=campaign)
    with transaction.atomic():
        BeneficiaryTotal.objects.filter(beneficiary__in=newsrooms).delete()
        rows = [
            BeneficiaryTotal(
                beneficiary_id=line.beneficiary_id,
                currency=line.currency,
                gifts_minor=line.gifts_minor,
                refunds_minor=line.refunds_minor,
                number_of_gifts=line.number_of_gifts,
            )
            for each in Campaign.objects.filter(pk__in=newsrooms.values("campaign_id"))
            for line in beneficiary_lines(campaign=each)
        ]
        BeneficiaryTotal.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def decimal_text(amount_minor: int, currency: str) -> str:
    """Exact decimal text in major units ("1234.50", "-0.05"), from integer minor units; never a float."""
    return format(to_major(amount_minor, currency), "f")


class _Echo:
    """csv.writer writes into this and gets the line back, so each row can be streamed as it is made."""

    def write(self, value: str) -> str:
        return value


def payout_csv_rows(*, campaign: Campaign, date_from: date, date_to: date) -> Iterator[str]:
    """The payout report, line by line: a header, then one row per newsroom and currency with activity in the range."""
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_HEADER)
    for line in beneficiary_lines(campaign=campaign, date_from=date_from, date_to=date_to):
        yield writer.writerow(
            [
                line.name,
                line.slug,
                line.currency,
                decimal_text(line.gifts_minor, line.currency),
                decimal_text(line.refunds_minor, line.currency),
                decimal_text(line.net_minor, line.currency),
                line.number_of_gifts,
                date_from.isoformat(),
                date_to.isoformat(),
            ]
        )


def payout_filename(*, campaign: Campaign, date_from: date, date_to: date) -> str:
    return f"payout-{campaign.slug}-{date_from.isoformat()}-to-{date_to.isoformat()}.csv"


def default_report_choice(*, campaign_id: str | None, today: date | None = None) -> dict:
    """The form's first state: this calendar month in the site's zone (payouts are monthly, and staff look at the month
    they are in), for the campaign staff came from. At 23:30 UTC on 31 January it is already February in Tbilisi."""
    today = today or site_today()
    last_day = calendar.monthrange(today.year, today.month)[1]
    initial: dict[str, date | int] = {"date_from": today.replace(day=1), "date_to": today.replace(day=last_day)}
    if campaign_id and str(campaign_id).isdigit():
        initial["campaign"] = int(campaign_id)
    return initial


class PayoutReportForm(forms.Form):
    """Staff's choice of campaign and dates. Anything wrong is shown on the form; nothing here can raise a 500."""

    campaign = forms.ModelChoiceField(
        queryset=Campaign.objects.order_by("-starts_at"),
        label=gettext_lazy("Campaign"),
        empty_label=gettext_lazy("Choose a campaign"),
    )
    date_from = forms.DateField(
        label=gettext_lazy("From (inclusive)"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": gettext_lazy("Enter the first day as a date, e.g. 2026-01-31.")},
    )
    date_to = forms.DateField(
        label=gettext_lazy("To (inclusive)"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": gettext_lazy("Enter the last day as a date, e.g. 2026-03-31.")},
    )

    def clean(self):
        cleaned = super().clean()
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        for name, value in (("date_from", date_from), ("date_to", date_to)):
            if value and not EARLIEST_REPORT_DATE <= value <= LATEST_REPORT_DATE:
                self.add_error(
                    name,
                    _("Choose a date between %(first)s and %(last)s.")
                    % {"first": EARLIEST_REPORT_DATE.year, "last": LATEST_REPORT_DATE.year},
                )
        if date_from and date_to and date_from > date_to and not self.errors:
            self.add_error("date_to", _("The last day cannot be before the first day."))
        return cleaned
