"""A Celery worker keeps its PostgreSQL connection between tasks, as a web process keeps it between requests, and
still drops one that is too old or broken (outlet.celery.check_database_connections, CELERY_DB_REUSE_MAX)."""

from __future__ import annotations

import time

import pytest
from celery.fixups.django import DjangoWorkerFixup
from celery.signals import task_postrun, task_prerun
from django.db import connection, transaction

from outlet.celery import app as celery_app
from outlet.publishing.tasks import publish_due_articles

pytestmark = pytest.mark.django_db(transaction=True)


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def run_between_tasks(task) -> None:
    """What a worker does around each task: Celery's Django fixup (installed by `celery worker`) and our handlers."""
    fixup = DjangoWorkerFixup(celery_app)
    task_prerun.send(sender=task, task_id="t-1", task=task, args=(), kwargs={})
    fixup.on_task_prerun(sender=task)
    fixup.on_task_postrun(sender=task)
    task_postrun.send(sender=task, task_id="t-1", task=task, args=(), kwargs={}, retval=None, state="SUCCESS")


@pytest.fixture
def long_lived_connection():
    connection.close()
    saved = connection.settings_dict["CONN_MAX_AGE"]
    connection.settings_dict["CONN_MAX_AGE"] = 60
    try:
        yield
    finally:
        connection.settings_dict["CONN_MAX_AGE"] = saved
        connection.close()


def test_the_next_task_uses_the_same_connection(long_lived_connection):
    before = backend_pid()
    for _ in range(3):
        run_between_tasks(publish_due_articles)
    assert backend_pid() == before  # Celery's fixup alone closes it after every task: a new backend each time


def test_a_connection_past_its_age_is_replaced_between_tasks(long_lived_connection):
    before = backend_pid()
    connection.close_at = time.monotonic() - 1
    run_between_tasks(publish_due_articles)
    assert connection.connection is None
    assert backend_pid() != before


def test_a_task_run_eagerly_leaves_the_callers_transaction_alone(long_lived_connection):
    with transaction.atomic():
        before = backend_pid()
        connection.close_at = time.monotonic() - 1  # would be closed between a worker's tasks
        publish_due_articles.push_request(is_eager=True)
        try:
            task_prerun.send(sender=publish_due_articles, task_id="t-2", task=publish_due_articles, args=(), kwargs={})
        finally:
            publish_due_articles.pop_request()
        assert backend_pid() == before
