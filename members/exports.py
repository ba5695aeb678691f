"""Members as CSV for staff spreadsheets: what the member list shows (its filters and search), streamed a batch at a
time (outlet.common.csv_stream), so 100k members cost flat memory and a few queries per 2,000 rows. Days are the
site's calendar days (outlet.common.local_time), the same day the member list and the member's emails name."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import StreamingHttpResponse

from members.models import Membership
from outlet.common.csv_stream import queryset_csv_response
from outlet.common.local_time import csv_date, site_today
from outlet.common.money import to_major


def _date(moment) -> str:
    return csv_date(moment)


def _major(amount_minor: int | None, currency: str) -> str:
    """A plain decimal a spreadsheet reads as a number, in the currency of the row (15.50, not "GEL 15.50")."""
    return str(to_major(amount_minor, currency)) if amount_minor is not None and currency else ""


def _next_charge(m: Membership) -> str:
    renewing = (
        m.source == Membership.Source.PAID
        and m.status in (Membership.Status.ACTIVE, Membership.Status.PAST_DUE)
        and not m.cancel_at_period_end
    )
    return _date(m.current_period_end) if renewing else ""


def _access_until(m: Membership) -> str:
    return "" if m.status == Membership.Status.LAPSED else _date(m.current_period_end)


MEMBER_COLUMNS = [
    ("email", lambda m: m.user.email),
    ("name", lambda m: m.user.get_full_name()),
    ("tier", lambda m: m.tier.name),
    ("status", lambda m: m.status),
    ("source", lambda m: m.source),
    ("interval", lambda m: m.interval),
    ("currency", lambda m: m.currency),
    ("amount", lambda m: _major(m.amount_minor, m.currency)),
    ("since", lambda m: _date(m.started_at)),
    ("next charge", _next_charge),
    ("access until", _access_until),
    ("ended", lambda m: _date(m.ended_at)),
    ("lifetime value", lambda m: _major(getattr(m, "lifetime_minor", None), m.currency)),
    ("also paid in other currencies", lambda m: "yes" if getattr(m, "paid_other_currency", False) else ""),
    ("awaiting provider sync", lambda m: "yes" if m.awaiting_provider_sync else ""),
    ("provider", lambda m: m.provider),
    ("provider customer id", lambda m: m.provider_customer_id),
    ("provider subscription id", lambda m: m.provider_subscription_id),
]


def members_csv_response(queryset: QuerySet) -> StreamingHttpResponse:
    """queryset: memberships with user and tier selected and the lifetime annotations (MembershipAdmin's)."""
    return queryset_csv_response(
        filename=f"members-{site_today().isoformat()}.csv", queryset=queryset, columns=MEMBER_COLUMNS
    )
