"""Date-sensitive tests run three times: at the real time, and with the clock moved to the two hours of the day
when UTC's date and the site's differ.

A test that compares a date a person reads (a page, an email, a PDF) with a moment it computed passes all day in
UTC and fails from 20:00 to 24:00 UTC, when it is already tomorrow in Tbilisi. Marking it
`@pytest.mark.date_sensitive` runs it also at 23:30 UTC and at 00:30 newsroom time of the current day, so such a
defect shows in every run, whatever the hour CI runs at. The clock keeps ticking from there (pages that wait for a
provider's event still see time pass), in every thread, the live server's included.

Loaded as a pytest plugin (pyproject: `-p tests.clock`)."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

CLOCKS = ("real-clock", "23:30-UTC", "00:30-Tbilisi")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "date_sensitive: asserts a date a person reads; also runs at 23:30 UTC and 00:30 newsroom time"
    )


def pytest_generate_tests(metafunc):
    if metafunc.definition.get_closest_marker("date_sensitive"):
        metafunc.fixturenames.append("clock")
        metafunc.parametrize("clock", CLOCKS)


def clock_destination(name: str, *, zone_name: str, today: datetime | None = None) -> datetime | None:
    """Where the named clock stands today: None for the real clock."""
    now = today or datetime.now(UTC)
    if name == "23:30-UTC":
        return datetime.combine(now.date(), time(23, 30), tzinfo=UTC)
    if name == "00:30-Tbilisi":
        zone = ZoneInfo(zone_name)
        local_day = now.astimezone(zone).date()
        # East of UTC, 00:30 local is still the evening before in UTC: the hours the suite used to fail in.
        return datetime.combine(local_day, time(0, 30), tzinfo=zone)
    return None


@pytest.fixture(autouse=True)
def _moved_clock(request):
    """Autouse, so the clock moves before the test's other fixtures make its data."""
    callspec = getattr(request.node, "callspec", None)
    name = callspec.params.get("clock") if callspec else None
    if name is None or request.node.get_closest_marker("date_sensitive") is None:
        yield None
        return
    from django.conf import settings

    destination = clock_destination(name, zone_name=settings.TIME_ZONE)
    if destination is None:
        yield None
        return
    import time_machine

    with time_machine.travel(destination, tick=True):
        yield destination
