"""An anonymous reader's choice of tier survives sign-up and verification and leads straight to the checkout; the
story they came from is offered after paying; nothing here can send a reader to another site."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from members import join_choice
from members.models import MembershipCheckout
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _onward(response) -> str:
    """The ?next= the sign-up page was given."""
    return parse_qs(urlsplit(response["Location"]).query)["next"][0]


def test_an_anonymous_choice_rides_through_sign_up_straight_to_the_checkout(priced_tiers):
    anonymous = Client()
    response = anonymous.post(
        "/membership/join/",
        {"tier": "insider", "interval": "year", "currency": "USD", "return_to": "/articles/mountain-road/"},
    )
    assert response.status_code == 302 and response["Location"].startswith("/accounts/signup/?next=")
    onward = _onward(response)

    reader = Client()
    reader.force_login(UserFactory())
    checkout = reader.get(onward)
    assert checkout.status_code == 302 and "/payments/sandbox/checkout/" in checkout["Location"]
    started = MembershipCheckout.objects.get()
    assert (started.tier.slug, started.interval, started.currency, started.amount_minor) == (
        "insider",
        "year",
        "USD",
        12000,
    )
    assert started.return_path == "/articles/mountain-road/"


def test_a_tampered_or_day_old_choice_sends_the_reader_back_to_choose(priced_tiers):
    onward = _onward(Client().post("/membership/join/", {"tier": "insider", "interval": "year", "currency": "USD"}))
    reader = Client()
    reader.force_login(UserFactory())
    tampered = reader.get(onward.replace("choice=", "choice=x"), follow=True)
    assert "That choice has expired. Choose your membership again." in tampered.content.decode()
    with time_machine.travel(timezone.now() + join_choice.JOIN_CHOICE_MAX_AGE_DELTA):
        expired = reader.get(onward, follow=True)
    assert "That choice has expired" in expired.content.decode()
    assert not MembershipCheckout.objects.exists()


@pytest.mark.parametrize(
    "path, kept",
    [
        ("/articles/a-story/", "/articles/a-story/"),
        ("//evil.example/articles/", ""),
        ("https://evil.example/", ""),
        ("/\\evil.example", ""),
        ("/accounts/membership/", ""),
        ("/membership/", ""),
    ],
)
def test_only_a_story_on_this_site_is_offered_after_paying(path, kept):
    assert join_choice.safe_return_path(path) == kept


def test_the_membership_page_remembers_the_story_that_linked_to_it(priced_tiers):
    html = Client().get("/membership/", HTTP_REFERER="http://testserver/articles/a-story/").content.decode()
    assert 'name="return_to" value="/articles/a-story/"' in html
    other_site = Client().get("/membership/", HTTP_REFERER="https://evil.example/articles/a-story/").content.decode()
    assert 'name="return_to"' not in other_site
