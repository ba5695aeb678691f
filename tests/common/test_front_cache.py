"""The front cache answers anonymous readers above the session middleware, and never with someone else's page.

Each test primes the shared page with one anonymous client and reads it with another, as two readers would."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client, RequestFactory
from django.utils import timezone, translation

from outlet.common import front_cache
from outlet.publishing.meter import METER_COOKIE, _reads_from_cookie
from outlet.publishing.models import Article
from tests.donations.conftest import give, make_campaign
from tests.factories import ArticleFactory
from tests.publishing import readers

pytestmark = pytest.mark.django_db
cast, tiers = readers.cast, readers.tiers  # the publishing tests' cast of readers


@pytest.fixture(autouse=True)
def empty_local_copies():
    front_cache.local_entries.clear()
    yield
    front_cache.local_entries.clear()


def read_twice(url: str, **headers):
    first = Client().get(url, **headers)
    return first, Client().get(url, **headers)


def test_a_second_anonymous_reader_is_answered_without_sql_and_with_every_security_header(
    django_assert_num_queries,
):
    article = ArticleFactory()
    first = Client().get(article.get_absolute_url())
    assert first["X-Page-Cache"] == "miss"
    with django_assert_num_queries(0):
        second = Client().get(article.get_absolute_url())
    assert second["X-Page-Cache"] == "front"
    assert second.content == first.content
    for header in ("Content-Security-Policy", "X-Frame-Options", "Permissions-Policy", "Content-Language"):
        assert second[header] == first[header]
    assert "private" in second["Cache-Control"] and "Cookie" in second["Vary"]
    assert not second.cookies, "no session, no CSRF cookie for a page without a form"


@pytest.mark.parametrize("language", ["en", "ka", "ru"])
def test_a_member_never_sees_the_shared_page_and_a_reader_never_sees_the_members(cast, language):
    article = ArticleFactory(access=Article.Access.MEMBERS)
    with translation.override(language):
        url = article.get_absolute_url()
    locked = f"{article.slug}-P8"
    for _round in range(2):  # anonymous, member, anonymous, member: each from whatever cache applies
        anonymous = Client().get(url)
        assert anonymous.status_code == 200 and locked not in anonymous.content.decode()
        member = cast["member_a"].get(url)
        assert member.get("X-Page-Cache") != "front" and locked in member.content.decode()
        free = cast["free"].get(url)
        assert free.get("X-Page-Cache") != "front" and locked not in free.content.decode()
    assert Client().get(url)["X-Page-Cache"] == "front"


def test_an_edit_shows_on_the_next_request():
    article = ArticleFactory(title="Before the edit")
    read_twice(article.get_absolute_url())
    read_twice("/")
    article.title = "After the edit"
    article.save()
    for url in (article.get_absolute_url(), "/"):
        response = Client().get(url)
        assert response["X-Page-Cache"] != "front" and "After the edit" in response.content.decode()


def test_a_scheduled_story_appears_on_a_shared_home_page_at_its_time():
    now = timezone.now()
    ArticleFactory(title="Already out")
    ArticleFactory(
        title="Embargoed until noon", status=Article.Status.SCHEDULED, published_at=now + timedelta(minutes=2)
    )
    first, second = read_twice("/")
    assert second["X-Page-Cache"] == "front" and "Embargoed until noon" not in second.content.decode()
    with time_machine.travel(now + timedelta(minutes=2, seconds=1)):
        later = Client().get("/")
    assert later["X-Page-Cache"] != "front" and "Embargoed until noon" in later.content.decode()


def meter_reads(response) -> set[int]:
    """The reads the meter itself finds in the cookie this response set."""
    request = RequestFactory().get("/")
    request.COOKIES[METER_COOKIE] = response.cookies[METER_COOKIE].value
    return set(_reads_from_cookie(request))


def test_a_metered_story_from_the_front_cache_still_counts_the_read(settings):
    settings.METERED_FREE_ARTICLES = 2
    first, second, third = (ArticleFactory(access=Article.Access.METERED) for _ in range(3))
    Client().get(first.get_absolute_url())  # another reader primes the page a newcomer gets
    reader = Client()
    response = reader.get(first.get_absolute_url())
    assert response["X-Page-Cache"] == "front"
    assert meter_reads(response) == {first.pk}, "the read is in this reader's cookie"
    assert f"{first.slug}-P8" in response.content.decode()
    reader.get(second.get_absolute_url())
    wall = reader.get(third.get_absolute_url())
    assert f"{third.slug}-P8" not in wall.content.decode(), "two reads used the allowance, the third meets the wall"
    # And a newcomer still gets the third story whole, from the shared copy or not.
    assert f"{third.slug}-P8" in Client().get(third.get_absolute_url()).content.decode()


def test_a_reader_with_a_message_waiting_or_a_session_is_never_answered_here():
    article = ArticleFactory()
    read_twice(article.get_absolute_url())
    for cookie in ("messages=anything", "sessionid=not-a-real-session"):
        response = Client().get(article.get_absolute_url(), HTTP_COOKIE=cookie)
        assert response["X-Page-Cache"] != "front"


def test_a_reader_who_chose_georgian_is_still_sent_to_it_from_a_shared_english_page():
    ArticleFactory()
    assert read_twice("/")[1]["X-Page-Cache"] == "front"
    chooser = Client()
    chooser.cookies["django_language"] = "ka"
    response = chooser.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/ka/")


def csrf_field(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, "the donation form carries a CSRF token"
    return match.group(1)


def test_a_shared_campaign_page_gives_each_reader_their_own_csrf_token_and_the_form_works():
    campaign = make_campaign()
    url = f"/fundraisers/{campaign.slug}/"
    Client().get(url)
    tokens = set()
    for _reader in range(2):
        reader = Client(enforce_csrf_checks=True)
        page = reader.get(url)
        assert page["X-Page-Cache"] == "front"
        token = csrf_field(page.content.decode())
        assert "csrftoken" in page.cookies and "\x00" not in page.content.decode()
        tokens.add(token)
        given = reader.post(
            f"/fundraisers/{campaign.slug}/give/",
            {
                "currency": "GEL",
                "amount": "5000",
                "interval": "once",
                "email": "reader@example.org",
                "name": "A Reader",
                "split": "default",
                "csrfmiddlewaretoken": token,
            },
        )
        assert given.status_code == 302 and "/payments/sandbox/checkout/" in given["Location"]
    assert len(tokens) == 2


@pytest.mark.django_db(transaction=True)
def test_a_gift_replaces_the_shared_campaign_page():
    campaign = make_campaign()
    url = f"/fundraisers/{campaign.slug}/"
    assert read_twice(url)[1]["X-Page-Cache"] == "front"
    give(campaign, gift_minor=5000)
    response = Client().get(url)
    assert response.get("X-Page-Cache") != "front" and "1 donor" in response.content.decode()


def test_the_process_keeps_its_own_copies_within_its_byte_budget(settings):
    settings.FRONT_CACHE_LOCAL_BYTES = 4000
    entries = front_cache._LocalEntries()
    for number in range(10):
        entries.put(f"page-{number}", front_cache.Entry(200, [], b"x" * 900, {}, 0.0, False))
    assert entries.get("page-0") is None and entries.get("page-9") is not None
    assert sum(1 for number in range(10) if entries.get(f"page-{number}")) == 4


def test_an_edit_made_on_another_machine_shows_here_on_the_next_request(cast):
    """Another web machine's edit reaches this one only through the shared tokens: this process's own copies
    (front entries, article snapshots, pages) must not outlive it, for anonymous and signed-in readers alike."""
    from outlet.publishing import content_cache

    article = ArticleFactory(title="As first published")
    url = article.get_absolute_url()
    read_twice(url)
    cast["free"].get(url)
    cast["free"].get(url)
    Article.objects.filter(pk=article.pk).update(title="As corrected")  # no signal here: the edit was elsewhere
    content_cache.bump_content_version(languages={article.language})  # what the other machine's signal did
    assert "As corrected" in Client().get(url).content.decode()
    assert "As corrected" in cast["free"].get(url).content.decode()


def test_only_the_query_parameters_pages_read_are_answered_here():
    article = ArticleFactory()
    ArticleFactory(section=article.section)
    section = article.section.get_absolute_url()
    assert read_twice(section + "?page=1")[1]["X-Page-Cache"] == "front"
    for junk in ("?utm_source=x", "?page=1&x=2", "?page=" + "9" * 40):
        assert read_twice(section + junk)[1].get("X-Page-Cache") != "front"
