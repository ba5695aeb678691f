"""One local time: the same instant reads as the same day in every place a person sees it."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from outlet.common import local_time

LATE_EVENING_UTC = datetime(2026, 12, 12, 21, 30, tzinfo=UTC)  # 01:30 on the 13th in Tbilisi


def test_a_late_evening_utc_moment_is_already_the_next_day_in_the_newsroom(settings):
    settings.TIME_ZONE = "Asia/Tbilisi"
    assert local_time.date_text(LATE_EVENING_UTC) == "13 December 2026"
    assert local_time.short_date_text(LATE_EVENING_UTC) == "13 Dec 2026"
    assert local_time.site_date(LATE_EVENING_UTC) == date(2026, 12, 13)


def test_a_time_of_day_is_shown_with_its_zone(settings):
    settings.TIME_ZONE = "Asia/Tbilisi"
    assert local_time.datetime_text(LATE_EVENING_UTC) == "13 December 2026, 01:30 Tbilisi time"
    assert local_time.csv_datetime(LATE_EVENING_UTC) == "2026-12-13 01:30"
    settings.TIME_ZONE = "UTC"
    assert local_time.datetime_text(LATE_EVENING_UTC) == "12 December 2026, 21:30 UTC"


def test_a_plain_date_is_never_shifted(settings):
    settings.TIME_ZONE = "Asia/Tbilisi"
    assert local_time.date_text(date(2026, 1, 5)) == "5 January 2026"
    assert local_time.date_text(None, empty="—") == "—"


@pytest.mark.parametrize(
    "utc_now, today",
    [
        (datetime(2026, 12, 6, 23, 30, tzinfo=UTC), date(2026, 12, 7)),
        (datetime(2026, 12, 6, 20, 30, tzinfo=UTC), date(2026, 12, 7)),  # 00:30 in Tbilisi
        (datetime(2026, 12, 6, 19, 59, tzinfo=UTC), date(2026, 12, 6)),
    ],
)
def test_today_is_the_newsrooms_today(settings, utc_now, today):
    settings.TIME_ZONE = "Asia/Tbilisi"
    with time_machine.travel(utc_now, tick=False):
        assert local_time.site_today() == today


@pytest.mark.date_sensitive
def test_date_sensitive_tests_also_run_late_in_the_utc_evening_and_just_after_midnight_in_the_newsroom(clock, settings):
    """The plugin (tests/clock.py) moves the clock for each marked test; this proves it did."""
    from django.utils import timezone

    now = timezone.now()
    local = local_time.in_site_zone(now)
    if clock == "23:30-UTC":
        assert (now.hour, now.minute) == (23, 30)
    elif clock == "00:30-Tbilisi":
        assert (local.hour, local.minute) == (0, 30)
    if clock != "real-clock" and settings.TIME_ZONE == "Asia/Tbilisi":
        assert local.date() != now.date(), "UTC and the newsroom are on different days at these hours"


@pytest.mark.parametrize(
    ("language", "long", "short"),
    [
        ("en", "13 December 2026", "13 Dec 2026"),
        ("ka", "13 დეკემბერი, 2026", "13 დეკ. 2026"),
        ("hy", "2026 թ. դեկտեմբերի 13", "2026 թ. դեկ 13"),
        ("az", "13 dekabr 2026", "13 dek 2026"),
        ("ru", "13 декабря 2026\u202fг.", "13 дек. 2026\u202fг."),
    ],
)
def test_each_language_writes_the_newsrooms_day_in_its_own_words_and_order(settings, language, long, short):
    """Babel's calendar data, not Django's month list: Russian needs the genitive month, Armenian the year first.
    The day is still Tbilisi's (the 13th) at 21:30 UTC on the 12th."""
    from django.utils import translation

    settings.TIME_ZONE = "Asia/Tbilisi"
    with translation.override(language):
        assert local_time.date_text(LATE_EVENING_UTC) == long
        assert local_time.short_date_text(LATE_EVENING_UTC) == short
        assert local_time.datetime_text(LATE_EVENING_UTC).startswith(f"{long}, 01:30 ")


@pytest.mark.parametrize("language", ["en", "ka", "hy", "az", "ru"])
def test_every_day_is_written_as_babel_writes_it_in_full(settings, language):
    """Dates keep each locale's parsed pattern (local_time._date_pattern); a year of days in every format that
    takes that road must read exactly as babel's format_date writes them."""
    from babel.dates import format_date
    from django.utils import translation

    from outlet.common.languages import date_locale

    days = [date(2026, 1, 1) + timedelta(days=offset) for offset in range(0, 366, 3)] + [date(1999, 12, 31)]
    with translation.override(language):
        for format, babel_format in local_time._BABEL_DATE_FORMATS.items():
            for day in days:
                expected = format_date(day, babel_format, locale=date_locale(language))
                assert local_time.date_text(day, format) == expected, (day, format)
