"""Staff reach the admin only with two-factor sign-in: password, then an authenticator code (or a recovery code)."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.contrib.messages import get_messages
from django.test import Client

from tests.factories import UserFactory
from tests.outlet.test_settings import PRODUCTION_ENV, run_manage
from tests.staff import (
    TEST_PASSWORD,
    a_wrong_code,
    current_totp_code,
    force_login_without_second_factor,
    give_authenticator_app,
)

pytestmark = pytest.mark.django_db

SETUP_PAGE = "/accounts/2fa/totp/activate/"
ENROLMENT_PAGE = "/accounts/2fa/staff-enrolment/"


def staff_member(email="desk@example.org", **extra):
    user = UserFactory(username=email.split("@")[0], email=email, is_staff=True, **extra)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def sign_in_with_password(client: Client, user):
    return client.post("/accounts/login/?next=/admin/", {"login": user.email, "password": TEST_PASSWORD})


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_the_admin_login_page_sends_visitors_to_the_sign_in_with_two_factor(client):
    response = client.get("/admin/outlet/article/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/admin/outlet/article/"
    response = client.get(response["Location"])
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2Foutlet%2Farticle%2F"


def test_the_admin_login_never_forwards_to_another_site(client):
    response = client.get("/admin/login/", {"next": "https://evil.example/phish"})
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2F"


def test_staff_without_an_authenticator_app_are_sent_to_prove_it_is_them_before_setting_one_up(client):
    """Not straight to the setup page: the password alone must not let anyone enrol their own app
    (tests/staff/test_staff_enrolment.py has the rest)."""
    staff = staff_member()
    assert sign_in_with_password(client, staff)["Location"] == "/admin/"  # no second factor to ask for yet

    response = client.get("/admin/", follow=True)
    assert [url for url, _ in response.redirect_chain][1:] == [ENROLMENT_PAGE]
    assert "Staff accounts need two-factor authentication" in response.content.decode()
    assert "Email me a code" in response.content.decode()
    assert client.get(SETUP_PAGE)["Location"] == ENROLMENT_PAGE
    assert client.get("/admin/members/membership/").status_code == 302


def test_a_superuser_without_an_authenticator_app_is_no_exception(client):
    boss = staff_member(email="boss@example.org", is_superuser=True)
    sign_in_with_password(client, boss)
    assert client.get("/admin/", follow=True).redirect_chain[1][0] == ENROLMENT_PAGE
    assert client.get(SETUP_PAGE)["Location"] == ENROLMENT_PAGE


@pytest.mark.django_db(transaction=True)  # allauth announces the new authenticator (and mails) on commit
def test_setting_up_the_app_with_its_first_code_opens_the_admin(client, mailoutbox):
    from tests.staff.test_staff_enrolment import enrolment_code_in

    staff = staff_member()
    sign_in_with_password(client, staff)
    client.post("/accounts/2fa/staff-enrolment/send/")
    client.post(ENROLMENT_PAGE, {"code": enrolment_code_in(mailoutbox[-1])})
    setup_page = client.get(SETUP_PAGE)  # the emailed code counts as allauth's re-authentication: no password again
    secret = setup_page.context["form"].secret

    response = client.post(SETUP_PAGE, {"code": a_wrong_code(secret)})
    assert response.status_code == 200 and not Authenticator.objects.filter(user=staff).exists()
    codes_page = client.post(SETUP_PAGE, {"code": current_totp_code(secret)}, follow=True)

    assert codes_page.redirect_chain[-1][0] == "/accounts/2fa/recovery-codes/"
    assert 'href="/admin/">Continue to the staff admin' in codes_page.content.decode()
    assert Authenticator.objects.filter(user=staff, type=Authenticator.Type.TOTP).exists()
    assert client.get("/admin/").status_code == 200
    # the enrolment code, then allauth's "authenticator app activated" notice
    assert [message.to for message in mailoutbox] == [[staff.email], [staff.email]]


def test_staff_sign_in_with_password_and_authenticator_code_reaches_the_admin(client):
    staff = staff_member()
    secret = give_authenticator_app(staff)

    response = sign_in_with_password(client, staff)
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/admin/").status_code == 302  # the password alone signs nobody in

    response = client.post("/accounts/2fa/authenticate/", {"code": current_totp_code(secret)})
    assert response["Location"] == "/admin/"
    page = client.get("/admin/")
    assert page.status_code == 200
    assert "Newsroom administration" in page.content.decode()


def test_a_wrong_authenticator_code_does_not_sign_in(client):
    staff = staff_member()
    secret = give_authenticator_app(staff)
    sign_in_with_password(client, staff)
    response = client.post("/accounts/2fa/authenticate/", {"code": a_wrong_code(secret)})
    assert response.status_code == 200
    assert "Incorrect code" in response.content.decode()
    assert client.get("/admin/").status_code == 302
    assert not response.wsgi_request.user.is_authenticated


def test_a_recovery_code_signs_in_once(client):
    staff = staff_member()
    give_authenticator_app(staff)
    recovery_code = RecoveryCodes(
        Authenticator.objects.get(user=staff, type=Authenticator.Type.RECOVERY_CODES)
    ).get_unused_codes()[0]

    sign_in_with_password(client, staff)
    assert client.post("/accounts/2fa/authenticate/", {"code": recovery_code})["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200

    again = Client()
    sign_in_with_password(again, staff)
    response = again.post("/accounts/2fa/authenticate/", {"code": recovery_code})
    assert response.status_code == 200
    assert "Incorrect code" in response.content.decode()
    assert again.get("/admin/").status_code == 302


def test_a_reader_with_two_factor_still_cannot_open_the_admin(client):
    reader = UserFactory(username="reader", email="reader@example.org")
    EmailAddress.objects.create(user=reader, email=reader.email, verified=True, primary=True)
    secret = give_authenticator_app(reader)
    sign_in_with_password(client, reader)
    client.post("/accounts/2fa/authenticate/", {"code": current_totp_code(secret)})

    response = client.get("/admin/", follow=True)
    assert response.status_code == 403
    assert "reader@example.org" in response.content.decode()
    assert "not a staff account" in response.content.decode()
    assert client.get("/admin/members/membership/").status_code == 302


def test_a_session_that_skipped_the_code_is_asked_for_it_before_the_admin(client):
    """E.g. a staff member signed in before setting up the app in another browser, or with an emailed sign-in code."""
    staff = staff_member()
    secret = give_authenticator_app(staff)
    force_login_without_second_factor(client, staff)

    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/2fa/reauthenticate/?next=%2Fadmin%2F"
    response = client.post("/accounts/2fa/reauthenticate/?next=%2Fadmin%2F", {"code": current_totp_code(secret)})
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_an_authenticator_removed_later_closes_the_admin_to_that_session(client):
    staff = staff_member()
    client.force_login(staff)  # tests.staff: as after password + code
    assert client.get("/admin/").status_code == 200

    Authenticator.objects.filter(user=staff).delete()
    # this session passed two-factor sign-in (password and the app's code): that is proof enough to set up a new app
    assert client.get("/admin/", follow=True).redirect_chain[1][0] == SETUP_PAGE


def test_an_inactive_staff_account_is_refused_even_with_two_factor(client):
    staff = staff_member()
    client.force_login(staff)
    staff.is_active = False
    staff.save()
    assert client.get("/admin/").status_code == 302


def test_production_refuses_to_switch_the_admin_second_factor_off():
    result = run_manage("check", env_overrides=PRODUCTION_ENV | {"ADMIN_REQUIRES_MFA": "false"})
    assert result.returncode != 0
    assert "ADMIN_REQUIRES_MFA" in result.stderr


def test_an_emailed_sign_in_code_is_no_second_factor(client, mailoutbox):
    """ "Send me a sign-in code" replaces the password, not the authenticator: the admin still wants the app's code."""
    from tests.members.test_accounts import code_in

    staff = staff_member()
    secret = give_authenticator_app(staff)
    client.post("/accounts/login/code/?next=/admin/", {"email": staff.email})
    response = client.post("/accounts/login/code/confirm/", {"code": code_in(mailoutbox[-1])}, follow=True)

    assert client.get("/admin/").status_code == 302
    assert response.redirect_chain[-1][0] == "/accounts/2fa/authenticate/"
    client.post("/accounts/2fa/authenticate/", {"code": current_totp_code(secret)})
    assert client.get("/admin/").status_code == 200


def test_staff_find_their_two_factor_settings_from_every_admin_page(client):
    client.force_login(staff_member())
    page = client.get("/admin/").content.decode()
    assert '<a href="/accounts/2fa/">Two-factor sign-in</a>' in page
    assert client.get("/accounts/2fa/").status_code == 200


def test_an_authenticator_code_cannot_be_replayed_by_someone_who_saw_it(client):
    staff = staff_member()
    secret = give_authenticator_app(staff)
    code = current_totp_code(secret)
    sign_in_with_password(client, staff)
    assert client.post("/accounts/2fa/authenticate/", {"code": code})["Location"] == "/admin/"

    onlooker = Client()  # knows the password and watched the code being typed
    sign_in_with_password(onlooker, staff)
    assert "Incorrect code" in onlooker.post("/accounts/2fa/authenticate/", {"code": code}).content.decode()
    assert onlooker.get("/admin/").status_code == 302
