"""A Membership manager signs in with password and authenticator code, finds a member and comps them, in a real
browser."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import expect

from members.models import MemberEvent, Membership
from outlet.staff.roles import MEMBERSHIP_MANAGER
from tests.e2e.test_accessibility import axe_problems
from tests.factories import MembershipFactory, UserFactory
from tests.staff import a_wrong_code, current_totp_code, give_authenticator_app, sign_in_staff_in_browser

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def membership_manager():
    user = UserFactory(username="eka", email="eka@example.org", first_name="Eka", is_staff=True)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    user.groups.add(Group.objects.get(name=MEMBERSHIP_MANAGER))
    return user, give_authenticator_app(user)


def test_a_membership_manager_signs_in_with_two_factor_and_comps_a_lapsed_member(page, live_server, priced_tiers):
    staff, secret = membership_manager()
    tamar = UserFactory(username="tamar", email="tamar@example.org", first_name="Tamar", last_name="Beridze")
    MembershipFactory(
        user=tamar,
        tier=priced_tiers["supporter"],
        status=Membership.Status.LAPSED,
        currency="GEL",
        amount_minor=1500,
        interval="month",
        started_at=timezone.now() - timedelta(days=400),
        current_period_end=timezone.now() - timedelta(days=30),
        ended_at=timezone.now() - timedelta(days=30),
    )
    MembershipFactory.create_batch(3, tier=priced_tiers["insider"])  # other members the search must leave out

    sign_in_staff_in_browser(page, live_server.url, staff, secret)
    expect(page.locator("#site-name")).to_contain_text("Caucasus Ledger staff")

    page.get_by_role("link", name="Memberships").first.click()
    page.locator("#searchbar").fill("tamar@example.org")
    page.locator("#changelist-search").get_by_role("button").click()
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    rows.first.get_by_role("link").first.click()

    expect(page.get_by_role("heading", name="tamar@example.org — Tamar Beridze")).to_be_visible()
    page.get_by_role("link", name="Comp this membership").click()
    expect(page.get_by_role("heading", name="What will happen")).to_be_visible()
    until = timezone.localdate() + timedelta(days=90)
    page.get_by_label("Until").fill(until.isoformat())
    page.get_by_role("button", name="Give complimentary membership").click()

    expect(page.locator(".messagelist")).to_contain_text(  # the admin capitalises messages
        re.compile(f"tamar@example.org now has a complimentary Supporter membership until {until:%d %B %Y}", re.I)
    )
    expect(page.locator(".member-timeline")).to_contain_text("eka")
    assert axe_problems(page) == []  # the member page, as staff see it after an action
    membership = Membership.objects.get(user=tamar)
    assert membership.source == Membership.Source.COMP and membership.status == Membership.Status.ACTIVE
    assert MemberEvent.objects.filter(user=tamar, staff_user=staff).exists()


def test_a_wrong_authenticator_code_keeps_the_admin_closed_in_the_browser(page, live_server):
    staff, secret = membership_manager()
    page.goto(live_server.url + "/admin/")
    page.get_by_label("Email").fill(staff.email)
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Code", exact=True).fill(a_wrong_code(secret))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Incorrect code")).to_be_visible()
    page.goto(live_server.url + "/admin/")
    expect(page).to_have_url(live_server.url + "/accounts/2fa/authenticate/")  # still asked for the code
    expect(page.get_by_text("Caucasus Ledger staff")).to_have_count(0)


def test_the_two_factor_pages_staff_meet_have_no_accessibility_violations(page, live_server):
    """The code prompt, the password re-check and the authenticator setup page with its QR code."""
    staff, secret = membership_manager()
    page.goto(live_server.url + "/admin/")
    page.get_by_label("Email").fill(staff.email)
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_label("Code", exact=True)).to_be_visible()
    problems = {"code prompt": axe_problems(page)}
    page.get_by_label("Code", exact=True).fill(current_totp_code(secret))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server.url + "/admin/")

    Authenticator.objects.filter(user=staff).delete()  # as if the app was removed: the admin asks to set one up
    page.goto(live_server.url + "/admin/")
    expect(page.get_by_text("Staff accounts need two-factor authentication")).to_be_visible()
    problems["password re-check"] = axe_problems(page)
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_label("Authenticator code")).to_be_visible()
    problems["authenticator setup"] = axe_problems(page)
    assert problems == {"code prompt": [], "password re-check": [], "authenticator setup": []}
