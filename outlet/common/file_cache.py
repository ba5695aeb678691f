"""The embedded default's cache: Django's file-based cache, made safe for several processes to count in.

`make run` starts a web server and a Celery worker (itself two prefork children). The card-testing shield's
counters and allauth's rate limits must be the same number in all of them, so a per-process local-memory cache
will not do: files in one folder are seen by every process on the machine. Django's FileBasedCache already
writes an entry to a temporary file and renames it into place, so a reader never sees half an entry; but its
`add` is "is it there? then write" and its `incr` is "read, add, write", so two processes could both win an
`add` (allauth's rate-limit lock, the shield's "seen this decline" mark) or lose one of two increments, and its
`incr` resets the entry's expiry to the default timeout. Here both run under one exclusive lock file (flock),
and `incr` keeps the expiry the entry had, as Redis's SET NX and INCR behave in production.
"""

from __future__ import annotations

import fcntl
import os
import pickle
import tempfile
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from asgiref.sync import sync_to_async
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.filebased import FileBasedCache

LOCK_FILE_NAME = "counters.lock"  # not a *.djcache file, so clear() and culling leave it alone


class SharedFileCache(FileBasedCache):
    if TYPE_CHECKING:  # FileBasedCache's own, missing from django-stubs
        _dir: str

        def _createdir(self) -> None: ...

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """One `add` or `incr` at a time across every process using this folder. The lock file is opened per call:
        a descriptor inherited across fork() would share one lock between parent and child."""
        self._createdir()
        with open(os.path.join(self._dir, LOCK_FILE_NAME), "ab") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        with self._exclusive():
            return super().add(key, value, timeout, version)

    def incr(self, key, delta=1, version=None):
        path = self._key_to_file(key, version)
        with self._exclusive():
            expiry, value = self._read_entry(path)
            if value is None:
                raise ValueError(f"Key '{key}' not found")
            new_value = value + delta
            self._replace_entry(path, expiry, new_value)
        return new_value

    async def aincr(self, key, delta=1, version=None):
        return await sync_to_async(self.incr, thread_sensitive=True)(key, delta, version)

    def _read_entry(self, path: str) -> tuple[float | None, object | None]:
        """(expiry, value) of a live entry, or (None, None) when it is missing or has expired."""
        try:
            with open(path, "rb") as entry:
                expiry = pickle.load(entry)
                if expiry is not None and expiry < time.time():
                    return None, None
                return expiry, pickle.loads(zlib.decompress(entry.read()))
        except (FileNotFoundError, EOFError):
            return None, None

    def _replace_entry(self, path: str, expiry: float | None, value: object) -> None:
        """Write the entry with the expiry it already had, into a temporary file renamed over the old one."""
        descriptor, temporary = tempfile.mkstemp(dir=self._dir)
        try:
            with open(descriptor, "wb") as entry:
                entry.write(pickle.dumps(expiry, self.pickle_protocol))
                entry.write(zlib.compress(pickle.dumps(value, self.pickle_protocol)))
            os.replace(temporary, path)
        except BaseException:
            os.remove(temporary)
            raise
