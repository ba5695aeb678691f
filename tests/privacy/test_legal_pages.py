"""The privacy policy and terms: seeded in every language, edited by staff (sanitised), stating the periods the
site really applies, and linked from the footer and from every form that takes personal data."""

from __future__ import annotations

import importlib

import pytest
from django.test import Client

from outlet.privacy.admin import LegalPageForm
from outlet.privacy.models import LegalPage

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def seeded_pages(db):
    """The pages as the data migration seeds them (a transactional test elsewhere may have flushed its rows)."""
    from django.apps import apps

    importlib.import_module("outlet.privacy.migrations.0002_seed_legal_pages").seed(apps, None)


@pytest.mark.parametrize(
    ("address", "heading"),
    [
        ("/privacy/", "Privacy policy"),
        ("/terms/", "Terms of use"),
        ("/ka/privacy/", "კონფიდენციალურობის პოლიტიკა"),
        ("/hy/privacy/", "Գաղտնիության քաղաքականություն"),
        ("/az/terms/", "İstifadə şərtləri"),
        ("/ru/privacy/", "Политика конфиденциальности"),
    ],
)
def test_each_page_is_there_in_each_language(address, heading):
    response = Client().get(address)
    assert response.status_code == 200 and heading in response.content.decode()


def test_the_privacy_page_states_the_retention_periods_the_site_applies(settings):
    settings.DONOR_DATA_RETENTION_YEARS = 6
    settings.WEBHOOK_PAYLOAD_RETENTION_DAYS = 45
    text = Client().get("/privacy/").content.decode()
    assert "kept for 6 years" in text and "after 45 days" in text and "[retention_years]" not in text
    assert "what the law requires for our books" in text  # what is kept after deletion
    assert "Stripe" in text and "email service" in text


def test_the_footer_links_both_pages_and_the_forms_say_how_data_is_used():
    home = Client().get("/").content.decode()
    assert 'href="/privacy/"' in home and 'href="/terms/"' in home
    signup = Client().get("/accounts/signup/").content.decode()
    assert "How we use your data" in signup and 'href="/privacy/"' in signup


def test_staff_text_is_sanitised_and_english_is_required():
    page = LegalPage.objects.get(kind="privacy")
    data = {"kind": "privacy", "title_en": "Privacy", "body_en": '<p onclick="x()">Hi<script>alert(1)</script></p>'}
    form = LegalPageForm(data, instance=page)
    assert form.is_valid(), form.errors
    assert "script" not in form.cleaned_data["body_en"] and "onclick" not in form.cleaned_data["body_en"]
    assert not LegalPageForm({"kind": "privacy", "title_en": "Privacy", "body_en": ""}, instance=page).is_valid()
