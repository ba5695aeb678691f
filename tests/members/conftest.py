"""Fixtures shared by the member tests: the Ghost import's Stripe client and importer (defined with the exports)."""

from tests.members.ghost_exports.helpers import importer, stripe_http  # noqa: F401
