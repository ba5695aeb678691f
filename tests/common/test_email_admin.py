"""Staff find a suppressed address, see why, and lift it only after a confirmation; readers' choices are read-only."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from outlet.common import email_preferences
from outlet.common.models import EmailConsent, SuppressedAddress
from outlet.staff.roles import MEMBERSHIP_MANAGER
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
LIST = reverse("admin:common_suppressedaddress_changelist")


@pytest.fixture
def manager() -> Client:
    user = UserFactory(username="tamar", is_staff=True)
    user.groups.add(Group.objects.get(name=MEMBERSHIP_MANAGER))
    client = Client()
    client.force_login(user)
    return client


def test_staff_search_and_filter_suppressed_addresses(manager):
    email_preferences.suppress(address="gone@example.org", reason="bounced", detail="550 5.1.1", source="Postmark")
    email_preferences.suppress(address="angry@example.org", reason="complained", source="Amazon SES")
    page = manager.get(LIST, {"q": "gone"}).content.decode()
    assert "gone@example.org" in page and "angry@example.org" not in page and "550 5.1.1" in page
    page = manager.get(LIST, {"reason__exact": "complained"}).content.decode()
    assert "angry@example.org" in page and "gone@example.org" not in page and "Marked as spam" in page


def test_lifting_a_suppression_asks_first_then_lifts_and_records_who(manager):
    email_preferences.suppress(address="gone@example.org", reason="bounced", source="Mailgun")
    row = SuppressedAddress.objects.get()
    chosen = {"action": "lift_suppression", "_selected_action": [row.pk]}
    confirm = manager.post(LIST, chosen)
    assert confirm.status_code == 200 and "Lift suppression?" in confirm.content.decode()
    assert SuppressedAddress.objects.exists(), "nothing changes before the confirmation"
    done = manager.post(LIST, chosen | {"confirmed": "yes"}, follow=True)
    assert "Suppressions lifted: 1" in done.content.decode()
    assert not email_preferences.is_suppressed("gone@example.org")
    entry = LogEntry.objects.get(action_flag=DELETION)
    assert entry.user.username == "tamar" and "gone@example.org" in entry.object_repr


def test_readers_choices_are_listed_but_not_editable(manager):
    email_preferences.set_choice(address="nino@example.org", topic="fundraising", subscribed=False, source="email link")
    consent = EmailConsent.objects.get()
    assert "email link" in manager.get(reverse("admin:common_emailconsent_changelist")).content.decode()
    page = manager.get(reverse("admin:common_emailconsent_change", args=[consent.pk]))
    assert page.status_code == 200 and not page.context["has_change_permission"]
