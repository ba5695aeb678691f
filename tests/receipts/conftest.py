"""Receipts are tested through real payments: gifts (and memberships), as the products make them."""

from tests.donations.conftest import campaign  # noqa: F401  (the fixture, for the gifts these tests give)
