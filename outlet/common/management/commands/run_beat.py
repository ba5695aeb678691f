"""Celery beat, once for the whole deployment however many machines start it.

Two beats would each send every periodic task (two sweeps are harmless, two year-end statement runs are not only
wasteful). The beat holds a PostgreSQL advisory lock, on a connection of its own, for as long as it runs: a second
beat finds the lock taken and exits (or, with --standby, waits and takes over the moment the first one's
connection closes, which a crash or kill -9 does too). If its own lock connection breaks, the beat stops at once,
since it can no longer be sure it is the only one; the process manager starts it again and it queues for the lock.
SQLite (the embedded default) is one machine: there the beat runs inside `make run`'s worker and needs no lock."""

from __future__ import annotations

import os
import threading
import time

import psycopg
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

# "outlet" in ASCII: a number no other advisory lock in this database uses.
BEAT_LOCK_KEY = 0x6F75746C6574
CHECK_SECONDS = 15
ALREADY_RUNNING = 3


def _lock_connection() -> psycopg.Connection:
    database = settings.DATABASES["default"]
    return psycopg.connect(
        dbname=database["NAME"],
        user=database.get("USER") or None,
        password=database.get("PASSWORD") or None,
        host=database.get("HOST") or None,
        port=database.get("PORT") or None,
        autocommit=True,
        application_name="outlet beat lock",
        keepalives=1,
        keepalives_idle=30,
        connect_timeout=10,
    )


class Command(BaseCommand):
    help = "Run Celery beat, at most one in the deployment (a PostgreSQL advisory lock)."

    def add_arguments(self, parser):
        parser.add_argument("--standby", action="store_true", help="Wait for the running beat to stop, then take over.")
        parser.add_argument("--loglevel", default="INFO")

    def handle(self, *args, standby: bool, loglevel: str, **options):
        if connections["default"].vendor != "postgresql":
            raise CommandError("run_beat needs PostgreSQL; with SQLite run the beat inside the worker (make run).")
        lock = _lock_connection()
        if standby:
            self.stdout.write("beat lock: waiting for the running beat to stop", ending="\n")
            self.stdout.flush()
            lock.execute("SELECT pg_advisory_lock(%s)", [BEAT_LOCK_KEY])
        else:
            row = lock.execute("SELECT pg_try_advisory_lock(%s)", [BEAT_LOCK_KEY]).fetchone()
            if not row or not row[0]:
                self.stderr.write("beat lock: another beat is running; this one stops (use --standby to wait).")
                raise SystemExit(ALREADY_RUNNING)
        self.stdout.write("beat lock: held; starting beat", ending="\n")
        self.stdout.flush()
        threading.Thread(target=_stop_if_lock_lost, args=(lock,), daemon=True, name="beat-lock-watch").start()

        from outlet.celery import app

        app.Beat(scheduler=settings.CELERY_BEAT_SCHEDULER, loglevel=loglevel).run()


def _stop_if_lock_lost(lock: psycopg.Connection) -> None:
    while True:
        time.sleep(CHECK_SECONDS)
        try:
            lock.execute("SELECT 1")
        except psycopg.Error:
            # No clean shutdown to wait for: another beat may already hold the lock.
            os._exit(1)
