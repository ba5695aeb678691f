"""Anonymous article pages come from the cache without leaking locked text or another reader's state."""

from __future__ import annotations

import pytest
from django.test import Client

from outlet.models import Article, Prompt
from tests.factories import ArticleFactory, PromptFactory
from tests.outlet.readers import cast, tiers  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def test_a_second_anonymous_view_is_served_from_the_cache():
    article = ArticleFactory()
    assert Client().get(article.get_absolute_url())["X-Page-Cache"] == "miss"
    assert Client().get(article.get_absolute_url())["X-Page-Cache"] == "hit"


def test_a_members_page_seen_by_a_member_never_reaches_an_anonymous_reader(cast):
    article = ArticleFactory(access=Article.Access.MEMBERS)
    assert f"{article.slug}-P8" in cast["member_a"].get(article.get_absolute_url()).content.decode()
    for _ in range(2):
        html = Client().get(article.get_absolute_url()).content.decode()
        assert f"{article.slug}-P8" not in html


def test_signed_in_readers_are_never_served_from_the_cache(cast):
    article = ArticleFactory()
    Client().get(article.get_absolute_url())
    response = cast["free"].get(article.get_absolute_url())
    assert "X-Page-Cache" not in response
    assert response.context is not None, "rendered for this reader, not replayed from the cache"


def test_one_readers_meter_does_not_leak_into_anothers_page(settings):
    settings.METERED_FREE_ARTICLES = 1
    first, second = ArticleFactory(access=Article.Access.METERED), ArticleFactory(access=Article.Access.METERED)
    heavy_reader = Client()
    heavy_reader.get(first.get_absolute_url())
    assert f"{second.slug}-P8" not in heavy_reader.get(second.get_absolute_url()).content.decode()
    newcomer = Client()
    assert f"{second.slug}-P8" in newcomer.get(second.get_absolute_url()).content.decode()


def test_a_dismissed_banner_stays_dismissed_on_cached_pages():
    banner = PromptFactory(headline="Support independent journalism now")
    article = ArticleFactory()
    Client().get(article.get_absolute_url())
    reader = Client()
    reader.post(f"/prompts/{banner.pk}/dismiss/")
    assert banner.headline not in reader.get(article.get_absolute_url()).content.decode()
    assert banner.headline in Client().get(article.get_absolute_url()).content.decode()


def test_editing_the_article_or_a_prompt_refreshes_the_cached_page():
    article = ArticleFactory(title="Before the edit")
    prompt = PromptFactory(placement=Prompt.Placement.END_OF_ARTICLE, headline="Old appeal")
    Client().get(article.get_absolute_url())
    article.title = "After the edit"
    article.save()
    prompt.headline = "New appeal"
    prompt.save()
    html = Client().get(article.get_absolute_url()).content.decode()
    assert "After the edit" in html and "New appeal" in html
