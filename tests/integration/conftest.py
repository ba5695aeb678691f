"""Real services: PostgreSQL, Redis and a Celery worker process started for the test."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

from outlet.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]


def test_database_url() -> str:
    """The URL of the database pytest-django created, so a worker process writes where the test reads."""
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


test_database_url.__test__ = False  # not a test, despite the name


@pytest.fixture
def celery_worker_process(real_postgres, real_redis, tmp_path):
    """A real `celery worker` on its own queue, through the real Redis broker, against the test database."""
    queue = f"test-{uuid.uuid4().hex[:10]}"
    log_path = tmp_path / "worker.log"
    env = os.environ | {"DATABASE_URL": test_database_url(), "CELERY_TASK_DEFAULT_QUEUE": queue, "CONN_MAX_AGE": "0"}
    with open(log_path, "w") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "outlet", "worker", "-Q", queue, "-n", f"{queue}@%h",
             "--pool=solo", "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while "ready." not in log_path.read_text():
        if worker.poll() is not None or time.monotonic() > deadline:
            worker.kill()
            pytest.fail(f"the Celery worker did not start:\n{log_path.read_text()}")
        time.sleep(0.2)
    celery_app.conf.task_always_eager = False
    try:
        yield {"queue": queue, "process": worker, "log": log_path}
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
        celery_app.conf.task_always_eager = True


def wait_for(predicate, *, timeout: float = 30, message: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {message}")
