"""The payment-provider port: what members/ and donations/ may ask of a provider, and the domain events a
provider's webhooks are translated into.

Product apps never see a provider's own objects (no Stripe JSON beyond this package); they see the dataclasses
below. Every outbound call that can create something takes an idempotency key built from our own ids, so a
retried request never creates a second checkout, refund or subscription change.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

# Metadata we attach to every provider object we create. An object without OUR_MARKER was made by some other
# product sharing the provider account: its events are stored, marked "not ours" and never touch our state.
OUR_MARKER = "outlet_purpose"
Interval = Literal["month", "year"]


class ProviderError(Exception):
    """The provider refused or could not be reached; the message is safe to show to the reader."""


class ProviderUnavailable(ProviderError):
    """The provider could not be reached or did not answer in time. Asking again later may help; a change that was
    sent may or may not have been made, and asking again with the same idempotency key never makes it twice."""


# What a person reads when the provider does not answer (every provider says the same, so the pages can be tested
# against one text): nothing moves money while a checkout or the card portal opens...
NOT_ANSWERING = "Our payment provider is not answering; nothing was charged. Please try again in a minute."
# ...but a change (plan, renewal, cancellation, refund) may have reached it before it went quiet.
NOT_ANSWERING_CHANGE = (
    "Our payment provider is not answering, so we cannot tell yet whether this went through. Please try again in a "
    "minute: it will not be done twice."
)


class UnknownCustomer(ProviderError):
    """The provider has no such customer (a wrong id, or another provider account): asking again will not help."""


class InvalidSignature(Exception):
    """A webhook whose signature does not verify: answered 400 and never stored."""


@dataclass(frozen=True)
class PriceSpec:
    """A recurring price as we define it (tiers and prices live in our database; the provider mirrors them)."""

    lookup_key: str  # stable across amount changes only if the amount is in it: see members.services.price_lookup_key
    product_name: str
    interval: Interval
    currency: str  # ISO 4217, upper case
    amount_minor: int
    # What the card statement shows for this subscription's charges (Stripe: the product's descriptor), when it
    # must differ from the account's default: monthly gifts use a neutral one, for supporters at risk.
    statement_descriptor: str | None = None


@dataclass(frozen=True)
class CheckoutRequest:
    """Everything a provider needs to open a hosted checkout. Starting a checkout must never move money."""

    purpose: Literal["membership", "donation"]
    reference: str  # our id for this attempt; echoed back in metadata and used in the idempotency key
    email: str
    success_url: str  # the provider appends nothing; our welcome page finds the attempt by reference
    cancel_url: str
    metadata: Mapping[str, str]  # always includes OUR_MARKER
    user_id: int | None = None
    customer_id: str | None = None  # reuse the reader's existing customer at the provider
    recurring: PriceSpec | None = None  # subscription mode
    one_time_amount_minor: int | None = None  # payment mode (donations)
    one_time_currency: str | None = None
    description: str = ""
    statement_descriptor: str | None = None


@dataclass(frozen=True)
class CheckoutRedirect:
    session_id: str
    url: str


@dataclass(frozen=True)
class ProviderEvent:
    """A provider's event as received (webhook) or listed (reconciliation), before translation."""

    id: str
    type: str
    created: datetime
    payload: dict[str, Any]  # the whole event as JSON-compatible data, stored on WebhookEvent
    livemode: bool = False


# --- Domain events ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DomainEvent:
    provider: str
    event_id: str  # the provider event that produced it (for the member timeline)
    occurred_at: datetime  # the provider's event time: orders state changes, not arrival order
    metadata: Mapping[str, str] = field(default_factory=dict)  # our outlet_* keys found on the object, if any


@dataclass(frozen=True)
class CheckoutCompleted(DomainEvent):
    """The reader finished the hosted checkout. Not proof of payment for subscriptions: activation waits for
    SubscriptionChanged(status=active) or PaymentSucceeded."""

    session_id: str = ""
    reference: str = ""
    customer_id: str | None = None
    subscription_id: str | None = None
    payment_ref: str | None = None
    paid: bool = False
    email: str = ""


@dataclass(frozen=True)
class SubscriptionChanged(DomainEvent):
    """The provider's full current view of a subscription (created, updated or deleted)."""

    subscription_id: str = ""
    customer_id: str = ""
    # Provider-neutral status: active, trialing, past_due, unpaid, canceled, incomplete, incomplete_expired, paused
    status: str = ""
    price_lookup_key: str | None = None
    interval: str | None = None
    amount_minor: int | None = None
    currency: str | None = None
    current_period_end: datetime | None = None
    cancel_at_period_end: bool = False
    ended: bool = False  # the subscription is over (deleted / canceled)
    # Orders two events that share one timestamp: deleted beats updated beats created.
    sequence_rank: int = 1


@dataclass(frozen=True)
class PaymentSucceeded(DomainEvent):
    """Money moved: an invoice of a subscription was paid, or a one-time payment succeeded."""

    payment_ref: str = ""  # invoice id or payment intent id: unique per payment at this provider
    other_refs: tuple[str, ...] = ()  # charge / payment intent ids the refund and dispute events may name
    customer_id: str | None = None
    subscription_id: str | None = None
    amount_minor: int = 0
    currency: str = ""
    email: str = ""
    description: str = ""
    period_end: datetime | None = None  # the paid-for period's end, for subscription invoices
    provider_receipt_url: str = ""


@dataclass(frozen=True)
class PaymentFailed(DomainEvent):
    payment_ref: str = ""
    customer_id: str | None = None
    subscription_id: str | None = None
    amount_minor: int = 0
    currency: str = ""
    attempt: int = 1
    next_attempt_at: datetime | None = None
    # The declined card, as the provider names it (Stripe's card fingerprint): the card-testing shield counts per card.
    card_fingerprint: str | None = None


@dataclass(frozen=True)
class PaymentRefunded(DomainEvent):
    payment_refs: tuple[str, ...] = ()  # any of these may match the payment we recorded
    amount_refunded_minor: int = 0  # cumulative, as the provider reports it
    currency: str = ""
    fully_refunded: bool = False


@dataclass(frozen=True)
class PaymentDisputed(DomainEvent):
    payment_refs: tuple[str, ...] = ()
    dispute_id: str = ""
    amount_minor: int = 0
    currency: str = ""
    reason: str = ""


# --- The port -----------------------------------------------------------------------------------------------


class PaymentProvider(abc.ABC):
    """One implementation per provider, resolved by id through outlet.payments.providers.get_provider.

    Implementations must never: change our database (they only return redirects and domain events), move money
    in start_checkout or open_portal, or make a create/update call without the idempotency key they are given.
    """

    id: str

    @abc.abstractmethod
    def create_customer(self, *, email: str, metadata: Mapping[str, str], idempotency_key: str) -> str:
        """A customer at the provider whose metadata names our reader (outlet_user), so every later checkout, invoice
        and portal visit is tied to them, and staff looking at the provider's dashboard can find who it is."""

    @abc.abstractmethod
    def start_checkout(self, *, request: CheckoutRequest, idempotency_key: str) -> CheckoutRedirect: ...

    @abc.abstractmethod
    def open_portal(self, *, customer_id: str, return_url: str) -> str:
        """A URL where the reader manages their card and invoices at the provider."""

    @abc.abstractmethod
    def change_subscription_price(self, *, subscription_id: str, price: PriceSpec, idempotency_key: str) -> None:
        """Move a subscription to another tier/interval; the provider prorates."""

    @abc.abstractmethod
    def set_cancel_at_period_end(self, *, subscription_id: str, cancel: bool, idempotency_key: str) -> None:
        """cancel=True stops renewal at period end; cancel=False resumes before the end."""

    @abc.abstractmethod
    def cancel_subscription_now(self, *, subscription_id: str, idempotency_key: str) -> None: ...

    @abc.abstractmethod
    def refund(self, *, payment_ref: str, amount_minor: int | None, idempotency_key: str) -> str:
        """Refund a payment we recorded (all of it when amount_minor is None); returns the refund id."""

    @abc.abstractmethod
    def parse_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        """Verify the signature over the raw bytes and parse; raises InvalidSignature."""

    @abc.abstractmethod
    def translate(self, event: ProviderEvent) -> list[DomainEvent]:
        """Domain events for a stored provider event: [] for types we do not handle."""

    def related_payment_refs(self, *, refs: tuple[str, ...]) -> tuple[str, ...]:
        """Other ids of the same payment, for a refund or dispute that names one we did not record (Stripe: the
        invoice behind a subscription charge). May call the provider; the default knows no more."""
        return ()

    @abc.abstractmethod
    def subscriptions_for_customer(self, *, customer_id: str) -> list[SubscriptionChanged]:
        """Every subscription the provider holds for this customer, ended ones included, as its current view
        (occurred_at is the moment of asking; event_id is empty: no event produced it). For customers whose
        subscriptions began elsewhere (members imported from Ghost), so their paid time is taken from the provider
        rather than guessed. Read-only: must never create, change or charge anything. Raises UnknownCustomer for an
        id the provider does not know, ProviderError when it cannot be reached."""

    @abc.abstractmethod
    def events_since(self, *, created_after: datetime | None) -> Iterator[ProviderEvent]:
        """Events the provider still holds, oldest first, for reconciliation with what webhooks delivered."""
