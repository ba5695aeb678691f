"""Webhook events arriving together are stored together: one INSERT, one commit, one WAL flush for all of them.

A commit waits for PostgreSQL to flush the WAL to disk (fsync, about 3 ms here) and every request used to wait for its
own. Requests of one web process now hand their rows to whoever is writing: the first to arrive writes (the leader),
those arriving meanwhile wait, and when its commit returns the leader wakes them and hands the writing to the first
of them, who writes all that queued up during the flush. Nobody waits for a timer: a lone event is written at once,
and under load a batch is whatever arrived during the previous flush (bench/webhook_intake.py).

Each request still answers only after the commit that holds its row, so an acknowledged event survives a crash.
The batch's processing is queued after the commit by its leader, in one message; a process that dies between the
commit and that message loses nothing, because the sweep (services.requeue_stuck_events) queues every event left
unprocessed. A database error fails the whole batch: each request in it raises BatchNotStored (answered 503, so the
provider delivers again), and nothing of it is stored or queued."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import DatabaseError, connection

from outlet.payments.models import WebhookEvent


class BatchNotStored(DatabaseError):
    """The batch holding this event failed to commit: nothing of it was stored."""


@dataclass(eq=False)
class _Waiting:
    row: WebhookEvent
    done: threading.Event = field(default_factory=threading.Event)
    leads: bool = False
    created: bool = False
    failure: BaseException | None = None


class GroupCommit:
    """One per process (see `store`). `after_commit` is given the pks of the rows a batch created."""

    def __init__(self, *, after_commit: Callable[[list[int]], None]) -> None:
        self._after_commit = after_commit
        self._lock = threading.Lock()
        self._queued: list[_Waiting] = []
        self._writing = False

    def store(self, row: WebhookEvent) -> bool:
        """Insert `row` unless an event with its provider and id exists; True when this call created it (its pk is
        then set). Returns once the row is committed; never call it inside a transaction (it would not be)."""
        me = _Waiting(row)
        with self._lock:
            if self._writing:
                self._queued.append(me)
            else:
                self._writing = me.leads = True
        if not me.leads:
            me.done.wait()  # woken with an outcome, or to write the next batch
        if me.leads:
            self._write_batch(me)
        if me.failure is not None:
            raise BatchNotStored(f"the batch holding this event was not stored: {me.failure}") from me.failure
        return me.created

    def _write_batch(self, me: _Waiting) -> None:
        with self._lock:
            batch, self._queued = [me, *self._queued], []
        created: list[int] = []
        try:
            new = {id(row) for row in insert_new([waiting.row for waiting in batch])}
            for waiting in batch:
                waiting.created = id(waiting.row) in new
            created = [waiting.row.pk for waiting in batch if waiting.created]
        except BaseException as exc:  # a failed batch is answered 503 by every request in it, then re-raised by none
            for waiting in batch:
                waiting.failure = exc
        finally:
            with self._lock:
                next_leader = self._queued.pop(0) if self._queued else None
                if next_leader is None:
                    self._writing = False
                else:
                    next_leader.leads = True
            for waiting in batch:
                if waiting is not me:
                    waiting.done.set()
            if next_leader is not None:
                next_leader.done.set()
        if created:
            # After the others are answered and the next batch is being written: only this request waits for it.
            self._after_commit(created)


def insert_new(rows: Sequence[WebhookEvent]) -> list[WebhookEvent]:
    """The rows that were new, their pks set: one INSERT ... ON CONFLICT DO NOTHING RETURNING for all of them, on the
    current connection (committed on its own in autocommit, else part of the caller's transaction). The unique
    constraint decides which events are new, also against concurrent writers in other processes; the same event
    twice in `rows` is new once, for the first."""
    firsts: dict[tuple[str, str], WebhookEvent] = {}
    for row in rows:
        firsts.setdefault((row.provider, row.event_id), row)
    meta = WebhookEvent._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    params: list[Any] = []
    for row in firsts.values():
        params += [f.get_db_prep_save(f.pre_save(row, True), connection) for f in fields]

    columns = {f.name: connection.ops.quote_name(str(f.column)) for f in meta.concrete_fields}  # concrete: never None

    def column(field_name: str) -> str:
        return columns[field_name]

    one_row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    provider, event_id = column("provider"), column("event_id")
    sql = (
        f"INSERT INTO {connection.ops.quote_name(meta.db_table)} ({', '.join(column(f.name) for f in fields)}) "
        f"VALUES {', '.join([one_row] * len(firsts))} "
        f"ON CONFLICT ({provider}, {event_id}) DO NOTHING RETURNING {column('id')}, {provider}, {event_id}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        returned = cursor.fetchall()
    created = []
    for pk, provider_id, event_id_value in returned:
        row = firsts[(provider_id, event_id_value)]
        row.pk = pk
        created.append(row)
    return created
