"""Article bodies are HTML from staff; only the markup the editor can produce ever reaches a reader."""

from __future__ import annotations

from functools import lru_cache

from django_prose_editor.fields import create_sanitizer

# What the admin's rich-text editor offers; the same list drives the server-side allow-list.
BODY_EXTENSIONS = {
    "Bold": True,
    "Italic": True,
    "Strike": True,
    "Subscript": True,
    "Superscript": True,
    "HardBreak": True,
    "Heading": {"levels": [2, 3]},
    "BulletList": True,
    "OrderedList": True,
    "ListItem": True,
    "Blockquote": True,
    "HorizontalRule": True,
    "Link": {"enableTarget": False, "protocols": ["http", "https", "mailto"]},
}


@lru_cache(maxsize=1)
def _body_sanitizer():
    return create_sanitizer(BODY_EXTENSIONS)


def sanitize_body(html: str) -> str:
    """Clean again at render time: bodies written by imports or scripts never went through the admin form."""
    return _body_sanitizer()(html or "")
