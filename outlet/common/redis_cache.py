"""Django's Redis cache backend: one client per connection pool, and a Redis outage that readers do not notice.

Speed: Django builds a new `redis.Redis` for every cache call, and each one copies ~170 response callbacks: about a
third of the time an anonymous article page spends on a cache hit. A client over a shared connection pool is
thread-safe, so it is built once.

Outage: the cache makes pages faster; it must never be why a page fails. While Redis cannot be reached
- reads are misses (get, get_many, has_key) and writes do nothing (set, set_many, delete, touch), so every page is
  rendered from the database, more slowly;
- `add` answers False, "not added": callers use it to claim something once (a solved challenge, a sweep's turn),
  and the safe answer to "am I the first?" is no;
- `incr`/`decr` raise CacheUnavailable. A count is a decision (a rate limit) and is never guessed; in particular
  they do not raise Django's ValueError for a missing key, which callers take as "the counter expired, start at
  one" and which would quietly open every limit;
- keys starting with one of OPTIONS["LOCAL_FALLBACK_PREFIXES"] are kept in this process's memory instead (sign-in's
  rate limits: see settings), so those limits stay on, per process, until Redis is back.
After a failure a circuit breaker leaves Redis alone for OUTAGE_RETRY_SECONDS and then lets one call probe it, so a
dead Redis costs a few microseconds per call rather than a connect timeout, and the log gets one line when Redis
goes, one every OUTAGE_LOG_SECONDS while it stays away, and one when it is back.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

# What "Redis is not there" looks like through redis-py: refused, reset, timed out, still loading its data after a
# restart (BusyLoadingError is a ConnectionError). Other errors are bugs and are raised as usual.
OUTAGE_ERRORS = (RedisConnectionError, RedisTimeoutError)
# Used when OPTIONS does not say otherwise. A healthy Redis next to the web server answers in about a millisecond.
DEFAULT_POOL_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 1.0}
DEFAULT_RETRY_SECONDS = 5.0
DEFAULT_LOG_SECONDS = 60.0
LOCAL_FALLBACK_MAX_ENTRIES = 50_000  # a flood of sign-in attempts must not cull the counters that stop it


class CacheUnavailable(Exception):
    """The cache could not be reached, so it could not count. Callers that limit something decide what that means."""


class CircuitBreaker:
    """Remembers, per process and cache, that Redis is down, so each call does not wait to find out again."""

    def __init__(
        self, *, name: str, retry_seconds: float, log_seconds: float, clock: Callable[[], float] = time.monotonic
    ):
        self.name, self.retry_seconds, self.log_seconds, self._clock = name, retry_seconds, log_seconds, clock
        self._lock = threading.Lock()
        self._down_since: float | None = None
        self._next_probe = 0.0
        self._last_report = 0.0
        self._spared = 0  # calls answered without Redis since the last log line

    @property
    def is_open(self) -> bool:
        return self._down_since is not None

    def allows_call(self) -> bool:
        """True while Redis is up, and for one caller per retry period while it is down (the probe)."""
        if self._down_since is None:
            return True
        with self._lock:
            if self._down_since is None:
                return True
            now = self._clock()
            if now >= self._next_probe:
                self._next_probe = now + self.retry_seconds
                return True
            self._spared += 1
            return False

    def succeeded(self) -> None:
        if self._down_since is None:
            return
        with self._lock:
            if self._down_since is None:
                return
            logger.warning(
                "Redis cache %s is reachable again after %.0f s; %d calls were answered without it meanwhile",
                self.name,
                self._clock() - self._down_since,
                self._spared,
            )
            self._down_since, self._spared = None, 0

    def failed(self, error: Exception) -> None:
        with self._lock:
            now = self._clock()
            self._next_probe = now + self.retry_seconds
            if self._down_since is None:
                self._down_since, self._last_report, self._spared = now, now, 0
                logger.error(
                    "Redis cache %s is unreachable (%s: %s); pages are served without it, retrying every %.0f s",
                    self.name,
                    type(error).__name__,
                    error,
                    self.retry_seconds,
                )
            elif now - self._last_report >= self.log_seconds:
                logger.error(
                    "Redis cache %s still unreachable after %.0f s (%s); %d calls answered without it since the last "
                    "report",
                    self.name,
                    now - self._down_since,
                    type(error).__name__,
                    self._spared,
                )
                self._last_report, self._spared = now, 0


_breakers: dict[tuple, CircuitBreaker] = {}
_breakers_lock = threading.Lock()


def _breaker_for(key: tuple, **options) -> CircuitBreaker:
    """Django makes a backend per thread; the knowledge that Redis is down belongs to the whole process."""
    with _breakers_lock:
        if key not in _breakers:
            _breakers[key] = CircuitBreaker(**options)
        return _breakers[key]


def _where(servers: list[str]) -> str:
    """host:port/db of each server, without any password in the URL, for log lines."""
    parts = [urlsplit(server) for server in servers]
    return ",".join(f"{p.hostname}:{p.port or 6379}{p.path or ''}" for p in parts)


# server URL and pool options -> (connection pool, client over it), for every thread of the process.
_shared_clients: dict[tuple, tuple] = {}
_shared_clients_lock = threading.Lock()


class ReusedClientRedisCacheClient(RedisCacheClient):
    """Django makes a cache backend, and so a client and a connection pool, per thread: a gunicorn worker's 8 threads
    each opened their own connections, and each thread's first request paid for a connection (4 % of a new
    process's first member list) and for building its client. Here every thread of a process shares one pool per
    server, so a connection opened by one thread (warm-up's included) serves them all. redis-py's pools and clients
    are thread-safe, and a pool notices when it finds itself in a forked child and starts afresh there."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._found: dict[int, tuple] = {}  # server index -> the shared (pool, client): one lookup per call

    def _shared(self, write):  # untyped: django-stubs leaves out the parent's private attributes
        index = self._get_connection_pool_index(write)
        shared = self._found.get(index)
        if shared is None:
            identity = (self._servers[index], self._pool_class, repr(sorted(self._pool_options.items())))
            with _shared_clients_lock:
                shared = _shared_clients.get(identity)
                if shared is None:
                    pool = self._pool_class.from_url(self._servers[index], **self._pool_options)
                    shared = _shared_clients[identity] = (pool, self._client(connection_pool=pool))
            self._found[index] = shared
        return shared

    def _get_connection_pool(self, write):
        return self._shared(write)[0]

    def get_client(self, key=None, *, write=False):
        return self._shared(write)[1]


def shared_connection_pools() -> list:
    """Every pool this process's cache clients share (tests close them when a test's cache settings go)."""
    return [pool for pool, _client in _shared_clients.values()]


class ReusedClientRedisCache(RedisCache):
    def __init__(self, server, params):
        options = dict(params.get("OPTIONS") or {})
        retry_seconds = float(options.pop("OUTAGE_RETRY_SECONDS", DEFAULT_RETRY_SECONDS))
        log_seconds = float(options.pop("OUTAGE_LOG_SECONDS", DEFAULT_LOG_SECONDS))
        self._local_prefixes = tuple(options.pop("LOCAL_FALLBACK_PREFIXES", ()))
        super().__init__(server, {**params, "OPTIONS": DEFAULT_POOL_OPTIONS | options})
        self._class = ReusedClientRedisCacheClient
        identity = (tuple(self._servers), params.get("KEY_PREFIX", ""))
        self.breaker = _breaker_for(
            identity, name=_where(self._servers), retry_seconds=retry_seconds, log_seconds=log_seconds
        )
        self._local = None
        if self._local_prefixes:
            # LocMemCache instances of one name share their store, so every thread of the process counts together.
            self._local = LocMemCache(
                f"redis-outage-fallback:{identity}",
                {
                    "TIMEOUT": params.get("TIMEOUT", 300),
                    "KEY_PREFIX": params.get("KEY_PREFIX", ""),
                    "VERSION": params.get("VERSION", 1),
                    "KEY_FUNCTION": params.get("KEY_FUNCTION"),
                    "OPTIONS": {"MAX_ENTRIES": LOCAL_FALLBACK_MAX_ENTRIES},
                },
            )

    def _redis(self, call: Callable, *, without: Callable):
        """`call()` on Redis; `without()` when Redis is down now or was moments ago (the breaker is open)."""
        if self.breaker.allows_call():
            try:
                result = call()
            except OUTAGE_ERRORS as error:
                self.breaker.failed(error)
            else:
                self.breaker.succeeded()
                return result
        return without()

    def _local_for(self, key) -> LocMemCache | None:
        if self._local is not None and isinstance(key, str) and key.startswith(self._local_prefixes):
            return self._local
        return None

    def ping(self) -> None:
        """Ask Redis directly, whatever the breaker says (for /healthz). Raises CacheUnavailable if it cannot answer."""
        try:
            self._cache.get_client(write=True).ping()
        except OUTAGE_ERRORS as error:
            self.breaker.failed(error)
            raise CacheUnavailable(f"Redis cache {self.breaker.name} is unreachable") from error
        self.breaker.succeeded()

    # --- Reads: a miss while Redis is down -----------------------------------------------------------------------

    def get(self, key, default=None, version=None):
        local = self._local_for(key)
        return self._redis(
            lambda: RedisCache.get(self, key, default, version),
            without=lambda: local.get(key, default, version) if local else default,
        )

    def get_many(self, keys, version=None):
        return self._redis(lambda: RedisCache.get_many(self, keys, version), without=dict)

    def has_key(self, key, version=None):
        local = self._local_for(key)
        return self._redis(
            lambda: RedisCache.has_key(self, key, version),
            without=lambda: local.has_key(key, version) if local else False,
        )

    # --- Writes: nothing happens while Redis is down (the answers say so) -----------------------------------------

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        local = self._local_for(key)
        self._redis(
            lambda: RedisCache.set(self, key, value, timeout, version),
            without=lambda: local.set(key, value, timeout, version) if local else None,
        )

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        """Like memcached's: returns the keys that were not stored (all of them while Redis is down)."""
        return self._redis(lambda: RedisCache.set_many(self, data, timeout, version), without=lambda: list(data))

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        local = self._local_for(key)
        return self._redis(
            lambda: RedisCache.touch(self, key, timeout, version),
            without=lambda: local.touch(key, timeout, version) if local else False,
        )

    def delete(self, key, version=None):
        local = self._local_for(key)
        if local:  # a lock or count taken during the outage must not outlive its release once Redis is back
            local.delete(key, version)
        return self._redis(lambda: RedisCache.delete(self, key, version), without=lambda: False)

    def delete_many(self, keys, version=None):
        self._redis(lambda: RedisCache.delete_many(self, keys, version), without=lambda: None)

    def clear(self):
        return self._redis(lambda: RedisCache.clear(self), without=lambda: False)

    # --- Answers someone acts on: never guessed -------------------------------------------------------------------

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        """False ("someone else has it") while Redis is down: nobody wins a claim the cache cannot referee."""
        local = self._local_for(key)
        return self._redis(
            lambda: RedisCache.add(self, key, value, timeout, version),
            without=lambda: local.add(key, value, timeout, version) if local else False,
        )

    def incr(self, key, delta=1, version=None):
        """Raises CacheUnavailable while Redis is down (decr too: Django's decr is incr(-delta))."""
        local = self._local_for(key)

        def without():
            if local:
                return local.incr(key, delta, version)
            raise CacheUnavailable(f"Redis cache {self.breaker.name} is unreachable: cannot count {key!r}")

        return self._redis(lambda: RedisCache.incr(self, key, delta, version), without=without)
