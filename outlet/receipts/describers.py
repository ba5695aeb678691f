"""What a receipt says about its payment, told by the product the payment is for.

Receipts are issued for every Payment, whatever it paid for, and this package imports no product: members/ and
donations/ register a describer for their Payment.Purpose in their AppConfig.ready() (as they register their event
handlers with outlet.payments.registry). A describer answers two questions:

- describe(payment, refund_level_minor): who paid, for what, and how the amount is shared (a gift's newsrooms). The
  answer is copied onto the Receipt row when it is issued, so a receipt never changes afterwards;
- email(payment): which email carries the receipt, and the link to manage a repeating payment, read when the
  email is sent (a monthly gift cancelled since has no link to manage it any more);
- language(payment), optional: the language the payer reads (by default their account's setting). The receipt is
  described in it, keeps it, and its email and PDF are written in it;
- prepare(payments), optional: called before a batch of payments is described, to read what the questions above
  need for all of them in a few queries instead of a few per payment.

Products may also add a section to the account's receipts page (donations: the year-end statements).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from outlet.common import languages

if TYPE_CHECKING:
    from django.http import HttpRequest

    from outlet.payments.models import Payment


@dataclass(frozen=True)
class Description:
    """The receipt's words about a payment: the payer, what it was for, and the lines shown under the amount
    (each a dict with "kind" ("outlet", "fee" or "fee_cover"), "name" and "amount_minor"; none for most). "outlet"
    is a newsroom's part of a gift: the value issued receipts hold (they never change), so it keeps its old word."""

    name: str
    email: str
    description: str
    lines: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Email:
    """How a payment's receipt is emailed: `send` is the outlet.common.emails function for the product's receipt email
    (it takes the keyword arguments services.email_receipt builds), `manage_url` a link to manage what repeats."""

    send: Callable[..., bool]
    manage_url: str = ""


def payer_language(payment: Payment) -> str:
    """The paying account's language (its setting); English for a payment without an account."""
    return languages.for_user(payment.user_id)


@dataclass(frozen=True)
class Describer:
    describe: Callable[[Payment, int], Description]
    email: Callable[[Payment], Email]
    # The language the payer reads: the receipt is issued, emailed and drawn in it.
    language: Callable[[Payment], str] = payer_language
    prepare: Callable[[list[Payment]], None] | None = None


_describers: dict[str, Describer] = {}
_account_sections: list[Callable[[HttpRequest], str]] = []


def register_describer(
    purpose: str,
    *,
    describe: Callable[[Payment, int], Description],
    email: Callable[[Payment], Email],
    language: Callable[[Payment], str] = payer_language,
    prepare: Callable[[list[Payment]], None] | None = None,
) -> None:
    """Products call this once per Payment.Purpose they own; registering again replaces (tests, reloads)."""
    _describers[purpose] = Describer(describe=describe, email=email, language=language, prepare=prepare)


def prepare(payments: list[Payment]) -> None:
    """Let each product read ahead for a batch of its payments about to be described."""
    by_purpose: dict[str, list[Payment]] = {}
    for payment in payments:
        by_purpose.setdefault(payment.purpose, []).append(payment)
    for purpose, batch in by_purpose.items():
        read_ahead = describer_for(purpose).prepare
        if read_ahead is not None:
            read_ahead(batch)


def describer_for(purpose: str) -> Describer:
    try:
        return _describers[purpose]
    except KeyError:
        raise LookupError(f"No product described {purpose!r} payments for their receipts") from None


def describe_payer(payment: Payment, *, default_description: str) -> Description:
    """The payment as the Payment row alone tells it: the paying account's name, the payment's email (else the
    account's) and its own description. For products whose receipts show no more than that."""
    user = payment.user
    name = user.get_full_name() if user is not None else ""
    email = payment.email or (user.email if user is not None else "")
    return Description(name=name, email=email, description=payment.description or default_description)


def register_account_section(section: Callable[[HttpRequest], str]) -> None:
    """A product's part of the account's receipts page: a function of the request returning its HTML."""
    if section not in _account_sections:
        _account_sections.append(section)


def account_sections(request: HttpRequest) -> list[str]:
    return [section(request) for section in _account_sections]
