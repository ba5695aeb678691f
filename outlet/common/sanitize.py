"""Article bodies are HTML from staff; only the markup the editor can produce ever reaches a reader.

Pictures are the one thing a body may load from elsewhere, so they are held tighter than the rest: an <img> stays
only when it points into our own media library (MEDIA_URL + "library/") and carries a description (alt text), and it
leaves with `loading="lazy"` and its size. Anything else (another site's picture, a data: or javascript: URL, an
event handler) is dropped by nh3 before any of this runs; the rules below only narrow what nh3 already allows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from html import escape
from html.parser import HTMLParser
from urllib.parse import unquote

from django.conf import settings
from django.urls import reverse_lazy
from django_prose_editor.config import allowlist_from_extensions

# What the admin's rich-text editor offers; the same list drives the server-side allow-list. Fundraiser stories
# (donations) use this list as it is, without pictures.
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

# Articles also take pictures with a caption. The picture dialog's "Browse…" opens the media library's list as a
# picker: django-prose-editor speaks the CKEditor 4 file-browser protocol (outlet/publishing/admin.py, MediaImageAdmin).
ARTICLE_BODY_EXTENSIONS = {
    **BODY_EXTENSIONS,
    "Figure": {"pickerUrl": reverse_lazy("admin:outlet_mediaimage_changelist")},
    "Image": True,
    "Caption": True,
}

# The only classes pictures carry: the editor's own.
FIGURE_CLASSES = {"figure": {"figure"}, "figcaption": {"figure-caption"}}
_EDITOR_EMPTY = re.compile(r"<(\w+)></\1>")
_SIZE = re.compile(r"[0-9]{1,5}")
_PATH_SEGMENT = r"[A-Za-z0-9_~%-][A-Za-z0-9_.~%-]*"


def library_url_prefix() -> str:
    return f"{settings.MEDIA_URL}library/"


def is_library_url(src: str) -> bool:
    """A file under the media library's folder, by a plain path: no query, no fragment, no way out of the folder."""
    prefix = library_url_prefix()
    if not src.startswith(prefix):
        return False
    path = src[len(prefix) :]
    if not re.fullmatch(rf"(?:{_PATH_SEGMENT}/)*{_PATH_SEGMENT}", path):
        return False
    return not any(segment in (".", "..") for segment in unquote(path).split("/"))


def _image_attribute(element: str, attribute: str, value: str) -> str | None:
    if element != "img":
        return value
    if attribute == "src":
        return value if is_library_url(value) else None
    if attribute == "alt":
        return value.strip() or None
    if attribute in ("width", "height", "data-file"):
        return value if _SIZE.fullmatch(value) else None
    return value


@lru_cache(maxsize=1)
def _cleaner():
    import nh3

    allowed = allowlist_from_extensions(ARTICLE_BODY_EXTENSIONS)
    for tag in FIGURE_CLASSES:
        allowed["attributes"].get(tag, set()).discard("class")
    allowed["allowed_classes"] = FIGURE_CLASSES
    return nh3.Cleaner(**allowed, attribute_filter=_image_attribute)


class _PictureRules(HTMLParser):
    """Rewrites nh3's output: drops pictures without a source or description (and captions left with no picture),
    and gives each picture its size and lazy loading."""

    def __init__(self, image_sizes: Mapping[str, tuple[int, int]]):
        super().__init__(convert_charrefs=False)
        self.image_sizes = image_sizes
        self.out: list[str] = []
        self.figures: list[tuple[list[str], str, bool]] = []  # (output before it, its start tag, holds a picture)

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self._picture(dict(attrs))
        elif tag == "figure":
            self.figures.append((self.out, self.get_starttag_text() or "<figure>", False))
            self.out = []
        else:
            self.out.append(self.get_starttag_text() or "")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "figure" and self.figures:
            outer, start_tag, holds_picture = self.figures.pop()
            inner, self.out = self.out, outer
            if holds_picture:
                self.out.extend([start_tag, *inner, "</figure>"])
                self._mark_picture()
            return
        self.out.append(f"</{tag}>")

    def handle_data(self, data):
        self.out.append(data)

    def handle_entityref(self, name):
        self.out.append(f"&{name};")

    def handle_charref(self, name):
        self.out.append(f"&#{name};")

    def _mark_picture(self):
        if self.figures:
            outer, start_tag, _ = self.figures[-1]
            self.figures[-1] = (outer, start_tag, True)

    def _picture(self, attrs: dict[str, str | None]):
        src, alt = attrs.get("src"), attrs.get("alt")
        if not src or not alt:
            return
        width, height = self.image_sizes.get(src, (attrs.get("width"), attrs.get("height")))
        if not (width and height):  # one without the other cannot keep the picture's shape
            width = height = None
        ordered = {
            "src": src,
            "alt": alt,
            "width": width,
            "height": height,
            "loading": "lazy",
            "decoding": "async",
            "data-file": attrs.get("data-file"),
        }
        self.out.append(
            "<img" + "".join(f' {name}="{escape(str(value))}"' for name, value in ordered.items() if value) + ">"
        )
        self._mark_picture()

    def rewrite(self, html: str) -> str:
        self.feed(html)
        self.close()
        return "".join(self.out)


def sanitize_body(html: str, *, image_sizes: Mapping[str, tuple[int, int]] | None = None) -> str:
    """Clean on save and again at render time: bodies written by imports or scripts never went through the admin.

    image_sizes: the library's (width, height) by picture URL, written onto each picture so the page keeps its place
    for it while it loads (outlet.publishing.media_library.prepare_article_body)."""
    cleaned = _cleaner().clean(html or "")
    if "<img" in cleaned or "<figure" in cleaned:
        cleaned = _PictureRules(image_sizes or {}).rewrite(cleaned)
    return "" if _EDITOR_EMPTY.fullmatch(cleaned) else cleaned
