"""The admin's money and rate fields: what staff type becomes exactly the integer the models keep, by the
currency's own precision, and what cannot be read exactly is refused with what to type instead."""

from __future__ import annotations

import pytest
from django import forms
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from outlet.common.admin_money import (
    CurrencyFromFormMixin,
    MoneyField,
    MoneyListField,
    ScaledIntegerField,
    amount_text_to_minor,
    major_text,
    percent_text,
)


def refusal(field, typed: str) -> str:
    with pytest.raises(ValidationError) as refused:
        field.clean(typed)
    return refused.value.messages[0]


@pytest.mark.parametrize(
    ("typed", "currency", "minor"),
    [
        ("38.42", "GEL", 3842),
        ("38,42", "GEL", 3842),
        ("1,500.50", "GEL", 150050),
        ("1 500.50", "GEL", 150050),
        ("1,500", "USD", 150000),
        ("GEL 38.42", "GEL", 3842),
        ("38.42 gel", "GEL", 3842),
        ("$38.42", "USD", 3842),
        ("3842", "JPY", 3842),
        ("3.842", "KWD", 3842),
        ("0.1", "GEL", 10),
        ("007", "GEL", 700),
    ],
)
def test_amounts_are_read_as_people_write_them(typed, currency, minor):
    assert amount_text_to_minor(typed, currency=currency) == minor


@pytest.mark.parametrize(
    ("typed", "currency", "message"),
    [
        ("ten", "GEL", "Enter an amount like 38.42."),
        ("1e3", "GEL", "Enter an amount like 38.42."),
        ("NaN", "GEL", "Enter an amount like 38.42."),
        ("38.42.1", "GEL", "Enter an amount like 38.42."),
        ("USD 38.42", "GEL", "Enter an amount like 38.42."),
        ("-5", "GEL", "Enter an amount above 0, without a minus sign."),
        ("38.425", "GEL", "GEL amounts have at most 2 digits after the decimal point: enter an amount like 38.42."),
        ("38.42", "JPY", "JPY amounts are whole numbers: enter an amount like 3842."),
        ("1" * 16, "GEL", "That amount is far too large."),
    ],
)
def test_what_cannot_be_read_exactly_is_refused_never_rounded(typed, currency, message):
    with pytest.raises(ValidationError) as refused:
        amount_text_to_minor(typed, currency=currency)
    assert refused.value.messages == [message]


@given(
    minor=st.integers(min_value=0, max_value=10**15 - 1), currency=st.sampled_from(["GEL", "USD", "EUR", "JPY", "KWD"])
)
def test_what_the_field_shows_reads_back_as_the_same_amount(minor, currency):
    assert amount_text_to_minor(major_text(minor, currency), currency=currency) == minor


def test_a_money_field_shows_and_takes_major_units_with_its_limits_as_money():
    field = MoneyField(currency="GEL", minimum_minor=500, maximum_minor=100_000)
    assert field.prepare_value(150050) == "1500.50" and field.prepare_value(5000) == "50"
    assert field.clean("12.5") == 1250
    assert refusal(field, "4.99") == "Enter at least GEL\u00a05."
    assert refusal(field, "1,000.01") == "Enter at most GEL\u00a01,000."
    assert 'inputmode="decimal"' in field.widget.render("goal", "12.50") and "GEL</span>" in field.widget.render(
        "goal", "12.50"
    )
    assert (
        not field.has_changed(1250, "12.50") and field.has_changed(1250, "12.51") and field.has_changed(1250, "twelve")
    )


def test_a_list_of_amounts_takes_commas_and_spaces_but_refuses_an_ambiguous_comma():
    field = MoneyListField(currency="GEL", required=True)
    assert field.clean("10, 25.50, 1,000") == [1000, 2550, 100_000]
    assert field.clean("10; 25\n50") == [1000, 2500, 5000]
    assert field.prepare_value([1000, 2550]) == "10, 25.50"
    assert refusal(field, "12,50").endswith("Separate amounts with a comma and a space, like 10, 25, 50.")


def test_a_share_is_a_percentage_kept_in_millionths_and_a_rate_a_number_kept_in_ppm():
    share = ScaledIntegerField(exponent=4, suffix="%", minimum=0, maximum=1_000_000)
    assert share.clean("33.5 %") == 335_000 and share.clean("33,5") == 335_000 and share.clean("100") == 1_000_000
    assert share.prepare_value(335_000) == "33.5" and percent_text(333_334) == "33.3334\u00a0%"
    assert refusal(share, "100.5") == "Enter at most 100."
    rate = ScaledIntegerField(exponent=6, minimum=1, example="2.7")
    assert rate.clean("2.7") == 2_700_000 and rate.prepare_value(2_950_000) == "2.95"
    assert refusal(rate, "2.7000001") == "Use at most 6 digits after the decimal point."


class PriceForm(CurrencyFromFormMixin, forms.Form):
    amount = MoneyField(label="Price")
    currency = forms.CharField()


def test_a_forms_money_field_takes_the_currency_typed_beside_it():
    assert PriceForm({"amount": "3842", "currency": "jpy"}).is_valid()
    assert PriceForm({"amount": "3842", "currency": "jpy"}).fields["amount"].clean("3842") == 3842
    priced_in_lari = PriceForm({"amount": "38.42", "currency": "GEL"})
    assert priced_in_lari.is_valid() and priced_in_lari.cleaned_data["amount"] == 3842
    in_yen = PriceForm({"amount": "38.42", "currency": "JPY"})
    assert not in_yen.is_valid() and "JPY amounts are whole numbers" in in_yen.errors["amount"][0]
    unbound = PriceForm(initial={"amount": 150050, "currency": "GEL"})
    assert 'value="1500.50"' in str(unbound["amount"])
