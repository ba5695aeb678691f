"""What identifies the running release, for caches that must not outlive it."""

from __future__ import annotations

import functools
import hashlib

from django.conf import settings


@functools.cache
def code_fingerprint() -> str:
    """Changes with every deploy that touches code, templates or static files, so a page cached by the previous
    release (old markup, old hashed stylesheet names, old pickled models) is never served by the new one."""
    digest = hashlib.sha256()
    roots = [settings.BASE_DIR / name for name in ("outlet", "members", "donations", "templates", "static")]
    for root in roots:
        for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            digest.update(str(path.relative_to(settings.BASE_DIR)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]
