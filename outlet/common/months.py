"""Calendar months in the site's time zone, for figures counted "per month".

A month is the site's month (settings.TIME_ZONE), not UTC's: a member who joins at 01:00 on 1 April in
Tbilisi joined in April, although it was still 31 March in UTC."""

from __future__ import annotations

from datetime import date, datetime

from outlet.common.local_time import site_zone


def recent_months(*, now: datetime, count: int = 12) -> list[date]:
    """The first day of each of the last `count` months, oldest first; the current (unfinished) month is last."""
    local = now.astimezone(site_zone())
    index = local.year * 12 + local.month - 1
    return [date(i // 12, i % 12 + 1, 1) for i in range(index - count + 1, index + 1)]


def month_starts_at(month: date) -> datetime:
    """The moment a month begins: midnight on its first day in the site's time zone."""
    return datetime(month.year, month.month, 1, tzinfo=site_zone())
