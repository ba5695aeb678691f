"""Newsletters, their sends and one Delivery row per recipient of a send (the row is the proof it went, or why not)."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_prose_editor.fields import ProseEditorField

from outlet.common import email_preferences
from outlet.common.sanitize import ARTICLE_BODY_EXTENSIONS, sanitize_body


class Newsletter(models.Model):
    objects: ClassVar[models.Manager[Newsletter]]

    class Category(models.TextChoices):
        NEWSLETTER = "newsletter", "Newsletter"
        FUNDRAISING = "fundraising", "Fundraising appeal"
        MEMBERSHIP_NEWS = "membership_news", "Membership news"

    class Audience(models.TextChoices):
        ANYONE = "anyone", "Anyone who signed up"
        MEMBERS = "members", "Paying members of the chosen tiers"
        DONORS = "donors", "Donors"

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=80, unique=True)
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, default="en")
    description = models.TextField(blank=True, help_text="One or two sentences readers see where they sign up.")
    category = models.CharField(max_length=20, choices=Category.choices, default=Category.NEWSLETTER)
    audience = models.CharField(max_length=10, choices=Audience.choices, default=Audience.ANYONE)
    tiers = models.ManyToManyField(
        "members.Tier",
        blank=True,
        related_name="newsletters",
        help_text="Members of these tiers get it unless they said no (members' newsletters: who may get it at all; "
        "none chosen means every tier). Everyone else gets it only after signing up.",
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["language", "name"]
        permissions = [("send_newsletter", "Can test, schedule and send a newsletter")]

    def __str__(self) -> str:
        return f"{self.name} ({self.language})"

    @property
    def topic(self) -> str:
        """The consent topic: its own for a newsletter; appeals and membership news share the site-wide ones."""
        if self.category == self.Category.FUNDRAISING:
            return email_preferences.FUNDRAISING
        if self.category == self.Category.MEMBERSHIP_NEWS:
            return email_preferences.MEMBERSHIP_NEWS
        return f"newsletter:{self.slug}"


class NewsletterSend(models.Model):
    """One issue of a newsletter: what it says, and how far its sending got."""

    objects: ClassVar[models.Manager[NewsletterSend]]

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        CANCELLED = "cancelled", "Cancelled"

    newsletter = models.ForeignKey(Newsletter, on_delete=models.PROTECT, related_name="sends")
    subject = models.CharField(max_length=200)
    introduction = ProseEditorField(
        extensions=ARTICLE_BODY_EXTENSIONS,
        sanitize=sanitize_body,
        blank=True,
        help_text="A few words from the editor above the stories.",
    )
    stories = models.ManyToManyField("outlet.Article", through="SendStory", blank=True, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    scheduled_for = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    materialised_at = models.DateTimeField(
        null=True, blank=True, help_text="When every recipient had its Delivery row (sending may then finish)."
    )
    finished_at = models.DateTimeField(null=True, blank=True)
    last_progress_at = models.DateTimeField(null=True, blank=True, help_text="Lets the sweep see a stalled send.")
    recipients_count = models.PositiveIntegerField(default=0)
    sent_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "newsletter issue"
        indexes = [models.Index(fields=["status", "scheduled_for"])]

    def __str__(self) -> str:
        return self.subject

    @property
    def is_editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.SCHEDULED)


class SendStory(models.Model):
    """A story chosen for an issue, in the editor's order."""

    send = models.ForeignKey(NewsletterSend, on_delete=models.CASCADE, related_name="story_rows")
    article = models.ForeignKey("outlet.Article", on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = "story"
        verbose_name_plural = "stories"
        constraints = [models.UniqueConstraint(fields=["send", "article"], name="newsletter_story_once")]

    def __str__(self) -> str:
        return self.article.title if self.article_id else ""


class Delivery(models.Model):
    """One recipient of one send. Unique per (send, address): however often the audience is materialised again
    after a crash, an address has one row, so it can be sent once."""

    objects: ClassVar[models.Manager[Delivery]]

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        CLAIMED = "claimed", "Claimed by a worker"  # in a worker's batch, not yet handed to the mail server
        SENDING = "sending", "Handed to the mail server"  # the one in-flight message of a worker
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"

    send = models.ForeignKey(NewsletterSend, on_delete=models.CASCADE, related_name="deliveries")
    address = models.EmailField(help_text="Lower-cased. Blanked (deleted) when the person is forgotten.")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    variant = models.CharField(max_length=20, default="reader", help_text="reader, or member:<tier id>.")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    error = models.CharField(max_length=300, blank=True)
    claimed_by = models.CharField(max_length=80, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [models.UniqueConstraint(fields=["send", "address"], name="newsletter_delivery_once")]
        indexes = [
            models.Index(fields=["send", "status"]),
            models.Index(fields=["address"]),
        ]

    def __str__(self) -> str:
        return f"{self.address} ({self.status})"
