"""What staff access keeps in the database: the one-time proofs behind a first authenticator app. The model lived
in the publishing app until the house was put in order; its table keeps the name it was made with."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class StaffEnrolmentProof(models.Model):
    """A one-time proof a staff account needs before it sets up its first authenticator app
    (outlet/staff/staff_enrolment.py): a code emailed to its verified address, or a link an administrator issued. Only
    a digest of the code or link is kept; the row stays after use as the record of how the account enrolled."""

    class Kind(models.TextChoices):
        EMAILED_CODE = "emailed_code", "Code emailed to the staff member"
        ADMIN_LINK = "admin_link", "Link issued by an administrator"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_enrolment_proofs")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    secret_digest = models.CharField(max_length=64, db_index=True, editable=False)
    sent_to = models.EmailField(blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    wrong_attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "outlet_staffenrolmentproof"  # made when the model lived in the publishing app; kept
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "kind", "-created_at"], name="outlet_enrolproof_user_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.user}"
