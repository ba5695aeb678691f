"""The site in the readers' languages, in Debian's chromium: a reader switches to Georgian on a story and joins, and
is written to in Georgian (welcome email, receipt PDF); a Russian-speaking guest gives and gets a Russian receipt;
an account chooses its language on the account page; Armenian and Azerbaijani pages keep their layout at 375 and
1280 px; axe passes on each language's story and give pages.

What a page should say is read from the catalogues (gettext with that language active), so these tests follow the
translators' wording; tests/outlet/test_catalogues.py makes sure every string has one, and each test also checks the
page is in the language's own script and no longer in English."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
from django.utils import translation
from django.utils.translation import gettext, pgettext
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from donations.models import Donation
from members.models import Membership
from outlet.common import languages
from outlet.publishing.models import Article, Prompt
from tests.donations.conftest import make_campaign
from tests.e2e.readers import CODE_LINE, reader, sent_to, sign_in
from tests.e2e.test_accessibility import axe_problems
from tests.e2e.test_layout import layout_problems
from tests.factories import ArticleFactory, PromptFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCRIPT = {
    "ka": re.compile(r"[\u10d0-\u10ff]"),
    "hy": re.compile(r"[\u0531-\u058f]"),
    "az": re.compile(r"[əƏ]"),
    "ru": re.compile(r"[\u0400-\u04ff]"),
}
PASSWORD = "a quiet river at dusk 42"
# Screenshots for people to look at (set OUTLET_SCREENSHOTS to a folder; `make screenshots` does).
SHOTS = os.environ.get("OUTLET_SCREENSHOTS", "")


def said(language: str, message: str, context: str | None = None) -> str:
    with translation.override(language):
        return pgettext(context, message) if context else gettext(message)


def _shot(page: Page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def _pdf_text(message) -> str:
    [pdf] = [a for a in message.attachments if a[2] == "application/pdf"]
    return " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf[1])).pages)


@pytest.fixture
def story(settings, live_server, priced_tiers):
    """An English story with its Georgian version, and a banner written in both languages."""
    settings.SITE_URL = live_server.url
    original = ArticleFactory(title="Who owns the mountain road", slug="mountain-road", access=Article.Access.PUBLIC)
    georgian = ArticleFactory(
        title="ვისია მთის გზა",
        slug="vis-mtis-gza-ka",
        language="ka",
        translation_of=original,
        section=original.section,
        access=Article.Access.PUBLIC,
    )
    banner = PromptFactory(
        placement=Prompt.Placement.BANNER,
        kicker="Become a member",
        headline="Support independent journalism",
        body="Readers pay for this reporting.",
    )
    banner.kicker_ka, banner.headline_ka = "გახდით წევრი", "დაუჭირეთ მხარი დამოუკიდებელ ჟურნალისტიკას"
    banner.save()
    return {"original": original, "georgian": georgian, "banner": banner}


@pytest.mark.date_sensitive
def test_a_reader_switches_to_georgian_on_a_story_joins_and_is_written_to_in_georgian(
    page: Page, live_server, story, mailoutbox
):
    page.goto(f"{live_server.url}/articles/mountain-road/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    header = page.get_by_role("banner")
    header.locator(".language-menu__current").click()
    header.get_by_role("link", name="ქართული").click()

    # The story's Georgian version, in a Georgian page: chrome, prompt and the link back to English.
    page.wait_for_url(f"{live_server.url}/ka/articles/vis-mtis-gza-ka/")
    expect(page.locator("html")).to_have_attribute("lang", "ka")
    expect(page.get_by_role("heading", level=1)).to_have_text("ვისია მთის გზა")
    expect(page.get_by_text("დაუჭირეთ მხარი დამოუკიდებელ ჟურნალისტიკას")).to_be_visible()
    expect(page.get_by_role("link", name=said("ka", "Join today"))).to_be_visible()
    expect(page.locator(".story__languages").get_by_role("link", name="English")).to_have_attribute(
        "href", "/articles/mountain-road/"
    )
    assert (
        page.locator('link[rel="alternate"][hreflang="ka"]')
        .get_attribute("href")
        .endswith("/ka/articles/vis-mtis-gza-ka/")
    )
    _shot(page, "ka-article-1280")

    # The prompt's button leads to the Georgian membership page; choosing a tier leads to a Georgian sign-up.
    page.get_by_role("link", name=said("ka", "Join today")).first.click()
    page.wait_for_url(f"{live_server.url}/ka/membership/")
    expect(page.get_by_role("heading", level=1)).to_have_text(said("ka", "Support independent journalism"))
    with translation.override("ka"):
        join_monthly = gettext("Join %(tier)s monthly") % {"tier": "Supporter"}
    page.get_by_role("button", name=join_monthly).click()
    page.wait_for_url(re.compile(r"/ka/accounts/signup/\?next="))
    expect(page.locator("html")).to_have_attribute("lang", "ka")
    page.locator('input[name="email"]').fill("tamar@example.org")
    page.locator('input[name="password1"]').fill(PASSWORD)
    page.locator('input[name="password2"]').fill(PASSWORD)
    page.locator('form[action*="signup"] button[type="submit"]').click()

    # The verification email is Georgian; its code is typed on the page that is open.
    [verification] = sent_to(mailoutbox, "tamar@example.org")
    assert SCRIPT["ka"].search(verification.subject + verification.body), verification.body
    page.locator('input[name="code"]').fill(CODE_LINE.findall(verification.body)[0])
    page.locator('form button[type="submit"]').first.click()

    # The sandbox's checkout, the welcome page and the welcome email: all Georgian.
    page.wait_for_url(re.compile(r"/ka/payments/sandbox/checkout/"))
    expect(page.get_by_text(said("ka", "Sandbox payment provider — no real card, no real money"))).to_be_visible()
    page.locator('button[value="pay"]').click()
    page.wait_for_url(re.compile(r"/ka/membership/welcome/[\w-]+/"))
    expect(page.get_by_role("heading", level=1)).to_have_text(said("ka", "Welcome, you are a member"), timeout=15_000)
    membership = Membership.objects.get(user__email="tamar@example.org")
    assert membership.status == "active" and languages.for_user(membership.user) == "ka"
    welcome = [m for m in sent_to(mailoutbox, "tamar@example.org") if not m.attachments and m is not verification]
    assert welcome and all(SCRIPT["ka"].search(m.subject) for m in welcome), [m.subject for m in welcome]
    assert "/ka/accounts/membership/" in welcome[0].body

    # The receipt for the first payment: a Georgian email with a Georgian PDF, its number as ever.
    [receipt_email] = [m for m in sent_to(mailoutbox, "tamar@example.org") if m.attachments]
    pdf = _pdf_text(receipt_email)
    assert said("ka", "Receipt number") in pdf and said("ka", "Amount") in pdf
    assert "Receipt number" not in pdf and re.search(r"\d{4}-\d{6}", pdf)
    assert SCRIPT["ka"].search(receipt_email.subject)


def test_a_russian_speaking_guest_gives_and_gets_a_russian_receipt(page: Page, live_server, settings, mailoutbox):
    settings.SITE_URL = live_server.url
    fundraiser = make_campaign()
    page.set_extra_http_headers({"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"})
    # A first visit to the English address: the browser says Russian, so the Russian page it is.
    page.goto(f"{live_server.url}/fundraisers/{fundraiser.slug}/")
    page.wait_for_url(f"{live_server.url}/ru/fundraisers/{fundraiser.slug}/")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    page.locator('input[name="amount"]').first.check()
    page.locator('input[name="name"]').fill("Анна Петрова")
    page.locator('input[name="email"]').fill("anna@example.org")
    _shot(page, "ru-give-1280")
    page.get_by_role("button", name=said("ru", "Continue to payment")).click()
    page.wait_for_url(re.compile(r"/ru/payments/sandbox/checkout/"))
    page.locator('button[value="pay"]').click()
    page.wait_for_url(re.compile(r"/ru/fundraisers/thanks/[0-9a-f-]{36}/"))
    expect(page.get_by_role("heading", level=1)).to_have_text(said("ru", "Thank you for your gift"), timeout=15_000)

    donation = Donation.objects.get()
    assert donation.checkout.language == "ru"
    [receipt_email] = [m for m in sent_to(mailoutbox, "anna@example.org") if m.attachments]
    assert SCRIPT["ru"].search(receipt_email.subject) and SCRIPT["ru"].search(receipt_email.body)
    pdf = _pdf_text(receipt_email)
    for word in (
        said("ru", "Receipt number"),
        said("ru", "Amount"),
        said("ru", "For", "receipt: what the payment was for"),
    ):
        assert word in pdf, word
    assert "Receipt number" not in pdf


def test_an_account_chooses_its_language_on_the_account_page(page: Page, live_server, settings):
    settings.SITE_URL = live_server.url
    user = reader("lela@example.org")
    sign_in(page, live_server.url, "lela@example.org", next_path="/accounts/language/")
    page.wait_for_url(f"{live_server.url}/accounts/language/")
    expect(page.get_by_label("English")).to_be_checked()
    page.get_by_label("Azərbaycanca").check()
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"{live_server.url}/az/accounts/language/")
    expect(page.locator("html")).to_have_attribute("lang", "az")
    expect(page.get_by_text(said("az", "Saved. We will write to you in this language."))).to_be_visible()
    expect(page.get_by_label("Azərbaycanca")).to_be_checked()
    assert languages.for_user(user) == "az"
    for width in (375, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        assert layout_problems(page) == [], width
        _shot(page, f"az-account-language-{width}")


@pytest.mark.parametrize("language", ["hy", "az"])
@pytest.mark.parametrize("width", [375, 1280])
def test_armenian_and_azerbaijani_pages_keep_their_layout(
    browser, live_server, settings, priced_tiers, language, width
):
    """Long words must not push a page sideways or into the header's controls."""
    from tests.e2e.pages import build_world

    settings.SITE_URL = live_server.url
    build_world(live_server.url)
    fundraiser = make_campaign(slug="layout-fund")
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    story = Article.objects.live().in_language("en").first()
    for path in (
        "/",
        f"/articles/{story.slug}/",
        "/membership/",
        f"/fundraisers/{fundraiser.slug}/",
        "/accounts/signup/",
    ):
        page.goto(f"{live_server.url}/{language}{path}")
        expect(page.locator("html")).to_have_attribute("lang", language)
        assert SCRIPT[language].search(page.locator("main").inner_text()), path
        _shot(page, f"{language}{path.rstrip('/').replace('/', '-') or '-home'}-{width}")
        assert layout_problems(page) == [], (language, width, path)
    context.close()


@pytest.mark.parametrize("language", ["en", "ka", "hy", "az", "ru"])
def test_each_languages_story_and_give_pages_pass_axe(page: Page, live_server, settings, story, language):
    settings.SITE_URL = live_server.url
    fundraiser = make_campaign(slug="axe-fund")
    prefix = "" if language == "en" else f"/{language}"
    for path in (f"{prefix}/articles/mountain-road/", f"{prefix}/fundraisers/{fundraiser.slug}/"):
        page.goto(f"{live_server.url}{path}")
        assert axe_problems(page) == [], path
