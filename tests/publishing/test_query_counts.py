"""Pin the SQL each busy page costs, so an N+1 shows up as a failing test."""

from __future__ import annotations

import pytest
from django.test import Client

from outlet.publishing.models import Article, Byline, Prompt
from tests.factories import ArticleFactory, AuthorFactory, PromptFactory, SectionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def newsroom():
    sections = [SectionFactory() for _ in range(4)]
    authors = [AuthorFactory() for _ in range(5)]
    articles = []
    for i in range(30):
        article = ArticleFactory(
            section=sections[i % 4], authors=authors[i % 3 : i % 3 + 2], access=Article.Access.METERED
        )
        Byline.objects.create(article=article, author=authors[4], role=Byline.Role.ADDITIONAL)
        articles.append(article)
    PromptFactory()
    PromptFactory(placement=Prompt.Placement.IN_ARTICLE)
    PromptFactory(placement=Prompt.Placement.END_OF_ARTICLE)
    return articles


def test_home_page_queries(newsroom, django_assert_max_num_queries):
    client = Client()
    # A cold cache: one query for the newsletter sign-up box (outlet/newsletters/templatetags), then cached a minute,
    # and one for the stories scheduled next (when the front cache must stop serving the page; cached per version).
    with django_assert_max_num_queries(6):
        assert client.get("/").status_code == 200


def test_article_page_queries_for_an_anonymous_reader(newsroom, django_assert_max_num_queries):
    client = Client()
    # A cold cache: the article's snapshot costs one query more since it carries the story's other languages, and
    # the newsletter sign-up box one (cached a minute), the stories scheduled next one (cached per version).
    with django_assert_max_num_queries(10):
        assert client.get(newsroom[0].get_absolute_url()).status_code == 200


def test_article_page_queries_for_a_signed_in_reader(newsroom, django_assert_max_num_queries):
    client = Client()
    client.force_login(UserFactory())
    # Three more, as above: the story's other languages, the sign-up box, the stories scheduled next. A first visit
    # also pays the front cache's check (the session's user, then the one vouching query) and the reader's metered
    # reads for the page's shape; the next visits cost that one query (test_signed_in_front_cache).
    with django_assert_max_num_queries(18):
        assert client.get(newsroom[0].get_absolute_url()).status_code == 200


def test_section_page_queries(newsroom, django_assert_max_num_queries):
    client = Client()
    # The same cold-cache query for the stories scheduled next as the home page's.
    with django_assert_max_num_queries(7):
        assert client.get(newsroom[0].section.get_absolute_url()).status_code == 200
