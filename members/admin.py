"""Members in Django admin. Each area registers its own models from its own module."""

from members import admin_import, admin_members  # noqa: F401  (registration side effects)
