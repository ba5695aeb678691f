"""Staff with exactly the permissions a test means, for the gift and webhook admin tests."""

from __future__ import annotations

from django.contrib.auth.models import Permission
from django.test import Client

from tests.factories import UserFactory


def staff_with(*perms: str, username: str = "finance") -> tuple[object, Client]:
    """A staff user holding only `perms` ("app_label.codename"), and a client signed in as them."""
    user = UserFactory(username=username, email=f"{username}@example.org", is_staff=True)
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    client = Client()
    client.force_login(user)
    return user, client


FINANCE = (
    "donations.view_donation",
    "donations.refund_donation",
    "receipts.resend_receipt",
    "donations.export_donations",
    "donations.view_campaign",
    "donations.download_payout_report",
    "receipts.view_receipt",
    "privacy.see_private_donors",  # Finance sees donors who chose privacy unmasked (outlet/privacy/admin_donors.py)
)
