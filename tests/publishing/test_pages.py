"""The pages a reader browses: home, sections with pagination, authors, article metadata, errors."""

from __future__ import annotations

import pytest
from django.test import Client

from outlet.publishing.models import Article, Byline
from tests.factories import ArticleFactory, AuthorFactory, SectionFactory

pytestmark = pytest.mark.django_db


def test_home_leads_with_the_featured_story_then_the_latest():
    older_lead = ArticleFactory(title="The lead", featured=True)
    newer = [ArticleFactory(title=f"Newer {i}") for i in range(3)]
    response = Client().get("/")
    assert response.status_code == 200
    assert response.context["lead"] == older_lead
    assert set(newer) <= set(response.context["latest"])


def test_home_without_any_article_still_renders():
    assert Client().get("/").status_code == 200


def test_section_pages_paginate(settings):
    settings.ARTICLES_PER_PAGE = 5
    section = SectionFactory(name="Environment", slug="environment")
    for i in range(12):
        ArticleFactory(section=section, slug=f"env-{i}")
    first = Client().get("/sections/environment/")
    third = Client().get("/sections/environment/?page=3")
    assert len(first.context["page"].object_list) == 5
    assert len(third.context["page"].object_list) == 2
    assert Client().get("/sections/environment/?page=99").context["page"].number == 3
    assert Client().get("/sections/environment/?page=abc").status_code == 200


def test_an_author_page_lists_their_bylines_including_additional_reporting():
    author = AuthorFactory(name="Nino Beridze", slug="nino-beridze")
    own = ArticleFactory(title="Her story", authors=[author])
    helped = ArticleFactory(title="Their story")
    Byline.objects.create(article=helped, author=author, role=Byline.Role.ADDITIONAL)
    response = Client().get("/authors/nino-beridze/")
    assert {own, helped} == set(response.context["page"].object_list)


def test_the_article_page_credits_authors_and_additional_reporting():
    writer, helper = AuthorFactory(name="Ani Hakobyan"), AuthorFactory(name="Giorgi Tsereteli")
    article = ArticleFactory(authors=[writer], dateline="Gyumri")
    Byline.objects.create(article=article, author=helper, role=Byline.Role.ADDITIONAL)
    html = Client().get(article.get_absolute_url()).content.decode()
    assert "Ani Hakobyan" in html
    assert "Additional reporting by" in html and "Giorgi Tsereteli" in html
    assert "Gyumri" in html


def test_the_article_page_has_canonical_and_social_metadata(settings):
    article = ArticleFactory(title="Shepherds and the warming slopes", dek="A season on the high pastures.")
    html = Client().get(article.get_absolute_url()).content.decode()
    canonical = f"{settings.SITE_URL}{article.get_absolute_url()}"
    assert f'<link rel="canonical" href="{canonical}"' in html
    assert 'property="og:title" content="Shepherds and the warming slopes"' in html
    assert 'property="og:description" content="A season on the high pastures."' in html
    assert 'name="twitter:card"' in html


def test_unknown_pages_get_the_styled_404():
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert "<nav" in response.content.decode()
    assert Client().get("/articles/no-such-story/").status_code == 404


def test_wrong_methods_are_refused_not_crashed():
    article = ArticleFactory()
    assert Client().post(article.get_absolute_url()).status_code in (403, 405)
    assert Client().get("/prompts/1/dismiss/").status_code == 405


def test_the_500_page_renders_without_a_database(client, settings):
    from outlet.publishing.views import server_error

    response = server_error(None)
    assert response.status_code == 500
    assert settings.SITE_NAME in response.content.decode()


def test_article_listing_does_not_show_locked_text():
    article = ArticleFactory(access=Article.Access.MEMBERS, title="Locked")
    assert f"{article.slug}-P1" not in Client().get("/").content.decode()


def test_the_header_offers_membership_to_readers_and_thanks_members(cast):
    assert "Become a member" in cast["free"].get("/").content.decode()
    member_home = cast["member_a"].get("/").content.decode()
    assert "Your membership" in member_home and "Become a member" not in member_home
    assert "You are a member" in cast["member_a"].get("/membership/").content.decode()


def test_bylines_follow_the_order_staff_set():
    first, second = AuthorFactory(name="Zara Aliyeva"), AuthorFactory(name="Ani Hakobyan")
    article = ArticleFactory(authors=[])
    Byline.objects.create(article=article, author=second, position=2)
    Byline.objects.create(article=article, author=first, position=1)
    html = Client().get(article.get_absolute_url()).content.decode()
    assert html.index("Zara Aliyeva") < html.index("Ani Hakobyan")
