"""What the payment pipeline keeps: every provider event as received, the payments it reports, and which
provider customer belongs to which of our readers."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.db import models

from outlet.common.local_time import datetime_text
from outlet.common.money import format_money

if TYPE_CHECKING:
    from outlet.payments.event_owners import Owner


class ProviderSubscription(models.Model):
    """What every product's subscription at a provider shares (a membership, a monthly gift): the order of the
    provider's reports, so an older event never overwrites a newer state, and the idempotency key of every call we
    make about it, derived from that state so a retried request is the same request and a later one a new one."""

    # The provider's time and rank of the last subscription state applied (see SubscriptionChanged.sequence_rank).
    provider_state_at = models.DateTimeField(null=True, blank=True)
    provider_state_rank = models.SmallIntegerField(default=0)
    cancel_at_period_end = models.BooleanField(default=False)
    current_period_end = models.DateTimeField(null=True, blank=True)

    # Names the product in idempotency keys ("membership", "donation-recurring"); with the row id, the subscription.
    key_prefix: ClassVar[str]
    provider: str

    class Meta:
        abstract = True

    @property
    def provider_subscription_ref(self) -> str:
        """The provider's id of the subscription."""
        raise NotImplementedError

    def knows_newer_state_than(self, occurred_at: datetime, rank: int) -> bool:
        """True when the state already applied was reported after (occurred_at, rank): that report is stale."""
        return bool(self.provider_state_at) and (occurred_at, rank) < (
            self.provider_state_at,
            self.provider_state_rank,
        )

    def note_state_applied(self, occurred_at: datetime, rank: int) -> None:
        self.provider_state_at, self.provider_state_rank = occurred_at, rank

    def idempotency_key(self, request: str) -> str:
        """One key per request per reported state: the same request retried (a double click, a timeout) is answered
        once by the provider, and made again after the provider's next report it is a new request."""
        at = int(self.provider_state_at.timestamp() * 1000) if self.provider_state_at else 0
        return f"{self.key_prefix}-{self.pk}-{request}-{at}.{self.provider_state_rank}"


class WebhookEvent(models.Model):
    """One provider event, stored before anything acts on it, so nothing received is ever lost."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received (waiting for the worker)"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored (a type we do not handle)"
        NOT_OURS = "not_ours", "Not ours (another product on the same account)"
        FAILED = "failed", "Failed (will be retried)"
        # A refund or dispute naming a payment we do not hold yet (its payment's event is late or lost): checked
        # again with growing pauses, and at once when the payment arrives, for
        # outlet.payments.waiting.wait_for_payment().
        WAITING = "waiting", "Waiting for its payment (checked again)"
        # ...whose payment never came, though something in it is ours: never applied; staff should look.
        UNMATCHED = "unmatched", "Its payment never arrived (needs staff)"

    class Via(models.TextChoices):
        WEBHOOK = "webhook", "Webhook"
        RECONCILIATION = "reconciliation", "Reconciliation"

    provider = models.CharField(max_length=20)
    event_id = models.CharField(max_length=255)
    type = models.CharField(max_length=100)
    created_at_provider = models.DateTimeField("created at the provider")
    payload = models.JSONField()
    livemode = models.BooleanField(default=False)
    via = models.CharField(max_length=16, choices=Via.choices, default=Via.WEBHOOK)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RECEIVED)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    # When the sweep last queued it again, so a long queue is not flooded with copies of the same event.
    requeued_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # The payment ids a waiting refund or dispute names, with the provider's other ids for them, space-separated
    # with a space at each end (so one id never matches inside another), and when it is next checked.
    waiting_for = models.CharField(max_length=1000, blank=True)
    retry_at = models.DateTimeField("next check", null=True, blank=True)
    # Not columns: the admin sets these on the events it lists (outlet/payments/admin.py).
    found_owner: Owner
    status_text: str

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="webhook_event_unique_per_provider")
        ]
        indexes = [
            models.Index(fields=["status", "received_at"]),
            models.Index(fields=["provider", "created_at_provider"]),
        ]
        ordering = ["-received_at"]
        permissions = [("reprocess_webhookevent", "Can process webhook events again")]

    def __str__(self) -> str:
        return f"{self.type} event {self.event_id} ({self.provider})"


class ProviderCustomer(models.Model):
    """A reader's customer record at a provider: reused for every later checkout and the card portal."""

    provider = models.CharField(max_length=20)
    customer_id = models.CharField(max_length=255)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="provider_customers")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "customer_id"], name="provider_customer_unique"),
            models.UniqueConstraint(fields=["provider", "user"], name="one_customer_per_user_per_provider"),
        ]

    def __str__(self) -> str:
        return f"Customer {self.customer_id} at {self.provider}"


class Payment(models.Model):
    """Money that moved, as the provider reported it: a membership charge or a donation. Receipts (numbered,
    PDF) are issued per Payment, so both memberships and donations get them from one place."""

    class Purpose(models.TextChoices):
        MEMBERSHIP = "membership", "Membership"
        DONATION = "donation", "Donation"

    class Status(models.TextChoices):
        SUCCEEDED = "succeeded", "Paid"
        PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"
        REFUNDED = "refunded", "Refunded"
        DISPUTED = "disputed", "Disputed"

    provider = models.CharField(max_length=20)
    provider_ref = models.CharField(max_length=255, help_text="Invoice or payment id at the provider.")
    # Other ids the provider may use for this payment later (charge, payment intent), space-separated.
    other_refs = models.CharField(max_length=600, blank=True, db_index=True)
    purpose = models.CharField(max_length=12, choices=Purpose.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="payments"
    )
    email = models.EmailField(blank=True)
    customer_id = models.CharField(max_length=255, blank=True)
    subscription_id = models.CharField(max_length=255, blank=True, db_index=True)
    amount_minor = models.BigIntegerField("amount")
    currency = models.CharField(max_length=3)
    amount_refunded_minor = models.BigIntegerField("refunded", default=0)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SUCCEEDED)
    description = models.CharField(max_length=200, blank=True)
    paid_at = models.DateTimeField()
    provider_receipt_url = models.URLField(max_length=1000, blank=True)
    metadata = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "provider_ref"], name="payment_unique_per_provider"),
            models.CheckConstraint(condition=models.Q(amount_minor__gte=0), name="payment_amount_not_negative"),
            models.CheckConstraint(
                condition=models.Q(amount_refunded_minor__gte=0)
                & models.Q(amount_refunded_minor__lte=models.F("amount_minor")),
                name="payment_refund_within_amount",
            ),
        ]
        indexes = [models.Index(fields=["user", "-paid_at"])]
        ordering = ["-paid_at"]
        permissions = [("view_revenue_dashboard", "Can see the revenue dashboard")]

    def __str__(self) -> str:
        return (
            f"{self.get_purpose_display()} payment of {format_money(self.amount_minor, self.currency)} "
            f"({self.provider_ref})"
        )


class SandboxObject(models.Model):
    """The sandbox provider's own side of the world (its checkouts, customers, subscriptions, charges, events).

    Kept apart from our rows on purpose: the sandbox plays Stripe, and our state is still built only from the
    events it emits through the webhook intake."""

    kind = models.CharField(max_length=20)  # checkout, customer, subscription, charge, event
    object_id = models.CharField(max_length=64, unique=True)
    data: models.JSONField[dict[str, Any], dict[str, Any]] = models.JSONField()  # always a JSON object
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["kind", "created_at"])]

    def __str__(self) -> str:
        return f"Sandbox {self.kind} {self.object_id}"


class ReconciliationCursor(models.Model):
    """How far back reconciliation has compared the provider's event list with what we hold. Webhook arrivals
    do not move it: a delivery that never came must still be found behind later ones that did."""

    provider = models.CharField(max_length=20, unique=True)
    synced_until = models.DateTimeField()
    last_run_at = models.DateTimeField(auto_now=True)
    last_run_ingested = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.provider} events compared up to {datetime_text(self.synced_until)}"
