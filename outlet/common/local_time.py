"""The one way a date or time becomes text a person reads: in the site's zone (settings.TIME_ZONE).

Moments are stored in UTC. Formatting one with strftime or an f-string prints its UTC date, which from 20:00 to
24:00 UTC is already tomorrow in Tbilisi: an email said a grace period ended on the 12th while the page said the
13th. Pages, emails, PDFs, CSV files, admin lists and timeline summaries all go through these helpers, and
wherever a time of day is shown the zone is named with it."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import (
    DateTimePattern,
    format_date,
    format_skeleton,
    format_time,
    get_date_format,
    get_timezone_location,
    parse_pattern,
)
from django.conf import settings
from django.utils import formats
from django.utils.translation import gettext

from outlet.common import languages

DATE = "j F Y"  # 6 December 2026; 6 декабря 2026 г.; 6 დეკემბერი, 2026
SHORT_DATE = "j M Y"  # 6 Dec 2026
TIME = "H:i"  # 23:30

# The formats callers name (Django's letters, as templates write them) and Babel's way of saying each in the
# active language's own order and grammar: Russian months take the genitive ("6 декабря"), Armenian puts the year
# first. A format not listed is left to Django.
_BABEL_DATE_FORMATS = {DATE: "long", SHORT_DATE: "medium", "d F Y": "dd MMMM y"}  # staff lists: 06 March 2027
_BABEL_SKELETONS = {"j F": "MMMMd", "F Y": "yMMMM"}  # 6 December / 6 декабря; December 2026 / декабрь 2026 г.
# CLDR's own lengths; any other format is a pattern.
_CLDR_LENGTHS: dict[str, Literal["full", "long", "medium", "short"]] = {
    "full": "full",
    "long": "long",
    "medium": "medium",
    "short": "short",
}


def site_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def zone_label() -> str:
    """What a reader calls the zone: "Tbilisi time" for Asia/Tbilisi, "UTC" for UTC, in the active language."""
    name = settings.TIME_ZONE
    if name.upper() in {"UTC", "ETC/UTC", "GMT"}:
        return "UTC"
    if name == "Asia/Tbilisi":  # the newsroom's own zone has a phrase of its own in each language
        return gettext("Tbilisi time")
    city = get_timezone_location(name, locale=languages.date_locale(), return_city=True)
    # Translators: a time zone named by its city, after a time of day: "23:30 Yerevan time".
    return gettext("%(city)s time") % {"city": city}


def in_site_zone(moment: datetime) -> datetime:
    """An aware moment as the site's wall clock shows it (a naive one is taken to be UTC already)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(site_zone())


def site_date(moment: datetime | date) -> date:
    """The calendar day a moment falls on in the site's zone; a plain date is already one."""
    if isinstance(moment, datetime):
        return in_site_zone(moment).date()
    return moment


def site_today() -> date:
    from django.utils import timezone

    return site_date(timezone.now())


def date_text(moment: datetime | date | None, format: str = DATE, *, empty: str = "") -> str:
    """ "6 December 2026": the day as the newsroom sees it. None gives `empty`."""
    if moment is None:
        return empty
    return _format_day(site_date(moment), format)


def _format_day(day: date, format: str) -> str:
    if format not in _BABEL_SKELETONS and format not in _BABEL_DATE_FORMATS:
        return formats.date_format(day, format)
    return _babel_day(day, format, languages.date_locale())


@lru_cache(maxsize=8192)
def _babel_day(day: date, format: str, locale: str) -> str:
    """A staff list shows a few hundred dates, mostly the same days: the text depends on nothing but these three,
    so it is remembered."""
    if format in _BABEL_SKELETONS:
        return format_skeleton(_BABEL_SKELETONS[format], day, locale=locale)
    found, pattern = _date_pattern(format, locale)
    return pattern.apply(day, found)  # what babel's format_date does, minus finding the locale and pattern


@lru_cache(maxsize=64)
def _date_pattern(format: str, locale: str) -> tuple[Locale, DateTimePattern]:
    """The locale and its parsed pattern for one of _BABEL_DATE_FORMATS, found once: format_date looked both up for
    every date, 53 of the 61 microseconds a day not shown before took on a slow machine (a new process's first staff
    list shows dozens)."""
    found = Locale.parse(locale)
    named = _BABEL_DATE_FORMATS[format]
    length = _CLDR_LENGTHS.get(named)
    return found, parse_pattern(get_date_format(length, locale=found) if length else named)


def full_date_text(moment: datetime | date | None, *, empty: str = "") -> str:
    """ "Sunday 6 December 2026", "воскресенье, 6 декабря 2026 г.": the weekday too (the masthead)."""
    if moment is None:
        return empty
    locale = languages.date_locale()
    # British newspapers print "Sunday 6 December 2026", without CLDR's comma; other languages keep CLDR's.
    return format_date(site_date(moment), "EEEE d MMMM y" if locale == "en_GB" else "full", locale=locale)


def short_date_text(moment: datetime | date | None, *, empty: str = "") -> str:
    return date_text(moment, SHORT_DATE, empty=empty)


def datetime_text(moment: datetime | None, date_format: str = DATE, *, empty: str = "") -> str:
    """ "6 December 2026, 23:30 Tbilisi time": a time of day is never shown without its zone."""
    if moment is None:
        return empty
    local = in_site_zone(moment)
    time_of_day = format_time(local.time(), "HH:mm", locale=languages.date_locale())
    # Translators: a day, a time of day and the time zone, e.g. "6 December 2026, 23:30 Tbilisi time".
    return gettext("%(date)s, %(time)s %(zone)s") % {
        "date": _format_day(local.date(), date_format),
        "time": time_of_day,
        "zone": zone_label(),
    }


def csv_datetime(moment: datetime | None) -> str:
    """A spreadsheet-friendly local time: "2026-12-07 03:30" (the column header names the zone)."""
    return in_site_zone(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def csv_date(moment: datetime | date | None) -> str:
    return site_date(moment).isoformat() if moment else ""
