"""The per-email checkout limit counts mailboxes, not spellings: plus-tags and Gmail's dots reach the same inbox,
so a card tester cannot mint a fresh allowance per attempt by writing "nino+1@", "nino+2@", ..."""

from __future__ import annotations

import pytest

from donations import abuse
from donations.abuse import CheckoutBlocked, mailbox_for_limits

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def limits(settings):
    settings.DONATION_RATE_LIMITS = {"ip": (100, 600), "email": (2, 600)}


def attempt(email: str, ip: str) -> None:
    abuse.guard_checkout_start(ip=ip, email=email, challenge_solution=None)


@pytest.mark.parametrize(
    "spellings",
    [
        ["nino+1@example.org", "nino+2@example.org", "Nino+gift@Example.org"],
        ["n.i.n.o@gmail.com", "nino+x@googlemail.com", "NINO@GMAIL.COM."],
    ],
)
def test_spellings_of_one_mailbox_share_one_allowance(spellings):
    attempt(spellings[0], "192.0.2.1")
    attempt(spellings[1], "192.0.2.2")

    with pytest.raises(CheckoutBlocked) as caught:
        attempt(spellings[2], "192.0.2.3")

    assert caught.value.message == "Too many attempts with this email address; try again in 10 minutes."


@pytest.mark.parametrize(
    ("typed", "mailbox"),
    [
        (" Nino+Tag@Example.ORG ", "nino@example.org"),
        ("first.last+news@gmail.com", "firstlast@gmail.com"),
        ("first.last@googlemail.com", "firstlast@gmail.com"),
        ("first.last@example.org", "first.last@example.org"),  # elsewhere a dot can make a different mailbox
        ("+only-a-tag@example.org", "+only-a-tag@example.org"),
        ("a+b+c@example.org", "a@example.org"),
        ("not an address", "not an address"),
        ("", ""),
    ],
)
def test_what_counts_as_one_mailbox(typed, mailbox):
    assert mailbox_for_limits(typed) == mailbox


def test_different_mailboxes_at_one_provider_keep_their_own_allowances():
    for email in ("nino@example.org", "nino@example.org", "nina@example.org", "nina@example.org"):
        attempt(email, "192.0.2.1")
