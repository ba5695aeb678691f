"""The media library in article bodies: a story shows only pictures from the library, each with a description.

A body names a picture by its URL (what the editor's picture dialog stores), so these helpers go from URLs back to
library rows: to refuse a picture from anywhere else with a message the editor can act on, to give each picture its
real width and height (the page then keeps its place while it loads), and to find the stories that show a picture
before it is deleted.
"""

from __future__ import annotations

from urllib.parse import unquote

from django.conf import settings
from django.core.exceptions import ValidationError

from outlet.common.sanitize import is_library_url, sanitize_body
from outlet.publishing.body import images_in

HOW_TO_ADD = "Add pictures with the editor's picture button, then “Browse…”."


def library_file_name(src: str) -> str | None:
    """The stored file name a library URL points at (None for any other URL)."""
    if not is_library_url(src):
        return None
    return unquote(src[len(settings.MEDIA_URL) :])


def clean_article_body(html: str) -> str:
    """The article field's cleaning (outlet.publishing.models.Article.body): refuse pictures that are not from the
    library or have no description, rather than dropping them silently, then sanitise with the library's picture
    sizes."""
    from outlet.publishing.models import MediaImage

    images = images_in(html)
    if not images:
        return sanitize_body(html)
    names = {attrs.get("src", ""): library_file_name(attrs.get("src", "")) for attrs in images}
    library = {
        picture.file.name: picture
        for picture in MediaImage.objects.filter(file__in=[name for name in names.values() if name])
    }
    problems: list[str] = []
    for attrs in images:
        src = attrs.get("src", "").strip()
        name = names.get(attrs.get("src", ""))
        if name is None:
            problem = f"A picture in the story is not from the media library ({src or 'no address'}). {HOW_TO_ADD}"
        elif name not in library:
            problem = f"A picture in the story is no longer in the media library ({src}). Remove it, or pick another."
        elif not attrs.get("alt", "").strip():
            problem = (
                f"The picture “{library[name]}” has no description: click it, press the picture "
                "button and fill in “Alternative Text”."
            )
        else:
            continue
        if problem not in problems:
            problems.append(problem)
    if problems:
        raise ValidationError(problems)
    sizes = {
        src: (picture.width, picture.height)
        for src, name in names.items()
        if name in library and (picture := library[name]).width and picture.height
    }
    return sanitize_body(html, image_sizes=sizes)


def stories_using(picture):
    """Articles whose body shows this library picture (a body names it by URL, as the editor inserted it)."""
    from outlet.publishing.models import Article

    return Article.objects.filter(body__contains=f'src="{picture.file.url}"').only("pk", "title").order_by("title")
