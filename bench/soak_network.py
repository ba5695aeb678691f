"""The provider's side of the network for bench/soak.py: it delivers the webhooks the sandbox held back
(bench/soak_sandbox.py), late, shuffled and some twice, re-delivers events already received, and after the traffic
lets the sweeps settle everything. Deliveries are signed afresh with the sandbox's key, as a provider's retry is."""

from __future__ import annotations

import json
import random
import time
from datetime import timedelta

from bench.soak_client import Browser
from bench.soak_people import World

HOLD_SECONDS = 3  # a held-back event is delivered after at least this long (and a few seconds more, by the cycle)
REPEAT_CHANCE = 0.3  # a delivered held-back event is sent again in the same shuffled batch
DUPLICATES_PER_CYCLE = 4  # events already received, sent again


def held_back(*, older_than: float) -> list[dict]:
    """Events the sandbox emitted that the site has not received (yet)."""
    from django.db.models import Exists, OuterRef
    from django.utils import timezone

    from outlet.payments.models import SandboxObject, WebhookEvent

    received = WebhookEvent.objects.filter(provider="sandbox", event_id=OuterRef("object_id"))
    return list(
        SandboxObject.objects.filter(kind="event", created_at__lte=timezone.now() - timedelta(seconds=older_than))
        .exclude(Exists(received))
        .values_list("data", flat=True)
    )


def deliver(browser: Browser, kind: str, event: dict):
    from outlet.payments.providers.sandbox.provider import SIGNATURE_HEADER, sign

    body = json.dumps(event).encode()
    return browser.post(
        kind,
        "/payments/webhooks/sandbox/",
        body,
        headers={SIGNATURE_HEADER: sign(body), "Content-Type": "application/json"},
    )


def deliver_held_back(world: World, browser: Browser, *, older_than: float) -> None:
    batch = held_back(older_than=older_than)
    plan = batch + [event for event in batch if random.random() < REPEAT_CHANCE]
    random.shuffle(plan)
    sent: set[str] = set()
    for event in plan:
        first = event["id"] not in sent
        sent.add(event["id"])
        answer = deliver(browser, "webhook_late" if first else "webhook_late_again", event)
        world.count("webhooks: late deliveries" if first else "webhooks: late deliveries repeated")
        if answer.status == 200:
            duplicate = json.loads(answer.text or "{}").get("duplicate")
            world.count(f"webhooks: {'late' if first else 'repeated'} answered duplicate={duplicate}")
        else:
            world.note(
                "webhook", f"a late delivery answered {answer.status}", event=event.get("id"), body=answer.text[:200]
            )


def deliver_duplicates(world: World, browser: Browser, count: int) -> None:
    from outlet.payments.models import SandboxObject, WebhookEvent

    ids = list(WebhookEvent.objects.filter(provider="sandbox").order_by("?").values_list("event_id", flat=True)[:count])
    events = list(SandboxObject.objects.filter(kind="event", object_id__in=ids).values_list("data", flat=True))
    random.shuffle(events)
    for event in events:
        answer = deliver(browser, "webhook_duplicate", event)
        world.count("webhooks: duplicates")
        if answer.status != 200 or json.loads(answer.text or "{}").get("duplicate") is not True:
            world.note(
                "webhook", f"a duplicate answered {answer.status}", event=event.get("id"), body=answer.text[:200]
            )


def network(world: World) -> None:
    """Until the soak ends: every few seconds, the held-back events (shuffled, some twice) and a few old ones again."""
    from django.db import connection

    browser = world.new_browser()
    try:
        while world.pause(3, 7):
            deliver_held_back(world, browser, older_than=HOLD_SECONDS)
            deliver_duplicates(world, browser, DUPLICATES_PER_CYCLE)
    finally:
        browser.close()
        connection.close()


# --- After the traffic ---------------------------------------------------------------------------------------------


def unsettled(redis_url: str) -> dict:
    """What is still on its way: events not final, payments without a receipt, receipts not emailed or not showing a
    refund, outbox tasks not done, messages in the broker's queue."""
    import redis
    from django.conf import settings
    from django.db.models import Exists, F, OuterRef

    from outlet.common.models import OutboxTask
    from outlet.payments.models import Payment, WebhookEvent
    from outlet.receipts.models import Receipt

    original = Receipt.objects.filter(payment=OuterRef("pk"), kind="original")
    try:
        queued = redis.Redis.from_url(redis_url).llen(settings.CELERY_TASK_DEFAULT_QUEUE)
    except redis.RedisError:
        queued = -1
    return {
        "events_not_final": WebhookEvent.objects.filter(status__in=["received", "failed", "waiting"]).count(),
        "events_held_back": len(held_back(older_than=0)),
        "payments_without_receipt": Payment.objects.exclude(Exists(original)).count(),
        "receipts_not_emailed": Receipt.objects.filter(voided_at=None, emailed_at=None).exclude(donor_email="").count(),
        "refunds_not_on_receipts": Receipt.objects.filter(
            voided_at=None, payment__amount_refunded_minor__gt=F("refund_level_minor")
        ).count(),
        "outbox_not_done": OutboxTask.objects.filter(done_at=None).count(),
        "queued_in_broker": queued,
    }


def settle(world: World, *, redis_url: str, seconds: float, fast_forward: timedelta) -> dict:
    """Deliver what is still held back, reconcile once with the provider's event list, then run the sweeps (as beat
    would; in --quick mode ahead of the clock, each round `fast_forward` later than the last, so their 5-minute
    thresholds pass) until nothing is on its way twice in a row, or `seconds` pass. Returns the rounds and what was
    left."""
    from django.utils import timezone

    from outlet.common import outbox
    from outlet.payments import services
    from outlet.receipts import services as receipts

    browser = world.new_browser()
    started = time.monotonic()
    deliver_held_back(world, browser, older_than=0)
    reconciled = services.reconcile_provider_events()
    rounds, quiet, left = [], 0, {}
    while time.monotonic() - started < seconds:
        # Ahead of the clock, each round is one more beat tick `fast_forward` later, so an event queued again by one
        # round (its requeued_at then lies ahead) can be queued again by the next if it failed once more.
        now = timezone.now() + fast_forward * (len(rounds) + 1)
        swept = {
            "requeued_events": services.requeue_stuck_events(now=now),
            "outbox": outbox.sweep(now=now),
            "receipts": receipts.sweep(now=now),
        }
        time.sleep(10)
        left = unsettled(redis_url)
        rounds.append({"at": round(time.monotonic() - started), "swept": swept, "left": left})
        quiet = quiet + 1 if not any(v > 0 for v in left.values()) else 0
        if quiet >= 2:
            break
    browser.close()
    return {
        "seconds": round(time.monotonic() - started),
        "reconciliation_ingested": reconciled,
        "settled": quiet >= 2,
        "left": left,
        "rounds": rounds,
    }
