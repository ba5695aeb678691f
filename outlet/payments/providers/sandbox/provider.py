"""The sandbox provider: the embedded default, playing the part of Stripe on this machine.

It keeps its own "provider-side" objects (SandboxObject rows), shows a local checkout and card portal, and tells
us what happened only through signed events that go through the same intake, task and handlers as Stripe's. So
`make run` exercises the production pipeline end to end, with nothing to sign up for.

settings.SANDBOX_SILENT_SECONDS > 0 plays a provider that has stopped answering: every call a person waits on
takes that long and then fails as the Stripe adapter does when Stripe is silent, so the pages' message can be seen.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, TypedDict

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from outlet.payments.models import SandboxObject
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


class _CommonFields(TypedDict):
    """The fields every domain event translated here shares (DomainEvent's)."""

    provider: str
    event_id: str
    occurred_at: datetime
    metadata: dict[str, str]


SIGNATURE_HEADER = "Sandbox-Signature"
SIGNATURE_TOLERANCE_SECONDS = 300
# Cards the sandbox portal offers: one that pays and one that is declined on the next renewal.
SANDBOX_CARDS = {
    "4242": gettext_lazy("Visa ending 4242 (pays)"),
    "0341": gettext_lazy("Visa ending 0341 (declines renewals)"),
}


def _new_id(prefix: str) -> str:
    return f"sbx_{prefix}_{uuid.uuid4().hex[:20]}"


def _stable_id(prefix: str, idempotency_key: str) -> str:
    return f"sbx_{prefix}_{hashlib.sha256(idempotency_key.encode()).hexdigest()[:20]}"


def add_interval(moment: datetime, interval: str) -> datetime:
    """One billing period later: the same day next month/year, clamped to the month's last day."""
    months = 12 if interval == "year" else 1
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    for day in (moment.day, 30, 29, 28):
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _ts(moment: datetime | None) -> int | None:
    return int(moment.timestamp()) if moment else None


def _dt(timestamp: int | None) -> datetime | None:
    return datetime.fromtimestamp(timestamp, tz=UTC) if timestamp else None


def _answer_unless_silent(message: str = NOT_ANSWERING) -> None:
    """Play a provider that has gone quiet (settings.SANDBOX_SILENT_SECONDS): wait, then give up as the Stripe
    adapter does after its timeouts."""
    silent_for = float(getattr(settings, "SANDBOX_SILENT_SECONDS", 0) or 0)
    if silent_for > 0:
        time.sleep(silent_for)
        raise ProviderUnavailable(message)


def sign(body: bytes, *, timestamp: int | None = None) -> str:
    timestamp = timestamp or int(time.time())
    digest = hmac.new(
        settings.SANDBOX_WEBHOOK_SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return f"t={timestamp},v1={digest}"


class SandboxProvider(PaymentProvider):
    id = "sandbox"

    # --- Outbound calls (what our services ask of the provider) -----------------------------------------

    def create_customer(self, *, email: str, metadata: Mapping[str, str], idempotency_key: str) -> str:
        _answer_unless_silent()
        customer_id = _stable_id("cus", idempotency_key)
        SandboxObject.objects.get_or_create(
            object_id=customer_id,
            defaults={
                "kind": "customer",
                "data": {"id": customer_id, "email": email, "card": "4242", "metadata": dict(metadata)},
            },
        )
        return customer_id

    def start_checkout(self, *, request: CheckoutRequest, idempotency_key: str) -> CheckoutRedirect:
        _answer_unless_silent()
        session_id = _stable_id("cs", idempotency_key)
        data = {
            "purpose": request.purpose,
            "reference": request.reference,
            "email": request.email,
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
            "metadata": dict(request.metadata),
            "customer": request.customer_id,
            "description": request.description,
            "status": "open",
            "recurring": None,
            "amount": request.one_time_amount_minor,
            "currency": request.one_time_currency,
        }
        if request.recurring is not None:
            spec = request.recurring
            data |= {"recurring": _price_data(spec), "amount": spec.amount_minor, "currency": spec.currency}
        if not data["amount"] or not data["currency"]:
            raise ProviderError("The sandbox needs an amount and a currency to open a checkout.")
        SandboxObject.objects.get_or_create(object_id=session_id, defaults={"kind": "checkout", "data": data})
        return CheckoutRedirect(session_id, reverse("payments:sandbox_checkout", args=[session_id]))

    def open_portal(self, *, customer_id: str, return_url: str) -> str:
        _answer_unless_silent()
        portal_id = _new_id("bps")
        SandboxObject.objects.create(
            object_id=portal_id, kind="portal", data={"customer": customer_id, "return_url": return_url}
        )
        return reverse("payments:sandbox_portal", args=[portal_id])

    def change_subscription_price(self, *, subscription_id: str, price: PriceSpec, idempotency_key: str) -> None:
        _answer_unless_silent(NOT_ANSWERING_CHANGE)
        with transaction.atomic():
            subscription = self._locked("subscription", subscription_id)
            subscription.data["price"] = _price_data(price)
            subscription.save(update_fields=["data"])
            self.emit("customer.subscription.updated", subscription.data)

    def set_cancel_at_period_end(self, *, subscription_id: str, cancel: bool, idempotency_key: str) -> None:
        _answer_unless_silent(NOT_ANSWERING_CHANGE)
        with transaction.atomic():
            subscription = self._locked("subscription", subscription_id)
            if subscription.data["status"] == "canceled":
                raise ProviderError(_("This subscription has already ended."))
            if subscription.data["cancel_at_period_end"] == cancel:
                return
            subscription.data["cancel_at_period_end"] = cancel
            subscription.save(update_fields=["data"])
            self.emit("customer.subscription.updated", subscription.data)

    def cancel_subscription_now(self, *, subscription_id: str, idempotency_key: str) -> None:
        _answer_unless_silent(NOT_ANSWERING_CHANGE)
        with transaction.atomic():
            subscription = self._locked("subscription", subscription_id)
            if subscription.data["status"] == "canceled":
                return
            subscription.data |= {"status": "canceled", "ended_at": int(time.time())}
            subscription.save(update_fields=["data"])
            self.emit("customer.subscription.deleted", subscription.data)

    def refund(self, *, payment_ref: str, amount_minor: int | None, idempotency_key: str) -> str:
        _answer_unless_silent(NOT_ANSWERING_CHANGE)
        with transaction.atomic():
            charge = self._locked("charge", payment_ref)
            # As at Stripe, a request repeated with its idempotency key gets the first answer, before any check.
            refund_id = _stable_id("re", idempotency_key)
            if refund_id in charge.data["refunds"]:
                return refund_id
            remaining = charge.data["amount"] - charge.data["amount_refunded"]
            amount = remaining if amount_minor is None else amount_minor
            if amount <= 0 or amount > remaining:
                raise ProviderError("Refund amount is more than what is left to refund.")
            charge.data["amount_refunded"] += amount
            charge.data["refunds"].append(refund_id)
            charge.save(update_fields=["data"])
            self.emit("charge.refunded", charge.data)
            return refund_id

    def subscriptions_for_customer(self, *, customer_id: str) -> list[SubscriptionChanged]:
        if not SandboxObject.objects.filter(object_id=customer_id, kind="customer").exists():
            raise UnknownCustomer(f"The sandbox has no customer {customer_id}.")
        asked_at = timezone.now()
        found: list[SubscriptionChanged] = []
        for row in SandboxObject.objects.filter(kind="subscription", data__customer=customer_id).order_by(
            "created_at", "id"
        ):
            event_type = (
                "customer.subscription.deleted" if row.data["status"] == "canceled" else "customer.subscription.updated"
            )
            event = ProviderEvent(id="", type=event_type, created=asked_at, payload={"data": {"object": row.data}})
            found += [e for e in self.translate(event) if isinstance(e, SubscriptionChanged)]
        return found

    # --- What the sandbox's own pages do (playing the provider's hosted pages) ---------------------------

    def complete_checkout(self, session_id: str, *, card: str = "4242") -> dict[str, Any]:
        """The reader paid on the sandbox checkout page: create what Stripe would, and emit its events."""
        with transaction.atomic():
            session = self._locked("checkout", session_id)
            if session.data["status"] == "complete":
                return session.data
            data = session.data
            customer_id = data["customer"] or self._create_customer(
                email=data["email"], metadata=data["metadata"], card=card
            )
            now = timezone.now()
            subscription_data = None
            if data["recurring"]:
                subscription_data = {
                    "id": _new_id("sub"),
                    "customer": customer_id,
                    "status": "active",
                    "price": data["recurring"],
                    "current_period_start": _ts(now),
                    "current_period_end": _ts(add_interval(now, data["recurring"]["interval"])),
                    "cancel_at_period_end": False,
                    "metadata": data["metadata"],
                    "ended_at": None,
                }
                SandboxObject.objects.create(
                    object_id=subscription_data["id"], kind="subscription", data=subscription_data
                )
            data |= {
                "status": "complete",
                "customer": customer_id,
                "subscription": subscription_data and subscription_data["id"],
            }
            charge = self._create_charge(
                customer_id=customer_id,
                amount=data["amount"],
                currency=data["currency"],
                email=data["email"],
                metadata=data["metadata"],
                description=data["description"],
                subscription=subscription_data,
            )
            data["payment"] = charge["id"]
            session.save(update_fields=["data"])
            self.emit("checkout.session.completed", data)
            if subscription_data:
                self.emit("customer.subscription.created", subscription_data)
            self.emit("payment.succeeded", charge)
            return data

    def decline_checkout(self, session_id: str) -> dict[str, Any]:
        """The card was declined on the sandbox checkout page: no money moved, the checkout stays open for another
        try, and a `payment.failed` event goes through the intake, as Stripe's payment_intent.payment_failed does
        (every attempt is a new sandbox payment; no subscription exists yet).

        Like Stripe, the failed payment carries the checkout's metadata only for a one-time checkout (Stripe copies
        it through payment_intent_data); a subscription checkout's payment carries none, so memberships never take
        a card declined at checkout for a failed renewal."""
        session = SandboxObject.objects.get(object_id=session_id, kind="checkout")
        if session.data["status"] == "complete":
            raise ProviderError("This checkout has already been paid.")
        data = session.data
        failure = {
            "id": _new_id("pi"),
            "checkout": session_id,
            "customer": data["customer"],
            "subscription": None,
            "amount": data["amount"],
            "currency": data["currency"],
            "attempt": 1,
            "metadata": {} if data["recurring"] else dict(data["metadata"]),
            "decline_code": "generic_decline",
            "next_attempt_at": None,
            # One card per checkout page: a local demo's declines never make every donor share one card.
            "card_fingerprint": f"sbx_fp_{session_id}",
        }
        self.emit("payment.failed", failure)
        return failure

    def renew(self, subscription_id: str) -> str:
        """Charge the next period now (the portal's "simulate renewal"): paid, or failed on the declining card."""
        with transaction.atomic():
            subscription = self._locked("subscription", subscription_id)
            data = subscription.data
            if data["status"] == "canceled":
                raise ProviderError(_("This subscription has ended."))
            if data["cancel_at_period_end"]:
                data |= {"status": "canceled", "ended_at": int(time.time())}
                subscription.save(update_fields=["data"])
                self.emit("customer.subscription.deleted", data)
                return "ended"
            customer = SandboxObject.objects.get(object_id=data["customer"], kind="customer")
            price = data["price"]
            if customer.data["card"] == "0341":
                attempts = data.get("failed_attempts", 0) + 1
                data |= {"status": "past_due", "failed_attempts": attempts}
                subscription.save(update_fields=["data"])
                self.emit(
                    "payment.failed",
                    {
                        "id": _new_id("in"),
                        "customer": data["customer"],
                        "subscription": data["id"],
                        "amount": price["amount"],
                        "currency": price["currency"],
                        "attempt": attempts,
                        "metadata": data["metadata"],
                        "next_attempt_at": _ts(timezone.now() + timedelta(days=3)),
                    },
                )
                self.emit("customer.subscription.updated", data)
                return "failed"
            period_end = add_interval(_dt(data["current_period_end"]) or timezone.now(), price["interval"])
            data |= {"status": "active", "current_period_end": _ts(period_end), "failed_attempts": 0}
            subscription.save(update_fields=["data"])
            charge = self._create_charge(
                customer_id=data["customer"],
                amount=price["amount"],
                currency=price["currency"],
                email=customer.data["email"],
                metadata=data["metadata"],
                description=price["product_name"],
                subscription=data,
            )
            self.emit("payment.succeeded", charge)
            self.emit("customer.subscription.updated", data)
            return "paid"

    def replace_card(self, customer_id: str, card: str) -> None:
        if card not in SANDBOX_CARDS:
            raise ProviderError(_("Choose one of the sandbox cards."))
        with transaction.atomic():
            customer = self._locked("customer", customer_id)
            customer.data["card"] = card
            customer.save(update_fields=["data"])

    def dispute(self, charge_id: str) -> None:
        charge = SandboxObject.objects.get(object_id=charge_id, kind="charge")
        self.emit(
            "charge.dispute.created",
            {
                "id": _new_id("dp"),
                "charge": charge_id,
                "amount": charge.data["amount"],
                "currency": charge.data["currency"],
                "reason": "fraudulent",
                "metadata": charge.data["metadata"],
            },
        )

    def _create_customer(self, *, email: str, metadata: Mapping[str, str], card: str) -> str:
        customer_id = _new_id("cus")
        SandboxObject.objects.create(
            object_id=customer_id,
            kind="customer",
            data={"id": customer_id, "email": email, "card": card, "metadata": dict(metadata)},
        )
        return customer_id

    def _create_charge(
        self,
        *,
        customer_id: str,
        amount: int,
        currency: str,
        email: str,
        metadata: Mapping[str, str],
        description: str,
        subscription: dict[str, Any] | None,
    ) -> dict[str, Any]:
        charge: dict[str, Any] = {
            "id": _new_id("in" if subscription else "pi"),
            "customer": customer_id,
            "amount": amount,
            "currency": currency,
            "email": email,
            "metadata": dict(metadata),
            "description": description,
            "amount_refunded": 0,
            "refunds": [],
            "subscription": subscription and subscription["id"],
            "period_end": subscription and subscription["current_period_end"],
        }
        SandboxObject.objects.create(object_id=charge["id"], kind="charge", data=charge)
        return charge

    def _locked(self, kind: str, object_id: str) -> SandboxObject:
        try:
            return SandboxObject.objects.select_for_update().get(object_id=object_id, kind=kind)
        except SandboxObject.DoesNotExist:
            raise ProviderError(f"The sandbox has no {kind} {object_id}.") from None

    # --- Events: emitted like webhooks, through the same verifying intake --------------------------------

    def emit(self, event_type: str, obj: dict[str, Any]) -> None:
        event_id = _new_id("evt")
        event = {"id": event_id, "type": event_type, "created": int(time.time()), "data": {"object": obj}}
        SandboxObject.objects.create(object_id=event_id, kind="event", data=event)
        body = json.dumps(event).encode()
        deliver_webhook(body, {SIGNATURE_HEADER: sign(body)})

    def parse_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        header = headers.get(SIGNATURE_HEADER, "")
        parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
        try:
            timestamp = int(parts["t"])
        except (KeyError, ValueError):
            raise InvalidSignature("missing or malformed Sandbox-Signature header") from None
        expected = sign(body, timestamp=timestamp).split("v1=", 1)[1]
        if not hmac.compare_digest(expected, parts.get("v1", "")):
            raise InvalidSignature("signature does not match the body")
        if abs(time.time() - timestamp) > SIGNATURE_TOLERANCE_SECONDS:
            raise InvalidSignature("signature timestamp outside the tolerance")
        try:
            event = json.loads(body)
            return ProviderEvent(id=event["id"], type=event["type"], created=_dt(event["created"]), payload=event)  # type: ignore[arg-type]
        except (ValueError, KeyError, TypeError, OverflowError, OSError, RecursionError):
            raise InvalidSignature("body is not a sandbox event") from None

    def events_since(self, *, created_after: datetime | None) -> Iterator[ProviderEvent]:
        events = SandboxObject.objects.filter(kind="event").order_by("created_at", "id")
        for row in events.iterator():
            created = _dt(row.data["created"])
            if created_after is None or (created and created > created_after):
                yield ProviderEvent(id=row.data["id"], type=row.data["type"], created=created, payload=row.data)  # type: ignore[arg-type]

    def translate(self, event: ProviderEvent) -> list[DomainEvent]:
        obj = event.payload["data"]["object"]
        common: _CommonFields = {
            "provider": self.id,
            "event_id": event.id,
            "occurred_at": event.created,
            "metadata": {k: v for k, v in (obj.get("metadata") or {}).items() if k.startswith("outlet_")},
        }
        if event.type == "checkout.session.completed":
            return [
                CheckoutCompleted(
                    **common,
                    session_id=obj.get("id", ""),
                    reference=obj["reference"],
                    customer_id=obj["customer"],
                    subscription_id=obj.get("subscription"),
                    payment_ref=obj.get("payment"),
                    paid=True,
                    email=obj["email"],
                )
            ]
        if event.type.startswith("customer.subscription."):
            price = obj["price"]
            rank = {"created": 0, "updated": 1, "deleted": 2}[event.type.rsplit(".", 1)[1]]
            return [
                SubscriptionChanged(
                    **common,
                    subscription_id=obj["id"],
                    customer_id=obj["customer"],
                    status=obj["status"],
                    price_lookup_key=price["lookup_key"],
                    interval=price["interval"],
                    amount_minor=price["amount"],
                    currency=price["currency"].upper(),
                    current_period_end=_dt(obj["current_period_end"]),
                    cancel_at_period_end=obj["cancel_at_period_end"],
                    ended=obj["status"] == "canceled",
                    sequence_rank=rank,
                )
            ]
        if event.type == "payment.succeeded":
            return [
                PaymentSucceeded(
                    **common,
                    payment_ref=obj["id"],
                    customer_id=obj["customer"],
                    subscription_id=obj.get("subscription"),
                    amount_minor=obj["amount"],
                    currency=obj["currency"].upper(),
                    email=obj["email"],
                    description=obj.get("description") or "",
                    period_end=_dt(obj.get("period_end")),
                )
            ]
        if event.type == "payment.failed":
            # A renewal that failed names its subscription; a card declined at checkout names none.
            return [
                PaymentFailed(
                    **common,
                    payment_ref=obj["id"],
                    customer_id=obj.get("customer"),
                    subscription_id=obj.get("subscription"),
                    amount_minor=obj["amount"],
                    currency=obj["currency"].upper(),
                    attempt=obj.get("attempt") or 1,
                    next_attempt_at=_dt(obj.get("next_attempt_at")),
                    card_fingerprint=obj.get("card_fingerprint"),
                )
            ]
        if event.type == "charge.refunded":
            return [
                PaymentRefunded(
                    **common,
                    payment_refs=(obj["id"],),
                    amount_refunded_minor=obj["amount_refunded"],
                    currency=obj["currency"].upper(),
                    fully_refunded=obj["amount_refunded"] >= obj["amount"],
                )
            ]
        if event.type == "charge.dispute.created":
            return [
                PaymentDisputed(
                    **common,
                    payment_refs=(obj["charge"],),
                    dispute_id=obj["id"],
                    amount_minor=obj["amount"],
                    currency=obj["currency"].upper(),
                    reason=obj["reason"],
                )
            ]
        return []


def _price_data(spec: PriceSpec) -> dict[str, Any]:
    return {
        "lookup_key": spec.lookup_key,
        "product_name": spec.product_name,
        "interval": spec.interval,
        "currency": spec.currency,
        "amount": spec.amount_minor,
    }


# Where emitted events go: the pipeline's intake, handed over when the payments app is ready (outlet/payments/apps.py).
# A provider never imports the pipeline it feeds; the port's rule holds for the sandbox as for Stripe.
_inbox: Callable[[str, ProviderEvent], object] | None = None


def hand_inbox(inbox: Callable[[str, ProviderEvent], object]) -> None:
    """Called once by the pipeline: `inbox(provider_id, event)` stores a verified event and queues it."""
    global _inbox
    _inbox = inbox


def deliver_webhook(body: bytes, headers: Mapping[str, str]) -> None:
    """Hand a signed event to the intake exactly as the webhook view does (verify, then store and queue on commit)."""
    from outlet.payments.providers import get_provider

    if _inbox is None:
        raise ImproperlyConfigured("the payments app has not handed the sandbox its inbox (is it installed?)")
    provider = get_provider("sandbox")
    _inbox(provider.id, provider.parse_webhook(body=body, headers=headers))
