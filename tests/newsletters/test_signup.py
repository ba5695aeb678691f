"""Signing up from the box on articles and the home page: it works on a page served from the cache (no CSRF
token), sends one confirmation, subscribes only when the link is followed (double opt-in), and gives the reader a
free, verified account."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.test import Client

from outlet.common import email_preferences
from outlet.newsletters.models import Newsletter
from tests.factories import ArticleFactory, UserFactory

pytestmark = pytest.mark.django_db


def post_signup(client, email="nino@example.org", newsletter="weekly", **extra):
    return client.post("/newsletters/signup/", {"email": email, "newsletter": newsletter, **extra})


def confirm_link(message) -> str:
    return re.search(r"https?://\S+/newsletters/confirm/\S+/", message.body).group(0)


def test_the_article_page_offers_the_newsletter_with_a_form_that_needs_no_csrf_token(weekly):
    article = ArticleFactory()
    client = Client(enforce_csrf_checks=True)
    page = client.get(article.get_absolute_url()).content.decode()
    assert 'action="/newsletters/signup/"' in page and "Get The Weekly in your inbox" in page
    assert 'href="/privacy/"' in page
    home = client.get("/").content.decode()
    assert 'action="/newsletters/signup/"' in home
    # The cached page's form posts without a token, and the endpoint takes it.
    response = post_signup(client)
    assert response.status_code == 303 and response["Location"] == "/newsletters/thanks/?newsletter=weekly"


def test_signing_up_sends_a_confirmation_and_subscribes_only_when_it_is_followed(weekly, mailoutbox, settings):
    settings.SITE_URL = "http://testserver"
    client = Client()
    thanks = client.get(post_signup(client)["Location"])
    assert "Check your inbox" in thanks.content.decode()
    [message] = mailoutbox
    assert message.to == ["nino@example.org"] and "The Weekly" in message.subject
    assert not email_preferences.wants(address="nino@example.org", topic=weekly.topic)
    assert not get_user_model().objects.filter(email="nino@example.org").exists()

    link = confirm_link(message).removeprefix("http://testserver")
    asked = client.get(link)
    assert "Yes, sign me up" in asked.content.decode()
    assert not email_preferences.wants(address="nino@example.org", topic=weekly.topic)  # a link scanner's GET

    done = Client(enforce_csrf_checks=True).post(link)  # the button, from any browser
    assert "You are subscribed" in done.content.decode()
    assert email_preferences.wants(address="nino@example.org", topic=weekly.topic)
    user = get_user_model().objects.get(email="nino@example.org")
    assert not user.has_usable_password()
    assert EmailAddress.objects.get(user=user).verified


def test_an_existing_account_is_reused_and_its_address_verified(weekly, mailoutbox, settings):
    settings.SITE_URL = "http://testserver"
    user = UserFactory(email="lasha@example.org")
    EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)
    post_signup(Client(), email="Lasha@Example.org")
    Client().post(confirm_link(mailoutbox[0]).removeprefix("http://testserver"))
    assert get_user_model().objects.filter(email__iexact="lasha@example.org").count() == 1
    assert EmailAddress.objects.get(user=user).verified


def test_the_same_address_gets_one_confirmation_a_day(weekly, mailoutbox):
    for _ in range(3):
        post_signup(Client())
    assert len(mailoutbox) == 1


def test_a_suppressed_or_already_subscribed_address_gets_no_email_and_the_same_page(weekly, mailoutbox):
    email_preferences.suppress(address="bounce@example.org", reason="bounce")
    email_preferences.set_choice(address="in@example.org", topic=weekly.topic, subscribed=True, source="t")
    for email in ("bounce@example.org", "in@example.org"):
        assert post_signup(Client(), email=email)["Location"] == "/newsletters/thanks/?newsletter=weekly"
    assert mailoutbox == []


def test_one_connection_may_sign_up_only_so_often(weekly, mailoutbox, settings):
    settings.NEWSLETTER_SIGNUPS_PER_HOUR = 2
    client = Client()
    assert post_signup(client, email="a@example.org").status_code == 303
    assert post_signup(client, email="b@example.org").status_code == 303
    refused = post_signup(client, email="c@example.org")
    assert refused.status_code == 429 and "Too many sign-ups" in refused.content.decode()
    assert len(mailoutbox) == 2


def test_a_bad_address_or_newsletter_shows_the_form_again_with_the_error(weekly, mailoutbox):
    response = post_signup(Client(), email="not an address")
    assert response.status_code == 400 and "Enter a valid email address." in response.content.decode()
    members_only = Newsletter.objects.create(name="Briefing", slug="briefing", audience="members")
    response = post_signup(Client(), newsletter=members_only.slug)
    assert response.status_code == 400 and "not available" in response.content.decode()
    assert mailoutbox == []


def test_a_bot_filling_the_hidden_field_is_thanked_and_ignored(weekly, mailoutbox):
    assert post_signup(Client(), website="http://spam.example").status_code == 303
    assert mailoutbox == []


def test_a_tampered_confirmation_link_says_so(weekly):
    response = Client().post("/newsletters/confirm/not-a-token/")
    assert response.status_code == 400 and "This link does not work" in response.content.decode()


def test_a_georgian_page_offers_the_georgian_newsletter(weekly):
    Newsletter.objects.create(name="კვირის ამბები", slug="weekly-ka", language="ka")
    page = Client().get("/ka/").content.decode()
    assert 'value="weekly-ka"' in page and 'action="/ka/newsletters/signup/"' in page
    assert 'href="/ka/privacy/"' in page
