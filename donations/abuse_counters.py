"""Sliding-window counters and one-time claims in Django's cache, for the card-testing shield (donations/abuse.py).

Every process sees the same counts: Redis in production (SET NX and INCR are atomic across web processes), the
shared file cache in the embedded default (outlet/common/file_cache.py: add and incr under a lock). A window is counted
in SLOTS fixed slots, so a burst straddling a slot boundary is seen whole. A cache that is down raises
outlet.common.redis_cache.CacheUnavailable from these functions; callers decide whether that fails open or closed.
"""

from __future__ import annotations

import math
import time

from django.core.cache import cache

from outlet.common.redis_cache import CacheUnavailable

SLOTS = 10  # each sliding window is counted in this many fixed slots


def whole_minutes(seconds: float) -> int:
    """A wait in whole minutes, rounded up, at least 1."""
    return max(1, math.ceil(seconds / 60))


def minutes_text(seconds: float) -> str:
    """In English, for staff and the log (the shield's trigger reason); donors' messages say it in their language."""
    minutes = whole_minutes(seconds)
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def slot_seconds(window_seconds: int) -> int:
    return max(1, math.ceil(window_seconds / SLOTS))


def slot_keys(name: str, *, window_seconds: int, now: float) -> list[str]:
    """Cache keys of the window's slots, oldest first, ending with the slot `now` falls in."""
    length = slot_seconds(window_seconds)
    current = int(now // length)
    return [f"abuse:{name}:{length}:{slot}" for slot in range(current - SLOTS + 1, current + 1)]


def hit(name: str, *, window_seconds: int, now: float) -> tuple[str, list[int]]:
    """Count one event in the slot `now` falls in; returns that slot's key and the window's counts, oldest first.

    cache.add + cache.incr: on Redis, SET NX and INCR (on the file cache, the same under its lock), so concurrent
    processes never lose a count. The current slot's count is the one INCR returned (reading it again could see
    later attempts of other processes, and refuse this one for them); the earlier slots are only ever lowered.
    Each slot key expires when it can no longer be part of a window."""
    keys = slot_keys(name, window_seconds=window_seconds, now=now)
    key = keys[-1]
    timeout = window_seconds + 2 * slot_seconds(window_seconds)
    cache.add(key, 0, timeout=timeout)
    try:
        current = cache.incr(key)
    except ValueError:  # expired between add and incr (only on a clock jump): start it again
        cache.add(key, 1, timeout=timeout)
        current = 1
    earlier = cache.get_many(keys[:-1])
    return key, [int(earlier.get(k) or 0) for k in keys[:-1]] + [int(current)]


def unhit_all(keys: list[str]) -> None:
    for key in keys:
        try:
            cache.decr(key)
        except (ValueError, CacheUnavailable):  # expired, or the cache went away mid-request: the slot expires anyway
            pass


def first_to_claim(key: str, *, timeout: int) -> bool:
    """True for exactly one caller per key (SET NX then INCR, so a cache that is down raises CacheUnavailable
    instead of answering "already taken" or "yours")."""
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key) == 1
    except ValueError:  # expired between add and incr: only on a clock jump, long after the claim mattered
        return cache.add(key, 1, timeout=timeout)


def window_total(name: str, *, window_seconds: int, now: float | None = None) -> int:
    keys = slot_keys(name, window_seconds=window_seconds, now=time.time() if now is None else now)
    return sum(int(value or 0) for value in cache.get_many(keys).values())


def seconds_until_below(counts: list[int], *, limit: int, window_seconds: int, now: float) -> float:
    """When enough of the oldest slots have left the window that one more attempt fits under the limit.
    `counts` include the refused attempt, which is not kept."""
    length = slot_seconds(window_seconds)
    first_slot = int(now // length) - SLOTS + 1
    remaining = sum(counts) - 1
    for index, count in enumerate(counts):
        remaining -= count
        if remaining < limit:
            return (first_slot + index + SLOTS) * length - now
    return window_seconds
