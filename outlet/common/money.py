"""Money is an integer of minor units plus an ISO 4217 code; this is the one place that turns it into text, and
the one place that reads the amounts people type."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import NamedTuple

from babel import Locale
from babel.numbers import NumberPattern, get_currency_precision, get_currency_symbol, parse_pattern

from outlet.common import languages


def to_major(amount_minor: int, currency: str) -> Decimal:
    """Exact major units (Decimal, never float): 1550 GEL -> 15.50."""
    return Decimal(int(amount_minor)).scaleb(-get_currency_precision(currency.upper()))


def format_money(amount_minor: int | None, currency: str | None, *, locale: str | None = None) -> str:
    """The amount as the active language writes it (`locale` names another): "GEL 15.50" in English, "15,50 ₾" in
    Georgian, "1 500 GEL" in Russian. Whole amounts drop their zero decimals on tier cards and buttons ("$15")."""
    if amount_minor is None or not currency:
        return ""
    return _formatted(int(amount_minor), currency.upper(), locale or languages.number_locale())


@lru_cache(maxsize=8192)
def _formatted(amount_minor: int, code: str, where: str) -> str:
    """Babel takes tens of microseconds an amount even with the style found once (_style), and a staff list or the
    dashboard shows a few hundred, mostly the same prices and totals again: the text depends on nothing but these
    three, so it is remembered (a few MB at most)."""
    major = to_major(amount_minor, code)
    style = _style(code, where)
    whole = major == major.to_integral_value()
    # What babel's format_currency does with a format string, minus finding the locale and parsing the pattern.
    pattern = style.whole if whole else style.with_decimals
    text = pattern.apply(major, style.locale, currency=code, currency_digits=not whole)
    if style.code_needs_space:
        # A code standing for a symbol needs a space before the number: "GEL 15.50", not "GEL15.50".
        text = text.replace(code, code + "\u00a0", 1)
    return text


class _CurrencyStyle(NamedTuple):
    locale: Locale
    with_decimals: NumberPattern
    whole: NumberPattern  # "$15", not "$15.00", on tier cards and buttons
    code_needs_space: bool


@lru_cache(maxsize=256)
def _style(code: str, where: str) -> _CurrencyStyle:
    """How a currency is written in a locale, found once: an amount a process had not shown before (the first
    staff list after a restart shows dozens) took 84 microseconds on a slow machine when each looked the locale up
    and parsed its pattern again, 49 now."""
    locale = Locale.parse(where)
    pattern = locale.currency_formats["standard"].pattern
    return _CurrencyStyle(
        locale=locale,
        with_decimals=parse_pattern(pattern),
        whole=parse_pattern(pattern.replace(".00", "")),
        code_needs_space=pattern.startswith("¤") and get_currency_symbol(code, locale=locale) == code,
    )


def major_text(amount_minor: int, currency: str) -> str:
    """Minor units as a person types them back: 150050 GEL -> "1500.50", 5000 -> "50" (no ".00" on a whole
    amount), so a form shows what it would read again exactly."""
    major = to_major(amount_minor, currency or "GEL")
    return f"{major.to_integral_value():f}" if major == major.to_integral_value() else f"{major:f}"


TYPED_SPACES = re.compile(r"[\s\u00a0\u2009\u202f]")  # spaces people put in numbers, thin ones included
_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", re.ASCII)  # 1,500 or 1,500.50
PLAIN_DECIMAL = re.compile(r"\d+(?:[.,]\d+)?", re.ASCII)  # 1500, 1500.50 or 1500,50 (a decimal comma)
_DOT_ONLY = re.compile(r"\d+(?:\.\d+)?", re.ASCII)


class AmountNotUnderstood(ValueError):
    """Why typed text is not an amount (`reason`, one of the constants below). Each form says it in its own words:
    a donor and a staff member are told different things about the same mistake."""

    EMPTY = "empty"
    NEGATIVE = "negative"
    NOT_A_NUMBER = "not_a_number"
    TOO_MANY_DECIMALS = "too_many_decimals"
    TOO_LARGE = "too_large"

    def __init__(self, reason: str, *, digits: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.digits = digits  # the currency's decimal places, for a message that says how many are allowed


def parse_typed_amount(text: str, *, currency: str, max_whole_digits: int, decimal_comma: bool = True) -> int:
    """Major units as people type them ("12.50", "12,50", "1,500") to integer minor units, through Decimal, never
    float. Grouping commas and, unless `decimal_comma` is off, a decimal comma are read as written; a sign, an
    exponent, "NaN" or more decimals than the currency has are refused, never rounded."""
    digits = get_currency_precision(currency.upper()) if currency else 2
    raw = TYPED_SPACES.sub("", text or "")
    if not raw:
        raise AmountNotUnderstood(AmountNotUnderstood.EMPTY, digits=digits)
    if raw.startswith("-"):
        raise AmountNotUnderstood(AmountNotUnderstood.NEGATIVE, digits=digits)
    if _THOUSANDS.fullmatch(raw):
        raw = raw.replace(",", "")
    elif (PLAIN_DECIMAL if decimal_comma else _DOT_ONLY).fullmatch(raw):
        raw = raw.replace(",", ".")
    else:
        raise AmountNotUnderstood(AmountNotUnderstood.NOT_A_NUMBER, digits=digits)
    whole, _, fraction = raw.partition(".")
    if len(fraction) > digits:
        raise AmountNotUnderstood(AmountNotUnderstood.TOO_MANY_DECIMALS, digits=digits)
    if len(whole.lstrip("0")) > max_whole_digits:
        raise AmountNotUnderstood(AmountNotUnderstood.TOO_LARGE, digits=digits)
    try:
        return int(Decimal(raw).scaleb(digits))
    except InvalidOperation:  # pragma: no cover - the patterns only let plain decimals through
        raise AmountNotUnderstood(AmountNotUnderstood.NOT_A_NUMBER, digits=digits) from None
