"""Django's PostgreSQL backend, except that a thread's first connection can be one the process opened ahead.

A new gunicorn worker's first request opened its database connection itself: a sixth of a new process's first
member list (its stack sampled over 16 new processes), on a page staff open first thing after a deploy, and again
after every worker restart (--max-requests). A pool of connections shared by all threads removed that but cost
signed-in readers a quarter to a third of their throughput (README), so each thread still keeps its own persistent
connection; only the first one is opened before the process takes requests (outlet/common/warm_up.py) and handed to
whichever thread connects first.

The connection opened ahead is given away only within OPENED_AHEAD_SECONDS and only to a thread connecting with the
same parameters, and is closed when nobody took it by then: a connection that sat idle longer may have been dropped
by the server or a firewall, and the thread that got it would fail its request instead of opening a fresh one. Nor
is it given away in another process: under gunicorn's --preload the master would open it and every forked worker
would talk down the same socket.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import DatabaseError, connections
from django.db.backends.postgresql.base import DatabaseWrapper as PostgreSQLDatabaseWrapper
from django.db.backends.postgresql.psycopg_any import IsolationLevel

logger = logging.getLogger(__name__)

OPENED_AHEAD_SECONDS = 30.0
# libpq's smallest: a database that does not answer must not hold up a web process's start for long.
OPEN_AHEAD_CONNECT_TIMEOUT = 2

_lock = threading.Lock()
# alias -> (monotonic time, parameters, connection, the process that opened it)
_opened_ahead: dict[str, tuple[float, dict, Any, int]] = {}
_inherited: list = []


class DatabaseWrapper(PostgreSQLDatabaseWrapper):
    connect_timeout: int | None = None  # seconds, set only on the wrapper that opens a connection ahead

    def get_connection_params(self):
        parameters = super().get_connection_params()
        if self.connect_timeout is not None:
            parameters["connect_timeout"] = self.connect_timeout
        return parameters

    def get_new_connection(self, conn_params):
        connection = _take_opened_ahead(self.alias, conn_params)
        if connection is None:
            return super().get_new_connection(conn_params)
        # What the parent sets before it connects; the connection itself was set up by open_ahead's connect().
        options = self.settings_dict["OPTIONS"]
        self.isolation_level = IsolationLevel(options.get("isolation_level", IsolationLevel.READ_COMMITTED))
        return connection


def open_ahead(alias: str = "default") -> bool:
    """Opens one connection for the thread that connects first; False if this database's engine is not ours.

    It is opened by a wrapper of its own, as a request would open it (the time zone set, the server's version checked
    once per process), and then detached from that wrapper, so no thread owns it until one takes it."""
    wrapper = connections.create_connection(alias)
    if not isinstance(wrapper, DatabaseWrapper):
        return False
    parameters = wrapper.get_connection_params()
    wrapper.connect_timeout = wrapper.settings_dict["OPTIONS"].get("connect_timeout", OPEN_AHEAD_CONNECT_TIMEOUT)
    wrapper.connect()
    _read_tables_ahead(wrapper)
    connection, wrapper.connection = wrapper.connection, None
    with _lock:
        _discard(alias)
        _opened_ahead[alias] = (time.monotonic(), parameters, connection, os.getpid())
    timer = threading.Timer(OPENED_AHEAD_SECONDS, _discard_expired, args=(alias,))
    timer.daemon = True
    timer.start()
    return True


def site_tables() -> list[str]:
    """Every table the site's models keep their rows in (many-to-many tables included)."""
    from django.apps import apps

    models = apps.get_models(include_auto_created=True)
    return sorted({model._meta.db_table for model in models if model._meta.managed and not model._meta.proxy})


def read_ahead_statement(quote: Callable[[str], str]) -> str:
    return " UNION ALL ".join(f"(SELECT 1 FROM {quote(table)} LIMIT 0)" for table in site_tables())


def _read_tables_ahead(wrapper: DatabaseWrapper) -> None:
    """One statement that names every table and reads no row. A PostgreSQL server process reads a table's and its
    indexes' descriptions from the catalogues the first time a statement of its session names the table, and keeps
    them: a new process's first member list spent 19 ms (median of six, on a slow machine) in its 7 statements,
    against 8.5 ms the third time, and 14 ms once its connection had run this (~30 ms, while the process starts).
    A table missing (a release whose migrations have not run yet) only means the first requests read them."""
    try:
        with wrapper.cursor() as cursor:
            cursor.execute(read_ahead_statement(wrapper.ops.quote_name))
    except DatabaseError:
        logger.warning("reading the tables' descriptions ahead failed; the first requests will", exc_info=True)


def _take_opened_ahead(alias: str, conn_params: dict):
    if alias not in _opened_ahead:  # the usual case, read without the lock
        return None
    with _lock:
        entry = _opened_ahead.get(alias)
        if entry is None or entry[3] != os.getpid():
            return None  # a parent's is left alone: closing it, even freeing it, would end the parent's session
        del _opened_ahead[alias]
    opened_at, parameters, connection, _pid = entry
    if time.monotonic() - opened_at > OPENED_AHEAD_SECONDS or parameters != conn_params or connection.closed:
        _close_quietly(connection)
        return None
    return connection


def _discard(alias: str) -> None:
    entry = _opened_ahead.pop(alias, None)
    if entry is None:
        return
    if entry[3] == os.getpid():
        _close_quietly(entry[2])
    else:
        _inherited.append(entry[2])  # never closed nor freed here (libpq would say goodbye on the parent's socket)


def _discard_expired(alias: str) -> None:
    with _lock:
        entry = _opened_ahead.get(alias)
        if entry is not None and time.monotonic() - entry[0] >= OPENED_AHEAD_SECONDS:
            _discard(alias)


def _close_quietly(connection) -> None:
    try:
        connection.close()
    except Exception:  # it is being thrown away; a broken socket changes nothing
        logger.debug("closing an unused connection opened ahead failed", exc_info=True)
