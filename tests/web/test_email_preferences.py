"""A reader's email choices: kept per address, changed from the account or from any email without signing in, and
one POST with no cookie (RFC 8058) unsubscribes."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.utils import translation

from outlet.common import email_preferences, emails
from outlet.common.models import EmailConsent, SentEmail

pytestmark = pytest.mark.django_db


def _path(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).path


def test_nothing_optional_is_wanted_until_the_reader_says_yes():
    assert not email_preferences.wants(address="nino@example.org", topic=email_preferences.FUNDRAISING)
    assert email_preferences.wants(address="nino@example.org", topic="newsletter:weekly", default=True)
    email_preferences.set_choice(address="Nino@Example.org ", topic="newsletter:weekly", subscribed=False, source="t")
    assert not email_preferences.wants(address="nino@example.org", topic="newsletter:weekly", default=True)


def test_saying_the_same_thing_twice_changes_nothing():
    assert email_preferences.set_choice(address="a@example.org", topic="fundraising", subscribed=True, source="t")
    assert not email_preferences.set_choice(address="A@example.org", topic="fundraising", subscribed=True, source="u")
    consent = EmailConsent.objects.get()
    assert (consent.address, consent.source) == ("a@example.org", "t")


def test_a_suppressed_address_gets_no_optional_email_but_still_its_receipts():
    email_preferences.set_choice(address="gone@example.org", topic="fundraising", subscribed=True, source="t")
    assert email_preferences.suppress(address="Gone@example.org", reason="bounced", detail="550", source="ses")
    assert not email_preferences.suppress(address="gone@example.org", reason="complained")
    assert not email_preferences.may_send(address="gone@example.org", topic="fundraising")
    sent = emails._send_once(key="appeal-1", kind="membership_ended", to="gone@example.org", context={}, topic="x")
    assert not sent and not mail.outbox
    assert emails.membership_ended(key="k", to="gone@example.org", name="", join_url="https://x/")
    assert len(mail.outbox) == 1


def test_an_optional_email_carries_one_click_unsubscribe_headers_and_links():
    emails._send_once(
        key="news-1", kind="membership_ended", to="reader@example.org", context={"join_url": "/"}, topic="fundraising"
    )
    message = mail.outbox[0]
    unsubscribe = message.extra_headers["List-Unsubscribe"]
    assert unsubscribe.startswith("<http") and "/email/unsubscribe/" in unsubscribe
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe.strip("<>") in message.body
    assert "Fundraising appeals" in message.body
    assert "/email/preferences/" in message.alternatives[0][0]
    assert SentEmail.objects.get(key="news-1").to == "reader@example.org"


def test_every_email_links_to_the_readers_choices_but_a_transactional_one_has_no_unsubscribe():
    emails.membership_ended(key="k", to="reader@example.org", name="", join_url="https://x/")
    message = mail.outbox[0]
    assert "List-Unsubscribe" not in message.extra_headers
    assert "/email/preferences/" in message.body


def test_one_click_unsubscribe_is_a_post_with_no_cookie_and_no_csrf_token():
    email_preferences.set_choice(address="reader@example.org", topic="fundraising", subscribed=True, source="t")
    url = email_preferences.unsubscribe_url(address="reader@example.org", topic="fundraising")
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        _path(url), data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert not email_preferences.wants(address="reader@example.org", topic="fundraising")
    assert EmailConsent.objects.get().source == "one-click"
    assert not response.cookies.get("sessionid")
    # The same POST again is harmless.
    assert (
        client.post(
            _path(url), data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
        ).status_code
        == 200
    )


def test_opening_the_unsubscribe_link_only_asks():
    email_preferences.set_choice(address="reader@example.org", topic="fundraising", subscribed=True, source="t")
    url = email_preferences.unsubscribe_url(address="reader@example.org", topic="fundraising")
    response = Client().get(_path(url))
    assert response.status_code == 200
    assert b"Fundraising appeals" in response.content and b"reader@example.org" in response.content
    assert email_preferences.wants(address="reader@example.org", topic="fundraising")
    assert "private" in response["Cache-Control"] and response["Referrer-Policy"] == "same-origin"


def test_a_tampered_link_is_refused_with_a_page_not_an_error():
    url = email_preferences.unsubscribe_url(address="reader@example.org", topic="fundraising")
    assert Client().post(_path(url)[:-3] + "xx/").status_code == 404
    assert Client().get("/email/preferences/nonsense/").status_code == 404
    assert not EmailConsent.objects.exists()


def test_the_link_in_an_email_changes_choices_without_signing_in():
    url = email_preferences.preferences_url("guest@example.org")
    page = Client(enforce_csrf_checks=True)
    assert b"guest@example.org" in page.get(_path(url)).content
    response = page.post(_path(url), {"topic_fundraising": "on"})
    assert response.status_code == 302
    assert email_preferences.choices_for("guest@example.org") == {"fundraising": True, "membership_news": False}


def test_the_account_page_changes_the_members_own_choices():
    user = get_user_model().objects.create_user("tamar", "tamar@example.org", "pw")
    client = Client()
    client.force_login(user)
    assert client.get("/accounts/emails/").status_code == 200
    client.post("/accounts/emails/", {"topic_membership_news": "on"})
    assert email_preferences.choices_for("tamar@example.org") == {"fundraising": False, "membership_news": True}
    assert Client().get("/accounts/emails/").status_code == 302  # sign-in first


def test_links_in_a_georgian_email_open_the_georgian_page():
    with translation.override("ka"):
        url = email_preferences.unsubscribe_url(address="nino@example.org", topic="fundraising")
    assert "/ka/email/unsubscribe/" in url
    assert Client().get(_path(url)).wsgi_request.LANGUAGE_CODE == "ka"


def test_forgetting_an_address_removes_its_choices_and_suppression():
    email_preferences.set_choice(address="x@example.org", topic="fundraising", subscribed=True, source="t")
    email_preferences.suppress(address="x@example.org", reason="bounced")
    email_preferences.forget_address("X@example.org")
    assert not EmailConsent.objects.exists() and not email_preferences.is_suppressed("x@example.org")
