"""Newsletters in Debian's chromium: a reader signs up from the box at the end of a story (a page served whole from
the cache, so the form carries no CSRF token) and confirms from the emailed link; an editor, signed in with two
factors, composes an issue, previews it as a reader and as a member, sends a test to themselves, then sends it and
watches its progress. Each at 375 and 1280 px, with screenshots in var/screenshots/ to look at."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from outlet.common import email_preferences
from outlet.newsletters.models import Newsletter, NewsletterSend
from outlet.publishing.models import Article
from outlet.staff.roles import EDITOR
from tests.e2e.test_layout import layout_problems
from tests.factories import ArticleFactory, MembershipFactory, TierFactory, UserFactory
from tests.staff import give_authenticator_app, sign_in_staff_in_browser

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
WIDTHS = [375, 1280]
SHOTS = Path("var/screenshots")


def shot(target, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    target.screenshot(path=str(SHOTS / f"{name}.png"), **({"full_page": True} if hasattr(target, "goto") else {}))


@pytest.fixture
def weekly(db):
    supporter = TierFactory(name="Supporter", slug="supporter")
    newsletter = Newsletter.objects.create(
        name="The Weekly",
        slug="weekly",
        description="The week's reporting from across the Caucasus, chosen by our editors. Every Sunday.",
    )
    newsletter.tiers.add(supporter)
    return newsletter


@pytest.mark.parametrize("width", WIDTHS)
def test_a_reader_signs_up_from_an_article_and_confirms_from_the_email(
    page, live_server, settings, mailoutbox, weekly, width
):
    settings.SITE_URL = live_server.url
    article = ArticleFactory(title="Night buses return to the valley")
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(live_server.url + article.get_absolute_url())
    page.goto(live_server.url + article.get_absolute_url())  # the second time, the whole page comes from the cache

    box = page.locator("aside.newsletter-signup")
    expect(box.get_by_role("heading")).to_have_text("Get The Weekly in your inbox")
    expect(box.get_by_role("link", name="How we use your data")).to_have_attribute("href", "/privacy/")
    box.scroll_into_view_if_needed()
    assert layout_problems(page) == []
    shot(box, f"newsletter-signup-article-{width}")
    box.get_by_label("Your email address").fill("nino@example.org")
    box.get_by_role("button", name="Sign up").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    expect(page.locator("main")).to_contain_text("Thank you for signing up for The Weekly.")
    assert layout_problems(page) == []
    shot(page, f"newsletter-thanks-{width}")
    assert not email_preferences.wants(address="nino@example.org", topic=weekly.topic)

    [message] = mailoutbox
    link = re.search(r"https?://\S+/newsletters/confirm/\S+/", message.body).group(0)
    page.goto(link)
    page.get_by_role("button", name="Yes, sign me up").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You are subscribed")
    assert email_preferences.wants(address="nino@example.org", topic=weekly.topic)
    assert EmailAddress.objects.get(email="nino@example.org").verified


def editor_in_browser(page, live_server, *, next_path: str):
    desk = UserFactory(username="newsdesk", email="newsdesk@example.org", is_staff=True)
    desk.groups.add(Group.objects.get(name=EDITOR))
    EmailAddress.objects.create(user=desk, email=desk.email, verified=True, primary=True)
    sign_in_staff_in_browser(page, live_server.url, desk, give_authenticator_app(desk), next_path=next_path)


def choose_story(page, row: int, title: str) -> None:
    """The stories' article picker is the admin's autocomplete (select2)."""
    page.locator(f"#story_rows-{row} .select2-selection").click()
    page.locator(".select2-search__field").fill(title.split()[0])
    page.locator(".select2-results__option", has_text=title).click()


@pytest.mark.parametrize("width", WIDTHS)
def test_an_editor_composes_previews_tests_and_sends_an_issue(page, live_server, settings, mailoutbox, weekly, width):
    settings.SITE_URL = live_server.url
    settings.NEWSLETTER_SEND_RATE = 0
    ArticleFactory(title="Night buses return to the valley")
    ArticleFactory(title="Members hear the mayor", access=Article.Access.MEMBERS)
    MembershipFactory(tier=weekly.tiers.get(), user=UserFactory(email="member@example.org"))
    email_preferences.set_choice(address="reader@example.org", topic=weekly.topic, subscribed=True, source="t")
    page.set_viewport_size({"width": width, "height": 900})
    editor_in_browser(page, live_server, next_path="/admin/newsletters/newslettersend/add/")

    page.select_option("#id_newsletter", label="The Weekly (en)")
    page.fill("#id_subject", "The week in the Caucasus")
    page.locator("div.prose-editor > .ProseMirror").click()
    page.keyboard.type("Good morning from the desk.")
    choose_story(page, 0, "Night buses return to the valley")
    choose_story(page, 1, "Members hear the mayor")
    page.fill("#id_story_rows-1-position", "1")
    page.locator("input[name=_continue]").click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    send = NewsletterSend.objects.get()
    assert send.introduction == "<p>Good morning from the desk.</p>"
    expect(page.get_by_role("heading", name="Preview and send")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "the page scrolls sideways"
    shot(page, f"newsletter-admin-compose-{width}")

    # The previews: a reader meets the members' story as a teaser; a member does not.
    preview = page.get_by_role("link", name="A reader who is not a member")
    page.goto(live_server.url + preview.get_attribute("href"))
    expect(page.get_by_role("heading", name="Members hear the mayor")).to_be_visible()
    expect(page.get_by_text("For members", exact=True)).to_be_visible()
    shot(page, f"newsletter-email-preview-reader-{width}")
    page.go_back()
    page.goto(live_server.url + page.get_by_role("link", name="A member (Supporter)").get_attribute("href"))
    expect(page.get_by_role("heading", name="Members hear the mayor")).to_be_visible()
    expect(page.get_by_text("For members", exact=True)).to_have_count(0)
    page.go_back()

    page.get_by_role("button", name="Send a test to myself").click()
    expect(page.locator(".messagelist")).to_contain_text("A test was sent to newsdesk@example.org.")
    assert [(m.to, m.subject) for m in mailoutbox] == [(["newsdesk@example.org"], "[Test] The week in the Caucasus")]

    page.get_by_role("link", name="Send now").click()
    expect(page.get_by_text("Send “The week in the Caucasus” to everyone who gets The Weekly now?")).to_be_visible()
    page.get_by_role("button", name="Yes, send it now").click()
    expect(page.get_by_role("heading", name="The week in the Caucasus")).to_be_visible()
    expect(page.locator("[data-field=status_text]")).to_have_text("Sent")
    expect(page.locator("[data-field=sent]")).to_have_text("2")
    expect(page.locator("[data-field=remaining]")).to_have_text("0")
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "the page scrolls sideways"
    shot(page, f"newsletter-admin-progress-{width}")
    sent = sorted(m.to[0] for m in mailoutbox[1:])
    assert sent == ["member@example.org", "reader@example.org"]
    assert all(m.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click" for m in mailoutbox[1:])


def test_the_sign_up_page_shows_a_mistake_next_to_the_field_and_then_thanks(page, live_server, mailoutbox, weekly):
    """The form on a page of its own (where a post without JavaScript lands when something is wrong)."""
    page.goto(live_server.url + "/newsletters/signup/")
    page.get_by_label("Your email address").fill("not an address")
    page.get_by_role("button", name="Sign up").click()
    expect(page.locator("#email-error")).to_have_text("Enter a valid email address.")
    assert layout_problems(page) == []
    page.get_by_label("Your email address").fill("lasha@example.org")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    assert [m.to for m in mailoutbox] == [["lasha@example.org"]]


@pytest.mark.parametrize("width", WIDTHS)
def test_the_home_page_offers_the_newsletter_without_crowding_the_page(page, live_server, weekly, width):
    ArticleFactory(title="Night buses return to the valley", featured=True)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(live_server.url + "/")
    box = page.locator("aside.newsletter-signup--home")
    expect(box.get_by_role("heading")).to_have_text("Get The Weekly in your inbox")
    assert layout_problems(page) == []
    shot(page, f"newsletter-home-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_a_reader_unsubscribes_from_an_issue_and_changes_their_mind_on_the_choices_page(
    page, live_server, settings, mailoutbox, weekly, width, django_capture_on_commit_callbacks
):
    """The links every issue carries: Unsubscribe (the page asks, one button), then "Choose which emails you get",
    where the newsletter is offered with the others and ticking it again brings it back."""
    from outlet.newsletters import services
    from tests.newsletters.conftest import make_issue

    settings.SITE_URL = live_server.url
    settings.NEWSLETTER_SEND_RATE = 0
    email_preferences.set_choice(address="nino@example.org", topic=weekly.topic, subscribed=True, source="t")
    with django_capture_on_commit_callbacks(execute=True):
        services.send_now(send=make_issue(weekly))
    [issue] = mailoutbox
    page.set_viewport_size({"width": width, "height": 900})

    page.goto(re.search(r"Unsubscribe: (\S+)", issue.body).group(1))
    expect(page.locator("main")).to_contain_text("The Weekly")
    expect(page.locator("main")).to_contain_text("Stop sending these emails to nino@example.org?")
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You are unsubscribed")
    assert not email_preferences.wants(address="nino@example.org", topic=weekly.topic)
    assert layout_problems(page) == []

    page.get_by_role("link", name="Changed your mind? Choose which emails you get from us").click()
    choice = page.get_by_label("The Weekly")
    expect(choice).not_to_be_checked()
    choice.check()
    page.get_by_role("button", name="Save my choices").click()
    expect(page.locator(".messages")).to_contain_text("Saved. We will only send you the emails you ticked.")
    expect(page.get_by_label("The Weekly")).to_be_checked()
    assert email_preferences.wants(address="nino@example.org", topic=weekly.topic)
    assert layout_problems(page) == []
    shot(page, f"newsletter-email-choices-{width}")
