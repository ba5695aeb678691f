"""A web process opens its first database connection while it starts, and the first thread that connects takes it
(outlet/common/postgresql/base.py): real PostgreSQL, real threads, as gunicorn's gthread workers run requests."""

from __future__ import annotations

import os
import threading

import psycopg
import pytest
from django.db import connection, connections

from outlet.common.postgresql import base as opened_ahead

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _nothing_left_open():
    yield
    with opened_ahead._lock:
        opened_ahead._discard("default")


def in_a_new_thread(work):
    """`work()` in a thread of its own (its own Django connection, closed after), returning what it returned."""
    results = []

    def run():
        try:
            results.append(work())
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return results[0]


def backend_pid_and_zone():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid(), current_setting('TimeZone'), 1")
        return cursor.fetchone()


def test_the_first_thread_to_connect_takes_the_connection_opened_ahead(real_postgres):
    assert opened_ahead.open_ahead() is True
    (_time, _parameters, raw, _pid) = opened_ahead._opened_ahead["default"]
    pid_opened_ahead = raw.info.backend_pid

    pid, zone, one = in_a_new_thread(backend_pid_and_zone)
    assert (pid, zone, one) == (pid_opened_ahead, "UTC", 1)
    assert "default" not in opened_ahead._opened_ahead

    second_pid, _zone, _one = in_a_new_thread(backend_pid_and_zone)  # the next thread opens its own
    assert second_pid != pid_opened_ahead


def test_a_connection_opened_ahead_works_in_a_transaction_and_keeps_django_s_settings(real_postgres):
    opened_ahead.open_ahead()

    def transaction_and_settings():
        from django.db import transaction

        from members.models import Tier

        with transaction.atomic():
            Tier.objects.create(name="Opened ahead", slug="opened-ahead")
            inside = connection.in_atomic_block
        return (
            inside,
            connection.get_autocommit(),
            connection.isolation_level,
            Tier.objects.filter(slug="opened-ahead").count(),
        )

    inside, autocommit, isolation_level, count = in_a_new_thread(transaction_and_settings)
    assert (inside, autocommit, count) == (True, True, 1)
    assert isolation_level == opened_ahead.IsolationLevel.READ_COMMITTED


def test_a_connection_opened_ahead_too_long_ago_is_closed_not_handed_over(real_postgres, monkeypatch):
    opened_ahead.open_ahead()
    (opened_at, parameters, raw, pid) = opened_ahead._opened_ahead["default"]
    opened_ahead._opened_ahead["default"] = (opened_at - opened_ahead.OPENED_AHEAD_SECONDS - 1, parameters, raw, pid)
    pid_opened_ahead = raw.info.backend_pid

    pid, _zone, _one = in_a_new_thread(backend_pid_and_zone)
    assert pid != pid_opened_ahead
    assert raw.closed


def test_nobody_taking_it_closes_it_after_its_time(real_postgres, monkeypatch):
    monkeypatch.setattr(opened_ahead, "OPENED_AHEAD_SECONDS", 0.2)
    opened_ahead.open_ahead()
    (_opened_at, _parameters, raw, _pid) = opened_ahead._opened_ahead["default"]
    for _ in range(50):
        if raw.closed:
            break
        threading.Event().wait(0.05)
    assert raw.closed and "default" not in opened_ahead._opened_ahead


def test_a_thread_connecting_elsewhere_does_not_take_it(real_postgres):
    opened_ahead.open_ahead()
    (_opened_at, parameters, raw, _pid) = opened_ahead._opened_ahead["default"]
    other = {**parameters, "dbname": "postgres"}
    assert opened_ahead._take_opened_ahead("default", other) is None
    assert raw.closed  # and it is not kept either: the process's connections go elsewhere


def test_without_postgresql_nothing_is_opened_ahead(settings):
    from django.db.utils import ConnectionHandler

    handler = ConnectionHandler({"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}})
    original = opened_ahead.connections
    try:
        opened_ahead.connections = handler
        assert opened_ahead.open_ahead() is False
    finally:
        opened_ahead.connections = original
    assert "default" not in opened_ahead._opened_ahead


def test_a_forked_process_does_not_take_its_parent_s_connection(real_postgres):
    """Under gunicorn's --preload the master would open it before forking: a worker must open its own."""
    opened_ahead.open_ahead()
    (opened_at, parameters, raw, _pid) = opened_ahead._opened_ahead["default"]
    opened_ahead._opened_ahead["default"] = (opened_at, parameters, raw, os.getpid() + 1)  # as a child sees it
    assert opened_ahead._take_opened_ahead("default", parameters) is None
    assert not raw.closed and opened_ahead._opened_ahead["default"][2] is raw  # still the parent's, untouched
    opened_ahead._opened_ahead["default"] = (opened_at, parameters, raw, os.getpid())  # the fixture closes it


def test_the_connection_opened_ahead_has_named_every_table_of_the_site(real_postgres):
    """Its server process has read each table's description (kept for the session) before any request: the last
    statement it ran names every table the models use and read no row."""
    opened_ahead.open_ahead()
    pid_opened_ahead = opened_ahead._opened_ahead["default"][2].info.backend_pid
    database = connection.settings_dict  # asked on a connection of the test's own: a thread connecting takes it
    with psycopg.connect(
        dbname=database["NAME"], user=database["USER"], host=database["HOST"], port=database["PORT"]
    ) as onlooker:
        (last_statement,) = onlooker.execute(
            "SELECT query FROM pg_stat_activity WHERE pid = %s", [pid_opened_ahead]
        ).fetchone()
    statement = opened_ahead.read_ahead_statement(connection.ops.quote_name)
    assert len(last_statement) > 200
    assert last_statement == statement[: len(last_statement)]  # the server keeps only the first 1 kB of its text
    tables = opened_ahead.site_tables()
    assert {"members_membership", "auth_user", "django_session", "donations_donation"} <= set(tables)
    assert all(f'(SELECT 1 FROM "{table}" LIMIT 0)' in statement for table in tables)

    pid, _zone, _one = in_a_new_thread(backend_pid_and_zone)  # and it is handed over as before
    assert pid == pid_opened_ahead


def test_a_table_not_there_yet_does_not_stop_the_connection_being_opened_ahead(real_postgres, monkeypatch, caplog):
    """A release whose migrations have not run: the statement fails, is logged, and the connection still serves."""
    monkeypatch.setattr(opened_ahead, "site_tables", lambda: ["members_membership", "a_table_from_the_next_release"])
    assert opened_ahead.open_ahead() is True
    assert "reading the tables' descriptions ahead failed" in caplog.text
    pid_opened_ahead = opened_ahead._opened_ahead["default"][2].info.backend_pid

    pid, zone, one = in_a_new_thread(backend_pid_and_zone)
    assert (pid, zone, one) == (pid_opened_ahead, "UTC", 1)
