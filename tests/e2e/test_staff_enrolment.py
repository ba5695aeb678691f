"""A new staff member's first authenticator app, in a real browser (outlet/staff/staff_enrolment.py): the password, then
a code from their mailbox (or an administrator's enrolment link), then the app. Someone with the password alone never
reaches the setup page."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib.auth.models import Group
from playwright.sync_api import Page, expect

from outlet.staff.roles import ADMINISTRATOR, MEMBERSHIP_MANAGER
from tests.e2e.test_accessibility import axe_problems
from tests.factories import UserFactory
from tests.staff import TEST_PASSWORD, current_totp_code, give_authenticator_app, sign_in_staff_in_browser
from tests.staff.test_staff_enrolment import enrolment_code_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = os.environ.get("OUTLET_SCREENSHOTS", "")
ENROLMENT = "/accounts/2fa/staff-enrolment/"
SETUP = "/accounts/2fa/totp/activate/"


def new_colleague():
    user = UserFactory(username="lela", email="lela@example.org", first_name="Lela", is_staff=True)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    user.groups.add(Group.objects.get(name=MEMBERSHIP_MANAGER))
    return user


def sign_in_with_password(page: Page, base_url: str, user) -> None:
    page.goto(base_url + "/admin/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def fits_the_width(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def photograph(page: Page, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SCREENSHOTS}/{name}.png", full_page=True)


def set_up_the_app(page: Page) -> None:
    expect(page.get_by_label("Authenticator code")).to_be_visible()
    secret = page.locator("#authenticator_secret").input_value()
    page.get_by_label("Authenticator code").fill(current_totp_code(secret))
    page.get_by_role("button", name="Activate").click()
    page.get_by_role("link", name="Continue to the staff admin").click()


def test_a_new_staff_member_types_the_emailed_code_sets_up_the_app_and_reaches_the_admin(
    page: Page, live_server, mailoutbox
):
    colleague = new_colleague()
    sign_in_with_password(page, live_server.url, colleague)

    page.wait_for_url(live_server.url + ENROLMENT)
    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    expect(page.get_by_text("Staff accounts need two-factor authentication")).to_be_visible()
    problems = {"ask for a code": axe_problems(page)}
    page.set_viewport_size({"width": 375, "height": 800})
    assert fits_the_width(page)
    photograph(page, "staff-enrolment-375")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_role("button", name="Email me a code").click()
    expect(page.get_by_text("We emailed a code to lela@example.org")).to_be_visible()
    assert [message.to for message in mailoutbox] == [[colleague.email]]
    problems["type the code"] = axe_problems(page)
    photograph(page, "staff-enrolment-code-1280")
    page.get_by_label("Code from the email").fill(enrolment_code_in(mailoutbox[-1]))
    page.get_by_role("button", name="Continue").click()

    page.wait_for_url(live_server.url + SETUP)  # no second password prompt: the emailed code was just typed
    set_up_the_app(page)
    page.wait_for_url(live_server.url + "/admin/")
    expect(page.locator("#site-name")).to_contain_text("Caucasus Ledger staff")
    assert problems == {"ask for a code": [], "type the code": []}
    assert Authenticator.objects.filter(user=colleague, type=Authenticator.Type.TOTP).exists()


def test_someone_with_only_the_password_does_not_reach_the_authenticator_setup(page: Page, live_server, mailoutbox):
    colleague = new_colleague()
    sign_in_with_password(page, live_server.url, colleague)
    page.wait_for_url(live_server.url + ENROLMENT)

    page.goto(live_server.url + SETUP)  # straight to the setup page's address
    page.wait_for_url(live_server.url + ENROLMENT)
    expect(page.get_by_label("Authenticator code")).to_have_count(0)
    page.get_by_role("button", name="Email me a code").click()  # goes to the colleague's mailbox
    page.get_by_label("Code from the email").fill("1234 5678")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text(re.compile("not the one we sent|expired or was already used"))).to_be_visible()

    page.goto(live_server.url + "/admin/members/membership/")
    page.wait_for_url(live_server.url + ENROLMENT)
    expect(page.get_by_text("Caucasus Ledger staff")).to_have_count(0)
    assert not Authenticator.objects.filter(user=colleague).exists()

    page.locator("#main").get_by_role("button", name="Sign out").click()  # the one other thing the account can do
    page.goto(live_server.url + ENROLMENT)
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_an_administrator_issues_an_enrolment_link_and_the_colleague_enrols_with_it(browser, page: Page, live_server):
    boss = UserFactory(username="nana", email="nana@example.org", is_staff=True)
    EmailAddress.objects.create(user=boss, email=boss.email, verified=True, primary=True)
    boss.groups.add(Group.objects.get(name=ADMINISTRATOR))
    colleague = new_colleague()

    sign_in_staff_in_browser(page, live_server.url, boss, give_authenticator_app(boss))
    page.get_by_role("link", name="Staff two-factor enrolment").first.click()
    row = page.locator("tr", has_text="lela@example.org")
    problems = {"admin list": axe_problems(page)}
    photograph(page, "admin-staff-enrolment-1280")
    row.get_by_role("button", name=re.compile("Issue an enrolment link")).click()
    link = page.get_by_label("Enrolment link").input_value()
    problems["link issued"] = axe_problems(page)
    photograph(page, "admin-staff-enrolment-link-issued-1280")
    assert link.startswith(live_server.url + "/accounts/2fa/staff-enrolment/link/")

    colleague_context = browser.new_context(viewport={"width": 375, "height": 800})
    phone = colleague_context.new_page()
    phone.goto(link)
    phone.locator("#main").get_by_role("link", name="Sign in").click()
    phone.get_by_label("Email").fill(colleague.email)
    phone.get_by_label("Password").fill(TEST_PASSWORD)
    phone.get_by_role("button", name="Sign in").click()
    phone.wait_for_url(link)
    expect(phone.get_by_text("issued this link for your account")).to_be_visible()
    problems["link page"] = axe_problems(phone)
    assert fits_the_width(phone)
    photograph(phone, "staff-enrolment-link-375")
    phone.get_by_role("button", name="Continue").click()
    phone.get_by_label("Password").fill(TEST_PASSWORD)  # allauth's own check before the setup page
    phone.get_by_role("button", name="Confirm").click()
    set_up_the_app(phone)
    phone.wait_for_url(live_server.url + "/admin/")
    colleague_context.close()

    page.reload()
    expect(page.get_by_text("Every active staff account has an authenticator app.")).to_be_visible()
    assert problems == {"admin list": [], "link issued": [], "link page": []}
