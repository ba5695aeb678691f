"""Fixtures shared by the dashboard tests: the dashboard's known data."""

from tests.dashboard.test_dashboard_numbers import at_now, known_data  # noqa: F401
