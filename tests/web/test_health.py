from __future__ import annotations

import logging

import pytest
from django.test import Client

from outlet.web import health

pytestmark = pytest.mark.django_db


def test_healthz_reports_each_part_as_json():
    response = Client().get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["failed"] == []
    assert set(body["checks"]) == {"database", "cache", "broker"}
    assert all(check["ok"] for check in body["checks"].values())
    assert "no-cache" in response["Cache-Control"]


def test_healthz_answers_503_and_names_the_broken_part_but_not_how_it_broke(monkeypatch, caplog):
    def broker_down():
        raise ConnectionRefusedError("Error 111 connecting to redis-internal.example:6379. Connection refused.")

    monkeypatch.setitem(health.CHECKS, "broker", broker_down)
    with caplog.at_level(logging.WARNING, logger="outlet.web.health"):
        response = Client().get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail" and body["failed"] == ["broker"]
    assert body["checks"]["broker"] == {"ok": False, "ms": body["checks"]["broker"]["ms"]}
    assert body["checks"]["database"]["ok"] is True
    assert "redis-internal" not in response.content.decode() and "6379" not in response.content.decode()
    assert "redis-internal.example:6379" in caplog.text, "operators find the cause in the log"


def test_healthz_fails_the_cache_check_when_the_cache_keeps_nothing(settings):
    """A cache that answers every read with a miss (as the Redis backend does while Redis is down) is not healthy."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    response = Client().get("/healthz")
    assert response.status_code == 503 and response.json()["failed"] == ["cache"]
