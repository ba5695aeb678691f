"""Fixtures shared by the site tests: the cast of readers, and the dashboard's known data."""

from tests.outlet.readers import cast, tiers  # noqa: F401
from tests.outlet.test_dashboard_numbers import at_now, known_data  # noqa: F401
