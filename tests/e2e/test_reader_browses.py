"""A reader opens the home page and an article, meets the membership banner and dismisses it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from outlet.publishing.models import Prompt
from tests.factories import ArticleFactory, PromptFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site():
    lead = ArticleFactory(title="A village fights the dam", slug="village-dam", featured=True)
    ArticleFactory(title="The library in Gyumri", slug="gyumri-library")
    banner = PromptFactory(kicker="Become a member", headline="Support independent journalism", cta_label="Join today")
    PromptFactory(placement=Prompt.Placement.END_OF_ARTICLE, headline="Keep this reporting free")
    return {"lead": lead, "banner": banner}


def test_a_reader_reads_an_article_and_dismisses_the_banner(page, live_server, site):
    page.goto(live_server.url + "/")
    expect(page.get_by_role("heading", name="A village fights the dam")).to_be_visible()
    banner = page.locator("#site-banner")
    expect(banner).to_contain_text("Support independent journalism")
    expect(banner.get_by_role("link", name="Join today")).to_be_visible()

    page.get_by_role("link", name="A village fights the dam").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("A village fights the dam")
    expect(page.get_by_text("village-dam-P8")).to_be_visible()
    expect(page.get_by_text("Keep this reporting free")).to_be_visible()

    page.locator("#site-banner").get_by_role("button", name="Dismiss").click()
    expect(page.locator("#site-banner")).to_have_count(0)

    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("A village fights the dam")
    expect(page.locator("#site-banner")).to_have_count(0)
    page.goto(live_server.url + "/")
    expect(page.locator("#site-banner")).to_have_count(0)


def test_the_banner_can_be_dismissed_without_javascript(browser, live_server, site):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/articles/gyumri-library/")
    page.locator("#site-banner").get_by_role("button", name="Dismiss").click()
    page.wait_for_url(live_server.url + "/articles/gyumri-library/")
    expect(page.locator("#site-banner")).to_have_count(0)
    context.close()


def test_the_site_works_on_a_phone(browser, live_server, site):
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    page = context.new_page()
    page.goto(live_server.url + "/articles/village-dam/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, "no sideways scrolling on a phone"
    context.close()
