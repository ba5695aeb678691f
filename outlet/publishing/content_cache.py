"""Cached reads of the publishing content every article page needs (the article and the running prompts).

An anonymous article page served from the page cache should cost no SQL at all, so the inputs of its cache key
come from here. Every cached entry is filed under a content version that any edit to publishing content replaces
(signals below, and the bulk updates in services.py), so an edit, an unpublish or a new prompt shows on the next
request, not after a timeout. An article is read in one language, so its edits replace only the versions of the
languages that show it (its own, and those of its translations, whose pages offer it); an edit to what every
language shows (sections, prompts, authors, regions, topics) replaces them all.

While the cache is down (outlet/common/redis_cache.py) every read here is a miss and pages are built from the database.
An edit made then cannot replace the version in the cache, so this process remembers to replace it as soon as the
cache answers again: a Redis that kept its data must not go on serving pages cached before the edit.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db.models import Prefetch, Q
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.utils import timezone, translation

from outlet.common import front_cache, near_cache
from outlet.common.release import code_fingerprint
from outlet.publishing.models import Article, Author, Byline, Prompt, Region, Section, Tag

VERSION_KEY = "publishing-content-version"
LANGUAGE_VERSION_KEY = "publishing-content-version:{language}"


def _enabled() -> bool:
    return settings.PAGE_CACHE_SECONDS > 0


def content_version(language: str | None = None) -> str:
    """The version every cached page in `language` (the active one by default) is filed under."""
    front_cache.replace_unsaved_tokens()
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    keys = [VERSION_KEY, LANGUAGE_VERSION_KEY.format(language=language)]
    found = cache.get_many(keys)
    tokens = []
    for key in keys:
        token = found.get(key)
        if token is None:
            # A fresh random token, never a counter: an evicted counter restarting at 1 would revive stale entries.
            token = uuid.uuid4().hex
            if not cache.add(key, token, timeout=None):
                token = cache.get(key) or token
        tokens.append(token)
    return f"{code_fingerprint()}-{tokens[0]}-{tokens[1]}"


def version_tokens(version: str, language: str | None = None) -> dict[str, str]:
    """The cache keys and values a page filed under `version` was built from, for the front cache to check
    (outlet/common/front_cache.py): the release is part of its key, so only the two tokens are named."""
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    _release, all_languages, this_language = version.split("-")
    return {VERSION_KEY: all_languages, LANGUAGE_VERSION_KEY.format(language=language): this_language}


def next_scheduled_change(now: datetime, *, version: str | None = None) -> datetime | None:
    """The next moment the clock alone changes what pages show: a scheduled story going live, a prompt starting
    or ending. Shared pages stop being served then (their edits replace the version instead)."""

    def load_stories() -> list[datetime]:
        stories = Article.objects.filter(
            status__in=[Article.Status.SCHEDULED, Article.Status.PUBLISHED], published_at__gt=timezone.now()
        ).order_by("published_at")
        return [moment for moment in stories.values_list("published_at", flat=True)[:50] if moment is not None]

    if _enabled():
        version = version or content_version()  # the caller's, when it read one for this request
        stories = _cached(f"scheduled-stories:{version}", load_stories)
        prompts = _cached(f"switched-on-prompts:{version}", _switched_on_prompts)
    else:
        stories, prompts = load_stories(), _switched_on_prompts()
    moments = [*stories, *(m for p in prompts for m in (p.starts_at, p.ends_at) if m is not None)]
    return min((moment for moment in moments if moment > now), default=None)


def _store_new_tokens(keys: set[str]) -> None:
    # Tokens an edit could not replace while the cache was down are replaced on this process's next read of a
    # version or of a front-cache entry (front_cache keeps the list), before anything cached earlier is served.
    front_cache.replace_tokens(keys)


def bump_content_version(*, languages: set[str] | None = None, **_signal_kwargs) -> None:
    """Replace the version of `languages`' pages, or of every page when none are named."""
    if languages is None:
        _store_new_tokens({VERSION_KEY})
    else:
        _store_new_tokens({LANGUAGE_VERSION_KEY.format(language=language) for language in languages})


def languages_showing(article: Article) -> set[str]:
    """The languages whose pages show this article: its own, and its other versions' (they offer it)."""
    original = article.translation_of_id or article.pk
    versions = Article.objects.filter(Q(pk=original) | Q(translation_of_id=original)).values_list("language", flat=True)
    return {article.language, *versions}


def _article_changing(sender, instance, **_signal_kwargs) -> None:
    """An article moved to another language leaves its old language's pages too."""
    if instance.pk:
        before = Article.objects.filter(pk=instance.pk).values_list("language", flat=True).first()
        if before and before != instance.language:
            bump_content_version(languages={before})


def _article_changed(sender, instance, **_signal_kwargs) -> None:
    bump_content_version(languages=languages_showing(instance))


def _byline_changed(sender, instance, **_signal_kwargs) -> None:
    article = Article.objects.filter(pk=instance.article_id).first()
    bump_content_version(languages=languages_showing(article) if article else None)


def _article_links_changed(sender, instance, **_signal_kwargs) -> None:
    """An article's topics or tiers changed (from the article's side), or a topic's articles (from the topic's)."""
    bump_content_version(languages=languages_showing(instance) if isinstance(instance, Article) else None)


def _load_article(slug: str) -> Article | None:
    article = (
        Article.objects.select_related("section", "region")
        .prefetch_related(Prefetch("bylines", queryset=Byline.objects.select_related("author")), "tags")
        .filter(slug=slug)
        .first()
    )
    if article is not None:
        article.allowed_tier_ids = (
            frozenset(article.allowed_tiers.values_list("id", flat=True))
            if article.access == Article.Access.TIERS
            else frozenset()
        )
        from outlet.publishing.versions import version_rows

        article.version_rows = version_rows(article)  # the story in other languages ("Also in"), cached with it
    return article


def _cached(key: str, load, *, found: dict | None = None):
    """The value under `key` (taken from an earlier get_many's `found` when given), loaded and stored on a miss.
    Every key here carries a content version, so the value never changes: this process keeps its own copy."""
    value = found.get(key) if found is not None else near_cache.get(key)
    if value is None:
        value = load()
        near_cache.set(key, value, settings.PAGE_CACHE_SECONDS)
    return value


def _switched_on_prompts() -> list[Prompt]:
    return list(Prompt.objects.filter(is_active=True).order_by("-priority", "-updated_at", "id"))


def _running(prompts: list[Prompt], now: datetime) -> list[Prompt]:
    """Dates are checked per request, so a prompt starts and ends on time even though the list is cached."""
    return [
        p for p in prompts if (p.starts_at is None or p.starts_at <= now) and (p.ends_at is None or p.ends_at > now)
    ]


@dataclass(frozen=True)
class ArticlePageContent:
    version: str
    article: Article | None  # whatever its status: the caller decides who may see it
    prompts: list[Prompt]  # running now, best first


def article_page_content(slug: str, *, now: datetime) -> ArticlePageContent:
    """The article (bylines, tags, allowed tiers) and the running prompts: two cache round trips when warm."""
    if not _enabled():
        return ArticlePageContent("uncached", _load_article(slug), _running(_switched_on_prompts(), now))
    version = content_version()
    article_key, prompts_key = f"article-snapshot:{version}:{slug}", f"switched-on-prompts:{version}"
    found = near_cache.get_many([article_key, prompts_key])
    article = found.get(article_key)
    if article is None:
        article = _load_article(slug)
        if article is not None:
            near_cache.set(article_key, article, settings.PAGE_CACHE_SECONDS)
    if article is not None and article.language != translation.get_language():
        # A story shown under another language's prefix (it has no version in that language) is filed under its
        # own language's version, which every edit to it replaces.
        version = content_version(article.language)
        own_key = f"article-snapshot:{version}:{slug}"
        article = near_cache.get(own_key)
        if article is None:
            article = _load_article(slug)
            if article is not None:
                near_cache.set(own_key, article, settings.PAGE_CACHE_SECONDS)
    prompts = _cached(prompts_key, _switched_on_prompts, found=found)
    return ArticlePageContent(version, article, _running(prompts, now))


def running_prompts(*, now: datetime | None = None) -> list[Prompt]:
    """Switched-on prompts inside their dates, best first."""
    now = now or timezone.now()
    if not _enabled():
        return _running(_switched_on_prompts(), now)
    return _running(_cached(f"switched-on-prompts:{content_version()}", _switched_on_prompts), now)


def navigation_sections() -> list[tuple[str, str]]:
    """(name, url) of the sections in the site's navigation, in the active language; every page shows them."""

    def load() -> list[tuple[str, str]]:
        return [(s.name, s.get_absolute_url()) for s in Section.objects.filter(in_navigation=True)]

    if not _enabled():
        return load()
    return _cached(f"navigation-sections:{translation.get_language()}:{content_version()}", load)


def connect_signals() -> None:
    for model, receiver in (
        (Article, _article_changed),
        (Byline, _byline_changed),
        (Prompt, bump_content_version),
        (Section, bump_content_version),
        (Region, bump_content_version),
        (Author, bump_content_version),
        (Tag, bump_content_version),
    ):
        post_save.connect(receiver, sender=model, dispatch_uid=f"content-version-save-{model.__name__}")
        post_delete.connect(receiver, sender=model, dispatch_uid=f"content-version-delete-{model.__name__}")
    pre_save.connect(_article_changing, sender=Article, dispatch_uid="content-version-language-move")
    for through in (Article.tags.through, Article.allowed_tiers.through):
        m2m_changed.connect(
            _article_links_changed, sender=through, dispatch_uid=f"content-version-m2m-{through.__name__}"
        )
