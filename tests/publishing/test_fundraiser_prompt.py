"""An end-of-article prompt that names a fundraiser shows its progress and a Give link, and stays cheap to serve."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from donations.models import Campaign
from outlet.publishing.models import Prompt
from outlet.publishing.prompts import FUNDRAISER_TEASER_SECONDS
from tests.donations.conftest import give, make_campaign
from tests.factories import ArticleFactory, PromptFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def appeal():
    campaign = make_campaign()
    prompt = PromptFactory(
        placement=Prompt.Placement.END_OF_ARTICLE,
        kicker="Fundraiser",
        headline="Reporters need helmets",
        body="Three newsrooms, one appeal.",
        cta_url="/membership/",
        campaign=campaign,
    )
    return {"campaign": campaign, "prompt": prompt, "article": ArticleFactory(slug="border-story")}


def end_prompt(html: str) -> str:
    match = re.search(r'<aside class="prompt prompt--end_of_article.*?</aside>', html, re.S)
    assert match, "no end-of-article prompt"
    return match.group(0)


def test_the_article_ends_with_the_fundraisers_title_progress_and_a_give_link(appeal):
    give(appeal["campaign"], gift_minor=500_000 - 1, email="big@example.org")  # just under 10 % of the goal
    box = end_prompt(Client().get("/articles/border-story/").content.decode())
    assert "Reporters need helmets" in box and "Three newsrooms, one appeal." in box
    assert "Keep reporters safe" in box
    assert re.search(r'<progress[^>]*value="9"', box) and "1 donor" in box
    assert re.search(
        r'<a class="button button--accent" href="/fundraisers/safety-fund/">Give<span class="visually-hidden"> to '
        r"Keep reporters safe",
        box,
    )
    assert "/membership/" not in box


def test_the_bar_moves_after_a_gift_even_for_pages_served_from_the_cache(appeal):
    assert "0 donors" in end_prompt(Client().get("/articles/border-story/").content.decode())
    assert Client().get("/articles/border-story/")["X-Page-Cache"] in {"hit", "front"}
    give(appeal["campaign"], gift_minor=5000)
    with time_machine.travel(timezone.now() + timedelta(seconds=FUNDRAISER_TEASER_SECONDS + 1)):
        response = Client().get("/articles/border-story/")
    assert "1 donor" in end_prompt(response.content.decode()) and response["X-Page-Cache"] == "miss"


def test_a_closed_fundraiser_leaves_an_ordinary_appeal(appeal):
    Campaign.objects.filter(pk=appeal["campaign"].pk).update(is_published=False)
    box = end_prompt(Client().get("/articles/border-story/").content.decode())
    assert "Reporters need helmets" in box and "<progress" not in box and 'href="/membership/"' in box


def test_an_appeal_without_a_fundraiser_is_unchanged():
    PromptFactory(placement=Prompt.Placement.END_OF_ARTICLE, headline="Become a member")
    ArticleFactory(slug="plain-story")
    box = end_prompt(Client().get("/articles/plain-story/").content.decode())
    assert "<progress" not in box and "Become a member" in box


def test_a_cached_article_with_a_fundraiser_costs_no_sql(appeal, django_assert_num_queries):
    Client().get("/articles/border-story/")
    with django_assert_num_queries(0):
        assert Client().get("/articles/border-story/")["X-Page-Cache"] in {"hit", "front"}


def test_a_signed_in_readers_article_reads_the_fundraiser_from_the_cache(appeal, django_assert_max_num_queries):
    from tests.factories import UserFactory

    client = Client()
    client.force_login(UserFactory())
    client.get("/articles/border-story/")
    with django_assert_max_num_queries(12):  # the same budget as any signed-in article page (test_query_counts)
        html = client.get("/articles/border-story/").content.decode()
    assert "Keep reporters safe" in end_prompt(html)
