"""Each access level against each kind of reader, through the article page itself."""

from __future__ import annotations

import pytest

from outlet.publishing.models import Article
from tests.factories import ArticleFactory
from tests.publishing.readers import MEMBERS, MEMBERS_WITH_TIER_A, READERS

pytestmark = pytest.mark.django_db

EXPECTED_FULL_TEXT = {
    Article.Access.PUBLIC: set(READERS),
    # A fresh meter lets everyone read a metered story.
    Article.Access.METERED: set(READERS),
    Article.Access.MEMBERS: MEMBERS | {"staff"},
    Article.Access.TIERS: MEMBERS_WITH_TIER_A | {"staff"},
}


@pytest.mark.parametrize("level", list(EXPECTED_FULL_TEXT))
@pytest.mark.parametrize("reader", READERS)
def test_each_level_shows_full_text_only_to_readers_it_admits(level, reader, cast, tiers):
    article = ArticleFactory(slug=f"story-{level}", access=level)
    if level == Article.Access.TIERS:
        article.allowed_tiers.add(tiers["a"])

    response = cast[reader].get(article.get_absolute_url())

    assert response.status_code == 200
    html = response.content.decode()
    assert f"{article.slug}-P1" in html, "every reader sees the opening"
    if reader in EXPECTED_FULL_TEXT[level]:
        assert f"{article.slug}-P8" in html
    else:
        assert f"{article.slug}-P5" not in html and f"{article.slug}-P8" not in html, "locked text must not be sent"


def test_a_member_of_another_tier_is_offered_an_upgrade_not_a_join(cast, tiers):
    article = ArticleFactory(slug="insider-only", access=Article.Access.TIERS)
    article.allowed_tiers.add(tiers["a"])

    response = cast["member_b"].get(article.get_absolute_url())

    assert response.context["decision"].offer_upgrade is True
    assert response.context["decision"].full_text is False


def test_a_metered_story_is_locked_once_the_allowance_is_used(cast, settings):
    settings.METERED_FREE_ARTICLES = 1
    first, second = ArticleFactory(access=Article.Access.METERED), ArticleFactory(access=Article.Access.METERED)

    for reader in ["anonymous", "free", "lapsed", "member_b", "staff"]:
        client = cast[reader]
        assert f"{first.slug}-P8" in client.get(first.get_absolute_url()).content.decode()
        second_page = client.get(second.get_absolute_url()).content.decode()
        if reader in MEMBERS | {"staff"}:
            assert f"{second.slug}-P8" in second_page
        else:
            assert f"{second.slug}-P8" not in second_page, reader
