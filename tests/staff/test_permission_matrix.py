"""Each staff role can do exactly its part of the admin, and nothing else: every admin page, action and custom view.

The tables below ARE the permission matrix (outlet/staff/roles.py decides it; this file proves the admin honours it).
Each role is a staff user in exactly that one group, signed in with two-factor (tests.staff). A new ModelAdmin, admin
action or custom admin URL fails `test_the_matrix_covers_every_*` until it gets a row here.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from outlet.common import email_preferences
from outlet.staff.roles import ADMINISTRATOR, EDITOR, FINANCE, MEMBERSHIP_MANAGER
from tests.factories import ArticleFactory, AuthorFactory, MembershipFactory, PromptFactory, UserFactory

pytestmark = pytest.mark.django_db

ROLES = (EDITOR, MEMBERSHIP_MANAGER, FINANCE, ADMINISTRATOR)

# --- Model admin pages --------------------------------------------------------------------------------------
# model -> what (Editor, Membership manager, Finance, Administrator) may do on its admin pages:
#   v = see the list and open an item read-only, c = change an item, a = add, d = delete; "" = 403 everywhere.
# Money records and audit trails are never changed or deleted through the admin (outlet.staff.roles.NEVER_GRANTED, and
# most of their admins allow no add at all), so even the Administrator column shows only "v" for them.
MODEL_PAGES: dict[str, tuple[str, str, str, str]] = {
    # publishing: editors
    "outlet.article": ("vcad", "", "", "vcad"),
    "outlet.author": ("vcad", "", "", "vcad"),
    "outlet.section": ("vcad", "", "", "vcad"),
    "outlet.region": ("vcad", "", "", "vcad"),
    "outlet.tag": ("vcad", "", "", "vcad"),
    "outlet.prompt": ("vcad", "", "", "vcad"),
    "outlet.mediaimage": ("vcad", "", "", "vcad"),
    "outlet.meteredread": ("", "", "", "vcad"),
    # newsletters: editors compose and send; who got an issue is a record (read-only)
    "newsletters.newsletter": ("vcad", "", "", "vcad"),
    "newsletters.newslettersend": ("vcad", "", "", "vcad"),
    "newsletters.delivery": ("v", "", "", "vd"),
    # members: the membership manager (tiers too)
    "members.tier": ("v", "vca", "", "vcad"),
    "members.membership": ("", "vc", "", "vc"),
    "members.memberevent": ("", "v", "", "v"),
    "members.membershipcheckout": ("", "v", "", "vcd"),
    "members.memberimport": ("", "v", "", "v"),  # Ghost imports: read-only records of each upload
    "members.ghostmember": ("", "v", "", "v"),
    # who gets which email: the membership manager lifts a suppression; readers' choices are theirs (read-only)
    "common.suppressedaddress": ("", "vd", "", "vd"),
    "common.emailconsent": ("", "v", "", "v"),
    # fundraising: finance (campaigns too)
    "donations.campaign": ("v", "", "vca", "vcad"),
    "donations.donation": ("", "", "v", "v"),
    "donations.recurringdonation": ("", "", "v", "v"),
    "receipts.receipt": ("", "v", "v", "v"),
    "donations.checkoutshield": ("", "", "vc", "vc"),
    # payments
    "payments.payment": ("", "v", "v", "v"),
    "payments.webhookevent": ("", "", "v", "v"),
    "payments.providercustomer": ("", "", "", "vcad"),
    "payments.reconciliationcursor": ("", "", "", "vcd"),  # adding is off: the reconciliation task keeps the row
    # privacy: the legal pages are the editors' text; erasures, exports and reveals are read-only records
    "privacy.legalpage": ("vca", "", "", "vcad"),
    "privacy.erasurerecord": ("", "", "", "v"),
    "privacy.dataexport": ("", "", "", "v"),
    "privacy.donorreveal": ("", "", "", "v"),
    # accounts and the site's machinery: administrators only
    "auth.user": ("", "", "", "vcad"),
    "auth.group": ("", "", "", "vcad"),
    "account.emailaddress": ("", "", "", "vcad"),
    "mfa.authenticator": ("", "", "", "vcad"),
    "django_celery_beat.periodictask": ("", "", "", "vcad"),
    "django_celery_beat.clockedschedule": ("", "", "", "vcad"),
    "django_celery_beat.crontabschedule": ("", "", "", "vcad"),
    "django_celery_beat.solarschedule": ("", "", "", "vcad"),
    "django_celery_beat.intervalschedule": ("", "", "", "vcad"),
}

# --- Admin actions (the "Action" menu on a list) -----------------------------------------------------------
# (model, action name) -> roles that get it in the menu. delete_selected follows the "d" of MODEL_PAGES.
ACTIONS: dict[tuple[str, str], tuple[str, ...]] = {
    ("outlet.article", "publish_now"): (EDITOR, ADMINISTRATOR),
    ("outlet.article", "unpublish"): (EDITOR, ADMINISTRATOR),
    ("receipts.receipt", "resend_receipt_email"): (FINANCE, ADMINISTRATOR),
    ("payments.webhookevent", "reprocess"): (FINANCE, ADMINISTRATOR),
    ("payments.webhookevent", "set_aside"): (FINANCE, ADMINISTRATOR),
    ("members.ghostmember", "ask_provider_again"): (MEMBERSHIP_MANAGER, ADMINISTRATOR),
    ("common.suppressedaddress", "lift_suppression"): (MEMBERSHIP_MANAGER, ADMINISTRATOR),
    ("account.emailaddress", "make_verified"): (ADMINISTRATOR,),
    ("django_celery_beat.periodictask", "enable_tasks"): (ADMINISTRATOR,),
    ("django_celery_beat.periodictask", "disable_tasks"): (ADMINISTRATOR,),
    ("django_celery_beat.periodictask", "toggle_tasks"): (ADMINISTRATOR,),
    ("django_celery_beat.periodictask", "run_tasks"): (ADMINISTRATOR,),
}


# --- Custom admin views (confirmation pages, exports, reports, the dashboard) --------------------------------
# URL name -> (how to build its arguments from the world, query string, roles that get the page[, their status]).
# Every other role gets 403. Pages that do something are only opened (GET: the confirmation page), never posted;
# the import's apply step answers a GET by sending staff back to its preview (302).
MEMBERS = (MEMBERSHIP_MANAGER, ADMINISTRATOR)


def member_action(slug: str) -> tuple:
    """A member-page action's confirmation page ("admin:members_membership_action[<slug>]")."""
    return lambda w: [w["membership"].pk, slug]


CUSTOM_VIEWS: dict[str, tuple] = {
    # members (the member page's confirmed actions, one permission each)
    "admin:members_membership_comp": (lambda w: [], "", MEMBERS),
    "admin:members_membership_action[comp]": (member_action("comp"), "", MEMBERS),
    "admin:members_membership_action[end-comp]": (member_action("end-comp"), "", MEMBERS),
    "admin:members_membership_action[cancel-now]": (member_action("cancel-now"), "", MEMBERS),
    "admin:members_membership_action[cancel-at-period-end]": (member_action("cancel-at-period-end"), "", MEMBERS),
    "admin:members_membership_action[resume]": (member_action("resume"), "", MEMBERS),
    "admin:members_membership_action[refund]": (member_action("refund"), "", MEMBERS),
    "admin:members_membership_action[resend-receipt]": (member_action("resend-receipt"), "", MEMBERS),
    "admin:members_membership_action[resend-verification]": (member_action("resend-verification"), "", MEMBERS),
    "admin:members_membership_export": (lambda w: [], "", MEMBERS),
    "admin:members_membership_ghost_import": (lambda w: [], "", MEMBERS),
    "admin:members_membership_ghost_import_preview": (lambda w: [w["member_import"].pk], "", MEMBERS),
    "admin:members_membership_ghost_import_apply": (lambda w: [w["member_import"].pk], "", MEMBERS, 302),
    "admin:members_membership_ghost_import_tiers": (lambda w: [w["member_import"].pk], "", MEMBERS, 302),
    "admin:staff_enrolment": (lambda w: [], "", (ADMINISTRATOR,)),
    # gifts, campaigns, payments
    "admin:donations_donation_export": (lambda w: [], "", (FINANCE, ADMINISTRATOR)),
    "admin:donations_donation_refund": (lambda w: [w["donation"].pk], "", (FINANCE, ADMINISTRATOR)),
    "admin:donations_donation_reveal": (lambda w: [w["donation"].pk], "", (FINANCE, ADMINISTRATOR)),
    "admin:donations_donation_resend_receipt": (lambda w: [w["donation"].pk], "", (FINANCE, ADMINISTRATOR)),
    "admin:donations_campaign_payout_report": (lambda w: [], "", (FINANCE, ADMINISTRATOR)),
    "admin:receipts_receipt_pdf": (lambda w: [w["gift_receipt"].pk], "", (MEMBERSHIP_MANAGER, FINANCE, ADMINISTRATOR)),
    "revenue:dashboard": (lambda w: [], "", (FINANCE, ADMINISTRATOR)),
    # newsletters: the issue's preview, test, schedule, send (confirmation page), cancel and progress
    "admin:newsletters_send_preview": (lambda w: [w["issue"].pk], "", (EDITOR, ADMINISTRATOR)),
    "admin:newsletters_send_test": (lambda w: [w["issue"].pk], "", (EDITOR, ADMINISTRATOR), 302),
    "admin:newsletters_send_schedule": (lambda w: [w["issue"].pk], "", (EDITOR, ADMINISTRATOR)),
    "admin:newsletters_send_send": (lambda w: [w["issue"].pk], "", (EDITOR, ADMINISTRATOR)),
    "admin:newsletters_send_cancel": (lambda w: [w["issue"].pk], "", (EDITOR, ADMINISTRATOR), 302),
    "admin:newsletters_send_progress": (lambda w: [w["issue"].pk], "", (EDITOR, ADMINISTRATOR)),
    "admin:newsletters_send_progress_json": (lambda w: [w["issue"].pk], "", (EDITOR, ADMINISTRATOR)),
}

# Views that answer a refusal with something other than 403 (nothing is shown or done either way).
DENIED_STATUS: dict[str, int] = {}  # a custom view that answers a denied role with something other than 403


def url_name(row: str) -> str:
    return row.split("[", 1)[0]


# Admin URLs every signed-in staff member may open (Django's own pages), so they need no row above.
STAFF_WIDE_URL_NAMES = {
    "index",
    "login",
    "logout",
    "password_change",
    "password_change_done",
    "autocomplete",
    "jsi18n",
    "view_on_site",
    "app_list",
}
STANDARD_PAGE_SUFFIXES = ("_changelist", "_add", "_change", "_delete", "_history")


# --- One of everything the admin lists, so every change and delete page has an item to open ------------------

ONE_PIXEL_GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,"
    b"\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)  # a media library picture


@pytest.fixture
def world(priced_tiers, django_capture_on_commit_callbacks, settings, tmp_path):
    from allauth.account.models import EmailAddress
    from django_celery_beat.models import (
        ClockedSchedule,
        CrontabSchedule,
        IntervalSchedule,
        PeriodicTask,
        SolarSchedule,
    )

    from donations.models import CheckoutShield
    from members.models import GhostMember, MemberImport, MembershipCheckout
    from outlet.payments.models import ProviderCustomer, ReconciliationCursor
    from outlet.publishing.models import MediaImage, MeteredRead, Region, Tag
    from tests.donations.conftest import give, make_campaign
    from tests.members.factories_member_admin import event, payment, receipt

    reader = UserFactory(username="nino", email="nino@example.org")
    EmailAddress.objects.create(user=reader, email=reader.email, verified=True, primary=True)
    email_preferences.set_choice(address=reader.email, topic="fundraising", subscribed=True, source="account page")
    email_preferences.suppress(address="gone@example.org", reason="bounced", detail="550 5.1.1", source="Postmark")
    article = ArticleFactory(authors=[AuthorFactory(name="Giorgi T.")])
    Region.objects.create(name="Kakheti", slug="kakheti")
    Tag.objects.create(name="Water", slug="water")
    PromptFactory()
    MeteredRead.objects.create(user=reader, article=article)
    settings.MEDIA_ROOT = tmp_path
    MediaImage.objects.create(file=SimpleUploadedFile("gate.gif", ONE_PIXEL_GIF), alt_text="Miners at the gate")

    membership = MembershipFactory(
        user=reader,
        tier=priced_tiers["supporter"],
        currency="GEL",
        amount_minor=1500,
        interval="month",
        started_at=timezone.now() - timedelta(days=40),
    )
    member_payment = payment(reader)
    receipt(member_payment)
    event(membership)
    MembershipCheckout.objects.create(
        reference="chk_1",
        user=reader,
        tier=priced_tiers["supporter"],
        interval="month",
        currency="GEL",
        amount_minor=1500,
        provider="sandbox",
    )

    member_import = MemberImport.objects.create(
        filename="ghost.csv", content="id,email\n", content_sha256="0" * 64, uploaded_by=reader
    )
    GhostMember.objects.create(
        user=reader, ghost_id="g1", email=reader.email, first_import=member_import, last_import=member_import
    )

    campaign = make_campaign()
    with django_capture_on_commit_callbacks(execute=True):  # the sandbox's events are processed on commit
        give(campaign, email="donor@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        give(campaign, email="monthly@example.org", interval="month")
    CheckoutShield.objects.get_or_create(pk=1)
    ReconciliationCursor.objects.create(provider="sandbox", synced_until=timezone.now())
    ProviderCustomer.objects.get_or_create(provider="sandbox", user=reader, defaults={"customer_id": "cus_nino"})

    interval = IntervalSchedule.objects.create(every=10, period=IntervalSchedule.MINUTES)
    CrontabSchedule.objects.create(minute="0", hour="3")
    SolarSchedule.objects.create(event="sunrise", latitude=41.7, longitude=44.8)
    ClockedSchedule.objects.create(clocked_time=timezone.now() + timedelta(days=1))
    PeriodicTask.objects.create(name="nightly", task="outlet.tasks.nothing", interval=interval)
    from donations.models import Donation
    from outlet.privacy.models import DataExport, DonorReveal, ErasureRecord, LegalPage
    from outlet.receipts.models import Receipt

    donation = Donation.objects.get(email="donor@example.org")
    from outlet.newsletters.models import Delivery, Newsletter, NewsletterSend, SendStory

    issue = NewsletterSend.objects.create(
        newsletter=Newsletter.objects.create(name="The Weekly", slug="weekly"), subject="This week"
    )
    SendStory.objects.create(send=issue, article=article)
    Delivery.objects.create(send=issue, address=reader.email)

    LegalPage.objects.get_or_create(kind="terms", defaults={"title": "Terms", "body": "<p>Terms.</p>"})
    ErasureRecord.objects.create(reference="0123456789abcdef", kind=ErasureRecord.Kind.GUEST)
    DataExport.objects.create(user=reader)
    DonorReveal.objects.create(donation=donation)
    return {
        "issue": issue,
        "reader": reader,
        "membership": membership,
        "campaign": campaign,
        "member_payment": member_payment,
        "member_import": member_import,
        "donation": donation,
        "gift_receipt": Receipt.objects.get(payment_id=donation.payment_id),
    }


def staff_in(role: str) -> tuple[object, Client]:
    """A staff user in exactly this one group, signed in with password and authenticator code (tests.staff)."""
    user = UserFactory(username=role.lower().replace(" ", "-"), is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client = Client()
    client.force_login(user)
    return user, client


def registered_models() -> dict[str, object]:
    return {model._meta.label_lower: model for model in admin.site._registry}


def admin_url(model, page: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{page}", args=args)


def observed_pages(client: Client, labels=None) -> dict[str, str]:
    """What this client may do on each model's admin pages, in MODEL_PAGES letters ("?" = no item to open)."""
    seen = {}
    for label, model in registered_models().items():
        if labels is not None and label not in labels:
            continue
        letters = ""
        listing = client.get(admin_url(model, "changelist"), follow=True)  # a one-row admin forwards to its item
        assert listing.status_code in (200, 403), (label, listing.status_code)
        item = model._default_manager.order_by("pk").first()
        if item is None:
            letters += "?"
        else:
            change = client.get(admin_url(model, "change", item.pk))
            if listing.status_code == 200:
                assert change.status_code == 200, (label, change.status_code)
                letters += "v" + ("c" if change.context["has_change_permission"] else "")
            else:
                assert change.status_code == 403, (label, change.status_code)
        add = client.get(admin_url(model, "add"))
        assert add.status_code in (200, 403), (label, add.status_code)
        letters += "a" if add.status_code == 200 else ""
        if item is not None:
            delete = client.get(admin_url(model, "delete", item.pk))
            assert delete.status_code in (200, 403), (label, delete.status_code)
            letters += "d" if delete.status_code == 200 else ""
        seen[label] = letters
    return seen


def observed_actions(client: Client, labels) -> dict[str, set[str]]:
    """The action menu each list shows this client (only lists it may open)."""
    menus = {}
    for label, model in registered_models().items():
        if label not in labels:
            continue
        response = client.get(admin_url(model, "changelist"), follow=True)
        form = response.context.get("action_form") if response.status_code == 200 and response.context else None
        if form is not None:
            menus[label] = {name for name, _ in form.fields["action"].choices if name}
    return menus


def custom_admin_url_names() -> set[str]:
    """Every admin URL name that is not one of Django's standard pages, plus the dashboard's."""
    from django.urls import get_resolver

    names = set()
    resolver = get_resolver()
    for namespace, (_prefix, sub) in resolver.namespace_dict.items():
        if namespace not in ("admin", "revenue"):
            continue
        for name in sub.reverse_dict.keys():
            if not isinstance(name, str):
                continue
            if namespace == "admin" and (name in STAFF_WIDE_URL_NAMES or name.endswith(STANDARD_PAGE_SUFFIXES)):
                continue
            names.add(f"{namespace}:{name}")
    return names


def test_the_matrix_covers_every_admin_page():
    assert set(MODEL_PAGES) == set(registered_models())


def test_the_matrix_covers_every_admin_action():
    defined = {
        (model._meta.label_lower, name)
        for model, model_admin in admin.site._registry.items()
        for _, name, _ in model_admin._get_base_actions()
        if name != "delete_selected"
    }
    assert defined == set(ACTIONS)


def test_the_matrix_covers_every_custom_admin_view():
    from members.admin_member_actions import ACTIONS as MEMBER_ACTIONS

    assert custom_admin_url_names() == {url_name(row) for row in CUSTOM_VIEWS}
    assert {f"admin:members_membership_action[{slug}]" for slug in MEMBER_ACTIONS} == {
        row for row in CUSTOM_VIEWS if url_name(row) == "admin:members_membership_action"
    }


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_its_admin_pages_and_actions(world, role):
    column = ROLES.index(role)
    _, client = staff_in(role)
    assert client.get("/admin/").status_code == 200

    expected_pages = {label: letters[column] for label, letters in MODEL_PAGES.items()}
    assert observed_pages(client) == expected_pages

    listable = {label for label, letters in expected_pages.items() if "v" in letters}
    expected_actions = {
        label: {name for (model, name), roles in ACTIONS.items() if model == label and role in roles}
        | ({"delete_selected"} if "d" in expected_pages[label] else set())
        for label in listable
    }
    assert observed_actions(client, listable) == {label: names for label, names in expected_actions.items() if names}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_its_custom_admin_views(world, role):
    _, client = staff_in(role)
    outcome, expected = {}, {}
    for name, (arguments, query, allowed, *allowed_status) in CUSTOM_VIEWS.items():
        response = client.get(reverse(url_name(name), args=arguments(world)) + query)
        outcome[name] = response.status_code
        if response.streaming:  # read a streamed export to its end: the test client then closes it cleanly
            b"".join(response.streaming_content)
        expected[name] = (allowed_status or [200])[0] if role in allowed else DENIED_STATUS.get(name, 403)
        if role not in allowed:  # and posting (the "confirm" button, forged) is refused too (405: a read-only page)
            status = client.post(reverse(url_name(name), args=arguments(world)) + query).status_code
            outcome[f"POST {name}"] = "refused" if status in (403, 405, DENIED_STATUS.get(name)) else status
            expected[f"POST {name}"] = "refused"
    assert outcome == expected
    dashboard_link = f'href="{reverse("revenue:dashboard")}"' in client.get("/admin/").content.decode()
    assert dashboard_link == (role in CUSTOM_VIEWS["revenue:dashboard"][2])  # the index links only what opens


def test_a_staff_member_in_no_group_sees_the_admin_but_nothing_in_it(world):
    user = UserFactory(username="new-hire", is_staff=True)
    client = Client()
    client.force_login(user)
    assert "have permission to view or edit anything" in client.get("/admin/").content.decode()
    assert set(observed_pages(client).values()) == {""}
    outcome = {
        name: client.get(reverse(url_name(name), args=arguments(world)) + query).status_code
        for name, (arguments, query, *_) in CUSTOM_VIEWS.items()
    }
    assert outcome == {name: DENIED_STATUS.get(name, 403) for name in CUSTOM_VIEWS}
