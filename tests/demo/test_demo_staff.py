"""The local demo's staff accounts: one per role, each able to pass the admin's two-factor sign-in with the
published demo secret, and none of it in production."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from outlet.demo.loader import DEMO_STAFF_PASSWORD
from outlet.demo.staff import DEMO_STAFF, current_demo_code, ensure_demo_staff

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("staff", DEMO_STAFF, ids=lambda staff: staff.username)
def test_each_demo_account_signs_in_with_password_and_the_demo_code(client, staff, settings):
    ensure_demo_staff(password=DEMO_STAFF_PASSWORD)
    client.post("/accounts/login/?next=/admin/", {"login": staff.email, "password": DEMO_STAFF_PASSWORD})
    assert client.get("/admin/").status_code == 302  # the code is still missing
    response = client.post("/accounts/2fa/authenticate/", {"code": current_demo_code()})
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_demo_accounts_hold_their_roles_and_are_created_once():
    assert ensure_demo_staff(password=DEMO_STAFF_PASSWORD) == (len(DEMO_STAFF), 0)
    assert ensure_demo_staff(password=DEMO_STAFF_PASSWORD) == (0, len(DEMO_STAFF))
    from django.contrib.auth import get_user_model

    finance = get_user_model().objects.get(email="finance@example.com")
    assert finance.is_staff and not finance.is_superuser
    assert list(finance.groups.values_list("name", flat=True)) == ["Finance"]
    assert finance.has_perm("donations.refund_donation") and not finance.has_perm("members.comp_membership")


def test_no_demo_code_in_production(settings):
    settings.IS_PRODUCTION = True
    with pytest.raises(CommandError, match="no demo staff accounts in production"):
        call_command("demo_totp_code")
