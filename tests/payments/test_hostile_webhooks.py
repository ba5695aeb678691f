"""Validly signed webhooks that PostgreSQL cannot store as sent never answer 500 and never leave half an event.

A signature proves who sent the bytes, not that they fit: an absurd `created`, an id or type longer than its
column, a NUL or a lone surrogate (JSONB and text columns refuse both), numbers JSON cannot carry, or nesting deep
enough to exhaust the parser. What can be stored with unstorable text replaced is stored and processed (200: a
donor's stray control character must not lose their gift); what can never be stored is refused with 400 and
nothing is stored. Against the real PostgreSQL: SQLite accepts every one of these."""

from __future__ import annotations

import json
import time

import pytest
from django.test import Client

from members.models import Membership
from outlet.payments import services
from outlet.payments.models import Payment, WebhookEvent
from outlet.payments.providers.base import ProviderEvent
from outlet.payments.providers.sandbox import provider as sandbox_module
from outlet.payments.storable import REPLACEMENT
from tests.payments import stripe_objects as so
from tests.payments.conftest import SECRET
from tests.payments.test_stripe_webhooks import event, paid_invoice, subscription

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("real_postgres")]


def post_stripe(body: bytes):
    return Client().post(
        so.WEBHOOK_PATH, body, content_type="application/json", HTTP_STRIPE_SIGNATURE=so.signature_header(body, SECRET)
    )


def post_sandbox(body: bytes):
    return Client().post(
        "/payments/webhooks/sandbox/",
        body,
        content_type="application/json",
        HTTP_SANDBOX_SIGNATURE=sandbox_module.sign(body),
    )


def signed_body(evt: dict) -> bytes:
    return json.dumps(evt).encode()


def nothing_stored() -> bool:
    return not WebhookEvent.objects.exists() and not Payment.objects.exists() and not Membership.objects.exists()


# --- Refused: 400, nothing stored -----------------------------------------------------------------------------


@pytest.mark.parametrize("created", ["1e20", "100000000000000000000", "1e18", "-1e12", "253402300800"])
def test_a_created_time_no_calendar_holds_is_refused(user, t0, created):
    body = signed_body(event("invoice.paid", paid_invoice(user), event_id="evt_when", created=t0))
    body = body.replace(f'"created": {t0}'.encode(), f'"created": {created}'.encode())
    assert f'"created": {created}'.encode() in body

    response = post_stripe(body)

    assert response.status_code == 400
    assert nothing_stored()


@pytest.mark.parametrize("created", ["1e20", "1e18"])
def test_the_sandbox_refuses_a_created_time_no_calendar_holds(user, created):
    body = (
        b'{"id": "sbx_evt_when", "type": "payment.succeeded", "created": '
        + created.encode()
        + b', "data": {"object": {}}}'
    )
    assert post_sandbox(body).status_code == 400
    assert nothing_stored()


@pytest.mark.parametrize("post", [post_stripe, post_sandbox], ids=["stripe", "sandbox"])
@pytest.mark.parametrize("field, length", [("id", 256), ("type", 101), ("id", 5000)])
def test_an_id_or_type_longer_than_we_store_is_refused(user, t0, post, field, length):
    evt = event("invoice.paid", paid_invoice(user), event_id="evt_long", created=int(time.time()))
    evt[field] = ("evt_" if field == "id" else "invoice.") + "x" * (length - (4 if field == "id" else 8))
    assert len(evt[field]) == length

    response = post(signed_body(evt))

    assert response.status_code == 400
    assert nothing_stored()


@pytest.mark.parametrize("post", [post_stripe, post_sandbox], ids=["stripe", "sandbox"])
@pytest.mark.parametrize("number", ["1e400", "-1e400", "NaN", "Infinity"])
def test_a_number_json_cannot_carry_is_refused(user, post, number):
    evt = event("invoice.paid", paid_invoice(user), event_id="evt_inf", created=int(time.time()))
    body = signed_body(evt).replace(b'"amount_paid": 1500', b'"amount_paid": ' + number.encode())
    assert number.encode() in body

    response = post(body)

    assert response.status_code == 400
    assert nothing_stored()


def test_nesting_deep_enough_to_exhaust_the_parser_is_refused(user):
    evt = event("invoice.paid", paid_invoice(user), event_id="evt_deep", created=int(time.time()))
    body = signed_body(evt)[:-1] + b', "deep": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"

    response = post_stripe(body)

    assert response.status_code == 400
    assert nothing_stored()


def test_a_refused_event_listed_by_reconciliation_is_skipped_and_the_rest_are_ingested(user, stripe_http, t0):
    good = event("customer.subscription.created", subscription(user), event_id="evt_good", created=t0)
    bad = event("customer.subscription.updated", subscription(user), event_id="evt_" + "x" * 300, created=t0 + 1)
    stripe_http.respond(so.list_payload([bad, good], url="/v1/events"), method="GET", path="/v1/events")

    assert services.reconcile_provider_events(provider_id="stripe") == 1

    assert list(WebhookEvent.objects.values_list("event_id", "status")) == [("evt_good", "processed")]
    assert Membership.objects.get(user=user).status == "active"


# --- Stored with unstorable text replaced: 200, processed, duplicates still found -----------------------------


@pytest.mark.parametrize("post", [post_stripe, post_sandbox], ids=["stripe", "sandbox"])
@pytest.mark.parametrize("bad", ["\u0000", "\ud800", "\udfff"], ids=["NUL", "high-surrogate", "low-surrogate"])
def test_a_nul_or_lone_surrogate_anywhere_is_stored_replaced_and_the_event_still_counts(user, post, bad):
    invoice = paid_invoice(user, customer_email=user.email)
    invoice["customer_name"] = f"Lela{bad}"
    invoice["metadata"] = {f"note{bad}": f"typed{bad}"}
    evt = event(
        "invoice.paid" if post is post_stripe else "customer.tax_id.created",
        invoice,
        event_id=f"evt_{bad}_1",
        created=int(time.time()),
    )
    body = signed_body(evt)
    assert b"\\u0000" in body or b"\\ud8" in body or b"\\udf" in body

    answers = [post(body) for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.json()["duplicate"] for a in answers] == [False, True, True], "the replaced id still finds its event"
    stored = WebhookEvent.objects.get()
    assert stored.event_id == f"evt_{REPLACEMENT}_1"
    assert stored.payload["data"]["object"]["customer_name"] == f"Lela{REPLACEMENT}"
    assert stored.payload["data"]["object"]["metadata"] == {f"note{REPLACEMENT}": f"typed{REPLACEMENT}"}
    if post is post_stripe:
        assert stored.status == "processed"
        assert Payment.objects.get().amount_minor == 1500, "the gift or charge is not lost to a stray character"
    else:
        assert stored.status == "ignored"


def test_an_event_needing_no_replacement_is_stored_exactly_as_received(user, t0):
    evt = event("invoice.paid", paid_invoice(user), event_id="evt_plain", created=t0)
    evt["data"]["object"]["customer_name"] = "ლელა \u2028 Ünïcode 😀"
    assert post_stripe(signed_body(evt)).status_code == 200
    assert WebhookEvent.objects.get().payload == evt


@pytest.mark.parametrize(
    "text, stored",
    [
        ("an emoji 😀 and ლ", "an emoji 😀 and ლ"),  # a surrogate pair in JSON's escapes: one character, kept
        ("C:\\u0000 and \\ud800 typed", "C:\\u0000 and \\ud800 typed"),  # a backslash and letters: kept as typed
        ("lone \ud83d then \ude00 apart", f"lone {REPLACEMENT} then {REPLACEMENT} apart"),
        ("reversed \ude00\ud83d", f"reversed {REPLACEMENT}{REPLACEMENT}"),
        ("a pair then a lone low 😀\ude00", f"a pair then a lone low 😀{REPLACEMENT}"),
    ],
)
def test_only_text_postgresql_cannot_hold_is_replaced_however_json_escapes_it(text, stored):
    from datetime import UTC, datetime

    from outlet.payments.storable import storable

    payload = {"id": "evt_text", "data": {"object": {"name": text, "list": [text], text: 1}}}
    event = ProviderEvent(id="evt_text", type="invoice.paid", created=datetime.now(UTC), payload=payload)
    assert storable(event).payload == {
        "id": "evt_text",
        "data": {"object": {"name": stored, "list": [stored], stored: 1}},
    }


def test_the_intake_service_refuses_what_no_column_holds_whoever_calls_it(user, t0):
    from datetime import UTC, datetime

    from outlet.payments.storable import UnstorableEvent

    with pytest.raises(UnstorableEvent, match="the event type is 150 characters long; at most 100 can be stored"):
        services.ingest_event(
            provider_id="stripe",
            event=ProviderEvent(
                id="evt_service",
                type="t" * 150,
                created=datetime.fromtimestamp(t0, tz=UTC),
                payload={"id": "evt_service"},
            ),
        )
    with pytest.raises(UnstorableEvent, match="no id"):
        services.ingest_event(
            provider_id="stripe",
            event=ProviderEvent(id="  ", type="invoice.paid", created=datetime.fromtimestamp(t0, tz=UTC), payload={}),
        )
    assert nothing_stored()
