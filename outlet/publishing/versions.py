"""A story's versions in other languages: which ones a reader can open, and where the language switcher takes a
reader who is on a story.

Each version is an Article of its own (its slug, headline, body and bylines) with its `language`; translations point
at the original (`translation_of`), so one query over the original's id finds them all."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db.models import Q
from django.urls import Resolver404, resolve
from django.utils import timezone, translation

from outlet.publishing.models import Article


def _order(language: str) -> int:
    codes = [code for code, _name in settings.LANGUAGES]
    return codes.index(language) if language in codes else len(codes)


def live_versions(article: Article, *, now: datetime | None = None) -> list[Article]:
    """Every version of `article`'s story a reader may open (itself included), in the site's language order."""
    now = now or timezone.now()
    original = article.translation_of_id or article.pk
    versions = (
        Article.objects.filter(Q(pk=original) | Q(translation_of_id=original))
        .exclude(status=Article.Status.DRAFT)
        .filter(published_at__lte=now)
        .only("pk", "slug", "language", "title", "translation_of_id")
    )
    found = {version.language: version for version in versions}
    found.setdefault(article.language, article)
    return sorted(found.values(), key=lambda version: _order(version.language))


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
            return version.get_absolute_url()
    return None
