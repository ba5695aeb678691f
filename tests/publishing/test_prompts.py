"""Which prompt a reader meets, and dismissing the banner."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from members.services import Audience
from outlet.publishing.models import Article, Prompt
from outlet.publishing.prompts import BANNER_DISMISS_COOKIE, active_prompts, choose_prompt
from tests.factories import ArticleFactory, PromptFactory

pytestmark = pytest.mark.django_db


def banner_of(client: Client, url: str = "/"):
    return client.get(url).context["banner"]


def test_the_highest_priority_running_prompt_wins():
    now = timezone.now()
    PromptFactory(name="low", priority=1)
    high = PromptFactory(name="high", priority=5)
    PromptFactory(name="inactive", priority=9, is_active=False)
    PromptFactory(name="future", priority=9, starts_at=now + timezone.timedelta(days=1))
    PromptFactory(name="over", priority=9, ends_at=now - timezone.timedelta(minutes=1))
    PromptFactory(name="wrong place", priority=9, placement=Prompt.Placement.END_OF_ARTICLE)

    chosen = choose_prompt(active_prompts(now=now), placement=Prompt.Placement.BANNER, audience=Audience.ANONYMOUS)

    assert chosen == high


@pytest.mark.parametrize(
    ("flag", "audience"),
    [("show_to_anonymous", Audience.ANONYMOUS), ("show_to_free", Audience.FREE), ("show_to_lapsed", Audience.LAPSED)],
)
def test_a_prompt_reaches_only_the_audiences_ticked(flag, audience):
    only_this = PromptFactory(
        **({"show_to_anonymous": False, "show_to_free": False, "show_to_lapsed": False} | {flag: True})
    )
    prompts = active_prompts()
    for other in Audience:
        chosen = choose_prompt(prompts, placement=Prompt.Placement.BANNER, audience=other)
        assert (chosen == only_this) == (other is audience)


def test_paying_members_never_see_membership_prompts(cast):
    """Read from the page itself: readers of one standing share a cached page, which has no template context."""
    PromptFactory(placement=Prompt.Placement.BANNER, headline="Banner appeal")
    PromptFactory(placement=Prompt.Placement.IN_ARTICLE, after_paragraph=2, headline="Mid-story appeal")
    PromptFactory(placement=Prompt.Placement.END_OF_ARTICLE, headline="End appeal")
    article = ArticleFactory()
    for _round in range(2):  # rendered, then from the cache of each standing
        for reader in ["member_a", "member_b", "comped_a", "cancelled_a"]:
            html = cast[reader].get(article.get_absolute_url()).content.decode()
            assert not [h for h in ("Banner appeal", "Mid-story appeal", "End appeal") if h in html], reader
        for reader in ["anonymous", "free", "lapsed", "expired"]:
            html = cast[reader].get(article.get_absolute_url()).content.decode()
            assert "Banner appeal" in html and "End appeal" in html, reader


def test_the_in_article_prompt_sits_after_the_configured_paragraph():
    prompt = PromptFactory(placement=Prompt.Placement.IN_ARTICLE, after_paragraph=3, headline="Mid-story appeal")
    article = ArticleFactory()

    html = Client().get(article.get_absolute_url()).content.decode()

    assert html.index(f"{article.slug}-P3") < html.index(prompt.headline) < html.index(f"{article.slug}-P4")


def test_a_locked_article_shows_the_paywall_prompt_instead_of_in_article_ones():
    paywall = PromptFactory(placement=Prompt.Placement.PAYWALL, headline="This story is for members")
    PromptFactory(placement=Prompt.Placement.IN_ARTICLE, after_paragraph=1, headline="Mid-story appeal")
    article = ArticleFactory(access=Article.Access.MEMBERS)

    html = Client().get(article.get_absolute_url()).content.decode()

    assert paywall.headline in html
    assert "Mid-story appeal" not in html


def test_dismissing_the_banner_without_javascript_is_remembered():
    banner = PromptFactory()
    client = Client()
    assert banner_of(client) == banner

    response = client.post(f"/prompts/{banner.pk}/dismiss/", {"next": "/sections/x/?page=2"})

    assert response.status_code == 302 and response["Location"] == "/sections/x/?page=2"
    assert banner_of(client) is None
    newer = PromptFactory(headline="A new campaign")
    assert banner_of(client) == newer, "dismissing one banner does not hide the next campaign"


def test_dismissing_with_javascript_gets_no_content_and_is_remembered():
    banner = PromptFactory()
    client = Client()
    response = client.post(f"/prompts/{banner.pk}/dismiss/", headers={"X-Requested-With": "fetch"})
    assert response.status_code == 204
    assert str(banner.pk) in response.cookies[BANNER_DISMISS_COOKIE].value
    assert banner_of(client) is None


def test_dismiss_never_redirects_off_site():
    banner = PromptFactory()
    response = Client().post(f"/prompts/{banner.pk}/dismiss/", {"next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_dismissing_something_that_is_not_a_banner_changes_nothing():
    appeal = PromptFactory(placement=Prompt.Placement.END_OF_ARTICLE)
    response = Client().post(f"/prompts/{appeal.pk}/dismiss/")
    assert response.status_code == 302
    assert BANNER_DISMISS_COOKIE not in response.cookies
    assert Client().post("/prompts/999999/dismiss/").status_code == 302
