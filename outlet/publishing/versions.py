"""A story's versions in other languages: which ones a reader can open, and where the language switcher takes a
reader who is on a story.

Each version is an Article of its own (its slug, headline, body and bylines) with its `language`; translations point
at the original (`translation_of`), so one query over the original's id finds them all."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from django.conf import settings
from django.db.models import Q
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone, translation

from outlet.publishing.models import Article


class VersionRow(NamedTuple):
    pk: int
    language: str
    slug: str
    status: str
    published_at: datetime | None


class Version(NamedTuple):
    language: str
    name: str  # the language's own name for itself: "ქართული", "Русский"
    url: str
    current: bool  # the version being read


def _order(language: str) -> int:
    codes = [code for code, _name in settings.LANGUAGES]
    return codes.index(language) if language in codes else len(codes)


def version_rows(article: Article) -> list[VersionRow]:
    """Every version of the story (itself included), live or not: the article page keeps them in its snapshot."""
    original = article.translation_of_id or article.pk
    rows = Article.objects.filter(Q(pk=original) | Q(translation_of_id=original)).values_list(
        "pk", "language", "slug", "status", "published_at"
    )
    return [VersionRow(*row) for row in rows]


def live_versions(article: Article, *, now: datetime | None = None) -> list[Version]:
    """Every version of `article`'s story a reader may open (itself included), in the site's language order."""
    now = now or timezone.now()
    rows = getattr(article, "version_rows", None)
    if rows is None:
        rows = version_rows(article)
    found: dict[str, Version] = {}
    for row in rows:
        live = row.status != Article.Status.DRAFT and row.published_at is not None and row.published_at <= now
        if live or row.pk == article.pk:
            found[row.language] = Version(
                language=row.language,
                name=dict(settings.LANGUAGES).get(row.language, row.language),
                url=_address(row.language, row.slug),
                current=row.pk == article.pk,
            )
    return sorted(found.values(), key=lambda version: _order(version.language))


def _address(language: str, slug: str) -> str:
    with translation.override(language):
        return reverse("outlet:article", kwargs={"slug": slug})


def address_in_language(path: str, language: str) -> str | None:
    """For a story's address, the address of its version in `language`; None when `path` is not a story or the story
    has no live version in that language (the page is then shown in the original's words: see the article view)."""
    prefix_language = translation.get_language_from_path(path) or settings.LANGUAGE_CODE
    try:
        with translation.override(prefix_language):
            match = resolve(path)
    except Resolver404:
        return None
    if match.view_name != "outlet:article":
        return None
    article = Article.objects.filter(slug=match.kwargs.get("slug", "")).first()
    if article is None:
        return None
    for version in live_versions(article):
        if version.language == language:
            return version.url
    return None
