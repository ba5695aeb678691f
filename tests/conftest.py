"""Shared fixtures: a small cast of readers, and real services where a test asks for them."""

from __future__ import annotations

import os
import uuid

import pytest
from django.conf import settings as django_settings

from outlet.celery import app as celery_app

IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(autouse=True)
def _isolated_cache(settings):
    """Each test gets its own cache namespace, so a shared Redis in CI never leaks state between tests."""
    caches = {name: dict(config) for name, config in django_settings.CACHES.items()}
    for config in caches.values():
        config["KEY_PREFIX"] = f"test-{uuid.uuid4().hex[:12]}"
    settings.CACHES = caches


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Real hashing costs ~0.5 s per user on purpose; tests that create readers do not test the hasher."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _eager_celery():
    """Unit tests run tasks in-process; integration tests opt out and use a real worker."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def _service_missing(reason: str):
    if IN_CI:
        pytest.fail(f"CI needs this service: {reason}")
    pytest.skip(reason)


@pytest.fixture
def real_postgres():
    """The test database must be the real PostgreSQL (DATABASE_URL); SQLite does not count."""
    if django_settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
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
