"""The Stripe adapter: hosted Checkout, the customer portal, subscription changes and refunds going out; verified
webhooks and listed events coming in, translated into the port's domain events.

This is the only module that imports stripe, and it is checked with `mypy --strict` (tests/payments/
test_stripe_typing.py): Stripe's TypedDict params catch misspelt keys at any depth. Enum-like values ("mode",
"proration_behavior") are typed `Literal[...] | str`, so the tests assert those literals on the wire.

translate() reads the stored event JSON (plain dicts) and never calls Stripe: the same stored event always yields
the same domain events, offline.

How long a call may take is decided here and only here (PERSON_WAITING, BACKGROUND): calls made while a person
waits for a page give up within seconds, so a hung Stripe cannot hold the web workers; Celery's calls may wait longer.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

import stripe
from stripe.params import (
    CustomerCreateParams,
    EventListParams,
    InvoicePaymentListParams,
    PriceCreateParams,
    PriceListParams,
    RefundCreateParams,
    SubscriptionListParams,
    SubscriptionUpdateParams,
)
from stripe.params.billing_portal import SessionCreateParams as PortalSessionCreateParams
from stripe.params.checkout import SessionCreateParams

from outlet.payments.providers.base import (
    NOT_ANSWERING,
    NOT_ANSWERING_CHANGE,
    CheckoutCompleted,
    CheckoutRedirect,
    CheckoutRequest,
    DomainEvent,
    InvalidSignature,
    PaymentDisputed,
    PaymentFailed,
    PaymentProvider,
    PaymentRefunded,
    PaymentSucceeded,
    PriceSpec,
    ProviderError,
    ProviderEvent,
    ProviderUnavailable,
    SubscriptionChanged,
    UnknownCustomer,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")
JSON = dict[str, Any]


@dataclass(frozen=True)
class CallLimits:
    """How long one Stripe request may hold its caller: seconds to connect and to wait for the answer, per attempt,
    and how many times a failed attempt is repeated (by the SDK, with the same idempotency key: never twice)."""

    connect_seconds: float
    read_seconds: float
    retries: int

    @property
    def silent_provider_seconds(self) -> float:
        """The wait when Stripe accepts the connection and never answers: every attempt runs out its read timeout,
        with the SDK's back-off (at least 0.5 s, doubling) between attempts."""
        first, most = stripe.HTTPClient.INITIAL_DELAY, stripe.HTTPClient.MAX_DELAY
        backoff = sum(max(first, min(first * 2.0 ** (n - 1), most)) for n in range(1, self.retries + 1))
        return self.read_seconds * (self.retries + 1) + backoff


# A person is waiting for the page (checkout start, customer, portal, plan change, renewal, staff cancel and refund):
# Stripe usually answers in well under a second; a silent Stripe gets the reader our message after about 8.5 s and
# frees the web thread. One retry covers a dropped connection.
PERSON_WAITING = CallLimits(connect_seconds=2, read_seconds=4, retries=1)
# Celery tasks (reconciliation's event listing, Ghost sync, a refund's related ids): nobody waits, pages of events may
# be slow, and the task retries later anyway. The SDK's own default read timeout is 80 s.
BACKGROUND = CallLimits(connect_seconds=5, read_seconds=30, retries=2)
OUR_METADATA_PREFIX = "outlet_"
SUBSCRIPTION_RANKS = {
    "customer.subscription.created": 0,
    "customer.subscription.updated": 1,
    "customer.subscription.paused": 1,
    "customer.subscription.resumed": 1,
    "customer.subscription.deleted": 2,
}
PAID_CHECKOUT_STATUSES = {"paid", "no_payment_required"}


class StripeProvider(PaymentProvider):
    """Calls a person waits on go through the interactive client (PERSON_WAITING); the ones only Celery makes
    (events_since for reconciliation, subscriptions_for_customer for the Ghost sync, related_payment_refs while an
    event is processed) through the background one."""

    id = "stripe"

    def __init__(
        self,
        *,
        secret_key: str,
        webhook_secret: str,
        http_client: stripe.HTTPClient | None = None,
        api_base: str | None = None,
        person_waiting: CallLimits = PERSON_WAITING,
        background: CallLimits = BACKGROUND,
    ):
        """http_client replaces the network and api_base the address of Stripe's API (tests and benchmarks)."""
        self._interactive = _client(secret_key, person_waiting, http_client, api_base)
        self._background = _client(secret_key, background, http_client, api_base)
        self._webhook_secret = webhook_secret

    # --- Outbound ---------------------------------------------------------------------------------------------

    def create_customer(self, *, email: str, metadata: Mapping[str, str], idempotency_key: str) -> str:
        params: CustomerCreateParams = {"email": email, "metadata": dict(metadata)}
        customer = self._call(
            lambda: self._interactive.v1.customers.create(params=params, options={"idempotency_key": idempotency_key})
        )
        return customer.id

    def start_checkout(self, *, request: CheckoutRequest, idempotency_key: str) -> CheckoutRedirect:
        metadata = dict(request.metadata)
        params: SessionCreateParams = {
            "client_reference_id": request.reference,
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
            "metadata": metadata,
        }
        if request.customer_id:
            params["customer"] = request.customer_id
        elif request.email:
            params["customer_email"] = request.email

        if request.recurring is not None:
            params["mode"] = "subscription"
            params["line_items"] = [{"price": self._price_id(request.recurring), "quantity": 1}]
            params["subscription_data"] = {"metadata": metadata}
            if request.description:
                params["subscription_data"]["description"] = request.description
        else:
            if request.one_time_amount_minor is None or not request.one_time_currency:
                raise ValueError("a one-time checkout needs one_time_amount_minor and one_time_currency")
            params["mode"] = "payment"
            if not request.customer_id:
                # Subscription mode always creates a customer; payment mode only when asked. A customer lets a
                # donor's later payments, refunds and portal visits find each other.
                params["customer_creation"] = "always"
            params["line_items"] = [
                {
                    "price_data": {
                        "currency": request.one_time_currency.lower(),
                        "unit_amount": int(request.one_time_amount_minor),
                        "product_data": {"name": request.description or request.purpose.capitalize()},
                    },
                    "quantity": 1,
                }
            ]
            params["payment_intent_data"] = {"metadata": metadata}
            if request.description:
                params["payment_intent_data"]["description"] = request.description
            if request.statement_descriptor:
                # Stripe rejects `statement_descriptor` on card charges; the suffix is what a card statement
                # shows after the account's prefix.
                params["payment_intent_data"]["statement_descriptor_suffix"] = request.statement_descriptor

        session = self._call(
            lambda: self._interactive.v1.checkout.sessions.create(
                params=params, options={"idempotency_key": idempotency_key}
            )
        )
        if not session.url:
            raise ProviderError("The payment page could not be opened. Please try again.")
        return CheckoutRedirect(session_id=session.id, url=session.url)

    def open_portal(self, *, customer_id: str, return_url: str) -> str:
        params: PortalSessionCreateParams = {"customer": customer_id, "return_url": return_url}
        portal = self._call(lambda: self._interactive.v1.billing_portal.sessions.create(params=params))
        return portal.url

    def change_subscription_price(self, *, subscription_id: str, price: PriceSpec, idempotency_key: str) -> None:
        subscription = self._call(lambda: self._interactive.v1.subscriptions.retrieve(subscription_id))
        items = subscription.items.data
        if len(items) != 1:
            logger.error("subscription %s has %d items; expected exactly one", subscription_id, len(items))
            raise ProviderError("This membership cannot be changed online. Please contact us.")
        price_id = self._price_id(price)
        if items[0].price.id == price_id:
            return  # already there: no call, no proration
        params: SubscriptionUpdateParams = {
            "items": [{"id": items[0].id, "price": price_id}],
            "proration_behavior": "create_prorations",
        }
        self._call(
            lambda: self._interactive.v1.subscriptions.update(
                subscription_id, params=params, options={"idempotency_key": idempotency_key}
            ),
            not_answering=NOT_ANSWERING_CHANGE,
        )

    def set_cancel_at_period_end(self, *, subscription_id: str, cancel: bool, idempotency_key: str) -> None:
        params: SubscriptionUpdateParams = {"cancel_at_period_end": cancel}
        self._call(
            lambda: self._interactive.v1.subscriptions.update(
                subscription_id, params=params, options={"idempotency_key": idempotency_key}
            ),
            not_answering=NOT_ANSWERING_CHANGE,
        )

    def cancel_subscription_now(self, *, subscription_id: str, idempotency_key: str) -> None:
        self._call(
            lambda: self._interactive.v1.subscriptions.cancel(
                subscription_id, options={"idempotency_key": idempotency_key}
            ),
            not_answering=NOT_ANSWERING_CHANGE,
        )

    def refund(self, *, payment_ref: str, amount_minor: int | None, idempotency_key: str) -> str:
        params: RefundCreateParams = {}
        if payment_ref.startswith("pi_"):
            params["payment_intent"] = payment_ref
        elif payment_ref.startswith("ch_"):
            params["charge"] = payment_ref
        elif payment_ref.startswith("in_"):
            params["payment_intent"] = self._invoice_payment_intent(payment_ref)
        else:
            raise ProviderError("This payment cannot be refunded through Stripe.")
        if amount_minor is not None:
            params["amount"] = int(amount_minor)
        refund = self._call(
            lambda: self._interactive.v1.refunds.create(params=params, options={"idempotency_key": idempotency_key}),
            not_answering=NOT_ANSWERING_CHANGE,
        )
        return refund.id

    def _invoice_payment_intent(self, invoice_id: str) -> str:
        """Since API 2025-03-31 an invoice names its payments only through InvoicePayment objects."""
        params: InvoicePaymentListParams = {"invoice": invoice_id, "status": "paid", "limit": 10}
        payments = self._call(
            lambda: self._interactive.v1.invoice_payments.list(params=params), not_answering=NOT_ANSWERING_CHANGE
        )
        for invoice_payment in payments.data:
            intent = invoice_payment.payment.payment_intent
            if intent is not None:
                return intent if isinstance(intent, str) else intent.id
        logger.error("invoice %s has no paid payment intent to refund", invoice_id)
        raise ProviderError("This payment cannot be refunded through Stripe.")

    def related_payment_refs(self, *, refs: tuple[str, ...]) -> tuple[str, ...]:
        """The invoice a subscription charge paid: modern invoice webhooks name no payment intent, and charge and
        dispute events name no invoice, so refunds of membership charges are matched through InvoicePayments."""
        found: list[str] = []
        for intent in (ref for ref in refs if ref.startswith("pi_")):
            params: InvoicePaymentListParams = {
                "payment": {"type": "payment_intent", "payment_intent": intent},
                "limit": 10,
            }
            invoice_payments = self._call(partial(self._background.v1.invoice_payments.list, params=params))
            for invoice_payment in invoice_payments.data:
                invoice = invoice_payment.invoice
                found.append(invoice if isinstance(invoice, str) else invoice.id)
        return tuple(dict.fromkeys(ref for ref in found if ref))

    def _price_id(self, spec: PriceSpec) -> str:
        """The id of an active price matching spec, created (taking over the lookup key) when none matches."""
        currency = spec.currency.lower()
        list_params: PriceListParams = {"lookup_keys": [spec.lookup_key], "active": True, "limit": 10}
        prices = self._call(lambda: self._interactive.v1.prices.list(params=list_params))
        for price in prices.data:
            if (
                price.unit_amount == spec.amount_minor
                and price.currency == currency
                and price.recurring is not None
                and price.recurring.interval == spec.interval
            ):
                return price.id
        create_params: PriceCreateParams = {
            "currency": currency,
            "unit_amount": int(spec.amount_minor),
            "recurring": {"interval": spec.interval},
            "product_data": {"name": spec.product_name},
            "lookup_key": spec.lookup_key,
            "transfer_lookup_key": True,
        }
        if spec.statement_descriptor:
            create_params["product_data"]["statement_descriptor"] = spec.statement_descriptor
        key = f"price:{spec.lookup_key}:{currency}:{spec.amount_minor}:{spec.interval}"
        price = self._call(
            lambda: self._interactive.v1.prices.create(params=create_params, options={"idempotency_key": key})
        )
        return price.id

    @staticmethod
    def _call(request: Callable[[], T], *, not_answering: str = NOT_ANSWERING) -> T:
        """Run one Stripe request; every Stripe failure becomes a ProviderError a reader may see. not_answering is
        what they read when Stripe is unreachable or silent: a change may have been made before it went quiet."""
        try:
            return request()
        except stripe.CardError as exc:
            logger.info("Stripe declined a card: %s", exc)
            raise ProviderError(exc.user_message or "Your card was declined.") from exc
        except stripe.RateLimitError as exc:
            logger.warning("Stripe rate limit: %s", exc)
            raise ProviderError("The payment service is busy. Please try again in a minute.") from exc
        except stripe.APIConnectionError as exc:  # refused, timed out (after the retries) or cut off
            logger.warning("Stripe unreachable or not answering: %s", exc)
            raise ProviderUnavailable(not_answering) from exc
        except stripe.StripeError as exc:
            logger.error("Stripe request failed: %r", exc)
            raise ProviderError(
                "The payment service could not complete this request. Please try again later or contact us."
            ) from exc

    def subscriptions_for_customer(self, *, customer_id: str) -> list[SubscriptionChanged]:
        """GET /v1/subscriptions?customer=&status=all (every page), each translated like a subscription event."""
        params: SubscriptionListParams = {"customer": customer_id, "status": "all", "limit": 100}
        try:
            subscriptions = self._call(
                lambda: list(self._background.v1.subscriptions.list(params=params).auto_paging_iter())
            )
        except ProviderError as exc:
            cause = exc.__cause__
            if isinstance(cause, stripe.InvalidRequestError) and cause.code == "resource_missing":
                raise UnknownCustomer(f"Stripe has no customer {customer_id} in this account.") from cause
            raise
        asked_at = datetime.now(UTC)
        found: list[SubscriptionChanged] = []
        for subscription in subscriptions:
            obj = subscription.to_dict(recursive=True, for_json=True)
            ended = subscription.status in ("canceled", "incomplete_expired")
            event_type = "customer.subscription.deleted" if ended else "customer.subscription.updated"
            listed_event = ProviderEvent(id="", type=event_type, created=asked_at, payload={"data": {"object": obj}})
            found += [e for e in _subscription_changed(listed_event, obj) if isinstance(e, SubscriptionChanged)]
        return found

    # --- Inbound ----------------------------------------------------------------------------------------------

    def parse_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        signature = _header(headers, "Stripe-Signature")
        if not signature:
            raise InvalidSignature("missing Stripe-Signature header")
        try:
            # Only the signature (an HMAC over the raw body) and plain JSON: Stripe's construct_event would also
            # build its whole object tree, 3.7 ms an event that intake never uses (bench/webhook_intake.py).
            stripe.WebhookSignature.verify_header(
                body.decode("utf-8"), signature, self._webhook_secret, stripe.Webhook.DEFAULT_TOLERANCE
            )
            payload = json.loads(body)
            if not isinstance(payload, dict):
                raise ValueError("the event is not a JSON object")
            event = ProviderEvent(
                id=str(payload["id"]),
                type=str(payload["type"]),
                created=_time(payload["created"]),
                payload=payload,
                livemode=bool(payload.get("livemode", False)),
            )
        # OverflowError and OSError: a `created` no calendar holds; RecursionError: nesting that exhausts the parser.
        except (
            stripe.SignatureVerificationError,
            ValueError,
            TypeError,
            KeyError,
            AttributeError,
            OverflowError,
            OSError,
            RecursionError,
        ) as exc:
            raise InvalidSignature(str(exc)) from exc
        return event

    def events_since(self, *, created_after: datetime | None) -> Iterator[ProviderEvent]:
        # Only the types we act on: on an account shared with other products the rest is noise (at most 20 types).
        params: EventListParams = {"limit": 100, "types": sorted(_TRANSLATORS)[:20]}
        if created_after is not None:
            params["created"] = {"gt": int(created_after.timestamp())}
        listed = self._call(lambda: self._background.v1.events.list(params=params))
        # Stripe lists newest first; reconciliation wants oldest first.
        events = self._call(lambda: list(listed.auto_paging_iter()))
        for event in reversed(events):
            yield ProviderEvent(
                id=event.id,
                type=event.type,
                created=_time(event.created),
                payload=event.to_dict(recursive=True, for_json=True),
                livemode=event.livemode,
            )

    def translate(self, event: ProviderEvent) -> list[DomainEvent]:
        obj = (event.payload.get("data") or {}).get("object")
        if not isinstance(obj, dict):
            return []
        translator = _TRANSLATORS.get(event.type)
        if translator is None:
            return []
        return translator(event, obj)


# --- Translation: stored event JSON -> domain events ----------------------------------------------------------


def _checkout_completed(event: ProviderEvent, session: JSON) -> list[DomainEvent]:
    """Every completed session yields CheckoutCompleted. A paid one-time (payment-mode) session is also the
    payment itself: no invoice follows it, so it yields PaymentSucceeded too, keyed by its payment intent (which
    `checkout.session.async_payment_succeeded` names again for delayed methods: recorded once). Subscription
    sessions yield only CheckoutCompleted; their money arrives as invoice.paid."""
    details = session.get("customer_details") or {}
    email = details.get("email") or session.get("customer_email") or ""
    intent = _ref(session.get("payment_intent"))
    events: list[DomainEvent] = [
        CheckoutCompleted(
            **_envelope(event, session.get("metadata")),
            session_id=str(session["id"]),
            reference=session.get("client_reference_id") or "",
            customer_id=_ref(session.get("customer")),
            subscription_id=_ref(session.get("subscription")),
            payment_ref=intent or _ref(session.get("invoice")),
            paid=session.get("payment_status") in PAID_CHECKOUT_STATUSES,
            email=email,
        )
    ]
    if session.get("mode") == "payment" and session.get("payment_status") == "paid" and intent:
        expanded = session.get("payment_intent")
        charge = _ref(expanded.get("latest_charge")) if isinstance(expanded, Mapping) else None
        events.append(
            PaymentSucceeded(
                **_envelope(event, session.get("metadata")),
                payment_ref=intent,
                other_refs=(charge,) if charge else (),
                customer_id=_ref(session.get("customer")),
                subscription_id=None,
                amount_minor=int(session.get("amount_total") or 0),
                currency=_currency(session.get("currency")),
                email=email,
            )
        )
    return events


def _payment_intent_failed(event: ProviderEvent, intent: JSON) -> list[DomainEvent]:
    """A one-time payment attempt was declined (each attempt on a Checkout page is one event for the session's
    intent). The intent carries our metadata through payment_intent_data, so the donations side can count
    declines; intents behind subscription invoices carry none and are reported by invoice.payment_failed."""
    error: JSON = intent.get("last_payment_error") or {}
    method = error.get("payment_method")  # the full PaymentMethod object in the event
    card: JSON = (method.get("card") or {}) if isinstance(method, Mapping) else {}
    return [
        PaymentFailed(
            **_envelope(event, intent.get("metadata")),
            payment_ref=str(intent["id"]),
            customer_id=_ref(intent.get("customer")),
            subscription_id=None,
            amount_minor=int(intent.get("amount") or 0),
            currency=_currency(intent.get("currency")),
            card_fingerprint=str(card.get("fingerprint") or "") or None,
        )
    ]


def _subscription_changed(event: ProviderEvent, subscription: JSON) -> list[DomainEvent]:
    items = (subscription.get("items") or {}).get("data") or []
    item: JSON = items[0] if items else {}
    price: JSON = item.get("price") or {}
    recurring: JSON = price.get("recurring") or {}
    # Modern API: the period lives on the item; older versions put it on the subscription.
    period_end = item.get("current_period_end") or subscription.get("current_period_end")
    status = str(subscription.get("status") or "")
    return [
        SubscriptionChanged(
            **_envelope(event, subscription.get("metadata")),
            subscription_id=str(subscription["id"]),
            customer_id=_ref(subscription.get("customer")) or "",
            status=status,
            price_lookup_key=price.get("lookup_key"),
            interval=recurring.get("interval"),
            amount_minor=price.get("unit_amount"),
            currency=_currency(price.get("currency") or subscription.get("currency")) or None,
            current_period_end=_time_or_none(period_end),
            cancel_at_period_end=bool(subscription.get("cancel_at_period_end")),
            ended=event.type == "customer.subscription.deleted" or status == "canceled",
            sequence_rank=SUBSCRIPTION_RANKS[event.type],
        )
    ]


def _invoice_subscription(invoice: JSON) -> tuple[str | None, Mapping[str, Any] | None]:
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    subscription = _ref(details.get("subscription")) or _ref(invoice.get("subscription"))  # older API versions
    return subscription, details.get("metadata")


def _invoice_paid(event: ProviderEvent, invoice: JSON) -> list[DomainEvent]:
    subscription_id, subscription_metadata = _invoice_subscription(invoice)
    lines = (invoice.get("lines") or {}).get("data") or []
    period_ends = [line["period"]["end"] for line in lines if (line.get("period") or {}).get("end")]
    return [
        PaymentSucceeded(
            **_envelope(event, subscription_metadata or invoice.get("metadata")),
            payment_ref=str(invoice["id"]),
            other_refs=_invoice_payment_refs(invoice),
            customer_id=_ref(invoice.get("customer")),
            subscription_id=subscription_id,
            amount_minor=int(invoice.get("amount_paid") or 0),
            currency=_currency(invoice.get("currency")),
            email=invoice.get("customer_email") or "",
            description=invoice.get("description") or (lines[0].get("description") if lines else None) or "",
            period_end=_time_or_none(max(period_ends) if period_ends else None),
            provider_receipt_url=invoice.get("hosted_invoice_url") or "",
        )
    ]


def _invoice_payment_refs(invoice: JSON) -> tuple[str, ...]:
    """Payment intent / charge ids, when the payload names them: `payments` (when expanded) or the pre-2025
    top-level fields. A plain modern invoice.paid payload names neither."""
    refs: list[str] = []
    for invoice_payment in (invoice.get("payments") or {}).get("data") or []:
        payment = invoice_payment.get("payment") or {}
        refs += [r for r in (_ref(payment.get("payment_intent")), _ref(payment.get("charge"))) if r]
    refs += [r for r in (_ref(invoice.get("payment_intent")), _ref(invoice.get("charge"))) if r]
    return tuple(dict.fromkeys(refs))


def _invoice_payment_failed(event: ProviderEvent, invoice: JSON) -> list[DomainEvent]:
    subscription_id, subscription_metadata = _invoice_subscription(invoice)
    return [
        PaymentFailed(
            **_envelope(event, subscription_metadata or invoice.get("metadata")),
            payment_ref=str(invoice["id"]),
            customer_id=_ref(invoice.get("customer")),
            subscription_id=subscription_id,
            amount_minor=int(invoice.get("amount_due") or 0),
            currency=_currency(invoice.get("currency")),
            attempt=int(invoice.get("attempt_count") or 1),
            next_attempt_at=_time_or_none(invoice.get("next_payment_attempt")),
        )
    ]


def _charge_refunded(event: ProviderEvent, charge: JSON) -> list[DomainEvent]:
    refs = [str(charge["id"])]
    intent = _ref(charge.get("payment_intent"))
    if intent:
        refs.append(intent)
    return [
        PaymentRefunded(
            **_envelope(event, charge.get("metadata")),
            payment_refs=tuple(refs),
            amount_refunded_minor=int(charge.get("amount_refunded") or 0),
            currency=_currency(charge.get("currency")),
            fully_refunded=bool(charge.get("refunded")),
        )
    ]


def _dispute_created(event: ProviderEvent, dispute: JSON) -> list[DomainEvent]:
    refs = [r for r in (_ref(dispute.get("charge")), _ref(dispute.get("payment_intent"))) if r]
    return [
        PaymentDisputed(
            **_envelope(event, dispute.get("metadata")),
            payment_refs=tuple(refs),
            dispute_id=str(dispute["id"]),
            amount_minor=int(dispute.get("amount") or 0),
            currency=_currency(dispute.get("currency")),
            reason=dispute.get("reason") or "",
        )
    ]


_TRANSLATORS: dict[str, Callable[[ProviderEvent, JSON], list[DomainEvent]]] = {
    "checkout.session.completed": _checkout_completed,
    "checkout.session.async_payment_succeeded": _checkout_completed,
    **{event_type: _subscription_changed for event_type in SUBSCRIPTION_RANKS},
    "invoice.paid": _invoice_paid,
    "invoice.payment_failed": _invoice_payment_failed,
    "payment_intent.payment_failed": _payment_intent_failed,
    "charge.refunded": _charge_refunded,
    "charge.dispute.created": _dispute_created,
}


# --- Small helpers ------------------------------------------------------------------------------------------


def _client(
    secret_key: str, limits: CallLimits, http_client: stripe.HTTPClient | None, api_base: str | None
) -> stripe.StripeClient:
    """A StripeClient that gives up within `limits`: the SDK's default client waits 80 s per attempt."""
    if http_client is None:
        http_client = stripe.RequestsClient(timeout=(limits.connect_seconds, limits.read_seconds))
    return stripe.StripeClient(
        secret_key,
        http_client=http_client,
        max_network_retries=limits.retries,
        base_addresses={"api": api_base} if api_base else None,
    )


def _envelope(event: ProviderEvent, metadata: Any) -> dict[str, Any]:
    """The fields every domain event carries: who sent it, which event, when, and our metadata on the object."""
    return {
        "provider": StripeProvider.id,
        "event_id": event.id,
        "occurred_at": event.created,
        "metadata": _our_metadata(metadata),
    }


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        wanted = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == wanted), None)
    return value


def _our_metadata(metadata: Any) -> dict[str, str]:
    if not isinstance(metadata, Mapping):
        return {}
    return {str(k): str(v) for k, v in metadata.items() if str(k).startswith(OUR_METADATA_PREFIX)}


def _ref(value: Any) -> str | None:
    """An id whether the field holds the id or the expanded object."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, Mapping) and isinstance(value.get("id"), str):
        return str(value["id"])
    return None


def _currency(value: Any) -> str:
    return str(value).upper() if value else ""


def _time(timestamp: Any) -> datetime:
    return datetime.fromtimestamp(int(timestamp), tz=UTC)


def _time_or_none(timestamp: Any) -> datetime | None:
    return None if timestamp is None else _time(timestamp)
