"""Readers for the browser tests, and what they do with their inbox: find the code or the link an email carries,
and sign in through the real pages."""

from __future__ import annotations

import re

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

PASSWORD = "a quiet river at dusk 42"
NEW_PASSWORD = "the long road to Mestia 9"

# allauth's codes sit alone on a line: capitals and digits, in groups joined by hyphens ("NXPR-ZMFC", "4F7K2Q").
CODE_LINE = re.compile(r"^\s*([A-Z0-9]{4,}(?:-[A-Z0-9]{4,})*)\s*$", re.M)
LINK = re.compile(r"https?://\S+")


def reader(email: str, *, password: str | None = PASSWORD, first_name: str = "", verified: bool = True):
    """An account as sign-up leaves it once the address is verified (no password at all when `password` is None)."""
    user = get_user_model().objects.create_user(
        username=email.split("@")[0], email=email, password=password, first_name=first_name
    )
    if password is None:
        user.set_unusable_password()
        user.save()
    EmailAddress.objects.create(user=user, email=email, verified=verified, primary=True)
    return user


def code_in(message) -> str:
    codes = CODE_LINE.findall(message.body)
    assert len(codes) == 1, f"expected one code in {message.subject!r}:\n{message.body}"
    return codes[0]


def link_in(message, containing: str) -> str:
    links = [link for link in LINK.findall(message.body) if containing in link]
    assert len(links) == 1, f"expected one link with {containing!r} in {message.subject!r}:\n{message.body}"
    return links[0]


def sent_to(outbox, email: str, subject_part: str = "") -> list:
    return [m for m in outbox if email in m.to and subject_part.lower() in m.subject.lower()]


def sign_in(page: Page, base_url: str, email: str, password: str = PASSWORD, *, next_path: str = "") -> None:
    page.goto(f"{base_url}/accounts/login/" + (f"?next={next_path}" if next_path else ""))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=False).click()


def expect_signed_in(page: Page) -> None:
    header = page.get_by_role("banner")
    expect(header.get_by_role("link", name=re.compile(r"^Account"))).to_be_visible()
    expect(header.get_by_role("link", name="Sign in", exact=True)).to_have_count(0)


def expect_signed_out(page: Page) -> None:
    expect(page.get_by_role("banner").get_by_role("link", name="Sign in", exact=True)).to_be_visible()
