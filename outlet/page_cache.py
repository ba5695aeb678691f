"""Whole-page caching of article pages for anonymous readers.

An anonymous article page is a pure function of the article's version, the access decision, the meter count
shown and the prompts chosen; the key holds all of them, so one reader's state can never reach another and
member-only text is only ever cached under a full-text decision that anonymous readers cannot get. Signed-in
readers are never served from this cache.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.http import HttpResponse

KEY_VERSION = "v1"


def may_cache(request) -> bool:
    if request.user.is_authenticated or request.method != "GET":
        return False
    return not len(get_messages(request))


def _digest(*, version: str, article, variant: str, meter_remaining: int | None, prompts, reader_flags: tuple) -> str:
    prompt_part = ",".join(f"{p.pk}@{p.updated_at.timestamp()}" if p else "-" for p in prompts)
    raw = (f"{version}|{article.pk}|{article.updated_at.timestamp()}|{variant}|{meter_remaining}|"
           f"{settings.METERED_FREE_ARTICLES}|{prompt_part}|{reader_flags}")
    return hashlib.sha256(raw.encode()).hexdigest()


def article_key(*, version: str, article, variant: str, meter_remaining: int | None, prompts) -> str:
    """The whole anonymous page: `prompts` includes the banner, since the page carries it."""
    digest = _digest(version=version, article=article, variant=variant, meter_remaining=meter_remaining,
                     prompts=prompts, reader_flags=())
    return f"article-page:{KEY_VERSION}:{digest}"


def story_fragment_key(*, version: str, article, variant: str, meter_remaining: int | None, prompts,
                       signed_in: bool, preview: bool) -> str:
    """The story part of any reader's page (no header, banner or footer). Everything the fragment shows that can
    differ between readers is an input: the access decision, the meter count, the prompts inside the story,
    whether to offer "Sign in", and the staff preview notice."""
    return _digest(version=version, article=article, variant=variant, meter_remaining=meter_remaining,
                   prompts=prompts, reader_flags=(signed_in, preview))


def fetch_or_render(key: str | None, render: Callable[[], HttpResponse]) -> HttpResponse:
    if key is None or settings.ARTICLE_CACHE_SECONDS <= 0:
        return render()
    body = cache.get(key)
    if body is not None:
        response = HttpResponse(body)
        response["X-Page-Cache"] = "hit"
        return response
    response = render()
    if response.status_code == 200:
        cache.set(key, response.content, settings.ARTICLE_CACHE_SECONDS)
    response["X-Page-Cache"] = "miss"
    return response
