"""The privacy app's records: data exports being prepared or ready, the tombstone an erasure leaves (no personal
data), staff's reveals of a private donor, the privacy and terms pages, and how far old provider payloads have
been scrubbed."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy


class DataExport(models.Model):
    """One request for "everything you hold about me": built by a task into a zip in storage, downloadable by its
    owner, signed in, until it expires; then the file is deleted (outlet.privacy.tasks)."""

    class Status(models.TextChoices):
        PREPARING = "preparing", gettext_lazy("Preparing")
        READY = "ready", gettext_lazy("Ready")
        EXPIRED = "expired", gettext_lazy("Expired")
        FAILED = "failed", gettext_lazy("Could not be prepared")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREPARING)
    requested_at = models.DateTimeField(default=timezone.now)
    ready_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    file = models.FileField(upload_to="privacy/exports/%Y/", blank=True)
    size_bytes = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            # A second request while one is being prepared is the same request: the database says so.
            models.UniqueConstraint(fields=["user"], condition=Q(status="preparing"), name="one_export_preparing")
        ]

    def __str__(self) -> str:
        return f"Data export {self.pk} ({self.status})"


class ErasureRecord(models.Model):
    """That an erasure happened, and what it changed: kept for the books and for staff questions ("did this gift's
    donor ask to be forgotten?"). Holds no personal data: the reference is random, shown once to the person."""

    class Kind(models.TextChoices):
        ACCOUNT = "account", "Account deleted by its owner"
        GUEST = "guest", "Guest donor's data erased at their request"

    reference = models.CharField(max_length=32, unique=True)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    erased_at = models.DateTimeField(default=timezone.now)
    # The account row left as a tombstone (deactivated, no name or address), when there was an account.
    tombstone_user_id = models.PositiveIntegerField(null=True, blank=True)
    counts = models.JSONField(default=dict, blank=True, help_text="Rows changed by each erase step.")

    class Meta:
        ordering = ["-erased_at"]

    def __str__(self) -> str:
        return f"Erasure {self.reference} ({self.get_kind_display()})"


class DonorReveal(models.Model):
    """A staff member outside Finance looked behind the mask of a donor who chose privacy. Members' reveals are
    also written on their timeline; guests have none, so this log (shown on the gift's admin page) is theirs."""

    donation = models.ForeignKey("donations.Donation", on_delete=models.CASCADE, related_name="+")
    staff_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    revealed_at = models.DateTimeField(default=timezone.now)
    what = models.CharField(max_length=100, default="name and email")

    class Meta:
        ordering = ["-revealed_at"]
        # Finance's need-to-know (outlet/staff/roles.py): everyone else sees private donors masked.
        permissions = [("see_private_donors", "Can see the names and emails of donors who chose privacy")]

    def __str__(self) -> str:
        return f"{self.staff_user} saw the donor of gift {self.donation_id}"


class LegalPage(models.Model):
    """The privacy policy and the terms, written by staff per language (django-modeltranslation), sanitised."""

    objects: ClassVar[models.Manager[LegalPage]]  # for type checkers: modeltranslation swaps the class at start-up

    class Kind(models.TextChoices):
        PRIVACY = "privacy", "Privacy policy"
        TERMS = "terms", "Terms of use"

    kind = models.CharField(max_length=8, choices=Kind.choices, unique=True)
    title = models.CharField(max_length=200)
    body = models.TextField(
        help_text="Rich text; sanitised when saved. [retention_years], [webhook_days] and [export_days] are replaced "
        "by the periods the site applies (its settings) when the page is shown."
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.title


class PayloadScrubCursor(models.Model):
    """How far the daily scrub of old provider payloads has gone (the last event id done): each run reads only the
    events that aged past the payload retention period since the previous one."""

    last_event_id = models.PositiveBigIntegerField(default=0)
    last_run_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Provider payloads scrubbed up to event {self.last_event_id}"
