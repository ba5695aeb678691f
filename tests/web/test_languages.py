"""Where each language's pages live, which one a reader is sent to, and the switcher's memory."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from outlet.common import page_cache
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def test_english_lives_at_the_root_and_each_other_language_under_its_prefix():
    article = ArticleFactory(slug="pastures")
    assert article.get_absolute_url() == "/articles/pastures/"
    for code in ("ka", "hy", "az", "ru"):
        response = Client().get(f"/{code}/articles/pastures/")
        assert response.status_code == 200, code
        assert response.wsgi_request.LANGUAGE_CODE == code
    assert Client().get("/articles/pastures/").wsgi_request.LANGUAGE_CODE == "en"
    assert Client().get("/fr/articles/pastures/").status_code == 404


def test_a_first_visit_follows_the_browsers_language():
    ArticleFactory(slug="pastures")
    response = Client().get("/articles/pastures/?utm_source=x", HTTP_ACCEPT_LANGUAGE="ru-RU,ru;q=0.9,en;q=0.8")
    assert response.status_code == 302
    assert response["Location"] == "/ru/articles/pastures/?utm_source=x"
    assert "Accept-Language" in response["Vary"] and "Cookie" in response["Vary"]
    hy = Client().get("/", HTTP_ACCEPT_LANGUAGE="hy-AM")
    assert hy["Location"] == "/hy/"


def test_english_and_unknown_browser_languages_stay_at_the_root():
    for header in ("", "en-US,en;q=0.9", "fr-FR,de;q=0.8"):
        response = Client().get("/", HTTP_ACCEPT_LANGUAGE=header) if header else Client().get("/")
        assert response.status_code == 200, header
        assert "Accept-Language" in response["Vary"]


def test_forms_and_webhooks_are_never_redirected():
    response = Client().post(
        "/payments/webhooks/sandbox/", data=b"{}", content_type="application/json", HTTP_ACCEPT_LANGUAGE="ka"
    )
    assert response.status_code != 302
    assert Client().get("/healthz", HTTP_ACCEPT_LANGUAGE="ka").status_code == 200


def test_the_switcher_remembers_a_choice_and_keeps_the_reader_on_the_same_page():
    ArticleFactory(slug="pastures")
    reader = Client(HTTP_ACCEPT_LANGUAGE="ru")
    response = reader.get("/language/ka/?next=/ru/articles/pastures/")
    assert response.status_code == 302 and response["Location"] == "/ka/articles/pastures/"
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "ka" and cookie["samesite"] == "Lax" and cookie["httponly"]
    # The choice now outranks the browser: the English address sends this reader to Georgian...
    assert reader.get("/articles/pastures/")["Location"] == "/ka/articles/pastures/"
    # ...until they choose English, which then stays English although the browser says Russian.
    assert reader.get("/language/en/?next=/ka/articles/pastures/")["Location"] == "/articles/pastures/"
    assert reader.get("/articles/pastures/").status_code == 200


def test_the_switcher_refuses_other_sites_and_unknown_languages():
    response = Client().get("/language/ru/?next=https://evil.example/phish")
    assert response["Location"] == "/ru/"
    assert Client().get("/language/ru/?next=//evil.example/").get("Location") == "/ru/"
    assert Client().get("/language/xx/?next=/").status_code == 404


def test_cached_pages_are_keyed_by_language():
    article = ArticleFactory()
    keys = set()
    for code in ("en", "ka", "hy", "az", "ru"):
        with translation.override(code):
            keys.add(
                page_cache.article_key(version="1", article=article, variant="full", meter_remaining=None, prompts=[])
            )
            keys.add(page_cache.home_key(version="1", banner=None))
            keys.add(
                page_cache.story_fragment_key(
                    version="1",
                    article=article,
                    variant="full",
                    meter_remaining=None,
                    prompts=[],
                    signed_in=False,
                    preview=False,
                )
            )
    assert len(keys) == 15


def test_a_new_account_reads_in_the_language_it_signed_up_in():
    from django.contrib.auth import get_user_model

    from outlet.common import languages

    Client().post(
        "/ka/accounts/signup/",
        {
            "email": "nino@example.org",
            "password1": "a long and private phrase",
            "password2": "a long and private phrase",
        },
    )
    user = get_user_model().objects.get(email="nino@example.org")
    assert languages.for_user(user) == "ka"
    languages.remember_for_user(user, "ru-RU")
    assert languages.for_user(user) == "ru"
    assert languages.for_user(None, default="hy") == "hy"
    assert languages.for_user(None) == "en"


def test_the_switcher_takes_a_reader_on_a_story_to_its_version_in_that_language():
    original = ArticleFactory(slug="pastures")
    ArticleFactory(slug="sadzovrebi", language="ka", translation_of=original)
    draft = ArticleFactory(slug="pastbishcha", language="ru", translation_of=original, status="draft")
    assert draft.get_absolute_url() == "/ru/articles/pastbishcha/"

    assert Client().get("/language/ka/?next=/articles/pastures/")["Location"] == "/ka/articles/sadzovrebi/"
    assert Client().get("/language/en/?next=/ka/articles/sadzovrebi/")["Location"] == "/articles/pastures/"
    # No published Russian version yet: the same story under /ru/, in its original words.
    assert Client().get("/language/ru/?next=/ka/articles/sadzovrebi/")["Location"] == "/ru/articles/sadzovrebi/"


def test_an_account_chooses_the_language_it_is_written_to_in():
    from outlet.common import languages
    from tests.factories import UserFactory

    reader = UserFactory(email="ani@example.org")
    client = Client()
    client.force_login(reader)
    page = client.get("/accounts/language/")
    assert page.status_code == 200 and 'value="en" checked' in page.content.decode()

    response = client.post("/accounts/language/", {"language": "hy"})
    assert response.status_code == 302 and response["Location"] == "/hy/accounts/language/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "hy"
    assert languages.for_user(reader) == "hy"
    assert 'value="hy" checked' in client.get("/hy/accounts/language/").content.decode()

    refused = client.post("/accounts/language/", {"language": "xx"})
    assert refused.status_code == 400 and "Choose one of the languages listed." in refused.content.decode()
    assert languages.for_user(reader) == "hy", "a refused choice changes nothing"


def test_the_language_setting_needs_an_account():
    response = Client().get("/accounts/language/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
