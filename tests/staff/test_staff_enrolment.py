"""A staff account's first authenticator app needs more than the password (outlet/staff/staff_enrolment.py): a code
emailed to its verified address, or an enrolment link an administrator issued. Until then it reaches nothing in the
admin; readers turning two-factor on for themselves are not affected; every step is in the account's History."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import resolve, reverse
from django.utils import timezone

from outlet.common.models import SentEmail
from outlet.staff.models import StaffEnrolmentProof
from outlet.staff.roles import ADMINISTRATOR, MEMBERSHIP_MANAGER
from outlet.staff.staff_enrolment import CODES_PER_DAY, WRONG_CODES_ALLOWED
from tests.factories import UserFactory
from tests.staff import TEST_PASSWORD, current_totp_code, force_login_without_second_factor

pytestmark = pytest.mark.django_db

SETUP_PAGE = "/accounts/2fa/totp/activate/"
ENROLMENT_PAGE = "/accounts/2fa/staff-enrolment/"
SEND_CODE = "/accounts/2fa/staff-enrolment/send/"


def enrolment_code_in(message) -> str:
    match = re.search(r"^\s*(\d{4} \d{4})\s*$", message.body, re.MULTILINE)
    assert match, f"no enrolment code in the email:\n{message.body}"
    return match.group(1)


def new_colleague(email="lela@example.org", *, verified=True, **extra):
    user = UserFactory(username=email.split("@")[0], email=email, first_name="Lela", is_staff=True, **extra)
    EmailAddress.objects.create(user=user, email=email, verified=verified, primary=True)
    user.groups.add(Group.objects.get(name=MEMBERSHIP_MANAGER))
    return user


def signed_in_with_password(user) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"login": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def history_of(user) -> list[str]:
    return [entry.get_change_message() for entry in LogEntry.objects.filter(object_id=str(user.pk)).order_by("pk")]


def set_up_app(client: Client) -> str:
    secret = client.get(SETUP_PAGE).context["form"].secret
    response = client.post(SETUP_PAGE, {"code": current_totp_code(secret)})
    assert response["Location"] == "/accounts/2fa/recovery-codes/"
    return secret


# --- The password alone ------------------------------------------------------------------------------------


def test_the_setup_page_address_is_the_guarded_one():
    """outlet/urls.py puts the guard before allauth's own route; if that order changed, this fails."""
    from outlet.staff import staff_enrolment_views

    assert resolve(reverse("mfa_activate_totp")).func is staff_enrolment_views.activate_totp


def test_someone_with_only_the_password_cannot_open_the_setup_page_or_enrol(mailoutbox):
    colleague = new_colleague()
    attacker = signed_in_with_password(colleague)
    attacker.post(f"/accounts/reauthenticate/?next={SETUP_PAGE}", {"password": TEST_PASSWORD})  # all allauth asks

    assert attacker.get(SETUP_PAGE)["Location"] == ENROLMENT_PAGE  # before the fix: the QR code, then the admin
    assert attacker.post(SETUP_PAGE, {"code": "123456"})["Location"] == ENROLMENT_PAGE
    assert attacker.post(ENROLMENT_PAGE, {"code": "0000 0000"}).status_code == 200  # no code was even sent
    attacker.post(SEND_CODE)  # the code goes to the colleague's mailbox, not to the attacker
    assert [message.to for message in mailoutbox] == [[colleague.email]]
    assert attacker.get(SETUP_PAGE)["Location"] == ENROLMENT_PAGE
    assert not Authenticator.objects.filter(user=colleague).exists()
    assert attacker.get("/admin/").status_code == 302
    assert attacker.get("/admin/members/membership/").status_code == 302


def test_until_enrolled_a_staff_account_reaches_nothing_in_the_admin_but_enrolment_and_sign_out():
    boss = new_colleague(email="boss@example.org", is_superuser=True)  # even one who may do everything
    client = signed_in_with_password(boss)
    pages = [
        "admin:index",
        "admin:auth_user_changelist",
        "admin:members_membership_changelist",
        "admin:members_membership_export",
        "admin:password_change",
        "admin:staff_enrolment",
        "revenue:dashboard",
    ]
    assert {name: client.get(reverse(name))["Location"].split("?")[0] for name in pages} == {
        name: "/admin/login/" for name in pages
    }
    assert client.get("/admin/login/")["Location"] == ENROLMENT_PAGE
    assert client.post(reverse("admin:auth_user_add"), {"username": "x"})["Location"].startswith("/admin/login/")
    assert client.get(ENROLMENT_PAGE).status_code == 200
    assert client.post("/accounts/logout/")["Location"] == "/"
    assert client.get(ENROLMENT_PAGE)["Location"].startswith("/accounts/login/")


def test_a_code_typed_in_the_colleagues_session_opens_nothing_for_the_attackers_session(mailoutbox):
    colleague = new_colleague()
    attacker = signed_in_with_password(colleague)
    real_person = signed_in_with_password(colleague)
    real_person.post(SEND_CODE)
    assert real_person.post(ENROLMENT_PAGE, {"code": enrolment_code_in(mailoutbox[-1])})["Location"] == SETUP_PAGE

    assert real_person.get(SETUP_PAGE).status_code == 200
    assert attacker.get(SETUP_PAGE)["Location"] == ENROLMENT_PAGE


def test_a_session_signed_in_by_emailed_code_must_type_the_password_too(client, mailoutbox):
    """An emailed sign-in code and an emailed enrolment code are the same mailbox twice: one proof, not two."""
    from tests.members.test_accounts import code_in

    colleague = new_colleague()
    client.post("/accounts/login/code/", {"email": colleague.email})
    client.post("/accounts/login/code/confirm/", {"code": code_in(mailoutbox[-1])})

    response = client.get(ENROLMENT_PAGE)
    assert response["Location"] == "/accounts/reauthenticate/?next=%2Faccounts%2F2fa%2Fstaff-enrolment%2F"
    assert client.post(SEND_CODE)["Location"].startswith("/accounts/reauthenticate/")
    assert len(mailoutbox) == 1  # no enrolment code yet
    client.post(response["Location"], {"password": TEST_PASSWORD})
    assert client.get(ENROLMENT_PAGE).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_session_that_passed_two_factor_sets_up_a_new_app_after_removing_the_old_one(client):
    """Say the phone is lost and its app removed: password and the old app's code were typed in this session."""
    staff = new_colleague()
    client.force_login(staff)  # tests.staff: as after password + authenticator code
    Authenticator.objects.filter(user=staff).delete()
    assert client.get("/admin/")["Location"].startswith("/admin/login/")

    assert client.get(SETUP_PAGE)["Location"].startswith("/accounts/reauthenticate/")  # allauth's check, no proof
    client.post(f"/accounts/reauthenticate/?next={SETUP_PAGE}", {"password": TEST_PASSWORD})
    set_up_app(client)
    assert history_of(staff) == [
        "Set up an authenticator app for two-factor sign-in (in a session that had passed two-factor sign-in)."
    ]

    someone_else = signed_in_with_password(staff)  # the new app now asks for its code at sign-in
    assert someone_else.get("/admin/").status_code == 302
    assert not someone_else.session.get("_auth_user_id")


def test_after_the_app_is_removed_the_password_alone_still_cannot_set_up_another():
    staff = new_colleague()
    Client().force_login(staff)  # had an app...
    Authenticator.objects.filter(user=staff).delete()  # ...removed by an administrator when the phone was lost

    attacker = signed_in_with_password(staff)
    assert attacker.get(SETUP_PAGE)["Location"] == ENROLMENT_PAGE


# --- The emailed code ------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)  # allauth announces the new app on commit
def test_a_new_colleague_enrols_with_the_emailed_code_and_reaches_the_admin(mailoutbox):
    colleague = new_colleague()
    client = signed_in_with_password(colleague)
    assert "Email me a code" in client.get(ENROLMENT_PAGE).content.decode()

    client.post(SEND_CODE)
    message = mailoutbox[-1]
    assert message.to == [colleague.email]
    assert "code to set up two-factor sign-in" in message.subject
    assert "someone else knows your password" in message.body
    assert SentEmail.objects.filter(kind="staff_enrolment_code", to=colleague.email).count() == 1
    assert enrolment_code_in(message).replace(" ", "") not in str(StaffEnrolmentProof.objects.values())  # digest only

    assert client.post(ENROLMENT_PAGE, {"code": enrolment_code_in(message)})["Location"] == SETUP_PAGE
    set_up_app(client)

    assert client.get("/admin/").status_code == 200
    assert history_of(colleague) == [
        "Emailed a two-factor enrolment code to lela@example.org.",
        "Proved the enrolment with the code emailed to lela@example.org.",
        "Set up an authenticator app for two-factor sign-in (after an emailed code).",
    ]
    assert set(LogEntry.objects.filter(object_id=str(colleague.pk)).values_list("user_id", flat=True)) == {colleague.pk}


def test_a_used_code_is_refused(mailoutbox):
    colleague = new_colleague()
    first = signed_in_with_password(colleague)
    first.post(SEND_CODE)
    code = enrolment_code_in(mailoutbox[-1])
    assert first.post(ENROLMENT_PAGE, {"code": code})["Location"] == SETUP_PAGE

    onlooker = signed_in_with_password(colleague)  # saw the code being typed
    response = onlooker.post(ENROLMENT_PAGE, {"code": code})
    assert response.status_code == 200
    assert "has expired or was already used" in response.content.decode()
    assert onlooker.get(SETUP_PAGE)["Location"] == ENROLMENT_PAGE


def test_wrong_codes_count_and_the_code_stops_working_after_too_many(client, mailoutbox):
    colleague = new_colleague()
    client = signed_in_with_password(colleague)
    client.post(SEND_CODE)
    code = enrolment_code_in(mailoutbox[-1]).replace(" ", "")
    wrong = str((int(code) + 1) % 10**8).zfill(8)

    page = client.post(ENROLMENT_PAGE, {"code": wrong})
    assert "not the one we sent" in page.content.decode()
    for _ in range(WRONG_CODES_ALLOWED - 2):
        client.post(ENROLMENT_PAGE, {"code": wrong})
    assert "too many times" in client.post(ENROLMENT_PAGE, {"code": wrong}).content.decode()

    assert "has expired or was already used" in client.post(ENROLMENT_PAGE, {"code": code}).content.decode()
    assert client.get(SETUP_PAGE)["Location"] == ENROLMENT_PAGE
    assert history_of(colleague)[-1] == (
        f"An emailed enrolment code was typed wrong {WRONG_CODES_ALLOWED} times and stopped working."
    )


def test_an_expired_code_is_refused(mailoutbox):
    colleague = new_colleague()
    client = signed_in_with_password(colleague)
    client.post(SEND_CODE)
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        response = client.post(ENROLMENT_PAGE, {"code": enrolment_code_in(mailoutbox[-1])})
    assert "has expired or was already used" in response.content.decode()


def test_a_new_code_replaces_the_old_one_and_codes_are_not_sent_back_to_back(mailoutbox):
    colleague = new_colleague()
    client = signed_in_with_password(colleague)
    client.post(SEND_CODE)
    first = enrolment_code_in(mailoutbox[-1])

    response = client.post(SEND_CODE, follow=True)
    assert "less than a minute ago" in response.content.decode()
    assert len(mailoutbox) == 1

    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        client.post(SEND_CODE)
        second = enrolment_code_in(mailoutbox[-1])
        assert "not the one we sent" in client.post(ENROLMENT_PAGE, {"code": first}).content.decode()
        assert client.post(ENROLMENT_PAGE, {"code": second})["Location"] == SETUP_PAGE


def test_no_more_than_the_daily_number_of_codes_is_sent(mailoutbox):
    colleague = new_colleague()
    client = signed_in_with_password(colleague)
    start = timezone.now()
    for step in range(CODES_PER_DAY + 1):
        with time_machine.travel(start + timedelta(minutes=2 * step)):
            response = client.post(SEND_CODE, follow=True)
    assert len(mailoutbox) == CODES_PER_DAY
    assert "no more are sent today" in response.content.decode()
    assert "ask an administrator for an enrolment link" in response.content.decode().lower()


def test_a_staff_account_without_a_verified_address_is_told_to_ask_for_a_link(mailoutbox):
    colleague = new_colleague()
    client = signed_in_with_password(colleague)
    EmailAddress.objects.filter(user=colleague).update(verified=False)  # say an administrator changed it

    page = client.get(ENROLMENT_PAGE).content.decode()
    assert "no verified email address" in page and "Email me a code" not in page
    assert "no verified email address" in client.post(SEND_CODE, follow=True).content.decode()
    assert mailoutbox == []


def test_a_mail_server_that_refuses_leaves_a_clear_message_and_no_code(settings, mailoutbox):
    settings.EMAIL_BACKEND = "tests.staff.test_staff_enrolment.RefusingBackend"
    colleague = new_colleague()
    client = signed_in_with_password(colleague)

    response = client.post(SEND_CODE, follow=True)
    assert response.status_code == 200
    assert "could not be sent just now" in response.content.decode()
    assert not StaffEnrolmentProof.objects.exists() and not SentEmail.objects.exists()


class RefusingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("mail server away")


# --- The administrator's link ------------------------------------------------------------------------------


def administrator() -> Client:
    boss = UserFactory(username="nana", email="nana@example.org", is_staff=True)
    boss.groups.add(Group.objects.get(name=ADMINISTRATOR))
    client = Client()
    client.force_login(boss)  # tests.staff: as after password + authenticator code
    return client


def issue_link(admin: Client, colleague) -> str:
    page = admin.post(reverse("admin:staff_enrolment"), {"action": "issue", "user": colleague.pk})
    assert page.status_code == 200
    link = re.search(r'value="https?://[^/"]+(/accounts/2fa/staff-enrolment/link/[^"]+)"', page.content.decode())
    return link.group(1)


@pytest.mark.django_db(transaction=True)
def test_an_administrator_issues_a_link_and_the_colleague_enrols_with_it(mailoutbox):
    colleague = new_colleague()
    admin = administrator()
    listing = admin.get(reverse("admin:staff_enrolment")).content.decode()
    assert "lela@example.org" in listing and "Issue an enrolment link" in listing
    assert reverse("admin:staff_enrolment") in admin.get("/admin/").content.decode()  # listed beside Users
    link = issue_link(admin, colleague)
    assert "Issued by nana@example.org" in admin.get(reverse("admin:staff_enrolment")).content.decode()

    visitor = Client()
    page = visitor.get(link)  # opening it spends nothing: a link preview or a mail scanner may do this
    assert page.status_code == 200 and "Sign in" in page.content.decode()
    visitor.post(f"/accounts/login/?next={link}", {"login": colleague.email, "password": TEST_PASSWORD})
    assert visitor.get(link).status_code == 200
    assert visitor.post(link)["Location"] == SETUP_PAGE
    visitor.post(f"/accounts/reauthenticate/?next={SETUP_PAGE}", {"password": TEST_PASSWORD})  # allauth's own check
    set_up_app(visitor)

    assert visitor.get("/admin/").status_code == 200
    assert visitor.get(link).status_code == 404  # used once
    assert not SentEmail.objects.filter(kind="staff_enrolment_code").exists()
    log = LogEntry.objects.filter(object_id=str(colleague.pk)).order_by("pk")
    assert [entry.user.email for entry in log] == ["nana@example.org", "lela@example.org", "lela@example.org"]
    issued, proved, enrolled = [entry.get_change_message() for entry in log]
    assert issued.startswith("Issued a two-factor enrolment link for lela@example.org, valid until ")
    assert proved == "Proved the enrolment with the link nana@example.org issued."
    assert enrolled == "Set up an authenticator app for two-factor sign-in (after an administrator's enrolment link)."
    history = admin.get(reverse("admin:auth_user_history", args=[colleague.pk])).content.decode()
    assert "Issued a two-factor enrolment link" in history and "Set up an authenticator app" in history


def test_a_link_works_only_for_the_account_it_was_issued_for():
    colleague = new_colleague()
    other = new_colleague(email="giorgi@example.org")
    link = issue_link(administrator(), colleague)

    wrong_person = signed_in_with_password(other)
    assert wrong_person.get(link).status_code == 403
    assert wrong_person.post(link).status_code == 403
    assert wrong_person.get(SETUP_PAGE)["Location"] == ENROLMENT_PAGE
    assert StaffEnrolmentProof.objects.get(user=colleague).used_at is None


def test_an_expired_withdrawn_or_unknown_link_does_nothing():
    colleague = new_colleague()
    admin = administrator()
    client = signed_in_with_password(colleague)

    expired = issue_link(admin, colleague)
    with time_machine.travel(timezone.now() + timedelta(days=3, minutes=1)):
        assert client.get(expired).status_code == 404
        assert client.post(expired).status_code == 404

    replaced = issue_link(admin, colleague)
    current = issue_link(admin, colleague)  # a new link replaces the old
    assert client.post(replaced).status_code == 404
    proof = StaffEnrolmentProof.objects.filter(user=colleague, used_at=None, withdrawn_at=None).get()
    admin.post(reverse("admin:staff_enrolment"), {"action": "withdraw", "proof": proof.pk})
    assert client.post(current).status_code == 404
    assert client.get("/accounts/2fa/staff-enrolment/link/not-a-token/").status_code == 404
    assert client.get(SETUP_PAGE)["Location"] == ENROLMENT_PAGE
    assert history_of(colleague)[-1].startswith("Withdrew the two-factor enrolment link issued")


def test_links_are_only_for_staff_still_to_enrol(mailoutbox):
    admin = administrator()
    reader = UserFactory(username="reader", email="reader@example.org")
    enrolled = new_colleague(email="done@example.org")
    Client().force_login(enrolled)  # gives the account an authenticator app

    for account in (reader, enrolled):
        response = admin.post(reverse("admin:staff_enrolment"), {"action": "issue", "user": account.pk}, follow=True)
        assert "needs no enrolment link" in response.content.decode()
    nobody = admin.post(reverse("admin:staff_enrolment"), {"action": "issue", "user": "x"}, follow=True)
    assert "Choose a staff account from the list" in nobody.content.decode()
    assert not StaffEnrolmentProof.objects.exists()


def test_only_those_who_may_change_users_issue_links():
    colleague = new_colleague()
    manager = UserFactory(username="eka", email="eka@example.org", is_staff=True)
    manager.groups.add(Group.objects.get(name=MEMBERSHIP_MANAGER))
    client = Client()
    client.force_login(manager)
    assert client.get(reverse("admin:staff_enrolment")).status_code == 403
    assert client.post(reverse("admin:staff_enrolment"), {"action": "issue", "user": colleague.pk}).status_code == 403
    assert reverse("admin:staff_enrolment") not in client.get("/admin/").content.decode()
    assert not StaffEnrolmentProof.objects.exists()


def test_a_staff_account_still_to_enrol_cannot_open_the_enrolment_admin_page():
    boss = new_colleague(email="boss@example.org", is_superuser=True)
    client = signed_in_with_password(boss)
    assert client.get(reverse("admin:staff_enrolment"))["Location"].startswith("/admin/login/")


# --- Who is not affected ------------------------------------------------------------------------------------


def test_a_reader_turns_two_factor_on_without_any_enrolment_proof(client):
    reader = UserFactory(username="tamar", email="tamar@example.org")
    EmailAddress.objects.create(user=reader, email=reader.email, verified=True, primary=True)
    client.post("/accounts/login/", {"login": reader.email, "password": TEST_PASSWORD})

    response = client.get(SETUP_PAGE)
    assert response["Location"] == f"/accounts/reauthenticate/?next={SETUP_PAGE.replace('/', '%2F')}"  # allauth's own
    client.post(response["Location"], {"password": TEST_PASSWORD})
    set_up_app(client)
    assert Authenticator.objects.filter(user=reader, type=Authenticator.Type.TOTP).exists()
    assert client.get(ENROLMENT_PAGE)["Location"] == "/accounts/2fa/"
    assert not LogEntry.objects.exists() and not StaffEnrolmentProof.objects.exists()


def test_with_the_admin_second_factor_switched_off_staff_need_no_proof(settings, client):
    settings.ADMIN_REQUIRES_MFA = False
    colleague = new_colleague()
    force_login_without_second_factor(client, colleague)
    assert client.get("/admin/").status_code == 200
    assert client.get(SETUP_PAGE)["Location"].startswith("/accounts/reauthenticate/")  # allauth's page, as for readers
    assert client.get(ENROLMENT_PAGE)["Location"] == "/accounts/2fa/"
