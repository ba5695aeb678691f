"""Every email renders well in mail clients that drop <style>: a plain-text part, styles written into each element,
nothing fetched from elsewhere, the language and direction named, a preheader, and a description on any picture,
in English and in Georgian."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from outlet.common import emails

pytestmark = pytest.mark.django_db

RECEIPT = {
    "name": "Nino Beridze",
    "number": "2026-000123",
    "amount": "GEL 25.00",
    "description": "Gift to Keep the lights on",
    "is_void": False,
    "link_url": "https://news.example.org/receipts/abc/",
    "account_url": "https://news.example.org/accounts/receipts/",
    "manage_url": "https://news.example.org/gifts/manage/xyz/",
}
ACCOUNT = "https://news.example.org/accounts/membership/"
KINDS: dict[str, dict] = {
    "membership_welcome": {
        "name": "Nino",
        "tier_name": "Supporter",
        "amount": "GEL 15.00",
        "next_charge": "6 January 2027",
        "account_url": ACCOUNT,
    },
    "membership_payment_failed": {"name": "Nino", "grace_until": "20 December 2026", "account_url": ACCOUNT},
    "membership_ended": {"name": "", "join_url": "https://news.example.org/membership/"},
    "membership_plan_changed": {
        "name": "Nino",
        "tier_name": "Patron",
        "interval": "monthly",
        "amount": "GEL 40.00",
        "next_charge": "",
        "account_url": ACCOUNT,
    },
    "membership_renewal_stopped": {"name": "Nino", "access_until": "6 January 2027", "account_url": ACCOUNT},
    "membership_renewal_resumed": {
        "name": "Nino",
        "tier_name": "Supporter",
        "amount": "GEL 15.00",
        "next_charge": "6 January 2027",
        "account_url": ACCOUNT,
    },
    "donation_receipt": RECEIPT,
    "membership_receipt": RECEIPT | {"manage_url": "", "account_url": ""},
    "receipt_corrected": RECEIPT | {"replaces_number": "2026-000100", "refunded": "GEL 10.00", "is_void": True},
    "year_end_statement": {"name": "", "year": 2026, "totals": ["GEL 150.00", "USD 20.00"], "account_url": ACCOUNT},
    "staff_enrolment_code": {"name": "Anna", "code": "482913", "minutes": 15, "requested_at": "6 December 2026"},
    "monthly_gift_link": {"campaign": "Keep the lights on", "manage_url": "https://news.example.org/gifts/m/"},
    "privacy_code": {"code": "482913", "minutes": 30, "for_account": True},
    "privacy_export_ready": {
        "name": "Nino",
        "download_url": "https://news.example.org/accounts/privacy/export/1/download/",
        "expires_on": "13 December 2026",
        "days": 7,
    },
    "newsletter_confirmation": {"newsletter_name": "The Weekly", "confirm_url": "https://news.example.org/n/c/x/"},
    "newsletter": {
        "subject": "The week in the Caucasus",
        "newsletter_name": "The Weekly",
        "introduction_html": "<p>Three stories we could not stop thinking about.</p>",
        "introduction_text": "Three stories we could not stop thinking about.",
        "stories_html": '<p><a href="https://news.example.org/articles/a/"><img src="https://news.example.org/m/a.jpg" '
        'alt="Miners at the gate"></a></p><p>The mine town</p>',
        "stories_text": "The mine town\nhttps://news.example.org/articles/a/\n",
    },
}


def test_every_email_kind_is_covered_here():
    templates = Path(settings.BASE_DIR, "templates", "emails")
    kinds = {path.name.removesuffix("_subject.txt") for path in templates.glob("*_subject.txt")}
    assert kinds == set(KINDS)


class Elements(HTMLParser):
    """Every start tag with its attributes, and whether a <style> or stylesheet <link> is left."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def parsed(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Elements()
    parser.feed(html)
    return parser.tags


@pytest.mark.parametrize("language", ["en", "ka"])
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_email_renders_for_mail_clients(kind, language):
    with translation.override(language):
        message = emails.compose(kind=kind, to="nino@example.org", context=KINDS[kind], topic="fundraising")
    html = message.alternatives[0][0]
    tags = parsed(html)

    assert message.body.strip() and "{%" not in message.body and "{{" not in message.body
    assert "\n\n\n" not in message.body and not any(line != line.rstrip() for line in message.body.splitlines())
    assert "/email/preferences/" in message.body and "/email/unsubscribe/" in message.body

    assert "<style" not in html and "stylesheet" not in html and "{%" not in html
    html_tag = next(attrs for tag, attrs in tags if tag == "html")
    assert html_tag["lang"] == language and html_tag["dir"] == "ltr"
    for tag, attrs in tags:
        if tag in {"p", "a", "td", "body"}:
            assert attrs.get("style"), f"<{tag}> without inline style in {kind}"
        if tag == "img":
            assert attrs.get("alt") is not None, f"<img> without alt in {kind}"
    assert any("max-width: 600px" in (attrs.get("style") or "") for tag, attrs in tags if tag == "table")
    preheader = next(attrs for tag, attrs in tags if tag == "div" and "preheader" in (attrs.get("class") or ""))
    assert "display: none" in (preheader["style"] or "")
    assert settings.SITE_NAME in html  # the site's name as the header, in text


def test_the_preheader_is_the_first_thing_said_after_the_greeting():
    message = emails.compose(kind="monthly_gift_link", to="a@example.org", context=KINDS["monthly_gift_link"])
    html = message.alternatives[0][0]
    preheader = html.split('class="preheader"', 1)[1].split(">", 1)[1]
    assert preheader.startswith("Here is a new private link to manage your monthly gift to Keep the lights on")
    assert "Hello," not in preheader.split("…")[0]


def test_an_optional_email_names_its_topic_for_the_email_service():
    message = emails.compose(kind="membership_ended", to="a@example.org", context={}, topic="fundraising")
    assert message.metadata == {"topic": "fundraising"}
    assert not hasattr(emails.compose(kind="membership_ended", to="a@example.org", context={}), "metadata")


def test_inlining_never_fetches_a_linked_stylesheet():
    html = emails.inline_css(
        '<html><head><link rel="stylesheet" href="https://cdn.invalid/x.css"><style>p{color:red}</style></head>'
        "<body><p>Hi</p></body></html>"
    )
    assert "cdn.invalid" not in html and '<p style="color: red;">Hi</p>' in html


def test_a_message_with_an_attachment_becomes_bytes_a_mail_client_reads_back_whole(monkeypatch):
    """The MIME boundaries are chosen by outlet.common.emails.Email (a random token no part contains), not by
    Python's generator: the message still parses back into its text, its HTML and the very bytes of its PDF."""
    import email

    pdf = b"%PDF-1.4\n" + bytes(range(256)) * 40
    with translation.override("ka"):
        message = emails.compose(
            kind="donation_receipt",
            to="nino@example.org",
            context=RECEIPT | {"name": "ნინო ბერიძე", "forget_url": ""},
            attachments=[("receipt-2026-000123.pdf", pdf, "application/pdf")],
        )
    raw = message.message().as_bytes(linesep="\r\n")
    parsed = email.message_from_bytes(raw)
    boundaries = [part.get_boundary() for part in parsed.walk() if part.is_multipart()]
    assert len(boundaries) == 2 and all(b.startswith("=_outlet_") and len(b) == 41 for b in boundaries)
    assert len(set(boundaries)) == 2
    [text, html, attachment] = [part for part in parsed.walk() if not part.is_multipart()]
    assert "ნინო ბერიძე" in text.get_payload(decode=True).decode()
    assert html.get_content_type() == "text/html" and "ნინო ბერიძე" in html.get_payload(decode=True).decode()
    assert attachment.get_filename() == "receipt-2026-000123.pdf" and attachment.get_payload(decode=True) == pdf


def test_a_boundary_that_a_part_happens_to_contain_is_drawn_again(monkeypatch):
    tokens = iter(["a" * 32, "b" * 32, "c" * 32])
    monkeypatch.setattr(emails.secrets, "token_hex", lambda _bytes: next(tokens))
    message = emails.Email(
        "Subject", f"A text that quotes =_outlet_{'a' * 32} by chance.", "news@example.org", ["x@y.z"]
    )
    message.attach_alternative("<p>Hello</p>", "text/html")
    assert message.message().get_boundary() == f"=_outlet_{'b' * 32}"


def test_a_plain_header_that_fits_is_written_as_compat32_folds_it():
    """Email's policy writes a plain ASCII header line that fits as it is, skipping compat32's Header object; for
    every header of every email kind in every language, with a PDF attached, and for headers at the edges (just
    fitting, one too long, runs of spaces, tabs, encoded words, non-ASCII), the bytes are compat32's own."""
    from email.policy import compat32

    ours = emails._FOLDS_ONLY_WHAT_NEEDS_IT
    headers = []
    for kind in sorted(KINDS):
        for language in ["en", "ka", "hy", "az", "ru"]:
            with translation.override(language):
                message = emails.compose(
                    kind=kind,
                    to="nino@example.org",
                    context=KINDS[kind],
                    topic="fundraising",
                    attachments=[("receipt-2026-000123.pdf", b"%PDF-1.4\n", "application/pdf")],
                )
            headers += [(name, value) for part in message.message().walk() for name, value in part.items()]
    fits = "x" * (78 - len("Subject: "))
    headers += [
        ("Subject", fits),
        ("Subject", fits + "x"),
        ("Subject", " ".join(["word"] * 30)),
        ("Subject", "two  spaces"),
        ("Subject", "a\ttab"),
        ("Subject", " leading space"),
        ("Subject", "trailing space "),
        ("Subject", "=?utf-8?b?4YOT4YOQ?= encoded"),
        ("Subject", "Thank you, ნინო"),
        ("List-Unsubscribe", "<https://news.example.org/email/unsubscribe/" + "a" * 90 + "/>"),
    ]
    written_as_is = 0
    for name, value in headers:
        assert ours.fold_binary(name, value) == compat32.fold_binary(name, value), (name, value)
        assert ours.fold(name, value) == compat32.fold(name, value), (name, value)
        written_as_is += isinstance(value, str) and ours._fold(name, value, False) == f"{name}: {value}\n"
    assert written_as_is > 500, "most headers are one line that fits"
    assert emails.compose(kind="donation_receipt", to="nino@example.org", context=RECEIPT).message().policy is ours
