"""One reader of typed amounts for every form: a donor's give form and staff's money fields turn the same text
into the same integer of minor units, and refuse the same mistakes (each in its own words)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from donations.forms import AmountError, parse_amount_minor
from outlet.common.admin_money import amount_text_to_minor
from outlet.common.money import AmountNotUnderstood, major_text, parse_typed_amount

Reason = AmountNotUnderstood


@pytest.mark.parametrize(
    ("typed", "currency", "minor"),
    [
        ("12.50", "GEL", 1250),
        ("12,50", "GEL", 1250),
        ("1,500", "GEL", 150000),
        ("1,500.50", "USD", 150050),
        ("1\u202f500", "GEL", 150000),
        ("1\u2009500", "GEL", 150000),
        ("3842", "JPY", 3842),
        ("3.842", "KWD", 3842),
        ("0", "GEL", 0),
    ],
)
def test_amounts_are_read_as_people_write_them(typed, currency, minor):
    assert parse_typed_amount(typed, currency=currency, max_whole_digits=12) == minor


@pytest.mark.parametrize(
    ("typed", "currency", "reason"),
    [
        ("", "GEL", Reason.EMPTY),
        ("  ", "GEL", Reason.EMPTY),
        ("-5", "GEL", Reason.NEGATIVE),
        ("1e3", "GEL", Reason.NOT_A_NUMBER),
        ("NaN", "GEL", Reason.NOT_A_NUMBER),
        ("12.5.0", "GEL", Reason.NOT_A_NUMBER),
        ("12.345", "GEL", Reason.TOO_MANY_DECIMALS),
        ("12.5", "JPY", Reason.TOO_MANY_DECIMALS),
        ("1234567890123", "GEL", Reason.TOO_LARGE),
    ],
)
def test_what_is_not_an_amount_is_refused_with_its_reason_never_rounded(typed, currency, reason):
    with pytest.raises(AmountNotUnderstood) as refused:
        parse_typed_amount(typed, currency=currency, max_whole_digits=12)
    assert refused.value.reason == reason


def test_a_decimal_comma_can_be_turned_off_for_lists_that_use_commas_between_amounts():
    with pytest.raises(AmountNotUnderstood):
        parse_typed_amount("12,5", currency="GEL", max_whole_digits=12, decimal_comma=False)
    assert parse_typed_amount("12.5", currency="GEL", max_whole_digits=12, decimal_comma=False) == 1250


@given(st.integers(min_value=1, max_value=10**11), st.sampled_from(["GEL", "USD", "JPY", "KWD", "AMD", "AZN"]))
def test_donor_and_staff_read_what_the_site_writes_back_to_the_same_amount(minor, currency):
    typed = major_text(minor, currency)
    assert parse_amount_minor(typed, currency) == amount_text_to_minor(typed, currency=currency) == minor


def test_each_form_says_the_same_mistake_in_its_own_words():
    with pytest.raises(AmountError, match="Use at most 2 decimal places."):
        parse_amount_minor("12.345", "GEL")
    with pytest.raises(ValidationError, match="GEL amounts have at most 2 digits after the decimal point"):
        amount_text_to_minor("12.345", currency="GEL")
    with pytest.raises(AmountError, match="Enter an amount above zero."):
        parse_amount_minor("0", "GEL")
    assert amount_text_to_minor("0", currency="GEL") == 0  # staff fields check their own minimums


@pytest.mark.parametrize(
    ("language", "fifteen_fifty", "fifteen", "thousand_five_hundred"),
    [
        ("en", "GEL\u00a015.50", "GEL\u00a015", "GEL\u00a01,500"),
        ("ka", "15,50\u00a0₾", "15\u00a0₾", "1\u00a0500\u00a0₾"),
        ("hy", "15,50\u00a0GEL", "15\u00a0GEL", "1\u00a0500\u00a0GEL"),
        ("az", "15,50\u00a0GEL", "15\u00a0GEL", "1.500\u00a0GEL"),
        ("ru", "15,50\u00a0GEL", "15\u00a0GEL", "1\u00a0500\u00a0GEL"),
    ],
)
def test_each_language_writes_an_amount_its_own_way(language, fifteen_fifty, fifteen, thousand_five_hundred):
    """Babel's locale data decides the symbol, its side and the separators; the stored integer never changes."""
    from django.utils import translation

    from outlet.common.money import format_money

    with translation.override(language):
        assert format_money(1550, "GEL") == fifteen_fifty
        assert format_money(1500, "gel") == fifteen
        assert format_money(150000, "GEL") == thousand_five_hundred
    assert format_money(1550, "GEL", locale="ka") == "15,50\u00a0₾"


def _as_babel_writes_it(amount_minor: int, code: str, where: str) -> str:
    """The amount as format_money wrote it before it kept each locale's style: babel's format_currency in full."""
    from babel import Locale
    from babel.numbers import format_currency, get_currency_symbol

    from outlet.common.money import to_major

    major = to_major(amount_minor, code)
    pattern = Locale.parse(where).currency_formats["standard"].pattern
    whole = major == major.to_integral_value()
    if whole:
        pattern = pattern.replace(".00", "")
    text = format_currency(major, code, format=pattern, locale=where, currency_digits=not whole)
    if pattern.startswith("¤") and get_currency_symbol(code, locale=where) == code:
        text = text.replace(code, code + "\u00a0", 1)
    return text


AMOUNTS = [0, 1, 5, 50, 99, 100, 101, 150, 999, 1000, 1001, 1500, 1550, 12345, 100000, 150050, 123456789, -1, -150]


@pytest.mark.parametrize("where", ["en", "ka", "hy", "az", "ru", "en_GB", "de"])
def test_every_amount_is_written_as_babel_writes_it_in_full_in_every_language(where):
    """format_money keeps each currency's style per locale (its pattern parsed once); the text must not change:
    whole and not, large and negative, currencies written with a sign or with their code, none or three decimals."""
    from outlet.common.money import format_money

    for code in ["GEL", "USD", "EUR", "AMD", "AZN", "RUB", "GBP", "JPY", "KWD"]:
        for amount in AMOUNTS:
            assert format_money(amount, code, locale=where) == _as_babel_writes_it(amount, code, where), (amount, code)
