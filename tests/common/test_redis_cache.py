"""The project's Redis cache backend: in production the page cache and healthz use the real Redis; when Redis is
gone, reads are misses, writes do nothing, counts are refused rather than guessed, and a circuit breaker keeps a
dead Redis from costing every call a timeout."""

from __future__ import annotations

import logging
import socket
import threading
import time

import pytest
from django.test import Client

from outlet.common.redis_cache import CacheUnavailable, CircuitBreaker, ReusedClientRedisCache
from tests.factories import ArticleFactory

ALLAUTH_KEY = "allauth:rl:allauth.account:login_failed:5/300/key:abc"


# --- Against the real Redis (integration) -----------------------------------------------------------------------


@pytest.mark.integration
@pytest.mark.django_db
def test_anonymous_article_pages_are_cached_in_redis(real_postgres, real_redis, settings):
    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
    article = ArticleFactory()
    before = set(real_redis.scan_iter(f"{settings.CACHES['default']['KEY_PREFIX']}*"))

    assert Client().get(article.get_absolute_url())["X-Page-Cache"] == "miss"

    added = set(real_redis.scan_iter(f"{settings.CACHES['default']['KEY_PREFIX']}*")) - before
    assert any(b"article-page" in key for key in added)
    assert Client().get(article.get_absolute_url())["X-Page-Cache"] in {"hit", "front"}


@pytest.mark.integration
@pytest.mark.django_db
def test_healthz_is_green_against_postgres_and_redis(real_postgres, real_redis):
    body = Client().get("/healthz").json()
    assert body["status"] == "ok", body


# --- With nothing listening, or a Redis that never answers (no server needed) -----------------------------------


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SilentServer:
    """Accepts TCP connections (the kernel does, from the listen backlog) and never answers: a hung Redis."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]

    def close(self):
        self.sock.close()


@pytest.fixture
def silent_redis():
    server = SilentServer()
    yield server
    server.close()


def backend(port: int, **options) -> ReusedClientRedisCache:
    """A backend as settings make it, with a key prefix of its own (the breaker is per process and cache)."""
    from django.conf import settings

    return ReusedClientRedisCache(
        f"redis://127.0.0.1:{port}/0",
        {"KEY_PREFIX": f"t{time.monotonic_ns()}", "OPTIONS": {**settings.REDIS_CACHE_OPTIONS, **options}},
    )


def test_without_redis_reads_are_misses_and_writes_do_nothing():
    cache = backend(unused_port())

    assert cache.get("page", "default") == "default"
    assert cache.get_many(["a", "b"]) == {}
    assert cache.has_key("page") is False
    assert cache.set("page", "<html>") is None
    assert cache.set_many({"a": 1, "b": 2}) == ["a", "b"], "set_many names the keys it could not store"
    assert cache.delete("page") is False
    assert cache.touch("page") is False
    assert cache.get_or_set("page", lambda: "rendered") == "rendered"


def test_without_redis_nobody_wins_a_claim_and_nothing_is_counted():
    cache = backend(unused_port())

    assert cache.add("claim", 1) is False
    with pytest.raises(CacheUnavailable):
        cache.incr("limit")
    with pytest.raises(CacheUnavailable):
        cache.decr("limit")
    try:
        cache.incr("limit")
    except ValueError:  # what callers catch as "the counter expired, start again at 1"
        pytest.fail("a count the cache could not take must not look like an expired counter")
    except CacheUnavailable:
        pass


def test_sign_in_limits_are_kept_in_this_process_while_redis_is_down():
    cache = backend(unused_port())

    assert cache.add(f"{ALLAUTH_KEY}:lock", True, timeout=10) is True
    assert cache.add(f"{ALLAUTH_KEY}:lock", True, timeout=10) is False, "the lock is held"
    cache.set(ALLAUTH_KEY, [1.0, 2.0], 300)
    assert cache.get(ALLAUTH_KEY) == [1.0, 2.0]
    cache.delete(f"{ALLAUTH_KEY}:lock")
    assert cache.add(f"{ALLAUTH_KEY}:lock", True, timeout=10) is True, "released"
    assert cache.get("page") is None, "other keys are still misses"


def test_a_hung_redis_costs_one_timeout_then_microseconds(silent_redis):
    cache = backend(silent_redis.port, socket_timeout=0.3, socket_connect_timeout=0.3, OUTAGE_RETRY_SECONDS=30)

    started = time.perf_counter()
    assert cache.get("page") is None
    first = time.perf_counter() - started
    started = time.perf_counter()
    for n in range(1000):
        assert cache.get(f"page-{n}") is None
        cache.set(f"page-{n}", "<html>")
    rest = time.perf_counter() - started

    assert 0.25 < first < 2, f"the first call waits for the socket timeout ({first:.2f} s)"
    assert rest < 0.5, f"2,000 calls with the breaker open took {rest:.2f} s"


def test_an_outage_is_logged_once_not_per_call(caplog):
    cache = backend(unused_port(), OUTAGE_RETRY_SECONDS=0)  # every call probes Redis again
    with caplog.at_level(logging.WARNING, logger="outlet.common.redis_cache"):
        for n in range(200):
            cache.get(f"page-{n}")
    lines = [r for r in caplog.records if r.name == "outlet.common.redis_cache"]
    assert len(lines) == 1 and "unreachable" in lines[0].getMessage()
    assert f"{cache.breaker.name}" in lines[0].getMessage()


def test_a_password_in_the_redis_url_is_not_logged(caplog):
    port = unused_port()
    cache = ReusedClientRedisCache(f"redis://:s3cret-pass@127.0.0.1:{port}/2", {"KEY_PREFIX": "pw"})
    with caplog.at_level(logging.WARNING, logger="outlet.common.redis_cache"):
        cache.get("page")
    assert f"127.0.0.1:{port}/2" in caplog.text and "s3cret-pass" not in caplog.text


def test_healthz_asks_redis_itself_whatever_the_breaker_says():
    cache = backend(unused_port())
    with pytest.raises(CacheUnavailable):
        cache.ping()


# --- The circuit breaker on its own clock ------------------------------------------------------------------------


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_breaker_lets_one_probe_through_per_period_and_closes_when_it_succeeds(caplog):
    clock = Clock()
    breaker = CircuitBreaker(name="cache:6379/0", retry_seconds=5, log_seconds=60, clock=clock)
    assert breaker.allows_call()

    breaker.failed(ConnectionError("refused"))
    assert not breaker.allows_call()
    clock.now += 4.9
    assert not breaker.allows_call()
    clock.now += 0.2
    assert breaker.allows_call(), "the probe"
    assert not breaker.allows_call(), "only one caller probes; the rest keep going without Redis"

    with caplog.at_level(logging.WARNING, logger="outlet.common.redis_cache"):
        breaker.succeeded()
    assert breaker.allows_call() and breaker.allows_call()
    assert "reachable again after 5 s" in caplog.text


def test_a_long_outage_is_reported_once_a_minute_with_the_calls_it_spared(caplog):
    clock = Clock()
    breaker = CircuitBreaker(name="cache:6379/0", retry_seconds=5, log_seconds=60, clock=clock)
    with caplog.at_level(logging.WARNING, logger="outlet.common.redis_cache"):
        for _ in range(30):  # 150 s of probes failing every 5 s, 10 calls spared in between each time
            breaker.failed(ConnectionError("refused"))
            for _ in range(10):
                breaker.allows_call()
            clock.now += 5
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 3, lines  # at 0 s, 60 s and 120 s
    assert "still unreachable after 60 s" in lines[1] and "120 calls answered without it" in lines[1]


def test_threads_of_one_process_share_one_breaker():
    port = unused_port()
    caches = []

    def make():
        caches.append(ReusedClientRedisCache(f"redis://127.0.0.1:{port}/0", {"KEY_PREFIX": "shared"}))

    threads = [threading.Thread(target=make) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    caches[0].get("page")
    assert all(cache.breaker is caches[0].breaker and cache.breaker.is_open for cache in caches)


@pytest.mark.integration
def test_threads_of_one_process_share_one_connection_pool(real_redis, settings):
    """A connection opened in one thread (warm-up's ping, say) serves the next thread's first call: each thread no
    longer opens connections of its own (outlet.common.redis_cache.ReusedClientRedisCacheClient)."""
    url = settings.CACHES["default"]["LOCATION"]
    options = {"KEY_PREFIX": f"shared-pool-{time.monotonic_ns()}", "OPTIONS": settings.REDIS_CACHE_OPTIONS}
    main = ReusedClientRedisCache(url, options)
    main.ping()
    pool = main._cache._get_connection_pool(write=True)
    opened = pool._created_connections
    seen = []

    def first_call_of_a_new_thread():
        cache = ReusedClientRedisCache(url, options)  # Django makes one per thread
        cache.set("page", "body")
        seen.append(
            (cache._cache._get_connection_pool(write=True), cache._cache.get_client(write=True), cache.get("page"))
        )

    thread = threading.Thread(target=first_call_of_a_new_thread)
    thread.start()
    thread.join()
    [(thread_pool, thread_client, value)] = seen
    assert value == "body"
    assert thread_pool is pool and thread_client is main._cache.get_client(write=True)
    assert pool._created_connections == opened  # the thread's first call used the connection already open
