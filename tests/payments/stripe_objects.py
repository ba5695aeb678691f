"""Stripe objects, events, signatures and a recording HTTP client for tests: everything built from Stripe's own
example objects (stripe_fixtures/fixtures3.json, from github.com/stripe/openapi, MIT; see SOURCE.txt there).

Rule (see STRIPE-TESTING.md): never write a Stripe object's structure by hand. Start from `stripe_object(name)`
and override only the fields a test needs. The `*_payload` builders below do exactly that for the objects our
webhooks carry, with defaults that describe "one of our memberships" (metadata carries outlet_purpose).
"""

from __future__ import annotations

import copy
import json
import re
import time
import uuid
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import stripe

FIXTURES_DIR = Path(__file__).parent / "stripe_fixtures"
WEBHOOK_PATH = "/payments/webhooks/stripe/"

DEFAULT_PERIOD_END = 1_798_761_600  # 2027-01-01T00:00:00Z
DAY = 86_400


# --- Raw fixture objects ------------------------------------------------------------------------------------


@cache
def _resources() -> dict[str, Any]:
    with (FIXTURES_DIR / "fixtures3.json").open(encoding="utf-8") as fh:
        return json.load(fh)["resources"]


def fixture_names() -> list[str]:
    return sorted(_resources())


def stripe_object(name: str, **overrides: Any) -> dict[str, Any]:
    """A deep copy of Stripe's example object `name` ("subscription", "checkout.session", ...) with top-level
    overrides applied. Nested changes are made by the caller on the returned dict."""
    resources = _resources()
    if name not in resources:
        raise KeyError(f"no Stripe fixture object named {name!r}")
    obj: dict[str, Any] = copy.deepcopy(resources[name])
    unknown = set(overrides) - set(obj)
    if unknown:
        # Catches typos (and fields Stripe removed) instead of silently inventing structure.
        raise KeyError(f"{name} fixture has no top-level field(s) {sorted(unknown)}")
    obj.update(copy.deepcopy(overrides))
    return obj


def stripe_event(
    event_type: str, obj: dict[str, Any], *, event_id: str | None = None, created: int | None = None
) -> dict[str, Any]:
    """An event envelope (the shape of the fixture `event`) around `obj`."""
    return {
        "id": event_id or f"evt_test_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "type": event_type,
        "created": int(time.time()) if created is None else created,
        "data": {"object": obj},
        "api_version": stripe.api_version,
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
    }


# --- Signatures and posting ---------------------------------------------------------------------------------


def signature_header(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """`Stripe-Signature` for these exact bytes, computed by stripe's own code."""
    return stripe.WebhookSignature.generate_signature_header(payload.decode("utf-8"), secret, timestamp=timestamp)


def post_stripe_event(client: Any, event: dict[str, Any], secret: str) -> Any:
    """POST a signed event to our webhook URL exactly as Stripe would (raw JSON bytes + signature header)."""
    body = json.dumps(event).encode("utf-8")
    return client.post(
        WEBHOOK_PATH, body, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature_header(body, secret)
    )


# --- Convenience builders for the objects our webhooks carry --------------------------------------------------


def _ours(metadata: Mapping[str, str] | None, purpose: str) -> dict[str, str]:
    return {"outlet_purpose": purpose} if metadata is None else dict(metadata)


def price_payload(
    *,
    price_id: str = "price_test_1",
    lookup_key: str | None = "membership-supporter-month-1500-gel",
    interval: str = "month",
    amount: int = 1500,
    currency: str = "gel",
    product: str = "prod_test_1",
    active: bool = True,
) -> dict[str, Any]:
    """A recurring price (also the response of POST/GET /v1/prices)."""
    price = stripe_object(
        "price",
        id=price_id,
        lookup_key=lookup_key,
        unit_amount=amount,
        unit_amount_decimal=str(amount),
        currency=currency.lower(),
        product=product,
        active=active,
        transform_quantity=None,
    )
    price["recurring"]["interval"] = interval
    price["recurring"]["interval_count"] = 1
    return price


def subscription_payload(
    *,
    sub_id: str = "sub_test_1",
    customer: str = "cus_test_1",
    status: str = "active",
    lookup_key: str | None = "membership-supporter-month-1500-gel",
    interval: str = "month",
    amount: int = 1500,
    currency: str = "gel",
    period_end: int = DEFAULT_PERIOD_END,
    cancel_at_period_end: bool = False,
    metadata: Mapping[str, str] | None = None,
    price_id: str = "price_test_1",
    item_id: str = "si_test_1",
    created: int | None = None,
) -> dict[str, Any]:
    """A subscription with one item (modern shape: current_period_* live on the item). metadata defaults to ours
    ({"outlet_purpose": "membership"}); pass {} for a subscription some other product created."""
    period_start = period_end - (365 if interval == "year" else 30) * DAY
    created = period_start if created is None else created
    ended = status in {"canceled", "incomplete_expired"}
    sub = stripe_object(
        "subscription",
        id=sub_id,
        customer=customer,
        status=status,
        currency=currency.lower(),
        cancel_at_period_end=cancel_at_period_end,
        cancel_at=period_end if cancel_at_period_end else None,
        canceled_at=period_end if ended else None,
        ended_at=period_end if ended else None,
        metadata=_ours(metadata, "membership"),
        created=created,
        start_date=created,
        billing_cycle_anchor=created,
        billing_cycle_anchor_config=None,
        next_pending_invoice_item_invoice=None,
        pause_collection=None,
        pending_invoice_item_interval=None,
        pending_update=None,
        transfer_data=None,
        trial_end=None,
        trial_start=None,
        billing_schedules=[],
    )
    item = sub["items"]["data"][0]
    item.update(
        id=item_id,
        subscription=sub_id,
        created=created,
        current_period_start=period_start,
        current_period_end=period_end,
        price=price_payload(
            price_id=price_id, lookup_key=lookup_key, interval=interval, amount=amount, currency=currency
        ),
        billing_thresholds=None,
    )
    item["plan"].update(
        id=price_id,
        amount=amount,
        amount_decimal=str(amount),
        billing_scheme="per_unit",
        currency=currency.lower(),
        interval=interval,
        interval_count=1,
        livemode=False,
        product=item["price"]["product"],
        transform_usage=None,
    )
    sub["items"]["url"] = f"/v1/subscription_items?subscription={sub_id}"
    return sub


def invoice_payload(
    *,
    invoice_id: str = "in_test_1",
    customer: str = "cus_test_1",
    subscription_id: str | None = "sub_test_1",
    status: str = "paid",
    amount: int = 1500,
    currency: str = "gel",
    customer_email: str = "reader@example.com",
    period_end: int = DEFAULT_PERIOD_END,
    period_start: int | None = None,
    metadata: Mapping[str, str] | None = None,
    invoice_metadata: Mapping[str, str] | None = None,
    attempt_count: int = 1,
    next_payment_attempt: int | None = None,
    hosted_invoice_url: str | None = "https://invoice.stripe.com/i/test_1",
    billing_reason: str = "subscription_create",
    created: int | None = None,
) -> dict[str, Any]:
    """An invoice of a subscription: parent.subscription_details carries the subscription id and its metadata
    (defaults to ours); one line covering [period_start, period_end]."""
    period_start = period_end - 30 * DAY if period_start is None else period_start
    created = period_start if created is None else created
    paid = status == "paid"
    inv = stripe_object(
        "invoice",
        id=invoice_id,
        customer=customer,
        status=status,
        currency=currency.lower(),
        customer_email=customer_email,
        amount_due=amount,
        amount_paid=amount if paid else 0,
        amount_remaining=0 if paid else amount,
        amount_overpaid=0,
        subtotal=amount,
        subtotal_excluding_tax=amount,
        total=amount,
        total_excluding_tax=amount,
        attempt_count=attempt_count,
        attempted=attempt_count > 0,
        next_payment_attempt=next_payment_attempt,
        hosted_invoice_url=hosted_invoice_url,
        billing_reason=billing_reason,
        created=created,
        effective_at=created,
        due_date=None,
        period_start=period_start,
        period_end=period_start,  # Stripe: the invoice's own period is the *previous* one; lines carry the paid-for
        metadata=dict(invoice_metadata or {}),
        from_invoice=None,
        last_finalization_error=None,
        shipping_cost=None,
        number=f"TEST-{invoice_id[-4:].upper()}",
    )
    inv["status_transitions"]["finalized_at"] = created
    inv["status_transitions"]["paid_at"] = created if paid else None
    if subscription_id is None:
        inv["parent"] = None
    else:
        inv["parent"] = {
            "quote_details": None,
            "subscription_details": {"metadata": _ours(metadata, "membership"), "subscription": subscription_id},
            "type": "subscription_details",
        }
    line = inv["lines"]["data"][0]
    line.update(
        id=f"il_{invoice_id}",
        invoice=invoice_id,
        amount=amount,
        subtotal=amount,
        currency=currency.lower(),
        description="1 × Membership",
        period={"start": period_start, "end": period_end},
    )
    line["parent"] = {
        "invoice_item_details": None,
        "subscription_item_details": {
            "invoice_item": None,
            "proration": False,
            "proration_details": {"credited_items": None},
            "subscription": subscription_id,
            "subscription_item": "si_test_1",
        },
        "type": "subscription_item_details",
    }
    inv["lines"]["url"] = f"/v1/invoices/{invoice_id}/lines"
    return inv


def invoice_paid_payload(**kwargs: Any) -> dict[str, Any]:
    """invoice_payload(status="paid", ...): the object of an invoice.paid event."""
    kwargs.setdefault("status", "paid")
    return invoice_payload(**kwargs)


def invoice_failed_payload(**kwargs: Any) -> dict[str, Any]:
    """invoice_payload(status="open", ...) with a retry scheduled: the object of invoice.payment_failed."""
    kwargs.setdefault("status", "open")
    kwargs.setdefault("billing_reason", "subscription_cycle")
    kwargs.setdefault("next_payment_attempt", kwargs.get("period_end", DEFAULT_PERIOD_END) - 27 * DAY)
    return invoice_payload(**kwargs)


def checkout_completed_payload(
    *,
    session_id: str = "cs_test_1",
    mode: str = "subscription",
    reference: str = "ref_test_1",
    customer: str | None = "cus_test_1",
    customer_email: str = "reader@example.com",
    subscription_id: str | None = "sub_test_1",
    payment_intent: str | None = None,
    amount: int = 1500,
    currency: str = "gel",
    payment_status: str = "paid",
    status: str = "complete",
    metadata: Mapping[str, str] | None = None,
    created: int | None = None,
) -> dict[str, Any]:
    """A completed Checkout Session. mode "subscription" carries subscription_id, mode "payment" a payment_intent.
    metadata defaults to ours with outlet_purpose matching the mode (membership / donation)."""
    created = int(time.time()) if created is None else created
    session = stripe_object(
        "checkout.session",
        id=session_id,
        mode=mode,
        status=status,
        payment_status=payment_status,
        client_reference_id=reference,
        customer=customer,
        customer_email=customer_email,
        subscription=subscription_id if mode == "subscription" else None,
        payment_intent=payment_intent if mode == "payment" else None,
        amount_subtotal=amount,
        amount_total=amount,
        currency=currency.lower(),
        metadata=_ours(metadata, "membership" if mode == "subscription" else "donation"),
        created=created,
        expires_at=created + DAY,
        url=None if status == "complete" else f"https://checkout.stripe.com/c/pay/{session_id}",
        after_expiration=None,
        shipping_address_collection=None,
        shipping_cost=None,
        currency_conversion=None,
        collected_information=None,
        invoice_creation=None if mode == "subscription" else stripe_object("checkout.session")["invoice_creation"],
    )
    session["customer_details"]["email"] = customer_email
    session["total_details"] = {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0}
    return session


def checkout_session_payload(**kwargs: Any) -> dict[str, Any]:
    """An open Checkout Session with a hosted URL: the response of POST /v1/checkout/sessions."""
    kwargs.setdefault("status", "open")
    kwargs.setdefault("payment_status", "unpaid")
    kwargs.setdefault("subscription_id", None)
    return checkout_completed_payload(**kwargs)


def charge_payload(
    *,
    charge_id: str = "ch_test_1",
    payment_intent: str | None = "pi_test_1",
    customer: str | None = "cus_test_1",
    amount: int = 1500,
    currency: str = "gel",
    amount_refunded: int = 0,
    refunded: bool | None = None,
    metadata: Mapping[str, str] | None = None,
    receipt_email: str | None = "reader@example.com",
    created: int | None = None,
) -> dict[str, Any]:
    """A captured charge; `refunded` defaults to amount_refunded >= amount (Stripe's meaning: fully refunded)."""
    created = int(time.time()) if created is None else created
    charge = stripe_object(
        "charge",
        id=charge_id,
        payment_intent=payment_intent,
        customer=customer,
        amount=amount,
        amount_captured=amount,
        amount_refunded=amount_refunded,
        refunded=amount_refunded >= amount if refunded is None else refunded,
        captured=True,
        currency=currency.lower(),
        metadata=_ours(metadata, "donation"),
        receipt_email=receipt_email,
        created=created,
        description=None,
    )
    refunds = []
    if amount_refunded:
        refunds.append(
            refund_payload(charge=charge_id, payment_intent=payment_intent, amount=amount_refunded, currency=currency)
        )
    charge["refunds"]["data"] = refunds
    charge["refunds"]["url"] = f"/v1/charges/{charge_id}/refunds"
    return charge


def refund_payload(
    *,
    refund_id: str = "re_test_1",
    charge: str = "ch_test_1",
    payment_intent: str | None = "pi_test_1",
    amount: int = 1500,
    currency: str = "gel",
    status: str = "succeeded",
) -> dict[str, Any]:
    """A refund (also the response of POST /v1/refunds)."""
    return stripe_object(
        "refund",
        id=refund_id,
        charge=charge,
        payment_intent=payment_intent,
        amount=amount,
        currency=currency.lower(),
        status=status,
    )


def dispute_payload(
    *,
    dispute_id: str = "dp_test_1",
    charge: str = "ch_test_1",
    payment_intent: str | None = "pi_test_1",
    amount: int = 1500,
    currency: str = "gel",
    reason: str = "fraudulent",
    status: str = "needs_response",
    metadata: Mapping[str, str] | None = None,
    created: int | None = None,
) -> dict[str, Any]:
    """A dispute on a charge (disputes carry no metadata of ours: the charge does)."""
    return stripe_object(
        "dispute",
        id=dispute_id,
        charge=charge,
        payment_intent=payment_intent,
        amount=amount,
        currency=currency.lower(),
        reason=reason,
        status=status,
        metadata=dict(metadata or {}),
        created=int(time.time()) if created is None else created,
    )


def portal_session_payload(
    *, customer: str = "cus_test_1", return_url: str = "https://example.com/account/", url: str | None = None
) -> dict[str, Any]:
    """A customer-portal session (the response of POST /v1/billing_portal/sessions)."""
    return stripe_object(
        "billing_portal.session",
        id="bps_test_1",
        customer=customer,
        return_url=return_url,
        url=url or "https://billing.stripe.com/p/session/test_1",
        flow=None,
        livemode=False,
    )


def invoice_payment_payload(
    *, invoice: str = "in_test_1", payment_intent: str = "pi_test_1", amount: int = 1500, currency: str = "gel"
) -> dict[str, Any]:
    """The payment of an invoice (an item of GET /v1/invoice_payments)."""
    payment = stripe_object(
        "invoice_payment",
        id=f"inpay_{invoice}",
        invoice=invoice,
        amount_paid=amount,
        amount_requested=amount,
        currency=currency.lower(),
        status="paid",
        livemode=False,
    )
    payment["payment"]["payment_intent"] = payment_intent
    return payment


def list_payload(data: list[dict[str, Any]], *, url: str, has_more: bool = False) -> dict[str, Any]:
    """A list response (the `list` envelope every Stripe list endpoint returns, as in the fixtures' lists)."""
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


# --- A recording HTTP client --------------------------------------------------------------------------------


def decode_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's form encoding (`a[b][0][c]=v`) back into nested dicts and lists."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = [key.split("[", 1)[0], *re.findall(r"\[([^\]]*)\]", key)]
        node: Any = root
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            nxt = parts[index + 1] if not last else None
            container: Any = [] if nxt is not None and nxt.isdigit() else {}
            if isinstance(node, list):
                position = int(part)
                while len(node) <= position:
                    node.append(None)
                if last:
                    node[position] = value
                elif node[position] is None:
                    node[position] = container
                node = node[position] if not last else node
            else:
                if last:
                    node[part] = value
                else:
                    node = node.setdefault(part, container)
    return root


@dataclass
class RecordedRequest:
    method: str
    path: str
    params: dict[str, str]  # flat form/query pairs as sent: {"subscription_data[metadata][outlet_purpose]": ...}
    data: dict[str, Any]  # the same, nested: data["subscription_data"]["metadata"]["outlet_purpose"]
    headers: dict[str, str]

    @property
    def idempotency_key(self) -> str | None:
        for name, value in self.headers.items():
            if name.lower() == "idempotency-key":
                return value
        return None


@dataclass
class _Canned:
    method: str | None
    path: str | None
    status: int
    body: str
    raise_connection_error: bool = False
    should_retry: bool = False


class RecordingHTTPClient(stripe.HTTPClient):
    """A stripe.HTTPClient that records every request and answers from a FIFO queue of canned responses.

    Queue answers with `respond(obj)`, `respond_error(status, ...)` or `fail_connection()`; pass method/path to
    assert the request they answer. A request with nothing queued fails the test loudly.
    """

    name = "recording"

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[RecordedRequest] = []
        self._queue: deque[_Canned] = deque()

    # -- queueing answers
    def respond(
        self, body: Mapping[str, Any], *, status: int = 200, method: str | None = None, path: str | None = None
    ) -> RecordingHTTPClient:
        self._queue.append(_Canned(method, path, status, json.dumps(body)))
        return self

    def respond_error(
        self,
        status: int,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        message: str = "Something went wrong at Stripe.",
        param: str | None = None,
        decline_code: str | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> RecordingHTTPClient:
        """Answer with Stripe's error body: {"error": {"type", "code", "message", "param", "decline_code"}}."""
        error: dict[str, Any] = {"type": type, "message": message}
        for key, value in (("code", code), ("param", param), ("decline_code", decline_code)):
            if value is not None:
                error[key] = value
        self._queue.append(_Canned(method, path, status, json.dumps({"error": error})))
        return self

    def fail_connection(
        self, *, should_retry: bool = False, method: str | None = None, path: str | None = None
    ) -> RecordingHTTPClient:
        """Raise stripe.APIConnectionError inside request(), as the real clients do when the network fails."""
        self._queue.append(_Canned(method, path, 0, "", raise_connection_error=True, should_retry=should_retry))
        return self

    @property
    def pending(self) -> int:
        return len(self._queue)

    def last(self) -> RecordedRequest:
        return self.requests[-1]

    # -- stripe.HTTPClient
    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        post_data: Any = None,
        *,
        _usage: list[str] | None = None,
    ) -> tuple[str, int, Mapping[str, str]]:
        parts = urlsplit(url)
        body = post_data.decode("utf-8") if isinstance(post_data, bytes) else (post_data or "")
        pairs = parse_qsl(parts.query, keep_blank_values=True) + parse_qsl(body, keep_blank_values=True)
        recorded = RecordedRequest(
            method=method.upper(),
            path=parts.path,
            params=dict(pairs),
            data=decode_form(pairs),
            headers=dict(headers or {}),
        )
        self.requests.append(recorded)
        if not self._queue:
            raise AssertionError(f"unexpected Stripe request {recorded.method} {recorded.path} {recorded.params}")
        canned = self._queue.popleft()
        if canned.method is not None and canned.method.upper() != recorded.method:
            raise AssertionError(f"expected {canned.method} {canned.path}, got {recorded.method} {recorded.path}")
        if canned.path is not None and canned.path != recorded.path:
            raise AssertionError(f"expected {canned.method} {canned.path}, got {recorded.method} {recorded.path}")
        if canned.raise_connection_error:
            raise stripe.APIConnectionError(
                "Could not connect to Stripe (test: connection refused).", should_retry=canned.should_retry
            )
        return canned.body, canned.status, {"Request-Id": f"req_test_{len(self.requests)}"}

    def request_stream(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        post_data: Any = None,
        *,
        _usage: list[str] | None = None,
    ) -> tuple[Any, int, Mapping[str, str]]:
        raise NotImplementedError("streaming is not used by the Stripe adapter")

    def close(self) -> None:
        pass
