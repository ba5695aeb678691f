"""The campaign page on a phone: a Give button near the top (the form itself comes after the story, ~2,900 px down
on the demo fundraiser), and a progress bar that never looks empty once anything is raised."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.donations.conftest import give, make_campaign
from tests.e2e.pages import new_context

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = (375, 812)


def _open(browser, world, url: str, width: int):
    context = new_context(browser, world, "anonymous", width)
    page = context.new_page()
    page.goto(url)
    return context, page


def test_on_a_phone_a_give_button_near_the_top_takes_the_reader_to_the_form(browser, world):
    context, page = _open(browser, world, world.url(world.paths["campaign"]), PHONE[0])
    try:
        heading = page.get_by_role("heading", name="Give", exact=True)
        assert heading.bounding_box()["y"] > 2 * PHONE[1], "the form is no longer far down: rethink this test"
        give_now = page.get_by_role("link", name="Give now")
        expect(give_now).to_be_visible()
        box = give_now.bounding_box()
        assert box["y"] + box["height"] <= PHONE[1], (
            f"the Give button is {box['y']:.0f} px down, below the first screen"
        )
        assert box["width"] >= 0.8 * (PHONE[0] - 32), "the Give button should be easy to hit with a thumb"

        give_now.click()
        expect(page).to_have_url(world.url(world.paths["campaign"]) + "#give-heading")
        expect(heading).to_be_in_viewport()
        expect(page.get_by_role("radio", name="GEL 20")).to_be_in_viewport()
    finally:
        context.close()


def test_on_a_desktop_the_form_sits_beside_the_story_with_no_extra_button(browser, world):
    context, page = _open(browser, world, world.url(world.paths["campaign"]), 1280)
    try:
        expect(page.get_by_role("heading", name="Give", exact=True)).to_be_in_viewport()
        expect(page.get_by_role("button", name="Continue to payment")).to_be_attached()
        expect(page.get_by_role("link", name="Give now")).to_be_hidden()
    finally:
        context.close()


def _filled_pixels(bar) -> int:
    """How many pixels of the bar's middle row differ from its empty track (read at the bar's right end)."""
    image = Image.open(io.BytesIO(bar.screenshot(animations="disabled"))).convert("RGB")
    width, height = image.size
    track = image.getpixel((width - 4, height // 2))

    def differs(x: int) -> bool:
        return sum(abs(a - b) for a, b in zip(image.getpixel((x, height // 2)), track, strict=True)) > 60

    return sum(1 for x in range(width) if differs(x))


@pytest.mark.parametrize("width", [PHONE[0], 1280])
def test_a_fundraiser_far_from_its_goal_shows_a_sliver_and_less_than_one_percent(browser, live_server, settings, width):
    settings.SITE_URL = live_server.url
    campaign = make_campaign(goal_minor=5_000_000)  # GEL 50,000
    context = new_context(browser, None, "anonymous", width)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/fundraisers/{campaign.slug}/")
        bar = page.locator(".fund__progress progress")
        assert _filled_pixels(bar) == 0, "nothing raised yet: the bar must look empty"
        expect(page.locator(".fund__progress")).to_contain_text("(0%)")

        give(campaign, gift_minor=2000)  # GEL 20: 0.04 % of the goal
        page.reload()
        expect(page.locator(".fund__progress")).to_contain_text(re.compile(r"GEL\s20(\.00)? raised"))
        expect(page.locator(".fund__progress")).to_contain_text("(less than 1%)")
        expect(page.get_by_role("progressbar", name="Raised so far: less than 1% of the goal")).to_be_visible()
        assert _filled_pixels(bar) >= 8, "a started fundraiser's bar shows a visible sliver"
    finally:
        context.close()


def test_the_appeal_under_a_story_shows_the_sliver_too(browser, live_server, settings):
    from outlet.publishing.models import Prompt
    from tests.factories import ArticleFactory, PromptFactory

    settings.SITE_URL = live_server.url
    campaign = make_campaign(goal_minor=5_000_000)
    PromptFactory(placement=Prompt.Placement.END_OF_ARTICLE, headline="Reporters need helmets", campaign=campaign)
    ArticleFactory(title="Night at the border post", slug="border-post")
    give(campaign, gift_minor=2000)
    context = new_context(browser, None, "anonymous", PHONE[0])
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/articles/border-post/")
        appeal = page.get_by_role("complementary", name="Reporters need helmets")
        expect(appeal).to_contain_text("(less than 1%)")
        assert _filled_pixels(appeal.locator("progress")) >= 8
    finally:
        context.close()
