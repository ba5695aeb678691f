"""An email address longer than we can keep is refused with a message on every form that takes one, never cut short.

allauth copies the address onto the user with its user_field helper, which truncates to the column's 254
characters; Django's email check allows up to 320. An address of 255-320 characters used to make an account for
a truncated address nobody owns."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
# A well-formed address of 308 characters: Django's EmailValidator accepts it.
TOO_LONG = "nino." + "a" * 55 + "@" + ".".join(["b" * 60] * 4) + ".org"
LONGEST_KEPT = "n" * 60 + "@" + ".".join(["c" * 60] * 3) + "." + "d" * 6 + ".org"


def test_the_addresses_are_what_the_tests_say():
    assert len(TOO_LONG) == 308 and len(LONGEST_KEPT) == 254


def test_sign_up_with_an_over_long_address_is_refused_with_a_message(client, mailoutbox):
    response = client.post("/accounts/signup/", {"email": TOO_LONG, "password1": PASSWORD, "password2": PASSWORD})

    assert response.status_code == 200
    html = response.content.decode()
    assert (
        "That email address is too long: we can keep addresses of up to 254 characters, and this one has 308." in html
    )
    assert 'id="id_email_error"' in html
    assert not get_user_model().objects.exists() and not EmailAddress.objects.exists() and not mailoutbox


def test_sign_up_with_the_longest_address_we_keep_works_and_keeps_it_whole(client, mailoutbox):
    response = client.post("/accounts/signup/", {"email": LONGEST_KEPT, "password1": PASSWORD, "password2": PASSWORD})

    assert response.status_code == 302
    assert get_user_model().objects.get().email == LONGEST_KEPT
    assert mailoutbox[0].to == [LONGEST_KEPT]


def test_adding_an_over_long_address_to_an_account_is_refused_with_a_message(client):
    user = UserFactory(email="reader@example.org")
    EmailAddress.objects.create(user=user, email="reader@example.org", verified=True, primary=True)
    client.force_login(user)

    response = client.post("/accounts/email/", {"action_add": "", "email": TOO_LONG})

    assert response.status_code == 200
    assert "That email address is too long" in response.content.decode()
    assert list(EmailAddress.objects.values_list("email", flat=True)) == ["reader@example.org"]


def test_a_reset_link_for_an_over_long_address_is_refused_with_a_message(client, mailoutbox):
    response = client.post("/accounts/password/reset/", {"email": TOO_LONG})

    assert response.status_code == 200 and "That email address is too long" in response.content.decode()
    assert not mailoutbox
