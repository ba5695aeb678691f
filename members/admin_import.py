"""Staff import members from a Ghost member export (placeholder: the import view is being built)."""

from __future__ import annotations


def import_urls(model_admin) -> list:
    """URL patterns the membership admin mounts under its own URLs (import view, preview, apply)."""
    return []
