"""Fixtures shared by the publishing tests: the cast of readers."""

from tests.publishing.readers import cast, tiers  # noqa: F401
