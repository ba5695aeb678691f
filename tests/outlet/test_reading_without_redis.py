"""With the cache's Redis gone (nothing listening on its port), readers keep reading, sign-in keeps working under
per-process limits, a gift is refused with a clear message, and /healthz says which part failed.

No Redis server is needed: the cache points at a port nobody listens on, which is exactly what a stopped Redis
looks like to the web process (tests/outlet/test_redis_outage.py stops a real one mid-run)."""

from __future__ import annotations

import socket

import pytest
from allauth.account.models import EmailAddress
from django.test import Client

from donations.models import DonationCheckout
from tests.donations.conftest import make_campaign
from tests.factories import ArticleFactory, SectionFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def redis_gone(settings):
    """The project's Redis cache, configured as production configures it, on a port where nothing answers."""
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "BACKEND": "outlet.common.redis_cache.ReusedClientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{unused_port()}/0",
            "OPTIONS": settings.REDIS_CACHE_OPTIONS,
        }
    }


@pytest.fixture
def site(db):
    section = SectionFactory(name="Environment", slug="environment", in_navigation=True)
    article = ArticleFactory(title="Glaciers in retreat", slug="glaciers", section=section)
    make_campaign()
    reader = UserFactory(username="nino", email="nino@example.org", password=PASSWORD)
    EmailAddress.objects.create(user=reader, email=reader.email, verified=True, primary=True)
    return {"article": article, "reader": reader}


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/articles/glaciers/",
        "/sections/environment/",
        "/fundraisers/safety-fund/",
        "/membership/",
        "/accounts/login/",
        "/accounts/signup/",
        "/sitemap.xml",
        "/feed/",
    ],
)
def test_reader_pages_answer_200_without_redis(site, redis_gone, path):
    response = Client().get(path)
    assert response.status_code == 200, response.content[:500]


def test_the_article_is_read_in_full_twice_in_a_row_without_redis(site, redis_gone):
    client = Client()
    for _ in range(2):
        html = client.get("/articles/glaciers/").content.decode()
        assert "Glaciers in retreat" in html and "glaciers-P8" in html


def test_a_reader_signs_in_without_redis(site, redis_gone):
    client = Client()
    response = client.post("/accounts/login/", {"login": "nino@example.org", "password": PASSWORD})
    assert response.status_code == 302, response.content[:500]
    assert client.get("/accounts/membership/").wsgi_request.user == site["reader"]


def test_password_guessing_is_still_stopped_without_redis(site, redis_gone, settings):
    """Sign-in's limits fall back to this process's memory instead of switching off."""
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed": "10/m/ip,5/5m/key"}
    guesser = Client()
    for n in range(5):
        assert (
            "Too many failed login attempts"
            not in guesser.post(
                "/accounts/login/", {"login": "nino@example.org", "password": f"guess {n}"}
            ).content.decode()
        )
    locked = guesser.post("/accounts/login/", {"login": "nino@example.org", "password": PASSWORD})
    assert "Too many failed login attempts" in locked.content.decode()
    assert guesser.get("/accounts/login/").wsgi_request.user.is_anonymous


def test_a_flood_of_sign_in_attempts_still_gets_the_429_page_without_redis(site, redis_gone, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login": "2/m/ip"}
    client = Client()
    statuses = [
        client.post("/accounts/login/", {"login": "nino@example.org", "password": "wrong"}).status_code
        for _ in range(3)
    ]
    assert statuses == [200, 200, 429]


def test_a_gift_is_refused_with_a_clear_message_and_nothing_started_without_redis(site, redis_gone):
    response = Client().post(
        "/fundraisers/safety-fund/give/",
        {
            "currency": "GEL",
            "amount": "5000",
            "interval": "once",
            "email": "guest@example.org",
            "name": "Guest Donor",
            "split": "default",
            "message": "Kept",
        },
    )
    html = response.content.decode()
    assert response.status_code == 503 and response["Retry-After"] == "120"
    assert "We can&#x27;t take gifts for a moment; nothing was charged. Please try again in a few minutes." in html
    assert "Kept</textarea>" in html
    assert DonationCheckout.objects.count() == 0


def test_healthz_says_the_cache_failed_without_naming_where_it_lives(site, redis_gone):
    response = Client().get("/healthz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["cache"]["ok"] is False and checks["database"]["ok"] is True
    assert "127.0.0.1" not in response.content.decode()
