"""Anonymous pages answered before the session, CSRF, auth and locale middleware run.

Profiling the anonymous article page (bench/article_load.py) showed its time going on four Redis round trips and
the middleware around a body that was already cached; the page itself was never rebuilt. This layer files the whole
response under what the request carries that can change it (address, host, scheme, the reader's language choice
and the few cookies pages read), and serves it after one or two round trips that confirm nothing it was built from
has changed since:

- A view opts a response in with `share()`, naming the tokens it was built from (`depends_on`: cache keys whose
  values an edit replaces, e.g. the publishing content version) and the moment it stops being true by the clock
  (`fresh_until`: the next scheduled story or prompt, a fundraiser's freshness). Nothing is shared otherwise.
- Only requests without a session or a flash message are answered from the anonymous pages, so a signed-in reader,
  staff, or anyone in the middle of a form never gets one; a response that sets any cookie but the CSRF one is not
  kept.
- Signed-in readers get pages of their own kind (see "Signed-in readers" below), never an anonymous one.
- A page with a form keeps a hole where its CSRF token was and gets this reader's token (and cookie) when served.
- Per-reader cookie work a page still needs on every view (the metered-story count) is done by a registered
  refresher when the page is served from here.

Entries live in this process (bounded LRU) and in the shared cache, so other web machines can use them; the shared
tokens are read on every hit, so an edit shows on the next request everywhere. When Redis is down every lookup is
a miss and the page is built as usual.

Signed-in readers: profiling their article page showed most of its time in the session, auth, locale and CSRF
middleware and in four ORM queries, around a body already cached per standing. A registered reader check
(`register_reader_check`, publishing's `reader_pass`) vouches for the session with one SQL query made on every
request (the session row, the user, the membership and the metered reads: signing out, a password change or a lapsed
membership count at once, with no cache to invalidate) and names the reader's *shape*: everything about them a page
may show, less their address. A view offers such a page with `share(reader_shape=...)` built from its own lookups;
it is filed under the request's key plus that shape, with the reader's address and CSRF token as holes, and served
to any reader of the same shape. A story that counted a read offers the shape after that read (what the reader's
next request will carry). Staff and readers with a message waiting are never answered or kept.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote, quote_plus

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware, get_token
from django.utils import timezone
from django.utils.html import escape

from outlet.common import languages
from outlet.common.release import code_fingerprint

KEY_VERSION = "f1"
CSRF_HOLE = b"\x00outlet-csrf-token\x00"
EMAIL_HOLE = b"\x00outlet-reader-email\x00"
_CSRF_FIELD = re.compile(rb'(name="csrfmiddlewaretoken" value=")[A-Za-z0-9]{32,64}(")')
_NOT_KEPT_HEADERS = {"content-length", "x-page-cache"}

Refresher = Callable[[HttpRequest, HttpResponse, str], None]
_refreshers: dict[str, tuple[Refresher, str]] = {}


def register_refresher(name: str, refresher: Refresher, *, cookie: str) -> None:
    """Cookie work a shared page still needs per reader: refresher(request, response, argument) sets `cookie`."""
    _refreshers[name] = (refresher, cookie)


@dataclass(frozen=True)
class ReaderPass:
    """A signed-in reader the registered check vouched for on this request."""

    shape: str  # everything about them a shared page may show, less their address
    email: str


ReaderCheck = Callable[[HttpRequest], ReaderPass | None]
_reader_checks: list[ReaderCheck] = []
_reader_check_warm_ups: list[Callable[[], object]] = []


def register_reader_check(check: ReaderCheck, *, warm_up: Callable[[], object] | None = None) -> None:
    """check(request) vouches for a request's session (None: it cannot, and Django's own path decides). warm_up()
    does what the check would otherwise do on a new process's first request (outlet/common/warm_up.py calls it)."""
    _reader_checks[:] = [check]
    _reader_check_warm_ups[:] = [warm_up] if warm_up else []


def warm_up_reader_check() -> None:
    for warm_up in _reader_check_warm_ups:
        warm_up()


@dataclass
class Entry:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    depends_on: dict[str, str]
    fresh_until: float
    csrf_hole: bool
    refreshers: list[tuple[str, str]] = field(default_factory=list)
    email_hole: bool = False  # a signed-in reader's page: their address is filled in when served


class _LocalEntries:
    """The process's own copies, newest last; bounded by the bytes of the bodies they hold."""

    def __init__(self) -> None:
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: str, entry: Entry) -> None:
        limit = settings.FRONT_CACHE_LOCAL_BYTES
        if len(entry.body) > limit // 4:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= len(old.body)
            self._entries[key] = entry
            self._bytes += len(entry.body)
            while self._bytes > limit and self._entries:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= len(dropped.body)

    def drop(self, key: str) -> None:
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= len(old.body)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0


local_entries = _LocalEntries()


# Tokens a change could not replace because the cache was down; replaced on this process's next read of one.
_unsaved_tokens: set[str] = set()


def replace_unsaved_tokens() -> None:
    """A change made while the cache was down could not replace its tokens: do it before anything is read, so a
    Redis that kept its data never serves what was cached before the change."""
    if _unsaved_tokens:
        replace_tokens(set(_unsaved_tokens))


def current_tokens(keys: list[str]) -> dict[str, str]:
    """The value under each key (a fresh random one where none is stored yet), for share(depends_on=...)."""
    replace_unsaved_tokens()
    found = cache.get_many(keys)
    for key in keys:
        if key not in found:
            # Random, never a counter: an evicted counter restarting at 1 would revive entries built before it.
            token = uuid.uuid4().hex
            found[key] = token if cache.add(key, token, timeout=None) else (cache.get(key) or token)
    return found


def replace_tokens(keys: set[str]) -> None:
    """Every shared page that depends on one of these keys is no longer served (call after the change commits)."""
    failed = cache.set_many({key: uuid.uuid4().hex for key in keys}, timeout=None)
    _unsaved_tokens.difference_update(keys)
    _unsaved_tokens.update(failed or ())


def enabled() -> bool:
    return settings.PAGE_CACHE_SECONDS > 0 and settings.FRONT_CACHE


def may_answer(request: HttpRequest) -> bool:
    """A reading request from someone with no session and no message waiting: the only ones a shared page fits."""
    return settings.SESSION_COOKIE_NAME not in request.COOKIES and _reading(request)


def may_answer_signed_in(request: HttpRequest) -> bool:
    """A reading request with a session, which the reader check may vouch for."""
    return bool(_reader_checks) and settings.SESSION_COOKIE_NAME in request.COOKIES and _reading(request)


def _reading(request: HttpRequest) -> bool:
    if request.method != "GET" or "HTTP_AUTHORIZATION" in request.META or "messages" in request.COOKIES:
        return False
    # Only the parameters pages read (?page=, ?currency=), short: random query strings from a crawler must not each
    # become a stored copy of the page.
    return (
        all(name in settings.FRONT_CACHE_QUERY_PARAMETERS and len(value) <= 12 for name, value in request.GET.items())
        and len(request.GET) <= 2
    )


def request_key(request: HttpRequest, *, reader_shape: str | None = None) -> str:
    """Everything a shared page may depend on in the request; a view reading anything else must not share().
    A signed-in reader's page is filed apart from the anonymous ones, under their shape as well."""
    cookies = request.COOKIES
    parts = [
        code_fingerprint(),  # a new release never serves the previous one's markup
        request.scheme,
        request.get_host(),
        request.path,
        request.META.get("QUERY_STRING", ""),
        # An English (unprefixed) address redirects a reader who prefers another language.
        languages.preferred(request) if languages.language_of_path(request.path_info) is None else "",
        timezone.localdate().isoformat(),  # the masthead's date
        *(cookies.get(name, "") for name in settings.FRONT_CACHE_KEY_COOKIES),
    ]
    if reader_shape is not None:
        parts += ["signed-in", reader_shape]
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    kind = "front-page" if reader_shape is None else "front-reader-page"
    return f"{kind}:{KEY_VERSION}:{digest}"


def share(
    request: HttpRequest,
    response: HttpResponse,
    *,
    depends_on: dict[str, str],
    fresh_until: datetime | None = None,
    refreshers: Iterable[tuple[str, str]] = (),
    reader_shape: str | None = None,
) -> None:
    """Offer this response to later readers whose requests look the same (see the module's docstring): anonymous
    ones, or with `reader_shape` (from the view's own lookups) signed-in readers of that shape."""
    response.front_cache_offer = (  # type: ignore[attr-defined]
        dict(depends_on),
        fresh_until.timestamp() if fresh_until else None,
        list(refreshers),
        reader_shape,
    )


def _keepable(
    request: HttpRequest, response: HttpResponse, refreshers: list[tuple[str, str]], reader_shape: str | None
) -> bool:
    if response.status_code != 200 or response.streaming or getattr(request, "user", None) is None:
        return False
    user = request.user
    if reader_shape is None and user.is_authenticated:
        return False
    # A signed-in page is kept only for a reader the check could vouch for next time, with an address to hole.
    if reader_shape is not None and not (user.is_authenticated and not user.is_staff and user.email):
        return False
    # Any cookie but the CSRF one (the hole) and the refreshers' (set again when served) is this reader's alone.
    renewed = {settings.CSRF_COOKIE_NAME, *(_refreshers[name][1] for name, _argument in refreshers)}
    return all(name in renewed for name in response.cookies)


def keep(request: HttpRequest, response: HttpResponse, key: str | None = None) -> None:
    """File an offered response: an anonymous one under `key` (the request's, read before the view ran), a signed-in
    reader's under the request's key plus the shape the view offered."""
    offer = getattr(response, "front_cache_offer", None)
    if offer is None:
        return
    depends_on, fresh_until, refreshers, reader_shape = offer
    if not _keepable(request, response, refreshers, reader_shape):
        return
    if reader_shape is not None:
        key = request_key(request, reader_shape=reader_shape)
    elif key is None:
        return
    now = time.time()
    lifetime = (
        settings.PAGE_CACHE_SECONDS if fresh_until is None else min(settings.PAGE_CACHE_SECONDS, fresh_until - now)
    )
    if lifetime < 1:
        return
    # Every form's token becomes the hole (templates only ever print it through {% csrf_token %}).
    body, holes = _CSRF_FIELD.subn(lambda m: m.group(1) + CSRF_HOLE + m.group(2), response.content)
    csrf_hole = holes > 0
    if reader_shape is not None:
        email = getattr(request.user, "email", "")
        body = body.replace(escape(email).encode(), EMAIL_HOLE)
        # The address printed any other way (a link's query, say) would reach the next reader of this shape.
        if any(form.encode() in body for form in (email, quote(email), quote_plus(email))):
            return
    entry = Entry(
        status=response.status_code,
        headers=[(name, value) for name, value in response.items() if name.lower() not in _NOT_KEPT_HEADERS],
        body=body,
        depends_on=depends_on,
        fresh_until=now + lifetime,
        csrf_hole=csrf_hole,
        refreshers=refreshers,
        email_hole=reader_shape is not None,
    )
    local_entries.put(cache.make_key(key), entry)
    cache.set(key, entry, int(lifetime))


def _still_true(entry: Entry) -> bool:
    if entry.fresh_until <= time.time():
        return False
    if not entry.depends_on:
        return True
    current = cache.get_many(list(entry.depends_on))
    return all(current.get(name) == token for name, token in entry.depends_on.items())


def lookup(key: str) -> Entry | None:
    replace_unsaved_tokens()
    local_key = cache.make_key(key)  # the shared cache's prefix included: one process may see several caches
    entry = local_entries.get(local_key)
    if entry is None:
        entry = cache.get(key)
        if not isinstance(entry, Entry):
            return None
        local_entries.put(local_key, entry)
    if not _still_true(entry):
        local_entries.drop(local_key)
        return None
    return entry


def respond(request: HttpRequest, entry: Entry, reader: ReaderPass | None = None) -> HttpResponse:
    body = entry.body
    if reader is not None:
        body = body.replace(EMAIL_HOLE, escape(reader.email).encode())
    csrf = None
    if entry.csrf_hole:
        csrf = CsrfViewMiddleware(lambda _request: HttpResponse())
        csrf.process_request(request)  # reads the reader's CSRF cookie, if any, as the middleware would
        body = body.replace(CSRF_HOLE, get_token(request).encode())
    response = HttpResponse(body, status=entry.status)
    for name, value in entry.headers:
        response[name] = value
    response["Content-Length"] = str(len(body))
    response["X-Page-Cache"] = "front-reader" if entry.email_hole else "front"
    for name, argument in entry.refreshers:
        refresher, _cookie = _refreshers[name]
        refresher(request, response, argument)
    if csrf is not None:
        csrf.process_response(request, response)  # sets the CSRF cookie for a reader who had none
    return response


class FrontCacheMiddleware:
    """Sits above the session middleware: a hit never touches the session, auth, CSRF or locale machinery."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not enabled():
            return self.get_response(request)
        if may_answer(request):
            key = request_key(request)
            entry = lookup(key)
            if entry is not None and not entry.email_hole:  # the keys keep the kinds apart; so does this
                return respond(request, entry)
            response = self.get_response(request)
            keep(request, response, key)
            return response
        if may_answer_signed_in(request):
            reader = _reader_checks[0](request)
            if reader is not None:
                entry = lookup(request_key(request, reader_shape=reader.shape))
                if entry is not None and entry.email_hole:
                    return respond(request, entry, reader)
            response = self.get_response(request)
            keep(request, response)
            return response
        return self.get_response(request)
