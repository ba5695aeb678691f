"""Concurrent webhook deliveries share one INSERT and one commit (outlet/payments/group_commit.py), and still: each is
answered only once its row is committed, a duplicate changes nothing, a batch the database fails is answered 503
with nothing of it stored, and an event stored but never handed to the broker is queued by the sweep.

Against the real PostgreSQL. A delivery is held at the database, not in Python: another connection inserts the same
event id and keeps its transaction open, so the INSERT ... ON CONFLICT of the batch holding it waits on that row's
lock while the deliveries arriving meanwhile queue up for the next batch."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from django.test import Client
from django.utils import timezone

from outlet.payments import group_commit, services
from outlet.payments.models import WebhookEvent
from tests.conftest import test_database_url
from tests.payments import stripe_objects as so
from tests.payments.conftest import SECRET

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("real_postgres", "stripe_http")]

# A type the pipeline stores and ignores: processing it asks the provider nothing.
EVENT_TYPE = "customer.updated"


def delivery(event_id: str) -> bytes:
    return json.dumps(
        so.stripe_event(EVENT_TYPE, {"id": "cus_elsewhere", "object": "customer"}, event_id=event_id)
    ).encode()


def committed(event_id: str) -> bool:
    """Seen from a connection of its own: only what is committed."""
    with psycopg.connect(test_database_url(), autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM payments_webhookevent WHERE event_id = %s", [event_id]).fetchone()
    return found is not None


class Delivery(threading.Thread):
    """One provider delivery on a thread of its own, as gunicorn's threads serve them. Notes whether its event was
    committed at the moment its answer came."""

    def __init__(self, event_id: str) -> None:
        super().__init__(daemon=True)
        self.event_id = event_id
        self.status: int | None = None
        self.answer: dict[str, Any] = {}
        self.committed_when_answered: bool | None = None

    def run(self) -> None:
        from django.db import connection

        body = delivery(self.event_id)
        try:
            response = Client().post(
                so.WEBHOOK_PATH,
                body,
                content_type="application/json",
                HTTP_STRIPE_SIGNATURE=so.signature_header(body, SECRET),
            )
            self.status, self.answer = response.status_code, response.json()
            self.committed_when_answered = committed(self.event_id)
        finally:
            connection.close()


def wait_for(condition: Callable[[], bool], message: str) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, f"waited 30 s for {message}"
        time.sleep(0.02)


@contextmanager
def held(*event_ids: str) -> Iterator[psycopg.Connection[Any]]:
    """Another writer inserted these events and has not committed: a batch holding one of them waits for it."""
    with psycopg.connect(test_database_url()) as conn:
        for event_id in event_ids:
            conn.execute(
                "INSERT INTO payments_webhookevent (provider, event_id, type, created_at_provider, payload, livemode, "
                "via, status, received_at, attempts, last_error, waiting_for) VALUES ('stripe', %s, %s, now(), '{}', "
                "false, 'webhook', 'received', now(), 0, '', '')",
                [event_id, EVENT_TYPE],
            )
        yield conn
        conn.rollback()


def batch_waiting_on_a_lock() -> int | None:
    with psycopg.connect(test_database_url(), autocommit=True) as conn:
        row = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE %s",
            ["INSERT INTO %webhookevent%"],
        ).fetchone()
    return row[0] if row else None


def terminate(pid: int | None) -> int | None:
    with psycopg.connect(test_database_url(), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    return pid


def queued_behind_the_batch() -> int:
    return len(services._events_stored_together._queued)


@pytest.fixture
def batches(monkeypatch) -> list[list[str]]:
    """The event ids of each INSERT the intake sends, in order (the real insert runs)."""
    seen: list[list[str]] = []
    real = group_commit.insert_new

    def recording(rows):
        seen.append([row.event_id for row in rows])
        return real(rows)

    monkeypatch.setattr(group_commit, "insert_new", recording)
    return seen


def test_deliveries_arriving_during_a_commit_share_the_next_one_and_each_is_answered_after_it(batches):
    with held("evt_first"):
        first = Delivery("evt_first")
        first.start()
        wait_for(lambda: batch_waiting_on_a_lock() is not None, "the first batch to wait on the row lock")
        rest = [Delivery(f"evt_next_{n}") for n in range(5)]
        for one in rest:
            one.start()
        wait_for(lambda: queued_behind_the_batch() == 5, "five deliveries to queue behind the first batch")
        assert all(one.status is None for one in [first, *rest]), "nobody is answered before their commit"
        assert not any(committed(one.event_id) for one in rest)
    # The other writer rolled back: the first batch stores its event, then the five queued are one batch.
    for one in [first, *rest]:
        one.join(timeout=30)
    assert [one.status for one in [first, *rest]] == [200] * 6
    assert all(one.committed_when_answered for one in [first, *rest]), "answered 200 only once committed"
    assert not any(one.answer["duplicate"] for one in [first, *rest])
    assert [sorted(batch) for batch in batches] == [["evt_first"], [f"evt_next_{n}" for n in range(5)]]
    assert WebhookEvent.objects.count() == 6
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"ignored"}, "each processed once"


def test_the_same_event_twice_in_one_batch_is_stored_once_and_one_delivery_hears_it_was_a_duplicate(batches):
    with held("evt_hold"):
        first = Delivery("evt_hold")
        first.start()
        wait_for(lambda: batch_waiting_on_a_lock() is not None, "the first batch to wait on the row lock")
        twins = [Delivery("evt_twice"), Delivery("evt_twice")]
        for twin in twins:
            twin.start()
        wait_for(lambda: queued_behind_the_batch() == 2, "both deliveries to queue behind the first batch")
    for one in [first, *twins]:
        one.join(timeout=30)
    assert [twin.status for twin in twins] == [200, 200]
    assert sorted(twin.answer["duplicate"] for twin in twins) == [False, True]
    assert batches[-1] == ["evt_twice", "evt_twice"]
    assert WebhookEvent.objects.filter(event_id="evt_twice").count() == 1
    assert WebhookEvent.objects.get(event_id="evt_twice").attempts == 1, "processed once"


def test_an_event_already_stored_by_another_process_is_a_duplicate_and_changes_nothing():
    with held("evt_elsewhere") as other_writer:
        other_writer.commit()
    stored = WebhookEvent.objects.get(event_id="evt_elsewhere")
    late = Delivery("evt_elsewhere")
    late.run()
    assert late.status == 200 and late.answer["duplicate"] is True
    assert WebhookEvent.objects.get(event_id="evt_elsewhere").payload == stored.payload == {}


def test_a_batch_the_database_fails_is_answered_503_for_every_delivery_in_it_and_nothing_of_it_is_stored(batches):
    with held("evt_a", "evt_b"):
        a = Delivery("evt_a")
        a.start()
        wait_for(lambda: batch_waiting_on_a_lock() is not None, "evt_a's batch to wait on the row lock")
        b, c = Delivery("evt_b"), Delivery("evt_c")
        b.start()
        wait_for(lambda: queued_behind_the_batch() == 1, "evt_b to queue")
        c.start()
        wait_for(lambda: queued_behind_the_batch() == 2, "evt_c to queue")
        # The database ends the session of evt_a's batch mid-INSERT, then that of the next (evt_b and evt_c).
        ended = terminate(batch_waiting_on_a_lock())
        wait_for(lambda: batch_waiting_on_a_lock() not in (None, ended), "the next batch to wait on evt_b's lock")
        terminate(batch_waiting_on_a_lock())
        for one in (a, b, c):
            one.join(timeout=30)
    assert [one.status for one in (a, b, c)] == [503, 503, 503], "the provider delivers them again"
    assert batches == [["evt_a"], ["evt_b", "evt_c"]]
    assert not WebhookEvent.objects.filter(event_id__in=["evt_a", "evt_b", "evt_c"]).exists()

    again = Delivery("evt_c")
    again.run()
    assert again.status == 200 and again.answer["duplicate"] is False and again.committed_when_answered


def test_events_stored_but_never_handed_to_the_broker_are_queued_by_the_sweep(monkeypatch, settings):
    """The process died between the commit and the message (or the broker refused it): the rows are the record."""
    handed: list[list[int]] = []
    monkeypatch.setattr(services, "queue_events_processing", handed.append)  # the message is lost
    with held("evt_hold"):
        first = Delivery("evt_hold")
        first.start()
        wait_for(lambda: batch_waiting_on_a_lock() is not None, "the first batch to wait on the row lock")
        lost = [Delivery(f"evt_lost_{n}") for n in range(3)]
        for one in lost:
            one.start()
        wait_for(lambda: queued_behind_the_batch() == 3, "three deliveries to queue")
    for one in [first, *lost]:
        one.join(timeout=30)
    assert [one.status for one in lost] == [200] * 3 and len(handed[-1]) == 3
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"received"}
    monkeypatch.undo()

    settings.WEBHOOK_REQUEUE_AFTER_MINUTES = 5
    assert services.requeue_stuck_events() == 0, "too fresh to be called stuck"
    assert services.requeue_stuck_events(now=timezone.now() + timedelta(minutes=6)) == 4
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"ignored"}
