"""/healthz: can this instance reach its database, cache and broker? For load balancers and uptime checks.

The answer names each check and whether it passed, never how it failed: error text carries internal host names,
ports and paths, and /healthz is public. The error itself goes to the log, where operators look.
"""

from __future__ import annotations

import logging
import time
import uuid

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 2


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_cache() -> None:
    # The Redis backend answers misses while Redis is down, so a round trip alone would only say "no value"; its
    # ping asks Redis itself (and tells the backend's circuit breaker as soon as Redis is back).
    ping = getattr(cache, "ping", None)
    if ping is not None:
        ping()
    key, value = f"healthz:{uuid.uuid4().hex}", "ok"
    cache.set(key, value, 10)
    try:
        if cache.get(key) != value:
            raise RuntimeError("cache did not return what was stored")
    finally:
        cache.delete(key)


def _check_broker() -> None:
    from outlet.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, timeout=BROKER_TIMEOUT_SECONDS)


CHECKS = {"database": _check_database, "cache": _check_cache, "broker": _check_broker}


@never_cache
@require_GET
def healthz(request):
    report, failed = {}, []
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            check()
            report[name] = {"ok": True}
        except Exception:  # noqa: BLE001 - any failure is the answer we report
            logger.warning("healthz: the %s check failed", name, exc_info=True)
            failed.append(name)
            report[name] = {"ok": False}
        report[name]["ms"] = round((time.perf_counter() - started) * 1000, 1)
    body = {"status": "fail" if failed else "ok", "failed": failed, "checks": report}
    if not failed:
        # Work the payment pipeline gave up on needs a person, not a restart: a warning, never a 503 (an account
        # shared with another product would otherwise take the site out of the load balancer).
        needing_staff = _payment_events_needing_staff()
        if any(needing_staff.values()):
            body |= {"status": "warn", "warnings": {"payment_events_needing_staff": needing_staff}}
    return JsonResponse(body, status=503 if failed else 200)


def _payment_events_needing_staff() -> dict[str, int]:
    from outlet.payments.services import events_needing_staff

    try:
        return events_needing_staff()
    except Exception:  # noqa: BLE001 - the database answered a moment ago; a warning is not worth a failure
        logger.warning("healthz: could not count payment events needing staff", exc_info=True)
        return {}
