from __future__ import annotations

import pytest
from django.test import Client

from outlet import health

pytestmark = pytest.mark.django_db


def test_healthz_reports_each_part_as_json():
    response = Client().get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker"}
    assert all(check["ok"] for check in body["checks"].values())
    assert "no-cache" in response["Cache-Control"]


def test_healthz_answers_503_and_names_the_broken_part(monkeypatch):
    def broker_down():
        raise ConnectionRefusedError("broker unreachable")

    monkeypatch.setitem(health.CHECKS, "broker", broker_down)
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == {"ok": False, "error": "ConnectionRefusedError: broker unreachable",
                                                    "ms": response.json()["checks"]["broker"]["ms"]}
    assert response.json()["checks"]["database"]["ok"] is True
