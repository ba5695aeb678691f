"""Membership tiers and each reader's membership.

Prices, checkout and the provider lifecycle arrive with the payments pipeline; the shapes here are the ones the
publishing side's access rules depend on, so they do not change when payments land.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Tier(models.Model):
    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0, help_text="Order on the membership page (lowest first).")
    is_active = models.BooleanField(default=True, help_text="Inactive tiers cannot be joined; existing members keep them.")

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """One per reader who has ever been a member; its status says whether they are one now."""

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
    # Access lasts until this moment; null means open-ended (a comp with no end date).
    current_period_end = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["status"])]

    def __str__(self) -> str:
        return f"{self.user} — {self.tier} ({self.get_status_display()})"
