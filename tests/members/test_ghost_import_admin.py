"""Staff import a Ghost export from the admin: upload -> preview -> confirmed apply -> result, with clear messages
for bad files (never a 500) and the members.import_members permission on every page."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from members import admin_import
from members.models import GhostMember, MemberImport, Membership
from tests.factories import UserFactory
from tests.members.ghost_exports.helpers import export, ghost_subscription, subscriptions_of

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _no_second_factor_in_these_tests(settings):
    settings.ADMIN_REQUIRES_MFA = False  # two-factor sign-in has its own tests (tests/staff/test_staff_mfa.py)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def upload(client, name: str, data: bytes | None = None):
    file = SimpleUploadedFile(name, export(name) if data is None else data, content_type="text/csv")
    return client.post(reverse("admin:members_membership_ghost_import"), {"file": file})


def test_staff_upload_preview_and_apply_a_ghost_export(priced_tiers, importer, stripe_http):
    stripe_http.respond(subscriptions_of(ghost_subscription(sub_id="sub_giorgi", customer="cus_ghost_paid")))
    client = client_for(importer)
    page = client.get(reverse("admin:members_membership_ghost_import"))
    assert page.status_code == 200 and "Upload and preview" in page.content.decode()

    response = upload(client, "ghost_old_header.csv")
    member_import = MemberImport.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "admin:members_membership_ghost_import_preview", args=[member_import.pk]
    )
    html = client.get(response.url).content.decode()
    assert "Nothing has changed yet" in html and "ნინო ბერიძე" in html
    assert "Paid members: provisional access until Stripe confirms" in html and "deleted in Ghost on 5 May 2023" in html
    assert not GhostMember.objects.exists()

    applied = client.post(
        reverse("admin:members_membership_ghost_import_apply", args=[member_import.pk]),
        {"confirm": "on", "plan_fingerprint": member_import.plan_fingerprint},
        follow=True,
    )

    html = applied.content.decode()
    assert "Imported: 4 new and 0 updated members" in html and "What was done" in html
    assert GhostMember.objects.count() == 4
    assert Membership.objects.get(user__email="giorgi.paid@example.org").provider_subscription_id == "sub_giorgi"
    flags = set(
        LogEntry.objects.filter(user=importer, object_id=str(member_import.pk)).values_list("action_flag", flat=True)
    )
    assert flags == {ADDITION, CHANGE}  # in the import's History, with the staff user


def test_apply_needs_the_confirmation_box(priced_tiers, importer):
    client = client_for(importer)
    upload(client, "ghost_bom.csv")
    member_import = MemberImport.objects.get()
    response = client.post(
        reverse("admin:members_membership_ghost_import_apply", args=[member_import.pk]), {}, follow=True
    )
    assert "This field is required" in response.content.decode()
    assert not GhostMember.objects.exists()
    assert (
        client.get(reverse("admin:members_membership_ghost_import_apply", args=[member_import.pk])).status_code == 302
    )  # GET never applies
    assert not GhostMember.objects.exists()


def test_rows_with_errors_are_shown_and_only_valid_rows_are_imported_when_staff_say_so(priced_tiers, importer):
    client = client_for(importer)
    upload(client, "ghost_bad_rows.csv")
    member_import = MemberImport.objects.get()
    html = client.get(
        reverse("admin:members_membership_ghost_import_preview", args=[member_import.pk])
    ).content.decode()
    assert "Showing rows with errors" in html and "email &#x27;not-an-email&#x27; is not a valid address" in html
    assert "tier &#x27;Gold&#x27;, which is not mapped to one of our tiers" in html
    apply_url = reverse("admin:members_membership_ghost_import_apply", args=[member_import.pk])

    fingerprint = {"plan_fingerprint": MemberImport.objects.get().plan_fingerprint}
    refused = client.post(apply_url, {"confirm": "on", **fingerprint}, follow=True)
    assert "5 row(s) have errors" in refused.content.decode() and not GhostMember.objects.exists()

    client.post(apply_url, {"confirm": "on", "only_valid_rows": "on", **fingerprint})
    assert sorted(GhostMember.objects.values_list("email", flat=True)) == ["fine@example.org", "nocus@example.org"]


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("empty.csv", b"", "The submitted file is empty."),
        ("members.xlsx", b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00binary", "This is not a CSV file"),
        ("latin1.csv", "id,email\r\n1,andré@example.org\r\n".encode("latin-1"), "not UTF-8"),
        ("not_ghost_mailchimp.csv", None, "This is not a Ghost member export: the header lacks id, email"),
        (
            "header-only.csv",
            b"id,email,name,note,subscribed_to_emails,complimentary_plan,stripe_customer_id,created_at,deleted_at,labels,tiers\r\n",
            "has a header but no members",
        ),
    ],
)
def test_a_bad_file_gets_a_clear_message_and_changes_nothing(priced_tiers, importer, name, data, message):
    response = upload(client_for(importer), name, data)
    assert response.status_code == 200
    assert message in response.content.decode().replace("&quot;", '"')
    assert not MemberImport.objects.exists()


def test_a_file_over_the_size_limit_is_refused_before_reading(priced_tiers, importer, monkeypatch):
    monkeypatch.setattr(admin_import, "MAX_UPLOAD_BYTES", 100)
    response = upload(client_for(importer), "ghost_old_header.csv")
    assert response.status_code == 200 and "the limit is" in response.content.decode()
    assert not MemberImport.objects.exists()


def test_without_the_import_permission_every_page_is_forbidden(priced_tiers, importer):
    client = client_for(importer)
    upload(client, "ghost_bom.csv")
    member_import = MemberImport.objects.get()
    clerk = UserFactory(username="clerk", email="clerk@example.org", is_staff=True)
    other = client_for(clerk)
    assert other.get(reverse("admin:members_membership_ghost_import")).status_code == 403
    file = SimpleUploadedFile("ghost_bom.csv", export("ghost_bom.csv"), content_type="text/csv")
    assert other.post(reverse("admin:members_membership_ghost_import"), {"file": file}).status_code == 403
    assert (
        other.get(reverse("admin:members_membership_ghost_import_preview", args=[member_import.pk])).status_code == 403
    )
    assert (
        other.post(
            reverse("admin:members_membership_ghost_import_apply", args=[member_import.pk]), {"confirm": "on"}
        ).status_code
        == 403
    )
    assert other.get(reverse("admin:members_memberimport_changelist")).status_code == 403
    assert MemberImport.objects.count() == 1 and not GhostMember.objects.exists()
    reader = client_for(UserFactory(username="reader", email="reader@example.org"))
    assert reader.get(reverse("admin:members_membership_ghost_import")).status_code == 302  # not staff: to sign-in


def test_import_history_and_the_provider_follow_up_pages(priced_tiers, importer, stripe_http):
    stripe_http.fail_connection()  # Stripe down during the import: Giorgi waits for the sync
    client = client_for(importer)
    upload(client, "ghost_old_header.csv")
    member_import = MemberImport.objects.get()
    client.post(
        reverse("admin:members_membership_ghost_import_apply", args=[member_import.pk]),
        {"confirm": "on", "plan_fingerprint": member_import.plan_fingerprint},
    )

    history = client.get(reverse("admin:members_memberimport_changelist")).content.decode()
    assert "ghost_old_header.csv" in history and "Applied" in history
    waiting = client.get(
        reverse("admin:members_ghostmember_changelist") + "?sync_status__exact=pending"
    ).content.decode()
    assert "giorgi.paid@example.org" in waiting and "nino@example.org" not in waiting

    stripe_http.respond(subscriptions_of(ghost_subscription(sub_id="sub_giorgi", customer="cus_ghost_paid")))
    ghost = GhostMember.objects.get(email="giorgi.paid@example.org")
    client.post(
        reverse("admin:members_ghostmember_changelist"),
        {"action": "ask_provider_again", "_selected_action": [ghost.pk]},
    )
    ghost.refresh_from_db()
    assert ghost.sync_status == "synced"
    assert not Membership.objects.get(user=ghost.user).awaiting_provider_sync
    assert LogEntry.objects.filter(
        user=importer, object_id=str(ghost.pk), change_message="Asked the payment provider again"
    ).exists()
