"""Money is an integer of minor units plus an ISO 4217 code; this is the one place that turns it into text."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_currency, format_decimal, get_currency_precision, get_currency_symbol


def to_major(amount_minor: int, currency: str) -> Decimal:
    """Exact major units (Decimal, never float): 1550 GEL -> 15.50."""
    return Decimal(int(amount_minor)).scaleb(-get_currency_precision(currency.upper()))


def format_money(amount_minor: int | None, currency: str | None, *, locale: str = "en") -> str:
    if amount_minor is None or not currency:
        return ""
    code = currency.upper()
    major = to_major(amount_minor, code)
    whole = major == major.to_integral_value()
    if get_currency_symbol(code, locale=locale) == code:  # no symbol in this locale: "GEL 15.50", not "GEL15.50"
        digits = get_currency_precision(code)
        number = format_decimal(major, format="#,##0" if whole else "#,##0." + "0" * digits, locale=locale)
        return f"{code}\u00a0{number}"
    # Whole amounts read better without ".00" on tier cards and buttons ("$15", not "$15.00").
    return format_currency(major, code, format="¤#,##0" if whole else None, locale=locale, currency_digits=not whole)
