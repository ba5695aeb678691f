"""The Content-Security-Policy holds in a real browser: the reader pages, the donation form with its card-testing
challenge (solved by static/js/challenge.js) through the sandbox's checkout to the thank-you page, the account
pages, and the admin with its rich-text article editor, all load and work with no CSP violation and no console
error. Chromium reports each blocked script, style, image, frame or form target as a `securitypolicyviolation`
event and a console error; either fails the test, naming the page and what was blocked.
"""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from playwright.sync_api import expect

from donations import abuse
from donations.models import CheckoutShield
from outlet.publishing.models import Article, MediaImage
from tests.e2e import click_that_closes_its_window
from tests.e2e.pages import PAGES, SIGNED_IN, new_context
from tests.factories import UserFactory
from tests.staff import give_authenticator_app, sign_in_staff_in_browser

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Runs before any of the page's own scripts, in every page and frame the context opens.
LISTEN = """
window.__policyViolations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__policyViolations.push(
    `${event.violatedDirective} blocked ${event.blockedURI || 'inline code'}` +
    (event.sourceFile ? ` (${event.sourceFile}:${event.lineNumber})` : '') +
    (event.sample ? ` sample: ${event.sample}` : ''));
});
"""


class PolicyWatch:
    """Collects CSP violations and console errors per page of one browser context."""

    def __init__(self, context):
        self.problems: list[str] = []
        context.add_init_script(LISTEN)
        context.on("page", self._watch)
        for page in context.pages:
            self._watch(page)

    def _watch(self, page) -> None:
        page.on("console", lambda message: self._console(page, message))
        page.on("pageerror", lambda error: self.problems.append(f"script error on {page.url}: {error}"))
        page.on("response", lambda response: self._response(page, response))

    def _console(self, page, message) -> None:
        # A failed load is reported with its address by _response; the console's copy has none. A policy the browser
        # cannot read (an unknown Permissions-Policy feature, say) is only a warning.
        about_a_policy = "Permissions-Policy" in message.text or "Content Security Policy" in message.text
        if (message.type == "error" and not message.text.startswith("Failed to load resource")) or (
            message.type == "warning" and about_a_policy
        ):
            self.problems.append(f"console {message.type} on {page.url}: {message.text}")

    def _response(self, page, response) -> None:
        request = response.request
        if response.status >= 400 and request.resource_type != "document" and not request.url.endswith("/favicon.ico"):
            self.problems.append(f"{request.resource_type} {request.url} answered {response.status} on {page.url}")

    def check(self, page, label: str) -> None:
        """Collect what the page reported so far (call after it has settled)."""
        page.wait_for_load_state("load")
        try:
            found = page.evaluate("window.__policyViolations || []")
        except Exception:  # the page navigated meanwhile; its successor is checked at the next stop
            found = []
        self.problems += [f"{label} ({page.url}): {violation}" for violation in found]

    def open(self, page, url: str, label: str, status: int = 200):
        response = page.goto(url)
        assert response is not None and response.status == status, f"{label}: {response and response.status}"
        policy = response.headers.get("content-security-policy", "")
        assert "default-src 'self'" in policy and "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy, (
            f"{label}: {policy!r}"
        )
        assert "camera=()" in response.headers.get("permissions-policy", ""), label
        self.check(page, label)
        return response


def test_reader_member_and_donor_pages_load_with_no_policy_violation(browser, world):
    problems = []
    for user in ("anonymous", *SIGNED_IN):
        context = new_context(browser, world, user, 1280)
        watch = PolicyWatch(context)
        page = context.new_page()
        try:
            for site_page in PAGES:
                if user not in site_page.users or site_page.pending_signup:
                    continue
                watch.open(
                    page,
                    world.url(site_page.address(world, user)),
                    f"{site_page.name} as {user}",
                    status=site_page.status,
                )
            page.wait_for_timeout(300)  # late reports (the thank-you page's poll, lazy pictures)
            watch.check(page, f"last page as {user}")
        finally:
            context.close()
        problems += watch.problems
    assert not problems, "\n".join(problems)


def test_the_donation_form_with_its_challenge_pays_through_the_sandbox_with_no_policy_violation(browser, world):
    abuse.set_shield_mode(mode=CheckoutShield.Mode.ON)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    watch = PolicyWatch(context)
    page = context.new_page()
    try:
        watch.open(page, world.url(world.paths["campaign"]), "campaign with the challenge on")
        expect(page.locator("[data-challenge-status]")).to_have_text(re.compile("Check complete|Checking"))
        page.get_by_label("Other amount in GEL").fill("25")
        page.get_by_label("Your name").fill("Nana")
        page.get_by_label("Email").fill("nana@example.org")
        page.get_by_role("button", name="Continue to payment").click()
        page.wait_for_url(re.compile(r"/payments/sandbox/checkout/"), timeout=30_000)
        watch.check(page, "sandbox checkout")
        page.get_by_role("button", name=re.compile("^Pay")).first.click()
        page.wait_for_url(re.compile(r"/fundraisers/thanks/"), timeout=30_000)
        page.wait_for_timeout(1500)  # the thank-you page asks again for the confirmation (fetch, connect-src)
        watch.check(page, "thank-you page")
    finally:
        context.close()
    assert not watch.problems, "\n".join(watch.problems)


def test_setting_up_two_factor_shows_the_qr_code_and_the_recovery_codes_with_no_policy_violation(browser, world):
    """The authenticator app's QR code is a data: image (allauth), which img-src must allow."""
    import time

    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    from tests.e2e.pages import PASSWORD

    context = new_context(browser, world, "donor", 1280)
    watch = PolicyWatch(context)
    page = context.new_page()
    try:
        watch.open(page, world.url("/accounts/2fa/totp/activate/"), "confirm access")  # the password first
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Confirm").click()
        page.wait_for_url(world.url("/accounts/2fa/totp/activate/"))
        watch.check(page, "authenticator setup")
        qr_code = page.locator("img[src^='data:image/']")
        assert qr_code.evaluate("image => image.complete && image.naturalWidth > 0"), "the QR code did not load"
        secret = page.get_by_label("Authenticator secret").input_value()
        counter = int(time.time()) // app_settings.TOTP_PERIOD
        page.get_by_label("Authenticator code").fill(format_hotp_value(hotp_value(secret, counter)))
        page.get_by_role("button", name="Activate").click()
        page.wait_for_url(re.compile(r"/accounts/2fa/recovery-codes/"))
        watch.check(page, "recovery codes")
    finally:
        context.close()
    assert not watch.problems, "\n".join(watch.problems)


def test_the_admin_and_its_article_editor_work_with_no_policy_violation(browser, world, live_server):
    from django.urls import reverse

    from members.models import Membership

    staff = UserFactory(username="csp-desk", email="csp-desk@example.org", is_staff=True, is_superuser=True)
    EmailAddress.objects.create(user=staff, email=staff.email, verified=True, primary=True)
    article = Article.objects.filter(status=Article.Status.PUBLISHED).order_by("pk").first()
    picture = MediaImage.objects.order_by("pk").first()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    watch = PolicyWatch(context)
    page = context.new_page()
    try:
        sign_in_staff_in_browser(page, live_server.url, staff, give_authenticator_app(staff))
        watch.check(page, "admin index")
        for label, path in [
            ("article list", "/admin/outlet/article/?status__exact=published"),
            ("article change", f"/admin/outlet/article/{article.pk}/change/"),
            ("media library", "/admin/outlet/mediaimage/"),
            ("media picture", f"/admin/outlet/mediaimage/{picture.pk}/change/"),
            ("member", f"/admin/members/membership/{Membership.objects.order_by('pk').first().pk}/change/"),
            ("gifts", "/admin/donations/donation/"),
            ("revenue dashboard", reverse("revenue:dashboard")),
            ("ghost import", reverse("admin:members_membership_ghost_import")),
        ]:
            watch.open(page, live_server.url + path, label)

        # A story written in the editor, with bold text and a picture from the media library (a popup).
        watch.open(page, live_server.url + "/admin/outlet/article/add/", "article editor")
        page.fill("#id_title", "Policy holds in the editor")
        editor = page.locator("div.prose-editor > .ProseMirror")
        expect(editor).to_be_visible()
        editor.click()
        page.keyboard.type("Typed under a strict policy. ")
        page.keyboard.press("Control+b")
        page.keyboard.type("Bold too.")
        page.keyboard.press("Control+b")
        page.locator('.prose-menubar__button[title="figure"]').click()
        dialog = page.locator("dialog.prose-editor-dialog")
        with page.expect_popup() as opened:
            dialog.get_by_role("button", name="Browse...").click()
        picker = opened.value
        picker.wait_for_load_state()
        watch.check(picker, "media picker")
        click_that_closes_its_window(picker, picker.locator("[data-library-pick]").first)
        dialog.get_by_role("button", name="Insert").click()
        expect(editor.locator("figure img")).to_have_count(1)
        page.select_option("#id_section", index=1)
        page.locator("input[name=_save]").first.click()
        expect(page.locator(".messagelist")).to_contain_text("was added successfully")
        watch.check(page, "article saved")
    finally:
        context.close()
    body = Article.objects.get(title="Policy holds in the editor").body
    assert "<strong>Bold too.</strong>" in body and f'src="{picture.file.url}"' in body
    assert not watch.problems, "\n".join(watch.problems)


def test_a_provider_events_admin_page_has_no_inline_style(browser, live_server):
    from django.utils import timezone

    from outlet.payments.models import WebhookEvent

    staff = UserFactory(username="csp-finance", email="csp-finance@example.org", is_staff=True, is_superuser=True)
    EmailAddress.objects.create(user=staff, email=staff.email, verified=True, primary=True)
    event = WebhookEvent.objects.create(
        provider="sandbox",
        event_id="evt_csp",
        type="charge.refunded",
        created_at_provider=timezone.now(),
        payload={"id": "evt_csp"},
        last_error="Traceback: the payment is not known yet",
    )
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    watch = PolicyWatch(context)
    page = context.new_page()
    try:
        sign_in_staff_in_browser(page, live_server.url, staff, give_authenticator_app(staff))
        watch.open(page, f"{live_server.url}/admin/payments/webhookevent/{event.pk}/change/", "provider event")
    finally:
        context.close()
    assert not watch.problems, "\n".join(watch.problems)
