"""Membership tiers and their prices, each reader's membership, and the timeline of how it got there."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, ClassVar, cast

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, gettext_noop, pgettext_lazy

from outlet.common.local_time import date_text, datetime_text, short_date_text
from outlet.common.money import format_money
from outlet.payments.models import ProviderSubscription


def interval_in_a_sentence(interval: str) -> str:
    """ "monthly" / "yearly" as it reads mid-sentence in the active language; "" for none."""
    return str(TierPrice.INTERVAL_IN_A_SENTENCE.get(interval, "")) if interval else ""


if TYPE_CHECKING:
    from outlet.payments.models import WebhookEvent


class Tier(models.Model):
    # Declared so type checkers know it: django-modeltranslation swaps in its own manager class at start-up.
    objects: ClassVar[models.Manager[Tier]]

    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True)
    benefits = models.TextField(blank=True, help_text="One benefit per line, shown as a list on the membership page.")
    position = models.PositiveSmallIntegerField(default=0, help_text="Order on the membership page (lowest first).")
    is_active = models.BooleanField(
        default=True, help_text="Inactive tiers cannot be joined; existing members keep them."
    )

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def benefit_list(self) -> list[str]:
        return [line.strip() for line in self.benefits.splitlines() if line.strip()]


class TierPrice(models.Model):
    class Interval(models.TextChoices):
        MONTH = "month", pgettext_lazy("interval", "Monthly")
        YEAR = "year", pgettext_lazy("interval", "Yearly")

    # The interval inside a sentence ("Supporter, monthly"): its own words, since lower-casing a label is wrong
    # in some languages (Azerbaijani "İllik" would lose its dotted capital to "i̇llik").
    INTERVAL_IN_A_SENTENCE = {
        "month": pgettext_lazy("interval, in a sentence", "monthly"),
        "year": pgettext_lazy("interval, in a sentence", "yearly"),
    }

    tier = models.ForeignKey(Tier, on_delete=models.CASCADE, related_name="prices")
    interval = models.CharField(max_length=5, choices=Interval.choices)
    currency = models.CharField(max_length=3, help_text="ISO 4217 code, e.g. GEL, USD, EUR.")
    amount_minor = models.PositiveIntegerField(help_text="In minor units: 1500 is 15.00.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["tier__position", "currency", "interval"]
        constraints = [
            models.UniqueConstraint(
                fields=["tier", "interval", "currency"], name="one_price_per_tier_interval_currency"
            ),
            models.CheckConstraint(condition=models.Q(amount_minor__gt=0), name="tier_price_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.tier}, {interval_in_a_sentence(self.interval)}, {format_money(self.amount_minor, self.currency)}"

    def save(self, *args, **kwargs):
        self.currency = self.currency.upper()
        super().save(*args, **kwargs)


class Membership(ProviderSubscription):
    """One per reader who has ever been a member; its status says whether they are one now. A paid one follows a
    subscription at the provider (ProviderSubscription: its current_period_end is when access ends, null for a comp
    with no end date)."""

    key_prefix = "membership"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PAST_DUE = "past_due", "Past due (payment failed, in grace period)"
        CANCELLED = "cancelled", "Cancelled (ends at period end)"
        LAPSED = "lapsed", "Lapsed"

    class Source(models.TextChoices):
        PAID = "paid", "Paid"
        COMP = "comp", "Complimentary (staff)"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="memberships")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.PAID)
    started_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    # What is being paid, as the provider last reported it.
    interval = models.CharField(max_length=5, choices=TierPrice.Interval.choices, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    amount_minor = models.PositiveIntegerField(null=True, blank=True)
    provider = models.CharField(max_length=20, blank=True)
    provider_customer_id = models.CharField(max_length=255, blank=True)
    provider_subscription_id = models.CharField(max_length=255, blank=True, db_index=True)
    # Past due: access continues until this moment while the provider retries the card.
    grace_until = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # A paid member brought from another platform (Ghost import) whose subscription the provider has not yet been
    # asked about: access is provisional and bounded (see members.ghost_import). The provider sync clears it.
    awaiting_provider_sync = models.BooleanField(
        default=False,
        help_text="Imported paid member: access is provisional until the payment provider confirms the subscription.",
    )

    class Meta:
        indexes = [
            models.Index(fields=["status"]),
            models.Index(fields=["provider_customer_id"]),
            # The revenue dashboard's cached "members with access now" subtracts those whose access ran out since
            # (members.stats.members_by_tier): a range on each end date, a few rows, instead of every membership.
            models.Index(fields=["current_period_end"], name="membership_period_end_idx"),
            models.Index(fields=["grace_until"], name="membership_grace_until_idx"),
        ]
        # Staff actions beyond Django's add/change/delete/view, each checked by the admin view that offers it.
        permissions = [
            ("comp_membership", "Can give or end complimentary memberships"),
            ("cancel_membership", "Can cancel a member's subscription"),
            ("refund_membership_payment", "Can refund a member's payment through the provider"),
            ("email_member", "Can resend a member's receipts and verification email"),
            ("export_members", "Can export members as CSV"),
            ("import_members", "Can import members from a CSV file"),
        ]

    @property
    def interval_words(self) -> str:
        return interval_in_a_sentence(self.interval)

    def __str__(self) -> str:
        return f"{self.user} — {self.tier} ({self.get_status_display()})"

    @property
    def provider_subscription_ref(self) -> str:
        return self.provider_subscription_id


class MembershipCheckout(models.Model):
    """One attempt to join or re-join: what the reader chose, and the provider's checkout for it."""

    reference = models.CharField(max_length=40, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership_checkouts")
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT)
    interval = models.CharField(max_length=5, choices=TierPrice.Interval.choices)
    currency = models.CharField(max_length=3)
    amount_minor = models.PositiveIntegerField()
    provider = models.CharField(max_length=20)
    provider_session_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # The page the reader was reading when they chose to join (a path on this site), offered again after paying.
    return_path = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return (
            f"Checkout {self.reference}: {self.tier}, {format_money(self.amount_minor, self.currency)} "
            f"{interval_in_a_sentence(self.interval)}"
        )


class MembershipChange(models.Model):
    """A change a member (or staff) asked the provider for: a new plan, stopping renewal, or resuming it.

    Our state follows only the provider's events, so between the request and its event the account page would show
    the old state as if nothing happened. The request is kept until the event confirms it, so the page can say
    "pending" meanwhile."""

    class Kind(models.TextChoices):
        PLAN = "plan", "Change of plan"
        CANCEL = "cancel", "Stop renewing"
        RESUME = "resume", "Resume renewing"

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    tier = models.ForeignKey(Tier, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    interval = models.CharField(max_length=5, choices=TierPrice.Interval.choices, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["membership", "-requested_at"])]

    @property
    def interval_words(self) -> str:
        return interval_in_a_sentence(self.interval)

    def __str__(self) -> str:
        plan = (
            f": {self.tier}, {interval_in_a_sentence(self.interval)}"
            if self.kind == self.Kind.PLAN and self.tier
            else ""
        )
        state = "confirmed" if self.confirmed_at else "waiting for the provider"
        return f"{self.get_kind_display()}{plan} ({state})"


class MemberEvent(models.Model):
    """The member timeline: every state change with its cause (a provider event, a staff user, or the reader)."""

    class Kind(models.TextChoices):
        CHECKOUT_STARTED = "checkout_started", "Checkout started"
        CHECKOUT_COMPLETED = "checkout_completed", "Checkout completed"
        JOINED = "joined", "Became a member"
        RENEWED = "renewed", "Payment received"
        PLAN_CHANGED = "plan_changed", "Tier or interval changed"
        CANCEL_REQUESTED = "cancel_requested", "Set to end at period end"
        RESUMED = "resumed", "Resumed"
        PAYMENT_FAILED = "payment_failed", "Payment failed"
        RECOVERED = "recovered", "Payment recovered"
        LAPSED = "lapsed", "Membership ended"
        REFUNDED = "refunded", "Payment refunded"
        DISPUTED = "disputed", "Payment disputed"
        COMPED = "comped", "Complimentary membership given"
        COMP_ENDED = "comp_ended", "Complimentary membership ended"
        EMAIL_SENT = "email_sent", "Email sent"
        STAFF_ACTION = "staff_action", "Staff action"
        IMPORTED = "imported", "Imported from another platform"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="member_events")
    membership = models.ForeignKey(Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    summary = models.CharField(max_length=300)  # in the site's language when it happened: staff read this
    # What the member reads on their account page, written when they read it in their own language: the sentence's
    # name in READER_SUMMARIES and its values (a tier's id, an interval, a day, an amount). Empty: `summary`.
    summary_key = models.CharField(max_length=40, blank=True)
    summary_values = models.JSONField(default=dict, blank=True)
    reader_visible = models.BooleanField(default=True)
    # The cause: exactly one of these is usually set (a provider event, a staff member, or the reader themself).
    webhook_event = models.ForeignKey(
        "payments.WebhookEvent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    staff_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    by_reader = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"]), models.Index(fields=["kind", "created_at"])]

    def __str__(self) -> str:
        return f"{short_date_text(self.created_at)} {self.user}: {self.summary}"

    def reader_summary(self, tier_names: dict[int, str] | None = None) -> str:
        """The event as the member reads it, in the active language; `tier_names` maps tier ids to their names in
        it (one query for a whole timeline)."""
        sentence = READER_SUMMARIES.get(self.summary_key)
        if sentence is None:
            return self.summary
        given = self.summary_values or {}
        values: dict[str, object] = {}
        if "tier" in given:
            values["tier"] = (tier_names or {}).get(given["tier"]) or given.get("tier_name", "")
        if "interval" in given:
            values["interval"] = interval_in_a_sentence(given["interval"])
        if "date" in given:
            values["date"] = date_text(date.fromisoformat(given["date"])) if given["date"] else str(PERIOD_END)
        if "amount_minor" in given:
            values["amount"] = format_money(given["amount_minor"], given.get("currency", ""))
        if "attempt" in given:
            values["attempt"] = given["attempt"]
        return gettext(sentence) % values

    @property
    def cause(self) -> str:
        if self.staff_user_id:
            return f"staff: {self.staff_user}"
        if self.webhook_event_id:
            event = cast("WebhookEvent", self.webhook_event)  # its id is set
            return f"{event.provider} event {event.event_id}"
        return "reader" if self.by_reader else "system"


# The member timeline's sentences, by name (MemberEvent.summary_key): translated when the member reads them.
READER_SUMMARIES = {
    "joined": gettext_noop("Became a member: %(tier)s"),
    # Translators: %(interval)s is "monthly" or "yearly".
    "plan_changed": gettext_noop("Plan changed to %(tier)s, %(interval)s"),
    "set_to_end": gettext_noop("Set to end on %(date)s"),
    "resumed": gettext_noop("Renewal resumed"),
    "recovered": gettext_noop("Payment recovered"),
    "overdue": gettext_noop("Payment overdue; access kept until %(date)s"),
    "ended": gettext_noop("Membership ended"),
    "paid": gettext_noop("Payment of %(amount)s received"),
    "failed_grace": gettext_noop("Payment failed (attempt %(attempt)s); access kept until %(date)s"),
    "failed": gettext_noop("Payment failed (attempt %(attempt)s)"),
}
PERIOD_END = gettext_lazy("the period end")


class MemberImport(models.Model):
    """One uploaded Ghost member export: previewed first (nothing changes), then applied once, in one transaction."""

    class Status(models.TextChoices):
        PREVIEWED = "previewed", "Previewed (nothing changed yet)"
        APPLIED = "applied", "Applied"
        FAILED = "failed", "Failed (nothing changed)"

    filename = models.CharField(max_length=255)
    content = models.TextField(
        help_text="The file as uploaded (decoded), so the apply step reads exactly what was previewed."
    )
    content_sha256 = models.CharField(max_length=64, db_index=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREVIEWED)
    row_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True, help_text="Rows per planned (or applied) action.")
    preview_rows = models.JSONField(default=list, blank=True)
    # What the preview promised; apply refuses when a fresh plan differs (members changed in between).
    plan_fingerprint = models.CharField(max_length=64, blank=True)
    only_valid_rows = models.BooleanField(
        default=False, help_text="Staff chose to import the valid rows and leave rows with errors out."
    )
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    applied_at = models.DateTimeField(null=True, blank=True)
    failure = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.filename} ({datetime_text(self.created_at, 'j M Y')}, {self.get_status_display()})"


class GhostMember(models.Model):
    """What Ghost said about a reader we imported: a re-import matches by ghost_id first, so nothing is duplicated,
    and the provider sync reads the Stripe customer from here."""

    class SyncStatus(models.TextChoices):
        NOT_NEEDED = "", "No payment provider customer"
        PENDING = "pending", "Waiting for the payment provider"
        SYNCED = "synced", "Synced with the payment provider"
        FAILED = "failed", "Payment provider sync failed"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ghost_member")
    ghost_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    email = models.EmailField(max_length=254, help_text="The email Ghost had for this member.")
    name = models.CharField(max_length=255, blank=True)
    note = models.TextField(blank=True)
    labels = models.JSONField(default=list, blank=True)
    tiers = models.JSONField(default=list, blank=True, help_text="Tier names as Ghost exported them.")
    subscribed_to_emails = models.BooleanField(null=True)
    complimentary = models.BooleanField(default=False)
    gift_id = models.CharField(max_length=255, blank=True)
    ghost_created_at = models.DateTimeField(null=True, blank=True)
    provider = models.CharField(max_length=20, blank=True)
    stripe_customer_id = models.CharField(max_length=255, blank=True, db_index=True)
    first_import = models.ForeignKey(MemberImport, null=True, on_delete=models.SET_NULL, related_name="+")
    last_import = models.ForeignKey(MemberImport, null=True, on_delete=models.SET_NULL, related_name="ghost_members")
    sync_status = models.CharField(max_length=10, choices=SyncStatus.choices, blank=True, default="", db_index=True)
    sync_attempts = models.PositiveIntegerField(default=0)
    sync_attempted_at = models.DateTimeField(null=True, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)
    sync_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"Ghost member {self.ghost_id or '(no id)'} ({self.email})"


class KeptFigure(models.Model):
    """A dashboard figure as members.stats last made it, under the figures' version it was made for. The cache
    holds the copy pages read; this one is for when the cache has lost it (Redis keeps nothing across a restart),
    so the first staff page after a restart reads a row instead of scanning every membership again."""

    name = models.CharField(max_length=200, primary_key=True)
    version = models.CharField(max_length=100)
    value = models.BinaryField()
    made_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.name
