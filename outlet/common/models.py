"""The email choke point's records: every email sent (outlet.common.emails) and every task a transaction asked for
(outlet.common.outbox). Both lived in the publishing app until the house was put in order; their tables keep the
names they were made with."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy


class SentEmail(models.Model):
    """Every message outlet.common.emails sent, keyed so a retried task or a duplicated event never sends it twice."""

    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=60)
    to = models.EmailField(db_index=True)  # the member timeline lists a reader's emails
    subject = models.CharField(max_length=300)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "outlet_sentemail"  # made when the model lived in the publishing app; kept, no data moved
        ordering = ["-sent_at"]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to}"


class OutboxTask(models.Model):
    """A task a transaction asked for, kept until it has run (outlet.common.outbox).

    Work enqueued with transaction.on_commit is lost if the broker is down at that moment and nothing can derive it
    again from other rows (a welcome or plan-change email, say). The row is written in the same transaction as the
    change that asked for it, so either both exist or neither; the sweep sends again what never ran."""

    task = models.CharField(max_length=200, help_text="The Celery task's name.")
    args = models.JSONField(default=list, blank=True)
    key = models.CharField(max_length=200, unique=True, help_text="What makes it the same task twice.")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True, help_text="Last handed to the broker.")
    attempts = models.PositiveIntegerField(default=0)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "outlet_outboxtask"  # made when the model lived in the publishing app; kept, no data moved
        indexes = [models.Index(fields=["done_at", "created_at"])]

    def __str__(self) -> str:
        state = "done" if self.done_at else f"waiting ({self.attempts} sent)"
        return f"{self.task} [{self.key}] {state}"


class PreferredLanguage(models.Model):
    """The language a person with an account reads their emails, receipts and statements in (their account
    setting; set to the page's language when they sign up). Guests' gifts keep the language of the page they gave
    from on the checkout instead."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="preferred_language"
    )
    language = models.CharField(max_length=8, choices=settings.LANGUAGES)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user} reads {self.language}"


class EmailConsent(models.Model):
    """A person's own yes or no to one kind of email that is not about their account or money: a newsletter, the
    fundraising appeals, membership news. Kept by address, not account, so a guest donor and a newsletter reader
    without a password decide for themselves too, and an unsubscribe link works without signing in.

    Only what the person said is stored; with no row, the sender's default applies (members get their tier's
    newsletters until they say no; everything else waits for a yes)."""

    address = models.EmailField(db_index=True, help_text="Stored lower-cased.")
    topic = models.CharField(max_length=80, help_text="fundraising, membership_news or newsletter:<slug>.")
    subscribed = models.BooleanField()
    source = models.CharField(max_length=40, help_text="Where they said it: account page, email link, one-click…")
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["address", "topic"], name="one_consent_per_address_topic")]

    def __str__(self) -> str:
        return f"{self.address} {'yes' if self.subscribed else 'no'} to {self.topic}"


class SuppressedAddress(models.Model):
    """An address the email sender told us bounced or complained: no newsletter, appeal or news goes to it again.
    Receipts and security emails still do (the law and the person's money need them)."""

    class Reason(models.TextChoices):
        BOUNCED = "bounced", gettext_lazy("Bounced")
        COMPLAINED = "complained", gettext_lazy("Marked as spam")
        STAFF = "staff", gettext_lazy("Suppressed by staff")

    address = models.EmailField(unique=True, help_text="Stored lower-cased.")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    detail = models.CharField(max_length=300, blank=True, help_text="What the sender reported, for staff.")
    source = models.CharField(max_length=40, blank=True, help_text="The sender (ESP) that reported it.")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.address} ({self.reason})"
