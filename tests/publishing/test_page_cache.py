"""Anonymous article pages come from the cache without leaking locked text or another reader's state."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from outlet.publishing import services
from outlet.publishing.models import Article, Prompt
from tests.factories import ArticleFactory, PromptFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_second_anonymous_view_is_served_from_the_cache():
    article = ArticleFactory()
    assert Client().get(article.get_absolute_url())["X-Page-Cache"] == "miss"
    assert Client().get(article.get_absolute_url())["X-Page-Cache"] in {"hit", "front"}


def test_a_members_page_seen_by_a_member_never_reaches_an_anonymous_reader(cast):
    article = ArticleFactory(access=Article.Access.MEMBERS)
    assert f"{article.slug}-P8" in cast["member_a"].get(article.get_absolute_url()).content.decode()
    for _ in range(2):
        html = Client().get(article.get_absolute_url()).content.decode()
        assert f"{article.slug}-P8" not in html


def test_signed_in_readers_are_never_served_the_anonymous_page(cast):
    article = ArticleFactory()
    Client().get(article.get_absolute_url())
    response = cast["free"].get(article.get_absolute_url())
    assert response["X-Page-Cache"] == "miss"
    assert response.context is not None, "rendered for this reader's standing, not replayed from the anonymous page"
    assert "signed in as" in response.content.decode()


def test_readers_of_one_standing_share_a_page_but_each_sees_their_own_address_and_token():
    article = ArticleFactory(access=Article.Access.METERED)
    pages = []
    for name in ("first", "second"):
        reader = Client(enforce_csrf_checks=True)
        reader.force_login(UserFactory(username=name, email=f"{name}.reader@example.org"))
        page = reader.get(article.get_absolute_url())
        html = page.content.decode()
        assert f"{name}.reader@example.org" in html and "\x00" not in html
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        signed_out = reader.post("/accounts/logout/", {"csrfmiddlewaretoken": token})
        assert signed_out.status_code == 302, "the token filled into the shared page is this reader's own"
        pages.append(page)
    assert [p["X-Page-Cache"] for p in pages] == ["miss", "hit"]
    assert "first.reader@example.org" not in pages[1].content.decode()


def test_a_member_and_a_free_reader_never_share_a_page(cast):
    article = ArticleFactory(access=Article.Access.MEMBERS)
    for _round in range(2):
        assert f"{article.slug}-P8" in cast["member_a"].get(article.get_absolute_url()).content.decode()
        assert f"{article.slug}-P8" not in cast["free"].get(article.get_absolute_url()).content.decode()
        assert f"{article.slug}-P8" not in cast["lapsed"].get(article.get_absolute_url()).content.decode()


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


def test_a_cached_anonymous_page_costs_no_sql(django_assert_num_queries):
    article = ArticleFactory(access=Article.Access.METERED)
    PromptFactory()
    Client().get(article.get_absolute_url())
    with django_assert_num_queries(0):
        response = Client().get(article.get_absolute_url())
    assert response["X-Page-Cache"] in {"hit", "front"}
    assert f"{article.slug}-P8" in response.content.decode()


def test_unpublishing_takes_a_cached_story_down_at_once():
    article = ArticleFactory()
    Client().get(article.get_absolute_url())
    assert Client().get(article.get_absolute_url()).status_code == 200
    services.unpublish(article_ids=[article.pk])  # a bulk update: no model signals fire
    assert Client().get(article.get_absolute_url()).status_code == 404


def test_changing_who_may_read_reaches_cached_pages(tiers):
    article = ArticleFactory(access=Article.Access.PUBLIC)
    Client().get(article.get_absolute_url())
    article.access = Article.Access.TIERS
    article.save()
    article.allowed_tiers.add(tiers["a"])
    html = Client().get(article.get_absolute_url()).content.decode()
    assert f"{article.slug}-P8" not in html


def test_a_prompt_ends_on_time_even_when_the_prompt_list_is_cached():
    start = timezone.now()
    PromptFactory(headline="Only until midnight", ends_at=start + timezone.timedelta(minutes=10))
    article = ArticleFactory()
    with time_machine.travel(start, tick=False):
        assert "Only until midnight" in Client().get(article.get_absolute_url()).content.decode()
    with time_machine.travel(start + timezone.timedelta(minutes=11), tick=False):
        assert "Only until midnight" not in Client().get(article.get_absolute_url()).content.decode()


def test_the_related_rail_shows_a_story_published_after_it_was_cached(cast):
    article = ArticleFactory()
    cast["free"].get(article.get_absolute_url())
    ArticleFactory(section=article.section, title="Fresh from the same desk")
    assert "Fresh from the same desk" in cast["free"].get(article.get_absolute_url()).content.decode()


def test_signed_in_readers_share_the_story_but_never_each_others_access(cast):
    article = ArticleFactory(access=Article.Access.MEMBERS)
    locked_text = f"{article.slug}-P8"
    for reader in ["member_a", "free", "member_b", "lapsed", "comped_a", "expired"]:
        html = cast[reader].get(article.get_absolute_url()).content.decode()
        assert (locked_text in html) == (reader in {"member_a", "member_b", "comped_a"}), reader


def test_the_shared_story_keeps_each_readers_own_header_and_sign_in_offer(cast):
    article = ArticleFactory(access=Article.Access.MEMBERS)
    anonymous = cast["anonymous"].get(article.get_absolute_url()).content.decode()
    free = cast["free"].get(article.get_absolute_url()).content.decode()
    lapsed = cast["lapsed"].get(article.get_absolute_url()).content.decode()
    assert "Already a member?" in anonymous and "Already a member?" not in free
    assert "free@example.org" in free and "free@example.org" not in lapsed and "lapsed@example.org" in lapsed


def test_a_staff_preview_notice_never_reaches_readers(cast):
    article = ArticleFactory(
        status=Article.Status.SCHEDULED, published_at=timezone.now() + timezone.timedelta(minutes=1)
    )
    assert "Preview — not published" in cast["staff"].get(article.get_absolute_url()).content.decode()
    # Well inside the cache lifetime, so a shared fragment would still be there to leak.
    with time_machine.travel(timezone.now() + timezone.timedelta(minutes=2), tick=False):
        assert "Preview — not published" not in cast["free"].get(article.get_absolute_url()).content.decode()


def test_no_proxy_or_cdn_may_keep_a_readers_article_page():
    article = ArticleFactory(access=Article.Access.METERED)
    for _ in range(2):  # a miss, then a hit from our own cache
        response = Client().get(article.get_absolute_url())
        assert "private" in response["Cache-Control"] and "Cookie" in response["Vary"]


def test_the_home_page_is_cached_for_anonymous_readers_and_a_new_story_shows_at_once(django_assert_num_queries):
    ArticleFactory(title="Yesterday's lead")
    PromptFactory(headline="Support independent journalism now")
    Client().get("/")
    with django_assert_num_queries(0):
        response = Client().get("/")
    assert response["X-Page-Cache"] in {"hit", "front"}
    ArticleFactory(title="Breaking: the pass reopens")
    assert "Breaking: the pass reopens" in Client().get("/").content.decode()


def test_the_cached_home_page_respects_each_readers_dismissed_banner():
    banner = PromptFactory(headline="Support independent journalism now")
    Client().get("/")
    reader = Client()
    reader.post(f"/prompts/{banner.pk}/dismiss/")
    assert banner.headline not in reader.get("/").content.decode()
    assert banner.headline in Client().get("/").content.decode()


def test_a_page_cached_before_midnight_shows_the_new_date_after_it():
    ArticleFactory()
    evening = timezone.make_aware(timezone.datetime(2026, 11, 26, 23, 58))
    with time_machine.travel(evening, tick=False):
        assert "Thursday 26 November 2026" in Client().get("/").content.decode()
    with time_machine.travel(evening + timezone.timedelta(minutes=3), tick=False):
        assert "Friday 27 November 2026" in Client().get("/").content.decode()


def test_a_scheduled_story_reaches_the_cached_home_page_when_the_task_marks_it_published():
    ArticleFactory(title="Already out")
    start = timezone.now()
    ArticleFactory(
        title="Embargoed until nine",
        status=Article.Status.SCHEDULED,
        published_at=start + timezone.timedelta(seconds=30),
    )
    with time_machine.travel(start, tick=False):
        assert "Embargoed until nine" not in Client().get("/").content.decode()
    with time_machine.travel(start + timezone.timedelta(seconds=60), tick=False):
        services.publish_due_articles()
        assert "Embargoed until nine" in Client().get("/").content.decode()
