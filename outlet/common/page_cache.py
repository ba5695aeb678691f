"""Whole-page caching of the article and home pages for anonymous readers.

An anonymous article page is a pure function of the language, the content version, the article, the access
decision, the meter count shown and the prompts chosen (the home page: of the language, the content version and the
banner); the key holds all of them, plus today's date for the masthead, so one reader's state can never reach
another and member-only text is only ever cached under a full-text decision that anonymous readers cannot get.
Signed-in readers are never served from this cache.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

from django.conf import settings
from django.contrib.messages import get_messages
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.html import escape

from outlet.common import near_cache

KEY_VERSION = "v1"


def may_cache(request) -> bool:
    if request.user.is_authenticated or request.method != "GET":
        return False
    return not len(get_messages(request))


def _prompt_part(prompts) -> str:
    return ",".join(f"{p.pk}@{p.updated_at.timestamp()}" if p else "-" for p in prompts)


def _digest(*, version: str, article, variant: str, meter_remaining: int | None, prompts, reader_flags: tuple) -> str:
    raw = (
        f"{translation.get_language()}|{version}|{article.pk}|{article.updated_at.timestamp()}|{variant}|{meter_remaining}|"
        f"{settings.METERED_FREE_ARTICLES}|{_prompt_part(prompts)}|{reader_flags}"
    )
    return hashlib.sha256(raw.encode()).hexdigest()


def _page_key(page: str, digest: str) -> str:
    # The masthead prints today's date, so a page cached before midnight is not served after it.
    # Every word on the page is in the active language, so the language is part of every key.
    language = translation.get_language()
    return f"{page}-page:{KEY_VERSION}:{language}:{timezone.localdate().isoformat()}:{digest}"


def article_key(*, version: str, article, variant: str, meter_remaining: int | None, prompts) -> str:
    """The whole anonymous page: `prompts` includes the banner, since the page carries it."""
    digest = _digest(
        version=version,
        article=article,
        variant=variant,
        meter_remaining=meter_remaining,
        prompts=prompts,
        reader_flags=(),
    )
    return _page_key("article", digest)


def reader_article_key(
    *, version: str, article, variant: str, meter_remaining: int | None, prompts, audience: object, is_member: bool
) -> str:
    """The page a signed-in reader of this standing sees, less their own bits (see fetch_or_render_for_reader)."""
    digest = _digest(
        version=version,
        article=article,
        variant=variant,
        meter_remaining=meter_remaining,
        prompts=prompts,
        reader_flags=("signed-in", audience, is_member),
    )
    return _page_key("reader-article", digest)


def home_key(*, version: str, banner) -> str:
    return _page_key("home", hashlib.sha256(f"{version}|{_prompt_part([banner])}".encode()).hexdigest())


def story_fragment_key(
    *, version: str, article, variant: str, meter_remaining: int | None, prompts, signed_in: bool, preview: bool
) -> str:
    """The story part of any reader's page (no header, banner or footer). Everything the fragment shows that can
    differ between readers is an input: the access decision, the meter count, the prompts inside the story,
    whether to offer "Sign in", and the staff preview notice."""
    return _digest(
        version=version,
        article=article,
        variant=variant,
        meter_remaining=meter_remaining,
        prompts=prompts,
        reader_flags=(signed_in, preview),
    )


def keep_private(response: HttpResponse) -> None:
    """These pages depend on the reader's cookies (meter, dismissed banner, session): a CDN or proxy caching them
    by URL would hand one reader's page to the next, so only our own keyed cache may keep them."""
    patch_vary_headers(response, ("Cookie",))
    patch_cache_control(response, private=True, no_cache=True)


# A page whose address carries a secret (a guest's gift or receipt token, a checkout reference) must not pass the
# address on to other sites. Not "no-referrer": under it Chromium sends "Origin: null" with the page's own forms,
# and Django's CSRF check refuses them (403 on every monthly-gift button and on the header's Sign out).
# "same-origin" gives our own forms their Origin and other sites nothing.
SECRET_URL_REFERRER_POLICY = "same-origin"


def keep_url_secret(response: HttpResponse) -> None:
    response["Referrer-Policy"] = SECRET_URL_REFERRER_POLICY


_EMAIL_HOLE = b"\x00reader-email\x00"
_CSRF_HOLE = b"\x00reader-csrf\x00"
_CSRF_FIELD = re.compile(rb'(name="csrfmiddlewaretoken" value=")[A-Za-z0-9]{32,64}(")')


def may_cache_for_reader(request) -> bool:
    """Signed-in readers share a page per standing; staff (previews, edit links) and waiting messages never do."""
    user = request.user
    return user.is_authenticated and not user.is_staff and request.method == "GET" and not len(get_messages(request))


def fetch_or_render_for_reader(key: str | None, render: Callable[[], HttpResponse], request) -> HttpResponse:
    """Profiling the signed-in article showed half its time in the template; the page differs between readers of
    one standing only by their address (header, newsletter box) and their CSRF token, so those become holes in
    the cached body and are filled in for each reader."""
    if key is None or settings.PAGE_CACHE_SECONDS <= 0:
        return render()
    email = escape(request.user.email).encode()
    body = near_cache.get(key)
    if body is not None:
        body = body.replace(_CSRF_HOLE, get_token(request).encode())
        response = HttpResponse(body.replace(_EMAIL_HOLE, email) if email else body)
        response["X-Page-Cache"] = "hit"
        return response
    response = render()
    if response.status_code == 200 and not response.cookies:
        holed = _CSRF_FIELD.sub(lambda m: m.group(1) + _CSRF_HOLE + m.group(2), response.content)
        if email:
            holed = holed.replace(email, _EMAIL_HOLE)
        near_cache.set(key, holed, settings.PAGE_CACHE_SECONDS)
    response["X-Page-Cache"] = "miss"
    return response


def fetch_or_render(key: str | None, render: Callable[[], HttpResponse]) -> HttpResponse:
    if key is None or settings.PAGE_CACHE_SECONDS <= 0:
        return render()
    body = near_cache.get(key)
    if body is not None:
        response = HttpResponse(body)
        response["X-Page-Cache"] = "hit"
        return response
    response = render()
    if response.status_code == 200:
        near_cache.set(key, response.content, settings.PAGE_CACHE_SECONDS)
    response["X-Page-Cache"] = "miss"
    return response
