"""The Stripe adapter against Stripe's own pieces: its example objects (as webhook payloads and API responses),
its signature code, and its client talking to a recording HTTP client instead of the network.

Enum-like values ("subscription", "payment", "create_prorations") are typed `Literal[...] | str` by stripe, so
mypy cannot catch a misspelling: these tests assert them as literals on the wire.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest
import stripe

from outlet.payments.providers.base import (
    NOT_ANSWERING,
    NOT_ANSWERING_CHANGE,
    OUR_MARKER,
    CheckoutCompleted,
    CheckoutRequest,
    InvalidSignature,
    PaymentDisputed,
    PaymentFailed,
    PaymentRefunded,
    PaymentSucceeded,
    PriceSpec,
    ProviderError,
    ProviderEvent,
    ProviderUnavailable,
    SubscriptionChanged,
)
from outlet.payments.providers.stripe.adapter import StripeProvider
from tests.payments import stripe_objects as so

SECRET = "whsec_test_outlet"
KEY = "sk_test_outlet_not_a_real_key"
SPEC = PriceSpec(
    lookup_key="membership-supporter-month-1500-gel",
    product_name="Supporter membership",
    interval="month",
    currency="GEL",
    amount_minor=1500,
)
MEMBERSHIP_METADATA = {OUR_MARKER: "membership", "outlet_attempt": "att_42", "outlet_user": "7"}


@pytest.fixture
def http():
    client = so.RecordingHTTPClient()
    yield client
    assert client.pending == 0, "a canned Stripe response was never requested"


@pytest.fixture
def provider(http):
    return StripeProvider(secret_key=KEY, webhook_secret=SECRET, http_client=http)


def membership_request(**overrides):
    fields = dict(
        purpose="membership",
        reference="att_42",
        email="reader@example.com",
        success_url="https://outlet.example/members/welcome/?ref=att_42",
        cancel_url="https://outlet.example/members/join/",
        metadata=MEMBERSHIP_METADATA,
        user_id=7,
        recurring=SPEC,
        description="Supporter membership",
    )
    fields.update(overrides)
    return CheckoutRequest(**fields)


def donation_request(**overrides):
    fields = dict(
        purpose="donation",
        reference="don_9",
        email="donor@example.com",
        success_url="https://outlet.example/donate/thanks/?ref=don_9",
        cancel_url="https://outlet.example/donate/",
        metadata={OUR_MARKER: "donation", "outlet_donation": "don_9", "outlet_campaign": "flood-relief"},
        one_time_amount_minor=2500,
        one_time_currency="GEL",
        description="Flood relief fund",
        statement_descriptor="FLOOD RELIEF",
    )
    fields.update(overrides)
    return CheckoutRequest(**fields)


def matching_prices():
    return so.list_payload([so.price_payload(price_id="price_match")], url="/v1/prices")


# --- start_checkout -----------------------------------------------------------------------------------------


def test_a_membership_checkout_is_a_subscription_session_on_the_matching_price(provider, http):
    http.respond(matching_prices(), method="GET", path="/v1/prices")
    http.respond(so.checkout_session_payload(session_id="cs_test_m1"), method="POST", path="/v1/checkout/sessions")

    redirect = provider.start_checkout(request=membership_request(), idempotency_key="checkout:att_42")

    assert redirect.session_id == "cs_test_m1"
    assert redirect.url == "https://checkout.stripe.com/c/pay/cs_test_m1"
    lookup, create = http.requests
    assert lookup.params == {"lookup_keys[0]": SPEC.lookup_key, "active": "true", "limit": "10"}
    sent = create.data
    assert sent["mode"] == "subscription"
    assert sent["line_items"] == [{"price": "price_match", "quantity": "1"}]
    assert sent["metadata"] == MEMBERSHIP_METADATA
    assert sent["subscription_data"]["metadata"] == MEMBERSHIP_METADATA
    assert "payment_intent_data" not in sent
    assert sent["client_reference_id"] == "att_42"
    assert sent["customer_email"] == "reader@example.com"
    assert "customer" not in sent and "customer_creation" not in sent  # subscription mode always makes a customer
    assert sent["success_url"] == "https://outlet.example/members/welcome/?ref=att_42"
    assert sent["cancel_url"] == "https://outlet.example/members/join/"
    assert create.idempotency_key == "checkout:att_42"
    assert lookup.idempotency_key is None  # GETs carry none


def test_a_membership_checkout_creates_the_price_when_none_matches(provider, http):
    stale = so.price_payload(price_id="price_old", amount=1200)  # same lookup key, old amount
    http.respond(so.list_payload([stale], url="/v1/prices"), path="/v1/prices")
    http.respond(so.price_payload(price_id="price_new"), method="POST", path="/v1/prices")
    http.respond(so.checkout_session_payload(), path="/v1/checkout/sessions")

    provider.start_checkout(request=membership_request(), idempotency_key="checkout:att_42")

    create_price = http.requests[1]
    assert create_price.data == {
        "currency": "gel",
        "unit_amount": "1500",
        "recurring": {"interval": "month"},
        "product_data": {"name": "Supporter membership"},
        "lookup_key": SPEC.lookup_key,
        "transfer_lookup_key": "true",
    }
    assert create_price.idempotency_key
    assert http.requests[2].data["line_items"][0]["price"] == "price_new"


def test_a_monthly_gifts_price_carries_the_neutral_statement_descriptor(provider, http):
    http.respond(so.list_payload([], url="/v1/prices"), path="/v1/prices")
    http.respond(so.price_payload(price_id="price_new"), method="POST", path="/v1/prices")
    http.respond(so.checkout_session_payload(), path="/v1/checkout/sessions")
    spec = PriceSpec(**{**SPEC.__dict__, "statement_descriptor": "CL MEDIA SERVICES"})

    provider.start_checkout(request=membership_request(recurring=spec), idempotency_key="checkout:att_43")

    assert http.requests[1].data["product_data"] == {
        "name": "Supporter membership",
        "statement_descriptor": "CL MEDIA SERVICES",
    }


def test_the_price_idempotency_key_is_derived_from_the_spec(provider, http):
    specs = [SPEC, SPEC, PriceSpec(**{**SPEC.__dict__, "amount_minor": 1800})]
    for spec in specs:
        http.respond(so.list_payload([], url="/v1/prices"), path="/v1/prices")
        http.respond(so.price_payload(amount=spec.amount_minor), method="POST", path="/v1/prices")
        http.respond(so.checkout_session_payload(), path="/v1/checkout/sessions")
        provider.start_checkout(request=membership_request(recurring=spec), idempotency_key="checkout:att_42")

    keys = [r.idempotency_key for r in http.requests if r.path == "/v1/prices" and r.method == "POST"]
    assert keys[0] == keys[1]
    assert keys[2] != keys[0]
    assert None not in keys


def test_a_price_with_another_interval_or_currency_is_not_reused(provider, http):
    others = [
        so.price_payload(price_id="price_year", interval="year"),
        so.price_payload(price_id="p_usd", currency="usd"),
    ]
    http.respond(so.list_payload(others, url="/v1/prices"), path="/v1/prices")
    http.respond(so.price_payload(price_id="price_new"), method="POST", path="/v1/prices")
    http.respond(so.checkout_session_payload(), path="/v1/checkout/sessions")

    provider.start_checkout(request=membership_request(), idempotency_key="k")

    assert http.requests[2].data["line_items"][0]["price"] == "price_new"


def test_a_returning_member_checks_out_as_their_existing_customer(provider, http):
    http.respond(matching_prices())
    http.respond(so.checkout_session_payload())

    provider.start_checkout(request=membership_request(customer_id="cus_known"), idempotency_key="k")

    sent = http.requests[1].data
    assert sent["customer"] == "cus_known"
    assert "customer_email" not in sent


def test_a_donation_checkout_is_a_payment_session_with_an_inline_price(provider, http):
    http.respond(so.checkout_session_payload(session_id="cs_test_d1", mode="payment"), path="/v1/checkout/sessions")

    redirect = provider.start_checkout(request=donation_request(), idempotency_key="checkout:don_9")

    assert redirect.session_id == "cs_test_d1"
    (create,) = http.requests  # no price lookup for a one-time amount
    sent = create.data
    assert sent["mode"] == "payment"
    assert sent["line_items"] == [
        {
            "price_data": {"currency": "gel", "unit_amount": "2500", "product_data": {"name": "Flood relief fund"}},
            "quantity": "1",
        }
    ]
    donation_metadata = {OUR_MARKER: "donation", "outlet_donation": "don_9", "outlet_campaign": "flood-relief"}
    assert sent["metadata"] == donation_metadata
    assert sent["payment_intent_data"]["metadata"] == donation_metadata
    # Stripe rejects statement_descriptor on card charges; the suffix is the card equivalent.
    assert sent["payment_intent_data"]["statement_descriptor_suffix"] == "FLOOD RELIEF"
    assert "statement_descriptor" not in sent["payment_intent_data"]
    assert "subscription_data" not in sent
    assert sent["customer_email"] == "donor@example.com"
    assert sent["customer_creation"] == "always"
    assert create.idempotency_key == "checkout:don_9"


def test_a_donation_without_an_amount_is_a_programming_error(provider, http):
    with pytest.raises(ValueError):
        provider.start_checkout(request=donation_request(one_time_amount_minor=None), idempotency_key="k")
    assert http.requests == []


def test_the_same_checkout_sends_the_same_idempotency_key(provider, http):
    for _ in range(2):
        http.respond(so.checkout_session_payload(mode="payment"))
        provider.start_checkout(request=donation_request(), idempotency_key="checkout:don_9")
    assert [r.idempotency_key for r in http.requests] == ["checkout:don_9", "checkout:don_9"]


def test_a_network_retry_repeats_the_idempotency_key(provider, http, monkeypatch):
    monkeypatch.setattr("stripe._http_client.time.sleep", lambda seconds: None)
    http.fail_connection(should_retry=True)
    http.respond(so.checkout_session_payload(mode="payment"))

    provider.start_checkout(request=donation_request(), idempotency_key="checkout:don_9")

    assert len(http.requests) == 2
    assert http.requests[0].idempotency_key == http.requests[1].idempotency_key == "checkout:don_9"


# --- Error mapping ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "error_type", "code", "stripe_error"),
    [
        (400, "invalid_request_error", "parameter_invalid_integer", stripe.InvalidRequestError),
        (404, "invalid_request_error", "resource_missing", stripe.InvalidRequestError),
        (429, "invalid_request_error", "rate_limit", stripe.RateLimitError),
        (401, "invalid_request_error", None, stripe.AuthenticationError),
        (500, "api_error", None, stripe.APIError),
    ],
)
def test_stripe_errors_become_a_provider_error_a_reader_may_see(
    provider, http, monkeypatch, status, error_type, code, stripe_error
):
    """Stripe's message for these is for developers: the reader gets ours, the log gets Stripe's."""
    monkeypatch.setattr("stripe._http_client.time.sleep", lambda seconds: None)
    message = "No such price: 'price_secret_internal'; sk_test_leak req_abc"
    # A 500 is retried once by the SDK (PERSON_WAITING), so it needs its answer queued for each attempt.
    attempts = 2 if status >= 500 else 1
    for _ in range(attempts):
        http.respond_error(status, type=error_type, code=code, message=message)

    with pytest.raises(ProviderError) as raised:
        provider.start_checkout(request=donation_request(), idempotency_key="k")

    assert isinstance(raised.value.__cause__, stripe_error)
    text = str(raised.value)
    assert text and "sk_test" not in text and "price_secret_internal" not in text


def test_a_card_decline_keeps_stripes_reader_facing_message(provider, http):
    """Stripe documents card_error messages as safe to show to the customer."""
    http.respond_error(402, type="card_error", code="card_declined", message="Your card was declined.")
    with pytest.raises(ProviderError, match="Your card was declined."):
        provider.refund(payment_ref="pi_1", amount_minor=None, idempotency_key="k")


def test_an_unreachable_stripe_becomes_a_provider_error(provider, http):
    http.fail_connection()
    with pytest.raises(ProviderUnavailable) as raised:
        provider.open_portal(customer_id="cus_1", return_url="https://outlet.example/account/")
    assert str(raised.value) == NOT_ANSWERING
    assert isinstance(raised.value.__cause__, stripe.APIConnectionError)


def test_an_unreachable_stripe_during_a_change_says_it_may_have_happened(provider, http):
    """A change sent before Stripe went quiet may have been made: the person is told so, and that trying again is
    safe."""
    http.fail_connection()
    with pytest.raises(ProviderUnavailable) as raised:
        provider.set_cancel_at_period_end(subscription_id="sub_1", cancel=True, idempotency_key="cape:sub_1")
    assert str(raised.value) == NOT_ANSWERING_CHANGE


def test_a_person_waiting_gets_one_retry_and_a_background_task_gets_two(provider, http, monkeypatch):
    monkeypatch.setattr("stripe._http_client.time.sleep", lambda seconds: None)
    for _ in range(2):
        http.fail_connection(should_retry=True)
    with pytest.raises(ProviderUnavailable):
        provider.open_portal(customer_id="cus_1", return_url="https://outlet.example/account/")
    assert len(http.requests) == 2

    for _ in range(3):
        http.fail_connection(should_retry=True)
    with pytest.raises(ProviderUnavailable):
        list(provider.events_since(created_after=None))
    assert len(http.requests) == 5


# --- Customers, portal, subscription changes, refunds -------------------------------------------------------


def test_a_customer_is_created_with_our_user_in_its_metadata_and_an_idempotency_key(provider, http):
    http.respond(so.stripe_object("customer", id="cus_new"))

    customer_id = provider.create_customer(
        email="nino@example.org", metadata={"outlet_user": "7"}, idempotency_key="customer-for-user-7"
    )

    assert customer_id == "cus_new"
    (request,) = http.requests
    assert (request.method, request.path) == ("POST", "/v1/customers")
    assert request.data == {"email": "nino@example.org", "metadata": {"outlet_user": "7"}}
    assert request.idempotency_key == "customer-for-user-7"


def test_the_portal_opens_for_the_customer_and_returns_to_our_page(provider, http):
    http.respond(so.portal_session_payload(url="https://billing.stripe.com/p/session/abc"))

    url = provider.open_portal(customer_id="cus_1", return_url="https://outlet.example/account/")

    assert url == "https://billing.stripe.com/p/session/abc"
    (request,) = http.requests
    assert (request.method, request.path) == ("POST", "/v1/billing_portal/sessions")
    assert request.data == {"customer": "cus_1", "return_url": "https://outlet.example/account/"}


def test_changing_price_moves_the_single_item_with_prorations(provider, http):
    current = so.subscription_payload(sub_id="sub_1", item_id="si_1", price_id="price_old", amount=1000)
    http.respond(current, method="GET", path="/v1/subscriptions/sub_1")
    http.respond(matching_prices(), method="GET", path="/v1/prices")
    http.respond(so.subscription_payload(sub_id="sub_1"), method="POST", path="/v1/subscriptions/sub_1")

    provider.change_subscription_price(subscription_id="sub_1", price=SPEC, idempotency_key="change:sub_1:3")

    update = http.requests[-1]
    assert update.data == {"items": [{"id": "si_1", "price": "price_match"}], "proration_behavior": "create_prorations"}
    assert update.idempotency_key == "change:sub_1:3"


def test_changing_to_the_current_price_changes_nothing(provider, http):
    http.respond(so.subscription_payload(sub_id="sub_1", price_id="price_match"))
    http.respond(matching_prices())

    provider.change_subscription_price(subscription_id="sub_1", price=SPEC, idempotency_key="k")

    assert [r.method for r in http.requests] == ["GET", "GET"]


@pytest.mark.parametrize(("cancel", "sent"), [(True, "true"), (False, "false")])
def test_cancel_at_period_end_is_set_and_cleared(provider, http, cancel, sent):
    http.respond(so.subscription_payload(sub_id="sub_1", cancel_at_period_end=cancel))

    provider.set_cancel_at_period_end(subscription_id="sub_1", cancel=cancel, idempotency_key="cape:sub_1")

    (request,) = http.requests
    assert (request.method, request.path, request.data) == (
        "POST",
        "/v1/subscriptions/sub_1",
        {"cancel_at_period_end": sent},
    )
    assert request.idempotency_key == "cape:sub_1"


def test_cancelling_now_deletes_the_subscription(provider, http):
    http.respond(so.subscription_payload(sub_id="sub_1", status="canceled"))

    provider.cancel_subscription_now(subscription_id="sub_1", idempotency_key="cancel:sub_1")

    (request,) = http.requests
    assert (request.method, request.path) == ("DELETE", "/v1/subscriptions/sub_1")
    assert request.idempotency_key == "cancel:sub_1"


@pytest.mark.parametrize(
    ("payment_ref", "amount", "expected"),
    [
        ("pi_1", None, {"payment_intent": "pi_1"}),
        ("pi_1", 500, {"payment_intent": "pi_1", "amount": "500"}),
        ("ch_1", 1500, {"charge": "ch_1", "amount": "1500"}),
    ],
)
def test_a_refund_names_the_payment_intent_or_charge(provider, http, payment_ref, amount, expected):
    http.respond(so.refund_payload(refund_id="re_9"), method="POST", path="/v1/refunds")

    refund_id = provider.refund(payment_ref=payment_ref, amount_minor=amount, idempotency_key="refund:p1")

    assert refund_id == "re_9"
    assert http.requests[0].data == expected
    assert http.requests[0].idempotency_key == "refund:p1"


def test_an_invoice_is_refunded_through_its_payment_intent(provider, http):
    payments = so.list_payload(
        [so.invoice_payment_payload(invoice="in_1", payment_intent="pi_of_in_1")], url="/v1/invoice_payments"
    )
    http.respond(payments, method="GET", path="/v1/invoice_payments")
    http.respond(so.refund_payload(refund_id="re_9"), method="POST", path="/v1/refunds")

    assert provider.refund(payment_ref="in_1", amount_minor=None, idempotency_key="refund:p1") == "re_9"

    lookup, refund = http.requests
    assert lookup.params == {"invoice": "in_1", "status": "paid", "limit": "10"}
    assert refund.data == {"payment_intent": "pi_of_in_1"}
    assert refund.idempotency_key == "refund:p1"


def test_an_invoice_without_a_paid_payment_cannot_be_refunded(provider, http):
    http.respond(so.list_payload([], url="/v1/invoice_payments"))
    with pytest.raises(ProviderError):
        provider.refund(payment_ref="in_1", amount_minor=None, idempotency_key="k")
    assert len(http.requests) == 1


def test_a_reference_stripe_did_not_issue_is_not_sent(provider, http):
    with pytest.raises(ProviderError):
        provider.refund(payment_ref="sandbox_pay_1", amount_minor=None, idempotency_key="k")
    assert http.requests == []


# --- parse_webhook ------------------------------------------------------------------------------------------


def signed(event, *, secret=SECRET, timestamp=None):
    body = json.dumps(event).encode()
    return body, {"Stripe-Signature": so.signature_header(body, secret, timestamp)}


def received(provider, event_type, obj, **kwargs):
    """An event as the intake view hands it over: signed by Stripe's scheme, parsed by the adapter."""
    body, headers = signed(so.stripe_event(event_type, obj, **kwargs))
    return provider.parse_webhook(body=body, headers=headers)


def test_a_signed_event_is_parsed(provider):
    event = so.stripe_event("invoice.paid", so.invoice_paid_payload(), event_id="evt_1", created=1_767_225_600)
    body, headers = signed(event)

    parsed = provider.parse_webhook(body=body, headers=headers)

    assert parsed == ProviderEvent(
        id="evt_1", type="invoice.paid", created=datetime(2026, 1, 1, tzinfo=UTC), payload=event, livemode=False
    )
    assert type(parsed.payload) is dict and type(parsed.payload["data"]["object"]) is dict


def test_the_signature_header_name_is_case_insensitive(provider):
    body, headers = signed(so.stripe_event("invoice.paid", so.invoice_paid_payload()))
    assert (
        provider.parse_webhook(body=body, headers={"stripe-signature": headers["Stripe-Signature"]}).type
        == "invoice.paid"
    )


def _reserialised(body):
    return json.dumps(json.loads(body), indent=2).encode()


def _compact(body):
    return json.dumps(json.loads(body), separators=(",", ":")).encode()


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(
            lambda body, headers: (
                body,
                {"Stripe-Signature": signed(json.loads(body), secret="whsec_other")[1]["Stripe-Signature"]},
            ),
            id="wrong-secret",
        ),
        pytest.param(
            lambda body, headers: (body.replace(b'"amount_paid": 1500', b'"amount_paid": 1'), headers),
            id="tampered-body",
        ),
        pytest.param(lambda body, headers: (body, {}), id="missing-header"),
        pytest.param(lambda body, headers: (body, {"Stripe-Signature": ""}), id="empty-header"),
        pytest.param(lambda body, headers: (body, {"Stripe-Signature": "t=1,v1=deadbeef"}), id="garbage-header"),
        pytest.param(lambda body, headers: (_reserialised(body), headers), id="reserialised-indent"),
        pytest.param(lambda body, headers: (_compact(body), headers), id="reserialised-compact"),
    ],
)
def test_an_event_that_does_not_verify_is_rejected(provider, tamper):
    body, headers = signed(so.stripe_event("invoice.paid", so.invoice_paid_payload()))
    bad_body, bad_headers = tamper(body, headers)
    assert (bad_body, bad_headers) != (body, headers)
    with pytest.raises(InvalidSignature):
        provider.parse_webhook(body=bad_body, headers=bad_headers)


def test_an_event_signed_longer_ago_than_the_tolerance_is_rejected(provider):
    event = so.stripe_event("invoice.paid", so.invoice_paid_payload())
    tolerance = stripe.Webhook.DEFAULT_TOLERANCE
    body, headers = signed(event, timestamp=int(time.time()) - tolerance - 5)
    with pytest.raises(InvalidSignature):
        provider.parse_webhook(body=body, headers=headers)
    body, headers = signed(event, timestamp=int(time.time()) - tolerance + 30)
    assert provider.parse_webhook(body=body, headers=headers).type == "invoice.paid"


def test_a_correctly_signed_body_that_is_not_an_event_is_rejected(provider):
    for body in (b"not json", b"[1, 2]", b'{"id": "evt_1"}'):
        with pytest.raises(InvalidSignature):
            provider.parse_webhook(body=body, headers={"Stripe-Signature": so.signature_header(body, SECRET)})


# --- translate ----------------------------------------------------------------------------------------------


def test_a_completed_membership_checkout(provider):
    session = so.checkout_completed_payload(
        session_id="cs_1", reference="att_42", customer="cus_1", subscription_id="sub_1", metadata=MEMBERSHIP_METADATA
    )
    event = received(provider, "checkout.session.completed", session, event_id="evt_c1", created=1_767_225_600)

    (domain,) = provider.translate(event)

    assert domain == CheckoutCompleted(
        provider="stripe",
        event_id="evt_c1",
        occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
        metadata=MEMBERSHIP_METADATA,
        session_id="cs_1",
        reference="att_42",
        customer_id="cus_1",
        subscription_id="sub_1",
        payment_ref=None,
        paid=True,
        email="reader@example.com",
    )
    assert OUR_MARKER in domain.metadata


@pytest.mark.parametrize(("payment_status", "paid"), [("paid", True), ("no_payment_required", True), ("unpaid", False)])
def test_a_completed_donation_checkout_names_its_payment_intent(provider, payment_status, paid):
    session = so.checkout_completed_payload(mode="payment", payment_intent="pi_7", payment_status=payment_status)

    domain, *payment = provider.translate(received(provider, "checkout.session.completed", session))

    assert isinstance(domain, CheckoutCompleted)
    assert [type(p).__name__ for p in payment] == (["PaymentSucceeded"] if payment_status == "paid" else [])

    assert domain.payment_ref == "pi_7"
    assert domain.subscription_id is None
    assert domain.paid is paid
    assert domain.metadata == {OUR_MARKER: "donation"}


@pytest.mark.parametrize(
    ("event_type", "status", "rank", "ended"),
    [
        ("customer.subscription.created", "incomplete", 0, False),
        ("customer.subscription.updated", "active", 1, False),
        ("customer.subscription.updated", "past_due", 1, False),
        ("customer.subscription.updated", "canceled", 1, True),
        ("customer.subscription.deleted", "canceled", 2, True),
    ],
)
def test_a_subscription_event_carries_the_full_subscription(provider, event_type, status, rank, ended):
    subscription = so.subscription_payload(
        sub_id="sub_1",
        customer="cus_1",
        status=status,
        lookup_key="membership-patron-year-15000-gel",
        interval="year",
        amount=15000,
        currency="gel",
        period_end=1_798_761_600,
        cancel_at_period_end=True,
        metadata=MEMBERSHIP_METADATA,
    )
    event = received(provider, event_type, subscription, event_id="evt_s1", created=1_767_225_600)

    (domain,) = provider.translate(event)

    assert domain == SubscriptionChanged(
        provider="stripe",
        event_id="evt_s1",
        occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
        metadata=MEMBERSHIP_METADATA,
        subscription_id="sub_1",
        customer_id="cus_1",
        status=status,
        price_lookup_key="membership-patron-year-15000-gel",
        interval="year",
        amount_minor=15000,
        currency="GEL",
        current_period_end=datetime(2027, 1, 1, tzinfo=UTC),
        cancel_at_period_end=True,
        ended=ended,
        sequence_rank=rank,
    )


def test_a_paid_invoice_is_a_payment_of_the_subscription(provider):
    invoice = so.invoice_paid_payload(
        invoice_id="in_1",
        customer="cus_1",
        subscription_id="sub_1",
        amount=1500,
        currency="gel",
        customer_email="reader@example.com",
        period_end=1_798_761_600,
        metadata=MEMBERSHIP_METADATA,
        invoice_metadata={"outlet_ignored_here": "x"},
        hosted_invoice_url="https://invoice.stripe.com/i/abc",
    )
    extra_line = json.loads(json.dumps(invoice["lines"]["data"][0]))
    extra_line["period"] = {"start": 1_790_000_000, "end": 1_795_000_000}  # an earlier proration line
    invoice["lines"]["data"].append(extra_line)

    (domain,) = provider.translate(
        received(provider, "invoice.paid", invoice, event_id="evt_i1", created=1_767_225_600)
    )

    assert isinstance(domain, PaymentSucceeded)
    assert domain.payment_ref == "in_1"
    assert domain.subscription_id == "sub_1"
    assert domain.customer_id == "cus_1"
    assert domain.metadata == MEMBERSHIP_METADATA  # the subscription's metadata wins over the invoice's
    assert (domain.amount_minor, domain.currency) == (1500, "GEL")
    assert domain.email == "reader@example.com"
    assert domain.period_end == datetime(2027, 1, 1, tzinfo=UTC)  # the latest line end
    assert domain.provider_receipt_url == "https://invoice.stripe.com/i/abc"
    assert domain.occurred_at == datetime(2026, 1, 1, tzinfo=UTC)
    assert domain.other_refs == ()  # a modern invoice.paid payload names no payment intent


def test_a_paid_invoice_without_subscription_metadata_uses_the_invoice_metadata(provider):
    invoice = so.invoice_paid_payload(invoice_metadata={OUR_MARKER: "membership"}, hosted_invoice_url=None)
    invoice["parent"]["subscription_details"]["metadata"] = None

    (domain,) = provider.translate(received(provider, "invoice.paid", invoice))

    assert domain.metadata == {OUR_MARKER: "membership"}
    assert domain.provider_receipt_url == ""


def test_a_failed_invoice_says_which_attempt_and_when_the_next_is(provider):
    invoice = so.invoice_failed_payload(
        invoice_id="in_2", subscription_id="sub_1", amount=1500, attempt_count=2, next_payment_attempt=1_767_312_000
    )

    (domain,) = provider.translate(received(provider, "invoice.payment_failed", invoice))

    assert isinstance(domain, PaymentFailed)
    assert (domain.payment_ref, domain.subscription_id, domain.customer_id) == ("in_2", "sub_1", "cus_test_1")
    assert (domain.amount_minor, domain.currency) == (1500, "GEL")
    assert domain.attempt == 2
    assert domain.next_attempt_at == datetime(2026, 1, 2, tzinfo=UTC)
    assert domain.metadata == {OUR_MARKER: "membership"}


def test_a_final_failed_attempt_has_no_next_attempt(provider):
    invoice = so.invoice_failed_payload(attempt_count=4, next_payment_attempt=None)
    invoice["next_payment_attempt"] = None
    (domain,) = provider.translate(received(provider, "invoice.payment_failed", invoice))
    assert domain.next_attempt_at is None


@pytest.mark.parametrize(("refunded_amount", "fully"), [(500, False), (2500, True)])
def test_a_refunded_charge_reports_the_cumulative_amount(provider, refunded_amount, fully):
    charge = so.charge_payload(
        charge_id="ch_1",
        payment_intent="pi_1",
        amount=2500,
        amount_refunded=refunded_amount,
        metadata={OUR_MARKER: "donation", "outlet_donation": "don_9"},
    )

    (domain,) = provider.translate(received(provider, "charge.refunded", charge))

    assert domain == PaymentRefunded(
        provider="stripe",
        event_id=domain.event_id,
        occurred_at=domain.occurred_at,
        metadata={OUR_MARKER: "donation", "outlet_donation": "don_9"},
        payment_refs=("ch_1", "pi_1"),
        amount_refunded_minor=refunded_amount,
        currency="GEL",
        fully_refunded=fully,
    )


def test_a_refunded_charge_without_a_payment_intent_names_only_the_charge(provider):
    (domain,) = provider.translate(
        received(provider, "charge.refunded", so.charge_payload(payment_intent=None, amount_refunded=1500))
    )
    assert domain.payment_refs == ("ch_test_1",)


def test_a_dispute_names_the_charge_and_payment_intent(provider):
    dispute = so.dispute_payload(
        dispute_id="dp_1", charge="ch_1", payment_intent="pi_1", amount=2500, reason="fraudulent"
    )

    (domain,) = provider.translate(received(provider, "charge.dispute.created", dispute))

    assert isinstance(domain, PaymentDisputed)
    assert (domain.dispute_id, domain.payment_refs) == ("dp_1", ("ch_1", "pi_1"))
    assert (domain.amount_minor, domain.currency, domain.reason) == (2500, "GEL", "fraudulent")
    assert domain.metadata == {}


def test_only_our_metadata_keys_are_kept(provider):
    subscription = so.subscription_payload(
        metadata={OUR_MARKER: "membership", "outlet_user": "7", "crm_id": "123", "purpose": "other", "OUTLET_x": "y"}
    )
    (domain,) = provider.translate(received(provider, "customer.subscription.updated", subscription))
    assert domain.metadata == {OUR_MARKER: "membership", "outlet_user": "7"}


def test_an_object_some_other_product_created_carries_no_marker(provider):
    (domain,) = provider.translate(
        received(provider, "customer.subscription.created", so.subscription_payload(metadata={"app": "shop"}))
    )
    assert domain.metadata == {}
    assert OUR_MARKER not in domain.metadata


@pytest.mark.parametrize("event_type", ["plan.created", "customer.created", "invoice.finalized", "charge.succeeded"])
def test_event_types_we_do_not_handle_translate_to_nothing(provider, event_type):
    obj = so.stripe_object("event")["data"]["object"] if event_type == "plan.created" else so.charge_payload()
    assert provider.translate(received(provider, event_type, obj)) == []


def test_the_stripe_example_event_translates_to_nothing(provider):
    example = so.stripe_object("event")  # plan.created
    event = ProviderEvent(id=example["id"], type=example["type"], created=datetime.now(UTC), payload=example)
    assert provider.translate(event) == []


def test_all_times_are_aware_utc(provider):
    events = [
        received(provider, "customer.subscription.updated", so.subscription_payload()),
        received(provider, "invoice.paid", so.invoice_paid_payload()),
        received(provider, "invoice.payment_failed", so.invoice_failed_payload()),
    ]
    for event in events:
        for domain in provider.translate(event):
            for value in domain.__dict__.values():
                if isinstance(value, datetime):
                    assert value.tzinfo is UTC


# --- events_since -------------------------------------------------------------------------------------------


def test_events_since_pages_through_and_yields_oldest_first(provider, http):
    newest = [
        so.stripe_event("invoice.paid", so.invoice_paid_payload(), event_id=f"evt_{n}", created=1_767_225_600 + n)
        for n in (4, 3)
    ]
    older = [
        so.stripe_event(
            "customer.subscription.created", so.subscription_payload(), event_id="evt_2", created=1_767_225_602
        )
    ]
    http.respond(so.list_payload(newest, url="/v1/events", has_more=True), method="GET", path="/v1/events")
    http.respond(so.list_payload(older, url="/v1/events", has_more=False), method="GET", path="/v1/events")

    events = list(provider.events_since(created_after=datetime(2026, 1, 1, tzinfo=UTC)))

    assert [e.id for e in events] == ["evt_2", "evt_3", "evt_4"]
    assert [e.type for e in events] == ["customer.subscription.created", "invoice.paid", "invoice.paid"]
    assert events[0].created == datetime(2026, 1, 1, 0, 0, 2, tzinfo=UTC)
    first, second = http.requests
    assert without_types(first.params) == {"limit": "100", "created[gt]": "1767225600"}
    assert without_types(second.params) == {"limit": "100", "created[gt]": "1767225600", "starting_after": "evt_3"}
    assert first.data["types"] == second.data["types"] == HANDLED_TYPES
    # Listed events are plain JSON data, like stored webhook payloads, and translate the same way.
    assert type(events[0].payload["data"]["object"]) is dict
    json.dumps(events[0].payload)
    (domain,) = provider.translate(events[0])
    assert isinstance(domain, SubscriptionChanged) and domain.event_id == "evt_2"


def test_events_since_without_a_start_lists_everything_stripe_holds(provider, http):
    http.respond(so.list_payload([], url="/v1/events"))
    assert list(provider.events_since(created_after=None)) == []
    assert without_types(http.requests[0].params) == {"limit": "100"}


def test_events_since_reports_an_unreachable_stripe(provider, http):
    http.fail_connection()
    with pytest.raises(ProviderError):
        list(provider.events_since(created_after=None))


# Reconciliation lists only the event types we act on (Stripe takes at most 20).
HANDLED_TYPES = sorted(
    [
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.paused",
        "customer.subscription.resumed",
        "customer.subscription.deleted",
        "invoice.paid",
        "invoice.payment_failed",
        "charge.refunded",
        "charge.dispute.created",
        "payment_intent.payment_failed",
    ]
)


def without_types(params: dict[str, str]) -> dict[str, str]:
    return {key: value for key, value in params.items() if not key.startswith("types[")}
