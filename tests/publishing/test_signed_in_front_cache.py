"""Signed-in readers' article pages answered above the middleware (front_cache + reader_pass): one query, and never
another standing's page, another reader's address or a session that has ended."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.utils import timezone, translation

from members.models import Membership
from outlet.common import front_cache
from outlet.publishing import reader_pass
from outlet.publishing.models import Article, MeteredRead
from tests.factories import ArticleFactory, MembershipFactory, PromptFactory, UserFactory
from tests.publishing import readers

pytestmark = pytest.mark.django_db
cast, tiers = readers.cast, readers.tiers


@pytest.fixture(autouse=True)
def empty_local_copies():
    front_cache.local_entries.clear()
    reader_pass.session_users.clear()
    yield
    front_cache.local_entries.clear()
    reader_pass.session_users.clear()


def signed_in(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def without_tokens(response) -> str:
    """The page less its CSRF tokens, which Django masks afresh for every response."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def locked(article) -> str:
    return f"{article.slug}-P8"  # the factory's eighth paragraph: only a reader with full access sees it


def test_a_signed_in_readers_next_visit_costs_one_query_and_is_the_same_page(django_assert_num_queries):
    reader = signed_in(UserFactory(email="first.reader@example.org"))
    url = ArticleFactory().get_absolute_url()
    first = reader.get(url)
    assert first.get("X-Page-Cache") != "front-reader"
    with django_assert_num_queries(1):
        second = reader.get(url)
    assert second["X-Page-Cache"] == "front-reader"
    assert without_tokens(second) == without_tokens(first)
    for header in ("Content-Security-Policy", "X-Frame-Options", "Content-Language"):
        assert second[header] == first[header]
    assert "private" in second["Cache-Control"] and "Cookie" in second["Vary"]
    assert "first.reader@example.org" in second.content.decode() and b"\x00" not in second.content


def test_readers_of_one_shape_share_the_page_with_their_own_address_and_a_token_that_signs_them_out():
    url = ArticleFactory().get_absolute_url()
    signed_in(UserFactory(email="o'first@example.org")).get(url)  # primes the page for readers with no membership
    second = signed_in(UserFactory(email="second@example.org"))
    page = second.get(url)
    html = page.content.decode()
    assert page["X-Page-Cache"] == "front-reader"
    assert "second@example.org" in html and "first@example.org" not in html and "o&#x27;first" not in html
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    assert second.post("/accounts/logout/", {"csrfmiddlewaretoken": token}).status_code == 302


@pytest.mark.parametrize("language", ["en", "ka", "hy", "az", "ru"])
def test_a_member_never_gets_a_non_members_page_from_here_and_back(language):
    article = ArticleFactory(access=Article.Access.MEMBERS)
    with translation.override(language):
        url = article.get_absolute_url()
    membership = MembershipFactory(user=UserFactory(email="member@example.org"))
    member = signed_in(membership.user)
    other_member = signed_in(MembershipFactory(user=UserFactory(), tier=membership.tier).user)
    free = signed_in(UserFactory())
    for _round in range(2):
        for reader, sees_all in ((member, True), (free, False), (other_member, True), (free, False)):
            assert (locked(article) in reader.get(url).content.decode()) is sees_all
    assert member.get(url)["X-Page-Cache"] == "front-reader"
    membership.status = Membership.Status.LAPSED
    membership.save()
    lapsed = member.get(url)
    assert locked(article) not in lapsed.content.decode(), "the lapse counts on the next request"
    membership.status = Membership.Status.ACTIVE
    membership.save()
    assert locked(article) in member.get(url).content.decode()
    membership.current_period_end = timezone.now() - timedelta(days=3)  # ran out with no renewal
    membership.save(update_fields=["current_period_end"])
    assert locked(article) not in member.get(url).content.decode()


def test_a_story_for_one_tier_reaches_its_members_from_here_and_never_another_tiers(cast, tiers):
    article = ArticleFactory(access=Article.Access.TIERS)
    article.allowed_tiers.set([tiers["a"]])
    url = article.get_absolute_url()
    for _round in range(3):
        assert locked(article) in cast["member_a"].get(url).content.decode()
        assert locked(article) not in cast["member_b"].get(url).content.decode()
    assert cast["member_b"].get(url)["X-Page-Cache"] == "front-reader"


def page_of(kind: str, article) -> str:
    return {"home": "/", "section": article.section.get_absolute_url(), "article": article.get_absolute_url()}[kind]


@pytest.mark.parametrize("kind", ["home", "section"])
def test_the_home_page_and_listings_are_answered_here_too_with_each_readers_address(kind, django_assert_num_queries):
    url = page_of(kind, ArticleFactory(title="On the front page"))
    first = signed_in(UserFactory(email="first@example.org"))
    first.get(url)
    with django_assert_num_queries(1):
        page = first.get(url)
    assert page["X-Page-Cache"] == "front-reader" and "On the front page" in page.content.decode()
    other = signed_in(UserFactory(email="other@example.org")).get(url).content.decode()
    assert "other@example.org" in other and "first@example.org" not in other


@pytest.mark.parametrize("kind", ["home", "section", "article"])
def test_a_lapsed_member_and_a_reader_who_never_joined_each_get_their_own_prompts(cast, kind):
    PromptFactory(headline="Come back to us", show_to_anonymous=False, show_to_free=False, show_to_lapsed=True)
    PromptFactory(headline="Join us first", show_to_anonymous=False, show_to_free=True, show_to_lapsed=False)
    url = page_of(kind, ArticleFactory())
    for _round in range(3):
        for reader, shown, hidden in (("lapsed", "Come back", "Join us first"), ("free", "Join us first", "Come back")):
            html = cast[reader].get(url).content.decode()
            assert shown in html and hidden not in html, reader
    assert cast["free"].get(url)["X-Page-Cache"] == "front-reader"


def session_cookie(client: Client) -> str:
    return client.cookies["sessionid"].value


def test_a_signed_out_session_is_never_answered_as_its_reader():
    url = ArticleFactory().get_absolute_url()
    reader = signed_in(UserFactory(email="leaving@example.org"))
    reader.get(url)
    assert reader.get(url)["X-Page-Cache"] == "front-reader"
    copied = session_cookie(reader)
    reader.post("/accounts/logout/", {"csrfmiddlewaretoken": reader.cookies["csrftoken"].value})
    replay = Client()
    replay.cookies["sessionid"] = copied
    response = replay.get(url)
    assert response.get("X-Page-Cache") != "front-reader" and "leaving@example.org" not in response.content.decode()


def test_a_password_changed_elsewhere_ends_this_sessions_signed_in_pages():
    user = UserFactory(email="changed@example.org")
    url = ArticleFactory().get_absolute_url()
    reader = signed_in(user)
    reader.get(url)
    assert reader.get(url)["X-Page-Cache"] == "front-reader"
    user.set_password("a whole new passphrase")
    user.save()
    response = reader.get(url)
    assert response.get("X-Page-Cache") != "front-reader" and "changed@example.org" not in response.content.decode()


def test_deactivated_readers_staff_and_waiting_messages_go_djangos_own_way():
    url = ArticleFactory().get_absolute_url()
    deactivated_user = UserFactory()
    deactivated, staff, with_message = signed_in(deactivated_user), signed_in(UserFactory(is_staff=True)), None
    for client in (deactivated, staff):
        client.get(url)
    deactivated_user.is_active = False
    deactivated_user.save()
    assert deactivated.get(url).get("X-Page-Cache") != "front-reader"
    assert "sign in" in deactivated.get(url).content.decode().lower(), "an inactive account is signed out"
    assert staff.get(url).get("X-Page-Cache") != "front-reader"
    with_message = signed_in(UserFactory())
    with_message.get(url)
    assert with_message.get(url)["X-Page-Cache"] == "front-reader"
    session = SessionStore(session_key=session_cookie(with_message))
    session["_messages"] = "[]"  # what the session storage keeps when a message waits
    session.save()
    assert with_message.get(url).get("X-Page-Cache") != "front-reader"


def test_a_tampered_session_row_is_not_vouched_for():
    reader = signed_in(UserFactory())
    url = ArticleFactory().get_absolute_url()
    reader.get(url)
    session = SessionStore(session_key=session_cookie(reader))
    session["_auth_user_hash"] = "0" * 64
    session.save()
    assert reader.get(url).get("X-Page-Cache") != "front-reader"


def test_the_meter_counts_each_new_story_and_a_cached_page_never_skips_or_repeats_a_read(settings):
    settings.METERED_FREE_ARTICLES = 2
    first, second, third = (ArticleFactory(access=Article.Access.METERED) for _ in range(3))
    user = UserFactory()
    reader = signed_in(user)

    def reads() -> set[int]:
        return set(MeteredRead.objects.filter(user=user).values_list("article_id", flat=True))

    assert locked(first) in reader.get(first.get_absolute_url()).content.decode()
    assert reads() == {first.pk}
    reader.get(first.get_absolute_url())  # re-reading is free; this page is kept for the count it shows
    again = reader.get(first.get_absolute_url())
    assert again["X-Page-Cache"] == "front-reader" and reads() == {first.pk}
    signed_in(UserFactory()).get(second.get_absolute_url())  # another reader's first read of it is kept...
    newcomer_user = UserFactory()
    newcomer = signed_in(newcomer_user)
    fresh = newcomer.get(second.get_absolute_url())  # ...under their reads after it, never for a newcomer's
    assert fresh.get("X-Page-Cache") != "front-reader", "a first read is counted by the view, never skipped"
    assert MeteredRead.objects.filter(user=newcomer_user, article=second).exists()
    new_story = reader.get(second.get_absolute_url())
    assert new_story.get("X-Page-Cache") != "front-reader" and reads() == {first.pk, second.pk}
    wall = reader.get(third.get_absolute_url())
    assert locked(third) not in wall.content.decode() and reads() == {first.pk, second.pk}
    # A newcomer with reads of their own never gets this reader's walled page.
    assert locked(third) in newcomer.get(third.get_absolute_url()).content.decode()


def test_a_read_leaving_the_window_frees_a_story_on_the_next_request(settings):
    settings.METERED_FREE_ARTICLES = 1
    first, second = (ArticleFactory(access=Article.Access.METERED) for _ in range(2))
    user = UserFactory()
    reader = signed_in(user)
    reader.get(first.get_absolute_url())
    for _ in range(2):
        assert locked(second) not in reader.get(second.get_absolute_url()).content.decode()
    MeteredRead.objects.filter(user=user).update(
        read_at=timezone.now() - timedelta(days=settings.METER_WINDOW_DAYS + 1)
    )
    assert locked(second) in reader.get(second.get_absolute_url()).content.decode()


def prepared_reader_checks() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ["%django_session%"])
        return cursor.fetchone()[0]


@pytest.mark.parametrize("prepared", [True, False])
def test_the_check_is_a_statement_postgresql_prepared_once_unless_a_pooler_forbids_it(settings, prepared):
    settings.READER_CHECK_PREPARED = prepared
    reader = signed_in(UserFactory())
    url = ArticleFactory().get_absolute_url()
    for _ in range(3):
        reader.get(url)
    assert reader.get(url)["X-Page-Cache"] == "front-reader"
    assert prepared_reader_checks() == (1 if prepared else 0)


@pytest.mark.django_db(transaction=True)
def test_a_failing_check_leaves_the_reader_to_djangos_own_path(monkeypatch):
    reader = signed_in(UserFactory(email="still.here@example.org"))
    url = ArticleFactory().get_absolute_url()
    reader.get(url)
    monkeypatch.setattr(reader_pass, "_reader_sql", lambda vendor: "SELECT no_such_column FROM django_session")
    response = reader.get(url)
    assert response.status_code == 200 and response.get("X-Page-Cache") != "front-reader"
    assert "still.here@example.org" in response.content.decode()


@pytest.mark.parametrize(
    "printed, kept",
    [("(signed in as x.y+z@example.org)", True), ("?email=x.y%2Bz%40example.org", False), ("no address here", True)],
)
def test_a_page_printing_the_readers_address_in_any_other_form_is_never_kept(rf, printed, kept):
    request = rf.get("/articles/somewhere/")
    request.user = UserFactory(email="x.y+z@example.org")
    response = HttpResponse(f"<p>{printed}</p>")
    front_cache.share(request, response, depends_on={}, reader_shape="free||")
    front_cache.keep(request, response)
    entry = front_cache.lookup(front_cache.request_key(request, reader_shape="free||"))
    assert (entry is not None) is kept
    if entry is not None:
        assert b"x.y+z@example.org" not in entry.body
