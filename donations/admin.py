"""Donations in Django admin. Each area registers its own models from its own module."""

from donations import admin_abuse, admin_campaigns, admin_gifts, admin_monthly_gifts  # noqa: F401  (registration side effects)
