"""Shared fixtures: a small cast of readers, and real services where a test asks for them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from celery import _state as celery_state
from django.conf import settings as django_settings
from django.core.cache.backends.filebased import FileBasedCache
from django.db import connection
from django.utils.module_loading import import_string

from members.models import TierPrice
from outlet.celery import app as celery_app
from tests.factories import TierFactory

IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="session")
def _cache_folders(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(autouse=True)
def _isolated_cache(settings, _cache_folders):
    """Each test gets its own cache namespace, so a shared Redis in CI never leaks state between tests; the
    embedded default's file cache also gets a folder of its own (not var/cache/, which `make run` uses), removed
    afterwards."""
    caches, folders = {}, []
    for name, config in django_settings.CACHES.items():
        config = dict(config, KEY_PREFIX=f"test-{uuid.uuid4().hex[:12]}")
        if issubclass(import_string(config["BACKEND"]), FileBasedCache):
            folders.append(_cache_folders / uuid.uuid4().hex[:12])
            config["LOCATION"] = str(folders[-1])
        caches[name] = config
    settings.CACHES = caches
    yield
    _disconnect_redis_pools()
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)


def _disconnect_redis_pools() -> None:
    """Close the cache's Redis connections when a test's cache settings go: Django's Redis backend has no close(),
    and sockets left open by one test's settings added up over a full run (1,024 open files, and select() failed).
    The pools stay usable and reconnect on their next call."""
    from outlet.common.redis_cache import shared_connection_pools

    for pool in shared_connection_pools():
        pool.disconnect()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Real hashing costs ~0.5 s per user on purpose; tests that create readers do not test the hasher."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _broker_not_resting():
    """outlet.common.outbox leaves the broker alone for a few seconds after it refused a hand-over; a test that made the
    broker refuse must not make the next test's emails wait for a sweep."""
    from outlet.common import outbox

    outbox._broker_failed_at = 0.0
    yield
    outbox._broker_failed_at = 0.0


@pytest.fixture(autouse=True)
def _source_language():
    """Each test starts in English, as each request and task does: Django's LocaleMiddleware leaves the language of a
    request for /ka/... active on the thread afterwards, and a later test's data would be written in Georgian."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.activate("en")


@pytest.fixture(autouse=True)
def _eager_celery():
    """Unit tests run tasks in-process; integration tests opt out and use a real worker."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous
    # Eager tasks run inside Celery's denied_join_result(), which saves and restores one process-wide flag; tasks
    # run eagerly on several threads at once (the concurrency tests) can restore it in the wrong order and leave it
    # set, and every later test's result.get() then refuses. No test runs inside a task, so it is always False here.
    celery_state._set_task_join_will_block(False)


def _service_missing(reason: str):
    if IN_CI:
        pytest.fail(f"CI needs this service: {reason}")
    pytest.skip(reason)


@pytest.fixture
def real_postgres():
    """The test database must be the real PostgreSQL (DATABASE_URL); SQLite does not count."""
    from django.db import connection

    if connection.vendor != "postgresql":
        _service_missing("set DATABASE_URL=postgres://postgres@127.0.0.1:5432/outlet to run against PostgreSQL")


@pytest.fixture
def real_redis():
    """A reachable Redis at REDIS_URL, returned as a client."""
    url = os.environ.get("REDIS_URL")
    if not url:
        _service_missing("set REDIS_URL=redis://127.0.0.1:6379/0 to run against Redis")
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        _service_missing(f"Redis at {url} is not answering: {exc}")
    return client


# --- A real Celery worker process, through the real Redis broker, against the test PostgreSQL database ---

ROOT = Path(__file__).resolve().parents[1]


def test_database_url() -> str:
    """The URL of the database pytest-django created, so a worker process writes where the test reads."""
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


test_database_url.__test__ = False  # not a test, despite the name


def start_worker(
    *, queue: str, log_path: Path, email_url: str, transport_options: dict | None = None
) -> subprocess.Popen:
    """A real `celery worker` process (solo pool) on its own queue, against the test database, sending mail to
    `email_url`. `transport_options` override the broker's (a test that kills a worker shortens the visibility
    timeout, so the next worker gets the dead one's unacknowledged message within seconds, not an hour)."""
    env = os.environ | {
        "DATABASE_URL": test_database_url(),
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "CONN_MAX_AGE": "0",
        "EMAIL_URL": email_url,
        # The test's own cache namespace, shared with the worker as a web process shares it in production (the
        # receipts' queued-task key, which the worker clears).
        "CACHE_KEY_PREFIX": django_settings.CACHES["default"]["KEY_PREFIX"],
    }
    boot = (
        "import sys; from outlet.celery import app; "
        f"app.conf.broker_transport_options = {{**app.conf.broker_transport_options, **{transport_options or {}!r}}}; "
        "app.worker_main(sys.argv[1:])"
    )
    with open(log_path, "w") as log:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-c",
                boot,
                "worker",
                "-Q",
                queue,
                "-n",
                f"{queue}-{uuid.uuid4().hex[:4]}@%h",
                "--pool=solo",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while "ready." not in log_path.read_text():
        if worker.poll() is not None or time.monotonic() > deadline:
            worker.kill()
            pytest.fail(f"the Celery worker did not start:\n{log_path.read_text()}")
        time.sleep(0.2)
    return worker


@pytest.fixture
def celery_worker_process(real_postgres, real_redis, tmp_path):
    """A real `celery worker` on its own queue, through the real Redis broker, against the test database."""
    queue = f"test-{uuid.uuid4().hex[:10]}"
    log_path = tmp_path / "worker.log"
    mail_dir = tmp_path / "worker-mail"  # the worker's outgoing email, one file per message
    worker = start_worker(queue=queue, log_path=log_path, email_url=f"filemail:///{mail_dir}")
    celery_app.conf.task_always_eager = False
    # Tasks this test process sends (e.g. enqueued by the webhook intake) go to this worker's queue.
    previous_queue = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue
    try:
        yield {"queue": queue, "process": worker, "log": log_path, "mail_dir": mail_dir}
    finally:
        celery_app.conf.task_default_queue = previous_queue
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


# --- Membership tiers with prices in three currencies, as staff would set them up ---

PRICES = {  # tier slug -> (monthly, yearly) in minor units, per currency
    "supporter": {"GEL": (1500, 15000), "USD": (600, 6000), "EUR": (500, 5000)},
    "insider": {"GEL": (3000, 30000), "USD": (1200, 12000), "EUR": (1000, 10000)},
}


@pytest.fixture
def priced_tiers(db):
    tiers = {
        "supporter": TierFactory(
            name="Supporter", slug="supporter", position=1, benefits="Every story, no limits\nThe weekly letter"
        ),
        "insider": TierFactory(
            name="Insider", slug="insider", position=2, benefits="Everything in Supporter\nBriefings with editors"
        ),
    }
    for slug, by_currency in PRICES.items():
        for currency, (monthly, yearly) in by_currency.items():
            TierPrice.objects.create(tier=tiers[slug], interval="month", currency=currency, amount_minor=monthly)
            TierPrice.objects.create(tier=tiers[slug], interval="year", currency=currency, amount_minor=yearly)
    return tiers
