"""The free allowance of metered articles, counted across requests for anonymous and signed-in readers."""

from __future__ import annotations

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from outlet.common.local_time import date_text
from outlet.publishing.meter import METER_COOKIE
from outlet.publishing.models import Article, MeteredRead
from tests.factories import ArticleFactory, UserFactory

pytestmark = pytest.mark.django_db


def reads_full_text(client: Client, article: Article) -> bool:
    return f"{article.slug}-P8" in client.get(article.get_absolute_url()).content.decode()


@pytest.fixture
def metered(settings):
    settings.METERED_FREE_ARTICLES = 3
    return [ArticleFactory(access=Article.Access.METERED) for _ in range(5)]


def test_an_anonymous_reader_gets_the_allowance_then_the_paywall(metered):
    client = Client()
    assert [reads_full_text(client, a) for a in metered] == [True, True, True, False, False]


def test_rereading_a_counted_article_is_free(metered):
    client = Client()
    for article in metered[:3]:
        assert reads_full_text(client, article)
    assert reads_full_text(client, metered[0]), "an article already counted stays readable"
    assert not reads_full_text(client, metered[3])


def test_public_articles_do_not_use_the_allowance(metered):
    client = Client()
    public = ArticleFactory(access=Article.Access.PUBLIC)
    for _ in range(5):
        assert reads_full_text(client, public)
    assert all(reads_full_text(client, a) for a in metered[:3])


def meter_note(client: Client, article: Article) -> str:
    html = client.get(article.get_absolute_url()).content.decode()
    start = html.index('class="meter-note')
    return " ".join(html[start : html.index("</p>", start)].split())


def test_the_page_tells_the_reader_how_many_free_articles_are_left(metered):
    client = Client()
    assert "You have 2 free stories left" in meter_note(client, metered[0])
    assert "You have 1 free story left" in meter_note(client, metered[1])
    assert "This was your last free story" in meter_note(client, metered[2])
    # A second anonymous reader on the same pages gets their own count, not the first reader's cached page.
    assert "You have 2 free stories left" in meter_note(Client(), metered[1])


def test_a_tampered_cookie_counts_for_nothing(metered):
    client = Client()
    for article in metered[:3]:
        reads_full_text(client, article)
    signed = client.cookies[METER_COOKIE].value
    client.cookies[METER_COOKIE] = signed.replace(signed.split(":")[0], "1-1.2-1")
    # The forged value fails its signature, so the reader starts over rather than gaining reads.
    assert "You have 2 free stories left" in meter_note(client, metered[3])


def test_the_window_rolls_after_thirty_days(metered):
    client = Client()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for article in metered[:3]:
            assert reads_full_text(client, article)
        assert not reads_full_text(client, metered[3])
    with time_machine.travel(start + timezone.timedelta(days=31), tick=False):
        assert reads_full_text(client, metered[3])


def test_a_signed_in_reader_is_metered_per_account_across_devices(metered):
    user = UserFactory()
    laptop, phone = Client(), Client()
    laptop.force_login(user)
    phone.force_login(user)

    assert reads_full_text(laptop, metered[0]) and reads_full_text(laptop, metered[1])
    assert reads_full_text(phone, metered[2])
    assert not reads_full_text(phone, metered[3])
    assert not reads_full_text(laptop, metered[4])
    assert MeteredRead.objects.filter(user=user).count() == 3


def test_an_account_read_older_than_the_window_counts_again(metered):
    user = UserFactory()
    client = Client()
    client.force_login(user)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert reads_full_text(client, metered[0])
    with time_machine.travel(start + timezone.timedelta(days=31), tick=False):
        for article in metered[1:4]:
            assert reads_full_text(client, article)
        assert not reads_full_text(client, metered[4])
        assert reads_full_text(client, metered[0]) is False, "its old read no longer holds a place"


def wall_reason(client: Client, article: Article) -> str:
    html = client.get(article.get_absolute_url()).content.decode()
    start = html.index('id="paywall-reason"')
    return " ".join(html[start : html.index("</p>", start)].split())


@pytest.mark.date_sensitive
def test_the_metered_wall_says_none_are_left_and_the_day_the_next_one_opens(metered):
    """Not "This story is for members": the story opens again when a counted read leaves the 30-day window."""
    client = Client()
    first_read = timezone.now()
    for article in metered[:3]:
        reads_full_text(client, article)
    reason = wall_reason(client, metered[3])
    opens = date_text(first_read + timezone.timedelta(days=30), "j F")
    assert "You have no free stories left: you have read 3 in the last 30 days." in reason
    assert f"Your next free story opens on {opens}." in reason
    assert "This story is for members" not in reason
    # Another reader whose first read was another day gets their own day, not the first reader's cached wall.
    other = Client()
    with time_machine.travel(first_read + timezone.timedelta(days=2), tick=False):
        for article in metered[:3]:
            reads_full_text(other, article)
        later = date_text(first_read + timezone.timedelta(days=32), "j F")
        assert f"Your next free story opens on {later}." in wall_reason(other, metered[3])
