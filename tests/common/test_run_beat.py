"""However many machines start the beat, one runs: the second stops (or stands by), and a standby takes over the
moment the running beat dies, kill -9 included. Real beat processes against the real PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.conftest import ROOT, test_database_url, wait_for

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


def _beat(log: Path, *extra: str) -> subprocess.Popen:
    env = os.environ | {
        "DATABASE_URL": test_database_url(),
        "CONN_MAX_AGE": "0",
        # Anything the beat sends goes to a queue no worker reads, deleted afterwards.
        "CELERY_TASK_DEFAULT_QUEUE": f"beat-test-{uuid.uuid4().hex[:6]}",
    }
    with open(log, "w") as out:
        return subprocess.Popen(
            [sys.executable, "manage.py", "run_beat", "--loglevel=INFO", *extra],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def test_a_second_beat_stops_and_a_standby_takes_over_when_the_first_is_killed(real_postgres, real_redis, tmp_path):
    first_log, second_log, standby_log = tmp_path / "first.log", tmp_path / "second.log", tmp_path / "standby.log"
    first = _beat(first_log)
    standby = None
    try:
        wait_for(lambda: "beat: Starting" in first_log.read_text(), message="the first beat to start")
        assert "beat lock: held" in first_log.read_text()

        second = _beat(second_log)
        assert second.wait(timeout=60) == 3
        assert "another beat is running" in second_log.read_text()

        standby = _beat(standby_log, "--standby")
        wait_for(lambda: "waiting for the running beat" in standby_log.read_text(), message="the standby to queue")
        assert standby.poll() is None and "held" not in standby_log.read_text()

        first.kill()  # kill -9: no goodbye, the database notices the closed connection
        first.wait(timeout=10)
        wait_for(lambda: "beat: Starting" in standby_log.read_text(), timeout=30, message="the standby to take over")
        assert "beat lock: held" in standby_log.read_text()
    finally:
        for process in (first, standby):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait(timeout=10)
