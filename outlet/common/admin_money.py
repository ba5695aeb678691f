"""Admin form fields that take money and rates as people write them, and store the integers the models keep.

Staff type "1,500.50" for a goal, "10, 25, 50" for preset buttons, "33.5" for a percentage and "2.7" for an
exchange rate; the models keep integer minor units (150050), lists of them, and integers in fixed scales (ppm).
Each field converts exactly, through Decimal and the currency's precision (Babel), never through a float, and
refuses what it cannot convert exactly with a message saying what to type instead.

A money field needs its currency. `MoneyField(currency="GEL")` fixes it; in a form whose own `currency` field
says it (a campaign's goal, a price row), `CurrencyFromFormMixin` hands the fields the currency typed there (or the
saved one), so "38.42" means 3842 in GEL and 38 in JPY."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

from babel.numbers import get_currency_precision, get_currency_symbol
from django import forms
from django.core.exceptions import ValidationError
from django.utils.html import format_html

from outlet.common.money import (
    PLAIN_DECIMAL,
    TYPED_SPACES,
    AmountNotUnderstood,
    format_money,
    major_text,
    parse_typed_amount,
)

POSITIVE_INT_MAX = 2_147_483_647  # PositiveIntegerField's limit on PostgreSQL
BIG_INT_MAX = 9_223_372_036_854_775_807
MAX_WHOLE_DIGITS = 15  # far above any goal or price; longer input is a typo


def currency_digits(currency: str) -> int:
    return get_currency_precision(currency) if currency else 2


def example_amount(currency: str) -> str:
    """What to type, in this currency's own precision: "38.42" (GEL, USD), "3842" (JPY), "3.842" (KWD)."""
    return major_text(3842, currency or "GEL")


def _without_currency(text: str, currency: str) -> str:
    """ "GEL 38.42", "38.42 GEL", "$38.42": the code or symbol of this very currency may come with the number."""
    if not currency:
        return text
    for mark in {currency.upper(), get_currency_symbol(currency.upper(), locale="en")}:
        if text.upper().startswith(mark.upper()):
            return text[len(mark) :]
        if text.upper().endswith(mark.upper()):
            return text[: -len(mark)]
    return text


def amount_text_to_minor(text: str, *, currency: str, decimal_comma: bool = True) -> int:
    """ "1,500.50" GEL -> 150050, as staff type it (the currency's code or symbol may come with the number); what
    is refused and why is outlet.common.money.parse_typed_amount's, said here in staff's words."""
    code = (currency or "").upper()
    raw = _without_currency(TYPED_SPACES.sub("", str(text)), code)
    try:
        return parse_typed_amount(raw, currency=code, max_whole_digits=MAX_WHOLE_DIGITS, decimal_comma=decimal_comma)
    except AmountNotUnderstood as exc:
        if exc.reason == AmountNotUnderstood.NEGATIVE:
            raise ValidationError("Enter an amount above 0, without a minus sign.", code="negative_amount") from None
        if exc.reason == AmountNotUnderstood.TOO_MANY_DECIMALS:
            name = code or "These"
            raise ValidationError(
                f"{name} amounts have at most {exc.digits} digits after the decimal point: enter an amount like "
                f"{example_amount(code)}."
                if exc.digits
                else f"{name} amounts are whole numbers: enter an amount like {example_amount(code)}.",
                code="too_many_decimals",
            ) from None
        if exc.reason == AmountNotUnderstood.TOO_LARGE:
            raise ValidationError("That amount is far too large.", code="too_large") from None
        raise ValidationError(f"Enter an amount like {example_amount(code)}.", code="invalid_amount") from None


class MoneyInput(forms.TextInput):
    """A text box for an amount: the phone keyboard with a decimal point, no browser autofill, and the currency
    named after it when the form knows it."""

    def __init__(self, attrs=None):
        super().__init__({"inputmode": "decimal", "autocomplete": "off", "size": 14, **(attrs or {})})
        self.currency_label: Callable[[], str] | None = None

    def render(self, name, value, attrs=None, renderer=None):
        html = super().render(name, value, attrs, renderer)
        label = self.currency_label() if self.currency_label else ""
        return format_html('{} <span class="money-currency">{}</span>', html, label) if label else html


if TYPE_CHECKING:  # what the mixins below are mixed into (at runtime they are plain classes)
    _MixedIntoField = forms.Field
    _MixedIntoForm = forms.BaseForm
else:
    _MixedIntoField = _MixedIntoForm = object


class _CurrencyAware(_MixedIntoField):
    """The currency of a money field: fixed, or asked of the form when the form's own field names it."""

    currency: str | Callable[[], str]

    def currency_code(self) -> str:
        code = self.currency() if callable(self.currency) else self.currency
        return (code or "").strip().upper()

    def _attach_currency_label(self) -> None:
        if isinstance(self.widget, MoneyInput) and getattr(self, "show_currency", True):
            self.widget.currency_label = self.currency_code

    def __deepcopy__(self, memo):
        copied = super().__deepcopy__(memo)
        copied._attach_currency_label()
        return copied


class MoneyField(_CurrencyAware, forms.Field):
    """An amount typed in major units ("38.42"), cleaned to integer minor units (3842) of the field's currency.
    Shows a stored amount the same way ("38.42"). `minimum_minor`/`maximum_minor` bound it (the database's
    integer limit by default), with messages that name the amounts as money."""

    widget = MoneyInput

    def __init__(
        self,
        *,
        currency: str | Callable[[], str] = "",
        minimum_minor: int | None = 1,
        maximum_minor: int | None = POSITIVE_INT_MAX,
        decimal_comma: bool = True,
        show_currency: bool = True,
        **kwargs,
    ):
        self.currency = currency
        self.minimum_minor, self.maximum_minor, self.decimal_comma = minimum_minor, maximum_minor, decimal_comma
        self.show_currency = show_currency
        super().__init__(**kwargs)
        self._attach_currency_label()

    def to_python(self, value) -> int | None:
        if value in self.empty_values:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        return amount_text_to_minor(value, currency=self.currency_code(), decimal_comma=self.decimal_comma)

    def validate(self, value) -> None:
        super().validate(value)
        if value is None:
            return
        code = self.currency_code() or "GEL"
        if self.minimum_minor is not None and value < self.minimum_minor:
            message = self.error_messages.get("min_value") or (
                "Enter an amount above 0."
                if self.minimum_minor == 1
                else f"Enter at least {format_money(self.minimum_minor, code)}."
            )
            raise ValidationError(message, code="min_value")
        if self.maximum_minor is not None and value > self.maximum_minor:
            raise ValidationError(
                self.error_messages.get("max_value") or f"Enter at most {format_money(self.maximum_minor, code)}.",
                code="max_value",
            )

    def prepare_value(self, value):
        if isinstance(value, int) and not isinstance(value, bool):
            return major_text(value, self.currency_code())
        return value

    def has_changed(self, initial, data) -> bool:
        if self.disabled:
            return False
        try:
            return self.to_python(data) != (None if initial in self.empty_values else int(initial))
        except (ValidationError, TypeError, ValueError):
            return True


class MoneyListField(_CurrencyAware, forms.Field):
    """Several amounts in one box, as people list them: "10, 25, 50" -> [1000, 2500, 5000] (GEL). Amounts are
    separated by a comma and a space, a semicolon or a new line; a decimal comma would be ambiguous here, so
    "12,50" is refused rather than read as 12.50 or as 12 and 50."""

    widget = MoneyInput
    SEPARATORS = re.compile(r",\s+|;|\n")

    def __init__(self, *, currency: str | Callable[[], str] = "", **kwargs):
        self.currency = currency
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self._attach_currency_label()

    def to_python(self, value) -> list[int]:
        if value in self.empty_values:
            return []
        if isinstance(value, list):
            return value
        code = self.currency_code()
        amounts = []
        for piece in self.SEPARATORS.split(str(value).strip().strip(",;")):
            if not piece.strip():
                continue
            try:
                amount = amount_text_to_minor(piece, currency=code, decimal_comma=False)
            except ValidationError as refused:
                example = ", ".join(major_text(n * 10 ** currency_digits(code), code) for n in (10, 25, 50))
                raise ValidationError(
                    f"“{piece.strip()}”: {refused.messages[0]} Separate amounts with a comma and a space, like "
                    f"{example}.",
                    code="invalid_amount",
                ) from None
            if amount <= 0:
                raise ValidationError("Each amount must be above 0.", code="min_value")
            amounts.append(amount)
        return amounts

    def prepare_value(self, value):
        if isinstance(value, list):
            code = self.currency_code()
            return ", ".join(major_text(amount, code) if isinstance(amount, int) else str(amount) for amount in value)
        return value

    def has_changed(self, initial, data) -> bool:
        try:
            return self.to_python(data) != (initial or [])
        except ValidationError:
            return True


class ScaledNumberInput(forms.TextInput):
    """A text box for a rate, with its unit ("%") after it."""

    def __init__(self, attrs=None, *, suffix: str = ""):
        super().__init__({"inputmode": "decimal", "autocomplete": "off", "size": 10, **(attrs or {})})
        self.suffix = suffix

    def render(self, name, value, attrs=None, renderer=None):
        html = super().render(name, value, attrs, renderer)
        return format_html('{} <span class="rate-unit">{}</span>', html, self.suffix) if self.suffix else html


class ScaledIntegerField(forms.Field):
    """A decimal as people think of it, stored as an integer at a fixed scale: with `exponent=4`, a share of
    "33.5" % is kept as 335000 (millionths of the whole); with `exponent=6` a rate of "2.7" is kept as 2700000 ppm.
    Anything finer than the scale is refused, never rounded."""

    def __init__(
        self,
        *,
        exponent: int,
        suffix: str = "",
        minimum: int | None = None,
        maximum: int | None = None,
        example: str = "33.5",
        **kwargs,
    ):
        self.exponent, self.suffix, self.minimum, self.maximum, self.example = (
            exponent,
            suffix,
            minimum,
            maximum,
            example,
        )
        # A stored value to show as another (stored -> shown): a value kept at an older scale, shown at this one.
        # The stored value stays the field's initial, so typing what is shown still counts as a change and saves it.
        self.shown_instead: dict[int, int] = {}
        kwargs.setdefault("widget", ScaledNumberInput(suffix=suffix))
        super().__init__(**kwargs)

    def to_python(self, value) -> int | None:
        if value in self.empty_values:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raw = TYPED_SPACES.sub("", str(value))
        if self.suffix and raw.endswith(self.suffix):
            raw = raw[: -len(self.suffix)]
        if not PLAIN_DECIMAL.fullmatch(raw):
            raise ValidationError(f"Enter a number like {self.example}.", code="invalid")
        scaled = Decimal(raw.replace(",", ".")).scaleb(self.exponent)
        if scaled != scaled.to_integral_value():
            raise ValidationError(
                f"Use at most {self.exponent} digits after the decimal point.", code="too_many_decimals"
            )
        return int(scaled)

    def validate(self, value) -> None:
        super().validate(value)
        if value is None:
            return
        if self.minimum is not None and value < self.minimum:
            raise ValidationError(
                self.error_messages.get("min_value") or f"Enter at least {self.text(self.minimum)}.", code="min_value"
            )
        if self.maximum is not None and value > self.maximum:
            raise ValidationError(
                self.error_messages.get("max_value") or f"Enter at most {self.text(self.maximum)}.", code="max_value"
            )

    def text(self, stored: int) -> str:
        return scaled_text(stored, exponent=self.exponent)

    def prepare_value(self, value):
        if isinstance(value, int) and not isinstance(value, bool):
            return self.text(self.shown_instead.get(value, value))
        return value

    def has_changed(self, initial, data) -> bool:
        try:
            return self.to_python(data) != (None if initial in self.empty_values else int(initial))
        except (ValidationError, TypeError, ValueError):
            return True


def scaled_text(stored: int, *, exponent: int) -> str:
    """A stored integer as people read it: 335000 at exponent 4 -> "33.5"; 2700000 at exponent 6 -> "2.7"."""
    number = Decimal(int(stored)).scaleb(-exponent)
    return f"{number.to_integral_value():f}" if number == number.to_integral_value() else f"{number.normalize():f}"


def percent_text(stored: int, *, exponent: int = 4) -> str:
    """ "33.5 %" for 335000 millionths: how a share reads in a list or on a detail page."""
    return f"{scaled_text(stored, exponent=exponent)}\u00a0%"


class CurrencyFromFormMixin(_MixedIntoForm):
    """For a ModelForm with a `currency` field: its money fields are in the currency typed there (on a bound form,
    before that field is cleaned, so each amount converts by the right precision) or else the saved one."""

    currency_field_name = "currency"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, (MoneyField, MoneyListField)) and not field.currency:
                field.currency = self.money_currency
                field._attach_currency_label()

    def money_currency(self) -> str:
        name = self.currency_field_name
        if self.is_bound:
            typed = self.data.get(self.add_prefix(name))
            if typed and str(typed).strip():
                return str(typed).strip().upper()
        field = self.fields.get(name)
        initial = self.get_initial_for_field(field, name) if field is not None else None
        instance = getattr(self, "instance", None)
        return str(initial or getattr(instance, name, "") or "").strip().upper()
