"""A process's own copy of cache entries that never change once written (their keys carry a content version).

A signed-in article page made seven Redis round trips, five of them for values filed under a version: the article,
the prompts, the scheduled moments, the page itself. Those can be kept in the process (an edit makes a new key, not
a new value), bounded by count and by the same lifetime as in the shared cache. Only immutable keys belong here:
a key whose value can be replaced in place must keep going to the shared cache.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache

_MISSING = object()


class NearCache:
    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Any:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return _MISSING
            expires, value = found
            if expires <= time.monotonic():
                del self._entries[key]
                return _MISSING
            self._entries.move_to_end(key)
            return value

    def put(self, key: str, value: Any, seconds: float) -> None:
        with self._lock:
            self._entries[key] = (time.monotonic() + seconds, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


near = NearCache(max_entries=256)


def _local(key: str) -> str:
    # The shared cache's full key (its prefix included), so a process never mixes two caches' entries.
    return cache.make_key(key)


def get(key: str, default: Any = None) -> Any:
    """The value of an immutable key: from this process when it has it, else from the shared cache (and kept)."""
    value = near.get(_local(key))
    if value is not _MISSING:
        return value
    value = cache.get(key, _MISSING)
    if value is _MISSING or value is None:
        return default
    near.put(_local(key), value, settings.PAGE_CACHE_SECONDS)
    return value


def get_many(keys: list[str]) -> dict[str, Any]:
    found = {}
    missing = []
    for key in keys:
        value = near.get(_local(key))
        if value is _MISSING:
            missing.append(key)
        else:
            found[key] = value
    if missing:
        for key, value in cache.get_many(missing).items():
            near.put(_local(key), value, settings.PAGE_CACHE_SECONDS)
            found[key] = value
    return found


def set(key: str, value: Any, seconds: int) -> None:  # noqa: A001 - the cache's own verb
    near.put(_local(key), value, seconds)
    cache.set(key, value, seconds)


def get_or_load(key: str, load: Callable[[], Any], seconds: int) -> Any:
    value = get(key)
    if value is None:
        value = load()
        set(key, value, seconds)
    return value
