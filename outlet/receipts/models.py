"""Numbered receipts: one per payment state (the original, and a correction per partial refund level), numbered
gap-free per issuing organisation and year.

The tables were made when receipts lived in donations; they keep their names (Meta.db_table), and the migration
that moved the models here changed Django's state and content types only."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy


class ReceiptSequence(models.Model):
    """The last receipt number used per issuing organisation and year; locked while a number is taken, so
    numbers are gap-free (a rolled-back receipt rolls its number back too)."""

    issuer = models.CharField(max_length=20)
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "donations_receiptsequence"  # made by donations before receipts were an app of their own
        constraints = [models.UniqueConstraint(fields=["issuer", "year"], name="one_sequence_per_issuer_year")]

    def __str__(self) -> str:
        return f"Receipt numbers {self.issuer} {self.year}: {self.last_number} used"


class Receipt(models.Model):
    """A numbered receipt for one payment (donation or membership charge). A refund voids it; a partial refund
    also issues a correction receipt for what remains."""

    class Kind(models.TextChoices):
        # The receipt's title, on its PDF and its page.
        ORIGINAL = "original", gettext_lazy("Receipt")
        CORRECTION = "correction", gettext_lazy("Corrected receipt")

    payment = models.ForeignKey("payments.Payment", on_delete=models.PROTECT, related_name="receipts")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.ORIGINAL)
    # For a correction: the payment's cumulative refunded amount it reflects (one correction per refund level).
    refund_level_minor = models.BigIntegerField("refunded when issued", default=0)
    replaces = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by")
    issuer = models.CharField(max_length=20)
    year = models.PositiveSmallIntegerField()
    sequence = models.PositiveIntegerField()
    number = models.CharField(max_length=40)
    donor_name = models.CharField(max_length=150, blank=True)
    donor_email = models.EmailField(blank=True)
    description = models.CharField(max_length=300)
    amount_minor = models.BigIntegerField("amount")
    currency = models.CharField(max_length=3)
    lines = models.JSONField(
        default=list, blank=True, help_text="The split shown on the receipt: each newsroom's name and amount."
    )
    issued_at = models.DateTimeField()
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(max_length=200, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    access_key = models.CharField(max_length=32, help_text="Random; part of the signed guest download link.")
    # The payer's language when the receipt was issued: its words (and its email's) stay in it, like its number.
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, default="en")

    class Meta:
        db_table = "donations_receipt"  # made by donations before receipts were an app of their own
        ordering = ["-issued_at"]
        constraints = [
            models.UniqueConstraint(fields=["issuer", "year", "sequence"], name="receipt_number_unique"),
            models.UniqueConstraint(
                fields=["payment", "kind", "refund_level_minor"], name="one_receipt_per_payment_state"
            ),
        ]
        indexes = [models.Index(fields=["donor_email", "year"])]
        permissions = [("resend_receipt", "Can resend receipt emails")]

    def __str__(self) -> str:
        return f"Receipt {self.number}{' (void)' if self.voided_at else ''}"

    @property
    def is_void(self) -> bool:
        return self.voided_at is not None
