"""Collective fundraisers: campaigns, the newsrooms they support, gifts and the allocation ledger (their receipts are
outlet.receipts.models).

Amounts are integer minor units with an ISO 4217 code. A Donation row exists only once the provider said the
money moved (PaymentSucceeded); what the donor typed before paying lives on DonationCheckout."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import pgettext_lazy

from outlet.common.local_time import short_date_text
from outlet.common.money import format_money
from outlet.payments.models import ProviderSubscription

if TYPE_CHECKING:
    from django.db.models.fields.related_descriptors import RelatedManager


class Campaign(models.Model):
    """One fundraiser supporting several beneficiary newsrooms at once."""

    objects: ClassVar[models.Manager[Campaign]]  # for type checkers: modeltranslation swaps the class at start-up
    beneficiaries: RelatedManager[Beneficiary]  # (the same, for the reverse relations to translated models)
    updates: RelatedManager[CampaignUpdate]

    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=200)
    summary = models.CharField(
        max_length=300, blank=True, help_text="One or two sentences for prompts and share cards."
    )
    story = models.TextField(blank=True, help_text="Rich text; sanitised when saved.")
    hero_image = models.ImageField(upload_to="campaigns/%Y/", blank=True)
    hero_alt = models.CharField("hero image description", max_length=300, blank=True)
    goal_minor = models.BigIntegerField("goal", help_text="The amount to raise, in the campaign's currency.")
    currency = models.CharField(max_length=3, help_text="The goal's currency (ISO 4217).")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    is_published = models.BooleanField(default=False)
    allow_monthly = models.BooleanField(default=True)
    allow_custom_split = models.BooleanField(
        default=True, help_text="Donors may choose their own split between the newsrooms."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(goal_minor__gt=0), name="campaign_goal_positive"),
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=models.F("starts_at")),
                name="campaign_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        self.currency = self.currency.upper()
        super().save(*args, **kwargs)


class CampaignCurrency(models.Model):
    """A currency donors may give in, with its presets and limits. rate_to_goal_ppm converts it to the goal's
    currency for the progress bar only (a staff-set rate, in millionths); the ledger keeps the currency given."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="currencies")
    currency = models.CharField(max_length=3)
    preset_amounts_minor = models.JSONField(
        "preset amounts", default=list, help_text="The amount buttons on the form, in this currency."
    )
    min_amount_minor = models.PositiveIntegerField("smallest gift", default=100)
    max_amount_minor = models.PositiveIntegerField("largest gift", default=1_000_000)
    rate_to_goal_ppm = models.PositiveBigIntegerField(
        "rate to the goal's currency",
        default=1_000_000,
        help_text="What one unit of this currency counts as in the goal's currency, for the progress bar only "
        "(kept in millionths: 2.7 is stored as 2700000).",
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "currency"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "currency"], name="one_row_per_campaign_currency"),
            models.CheckConstraint(
                condition=Q(min_amount_minor__gt=0) & Q(max_amount_minor__gte=models.F("min_amount_minor")),
                name="campaign_currency_limits_ordered",
            ),
        ]

    def __str__(self) -> str:
        low, high = (
            format_money(self.min_amount_minor, self.currency),
            format_money(self.max_amount_minor, self.currency),
        )
        return f"{self.currency}: gifts from {low} to {high}"

    def save(self, *args, **kwargs):
        self.currency = self.currency.upper()
        super().save(*args, **kwargs)


class Beneficiary(models.Model):
    """A newsroom a campaign supports; `share` is its weight in the default split (shares need not sum to 100)."""

    objects: ClassVar[models.Manager[Beneficiary]]  # for type checkers: modeltranslation swaps the class at start-up

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="beneficiaries")
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=100)
    logo = models.ImageField(upload_to="beneficiaries/", blank=True)
    description = models.CharField(max_length=400, blank=True)
    url = models.URLField(blank=True)
    share = models.PositiveIntegerField(
        default=1,
        help_text="Its part of the campaign's split: the admin shows and takes it as a percentage, kept in "
        "millionths of the whole (older campaigns' shares are weights, split in proportion).",
    )
    receives_rounding_remainder = models.BooleanField(
        default=False,
        help_text="Gets the odd minor unit left when a gift does not split exactly. One per campaign.",
    )
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True, help_text="Inactive newsrooms get no new money; their ledger stays.")

    class Meta:
        ordering = ["position", "id"]
        verbose_name_plural = "beneficiaries"
        constraints = [
            models.UniqueConstraint(fields=["campaign", "slug"], name="beneficiary_slug_unique_per_campaign"),
            models.UniqueConstraint(
                fields=["campaign"],
                condition=Q(receives_rounding_remainder=True),
                name="one_remainder_beneficiary_per_campaign",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CampaignUpdate(models.Model):
    objects: ClassVar[models.Manager[CampaignUpdate]]  # for type checkers: modeltranslation swaps the class at start-up

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="updates")
    title = models.CharField(max_length=200)
    body = models.TextField(help_text="Plain text; blank lines separate paragraphs.")
    published_at = models.DateTimeField()

    class Meta:
        ordering = ["-published_at"]

    def __str__(self) -> str:
        return self.title

    def body_paragraphs(self) -> list[str]:
        return [p.strip() for p in self.body.split("\n\n") if p.strip()]


class CampaignTotal(models.Model):
    """Counters kept in the same transaction as each gift and refund, so the page reads totals in O(1)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="totals")
    currency = models.CharField(max_length=3)
    raised_minor = models.BigIntegerField("raised", default=0, help_text="Gross given minus refunds.")
    net_minor = models.BigIntegerField(
        "net to newsrooms", default=0, help_text="What the newsrooms receive: net of processing fees and refunds."
    )
    donations = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "currency"], name="one_total_per_campaign_currency")]

    def __str__(self) -> str:
        return f"{format_money(self.raised_minor, self.currency)} raised in {self.donations} gifts"


class BeneficiaryTotal(models.Model):
    """What the ledger holds for one newsroom in one currency, kept as running sums moved (F() updates) in the same
    transaction as each allocation entry is booked, so the campaign's page reads a few rows instead of summing
    millions of entries. The ledger stays the source: reports.recount_beneficiary_totals rebuilds these from it."""

    beneficiary = models.ForeignKey(Beneficiary, on_delete=models.CASCADE, related_name="totals")
    currency = models.CharField(max_length=3)
    gifts_minor = models.BigIntegerField("gifts", default=0)
    refunds_minor = models.BigIntegerField("refunds", default=0, help_text="Negative, as booked.")
    number_of_gifts = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["beneficiary", "currency"], name="one_total_per_beneficiary_currency")
        ]

    def __str__(self) -> str:
        return (
            f"{format_money(self.gifts_minor + self.refunds_minor, self.currency)} owed from {self.number_of_gifts} "
            "gifts"
        )


class CampaignDonorCount(models.Model):
    campaign = models.OneToOneField(Campaign, on_delete=models.CASCADE, related_name="donor_count")
    donors = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.donors} donors"


class CampaignDonor(models.Model):
    """One row per distinct donor (a keyed hash of their email, kept after anonymisation), so "number of donors"
    counts people, not gifts, and a donor whose only gift was refunded stops counting."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    donor_key = models.CharField(max_length=64)
    active_gifts = models.PositiveIntegerField(
        default=0, help_text="Gifts not fully refunded; the donor counts while above 0."
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "donor_key"], name="campaign_donor_unique")]

    def __str__(self) -> str:
        return f"A donor with {self.active_gifts} gifts not refunded"


class DonationCheckout(models.Model):
    """What the donor chose on the form, kept until the provider reports the payment."""

    class Interval(models.TextChoices):
        # Shown to donors on the donation form ("How often").
        ONCE = "once", pgettext_lazy("interval", "One time")
        MONTH = "month", pgettext_lazy("interval", "Monthly")

    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="checkouts")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    email = models.EmailField()
    name = models.CharField(max_length=150, blank=True)
    display_name = models.CharField(max_length=80, blank=True)
    show_on_wall = models.BooleanField(default=False)
    anonymous = models.BooleanField(default=False)
    message = models.CharField(max_length=500, blank=True)
    interval = models.CharField(max_length=5, choices=Interval.choices, default=Interval.ONCE)
    currency = models.CharField(max_length=3)
    gift_minor = models.PositiveIntegerField("gift", help_text="What the donor chose to give.")
    fee_covered_minor = models.PositiveIntegerField(
        "fee covered", default=0, help_text="Added to the charge to cover processing fees."
    )
    weights = models.JSONField(
        default=dict, blank=True, help_text="Donor's own split {beneficiary id: weight}; empty = the campaign's."
    )
    provider = models.CharField(max_length=20)
    session_id = models.CharField(max_length=255, blank=True)
    # The page's language when the donor gave: a guest's receipts, corrections and statements are written in it.
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, default="en")
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return (
            f"{self.get_interval_display()} gift of {format_money(self.gift_minor, self.currency)} started "
            f"{short_date_text(self.created_at)} ({'paid' if self.completed_at else 'not paid'})"
        )

    @property
    def charge_minor(self) -> int:
        return self.gift_minor + self.fee_covered_minor


class RecurringDonation(ProviderSubscription):
    """A monthly gift: a subscription at the provider. Each paid invoice becomes a Donation."""

    key_prefix = "donation-recurring"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PAST_DUE = "past_due", "Past due"
        CANCELED = "canceled", "Cancelled"

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="recurring_donations")
    checkout = models.ForeignKey(DonationCheckout, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="recurring_donations"
    )
    email = models.EmailField(blank=True)
    provider = models.CharField(max_length=20)
    subscription_id = models.CharField(max_length=255)
    customer_id = models.CharField(max_length=255, blank=True)
    currency = models.CharField(max_length=3)
    amount_minor = models.PositiveIntegerField(
        "monthly amount", help_text="Charged each month (gift plus any fee cover)."
    )
    fee_covered_minor = models.PositiveIntegerField("fee covered", default=0)
    weights = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    provider_state_rank = models.SmallIntegerField(default=-1)  # until the first report of the subscription lands
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "subscription_id"], name="recurring_donation_unique_subscription"
            )
        ]

    def __str__(self) -> str:
        return f"{format_money(self.amount_minor, self.currency)} monthly to {self.campaign}"

    @property
    def provider_subscription_ref(self) -> str:
        return self.subscription_id


class Donation(models.Model):
    """A gift the provider confirmed. Personal fields are blanked after the retention period (anonymised_at);
    the amounts, ledger and totals stay."""

    class Status(models.TextChoices):
        SUCCEEDED = "succeeded", "Paid"
        PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"
        REFUNDED = "refunded", "Refunded"
        DISPUTED = "disputed", "Disputed"

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="donations")
    payment = models.OneToOneField("payments.Payment", on_delete=models.PROTECT, related_name="donation")
    checkout = models.ForeignKey(DonationCheckout, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    recurring = models.ForeignKey(
        RecurringDonation, null=True, blank=True, on_delete=models.SET_NULL, related_name="donations"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="donations"
    )
    email = models.EmailField(blank=True)
    name = models.CharField(max_length=150, blank=True)
    display_name = models.CharField(max_length=80, blank=True)
    show_on_wall = models.BooleanField(default=False)
    anonymous = models.BooleanField(default=False)
    message = models.CharField(max_length=500, blank=True)
    currency = models.CharField(max_length=3)
    amount_minor = models.PositiveIntegerField("amount", help_text="Charged (gift plus any fee cover).")
    fee_covered_minor = models.PositiveIntegerField("fee covered", default=0)
    processing_fee_minor = models.PositiveIntegerField("processing fee", default=0, help_text="Estimated provider fee.")
    net_minor = models.PositiveIntegerField(
        "net to newsrooms", help_text="Split between the newsrooms: amount less the processing fee."
    )
    amount_refunded_minor = models.PositiveIntegerField("refunded", default=0)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SUCCEEDED)
    donated_at = models.DateTimeField()
    anonymised_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-donated_at"]
        indexes = [
            models.Index(fields=["campaign", "-donated_at"]),
            models.Index(fields=["campaign", "-donated_at"], condition=Q(show_on_wall=True), name="donation_wall_idx"),
            models.Index(fields=["email", "donated_at"]),
            models.Index(fields=["-donated_at"], name="donation_recent_idx"),
            # The admin's status filter: refunded, partly refunded and disputed gifts are a few in a hundred.
            models.Index(
                fields=["status", "-donated_at"], condition=~Q(status="succeeded"), name="donation_trouble_idx"
            ),
        ]
        permissions = [
            ("refund_donation", "Can refund a gift through the provider"),
            ("export_donations", "Can export gifts as CSV"),
            ("download_payout_report", "Can download payout reports"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(net_minor__lte=models.F("amount_minor")), name="donation_net_within_amount"
            ),
            models.CheckConstraint(
                condition=Q(amount_refunded_minor__lte=models.F("amount_minor")), name="donation_refund_within_amount"
            ),
        ]

    def __str__(self) -> str:
        return (
            f"Gift of {format_money(self.amount_minor, self.currency)} to {self.campaign}, "
            f"{short_date_text(self.donated_at)}"
        )

    @property
    def wall_name(self) -> str:
        if self.anonymous or not (self.display_name or self.name):
            return "Anonymous"
        return self.display_name or self.name

    @property
    def gift_minor(self) -> int:
        return self.amount_minor - self.fee_covered_minor


class AllocationEntry(models.Model):
    """The allocation ledger: what each newsroom is owed from each gift (positive) or gives back on a refund
    (negative). Append-only; a donation's entries always add up to its net amount less refunds."""

    class Kind(models.TextChoices):
        GIFT = "gift", "Gift"
        REFUND = "refund", "Refund"

    donation = models.ForeignKey(Donation, on_delete=models.PROTECT, related_name="allocations")
    beneficiary = models.ForeignKey(Beneficiary, on_delete=models.PROTECT, related_name="allocations")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    amount_minor = models.BigIntegerField("amount")
    currency = models.CharField(max_length=3)
    weight = models.PositiveIntegerField("share", help_text="The share this newsroom had in the split used.")
    booked_at = models.DateTimeField()
    # Idempotency of refund entries: the donation's cumulative refunded amount this entry brought it to.
    refund_level_minor = models.BigIntegerField("refunded in total after this entry", default=0)

    class Meta:
        ordering = ["booked_at", "id"]
        indexes = [models.Index(fields=["beneficiary", "booked_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["donation", "beneficiary", "kind", "refund_level_minor"], name="allocation_entry_once"
            ),
        ]

    def __str__(self) -> str:
        amount = format_money(self.amount_minor, self.currency)
        if self.kind == self.Kind.REFUND:
            return f"{amount} back from {self.beneficiary} (refund of gift {self.donation_id})"
        return f"{amount} to {self.beneficiary} (gift {self.donation_id})"


class CheckoutShield(models.Model):
    """The donation form's defence against card testing. One row. Staff may force the challenge on or off;
    on "auto" it switches on by itself when declines spike, until `challenge_until`."""

    class Mode(models.TextChoices):
        AUTO = "auto", "Automatic (on when declines spike)"
        ON = "on", "Always ask for the challenge"
        OFF = "off", "Never ask (not recommended)"

    mode = models.CharField(max_length=4, choices=Mode.choices, default=Mode.AUTO)
    challenge_until = models.DateTimeField(null=True, blank=True)
    last_triggered_at = models.DateTimeField(null=True, blank=True)
    last_trigger_reason = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "card-testing shield"

    def __str__(self) -> str:
        return f"Card-testing shield ({self.get_mode_display()})"
