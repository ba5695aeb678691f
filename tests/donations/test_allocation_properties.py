"""Property tests for the money arithmetic every gift goes through: the split between the newsrooms, the fee a donor
may cover, and who gets the odd minor unit. A broken rule here would show up in a newsroom's payout, so the
properties are the ones a newsroom's treasurer would check by hand."""

from __future__ import annotations

from fractions import Fraction

import pytest
from django.test import override_settings
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from donations import services

amounts = st.integers(min_value=0, max_value=10**12)
weight_lists = st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=8).filter(lambda ws: any(ws))


@st.composite
def splits(draw):
    """An amount, weights keyed 1..n (some may be zero) and a remainder beneficiary with a positive weight."""
    weights = draw(weight_lists)
    keyed = list(enumerate(weights, start=1))
    remainder_to = draw(st.sampled_from([key for key, weight in keyed if weight > 0]))
    return draw(amounts), keyed, remainder_to


@given(splits())
def test_the_parts_of_a_split_always_add_up_to_the_amount_and_none_is_negative(case):
    amount, weights, remainder_to = case
    parts = services.split_amount(amount_minor=amount, weights=weights, remainder_to=remainder_to)
    assert sum(parts.values()) == amount
    assert all(part >= 0 for part in parts.values())


@given(splits())
def test_only_newsrooms_with_a_positive_weight_get_a_part(case):
    amount, weights, remainder_to = case
    parts = services.split_amount(amount_minor=amount, weights=weights, remainder_to=remainder_to)
    assert set(parts) == {key for key, weight in weights if weight > 0}


@given(splits())
def test_each_part_follows_its_weight_and_the_remainder_goes_to_the_stated_newsroom(case):
    amount, weights, remainder_to = case
    parts = services.split_amount(amount_minor=amount, weights=weights, remainder_to=remainder_to)
    positive = [(key, weight) for key, weight in weights if weight > 0]
    total = sum(weight for _, weight in positive)
    for key, weight in positive:
        exact = Fraction(amount * weight, total)
        if key == remainder_to:
            # It gets its own rounded-down share plus every leftover unit: fewer than one per newsroom in the split.
            assert exact - 1 < parts[key] < exact + len(positive)
        else:
            assert exact - 1 < parts[key] <= exact  # rounded down, so within one unit below the exact share


@given(splits())
def test_the_leftover_after_rounding_is_smaller_than_the_number_of_newsrooms(case):
    amount, weights, remainder_to = case
    parts = services.split_amount(amount_minor=amount, weights=weights, remainder_to=remainder_to)
    positive = [(key, weight) for key, weight in weights if weight > 0]
    total = sum(weight for _, weight in positive)
    leftover = parts[remainder_to] - amount * dict(positive)[remainder_to] // total
    assert 0 <= leftover < len(positive)


@given(amount=amounts, weight=st.integers(min_value=1, max_value=1000))
def test_one_newsroom_in_the_split_gets_everything(amount, weight):
    assert services.split_amount(amount_minor=amount, weights=[(7, weight), (8, 0)], remainder_to=7) == {7: amount}


def test_a_split_refuses_what_it_cannot_honour():
    with pytest.raises(ValueError):
        services.split_amount(amount_minor=-1, weights=[(1, 1)], remainder_to=1)
    with pytest.raises(ValueError):
        services.split_amount(amount_minor=100, weights=[(1, 0), (2, 0)], remainder_to=1)
    with pytest.raises(ValueError):
        services.split_amount(
            amount_minor=100, weights=[(1, 1), (2, 0)], remainder_to=2
        )  # zero weight: not in the split


# --- Covering the processing fee ----------------------------------------------------------------------------

fee_settings = st.fixed_dictionaries(
    {
        "basis_points": st.integers(min_value=0, max_value=2000),
        "fixed": st.integers(min_value=0, max_value=500),
    }
)


@given(gift=st.integers(min_value=1, max_value=10**9), fees=fee_settings)
def test_covering_the_fee_leaves_at_least_the_whole_gift_after_the_fee(gift, fees):
    with override_settings(
        DONATION_FEE_BASIS_POINTS=fees["basis_points"], DONATION_FEE_FIXED_MINOR={"GEL": fees["fixed"]}
    ):
        charge = gift + services.fee_to_cover_minor(gift_minor=gift, currency="GEL")
        assert charge - services.processing_fee_minor(amount_minor=charge, currency="GEL") >= gift


@given(gift=st.integers(min_value=1, max_value=10**9), fees=fee_settings)
def test_the_fee_cover_is_the_smallest_that_works(gift, fees):
    with override_settings(
        DONATION_FEE_BASIS_POINTS=fees["basis_points"], DONATION_FEE_FIXED_MINOR={"GEL": fees["fixed"]}
    ):
        cover = services.fee_to_cover_minor(gift_minor=gift, currency="GEL")
        assume(cover > 0)
        one_less = gift + cover - 1
        assert one_less - services.processing_fee_minor(amount_minor=one_less, currency="GEL") < gift


@given(gift=st.integers(min_value=1, max_value=10**9))
def test_the_fee_cover_uses_the_gifts_currency_case_insensitively(gift):
    assert services.fee_to_cover_minor(gift_minor=gift, currency="usd") == services.fee_to_cover_minor(
        gift_minor=gift, currency="USD"
    )


def test_nothing_to_cover_for_nothing_given():
    assert services.fee_to_cover_minor(gift_minor=0, currency="GEL") == 0
    assert services.processing_fee_minor(amount_minor=0, currency="GEL") == 0


@given(amount=st.integers(min_value=0, max_value=10**9))
def test_the_estimated_fee_never_exceeds_the_charge(amount):
    fee = services.processing_fee_minor(amount_minor=amount, currency="GEL")
    assert 0 <= fee <= amount


# --- Who gets the odd minor unit ----------------------------------------------------------------------------

# The campaign fixture is read-only here, so sharing it between hypothesis examples is safe.
campaign_settings = settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=60, deadline=None
)


def _weights_for(campaign, draw_weights):
    keys = sorted(campaign.beneficiaries.values_list("pk", flat=True))
    return {key: weight for key, weight in zip(keys, draw_weights, strict=False) if weight > 0}


@pytest.mark.django_db
@campaign_settings
@given(raw=st.lists(st.integers(min_value=0, max_value=1000), min_size=3, max_size=3).filter(any))
def test_the_remainder_goes_to_the_campaigns_chosen_newsroom_when_it_is_in_the_split(campaign, raw):
    weights = _weights_for(campaign, raw)
    chosen = campaign.beneficiaries.get(receives_rounding_remainder=True)
    winner = services.remainder_beneficiary(campaign=campaign, weights=weights)
    assert weights.get(winner, 0) > 0
    if chosen.pk in weights:
        assert winner == chosen.pk
    else:
        assert weights[winner] == max(weights.values())


@pytest.mark.django_db
@campaign_settings
@given(amount=amounts, raw=st.lists(st.integers(min_value=0, max_value=1000), min_size=3, max_size=3).filter(any))
def test_a_donors_own_split_always_books_the_whole_net_amount(campaign, amount, raw):
    weights = _weights_for(campaign, raw)
    parts = services.split_amount(
        amount_minor=amount,
        weights=list(weights.items()),
        remainder_to=services.remainder_beneficiary(campaign=campaign, weights=weights),
    )
    assert sum(parts.values()) == amount and min(parts.values()) >= 0


@pytest.mark.django_db
def test_on_a_tie_without_the_chosen_newsroom_the_first_listed_gets_the_remainder(campaign):
    first, second, third = campaign.beneficiaries.order_by("position")
    assert services.remainder_beneficiary(campaign=campaign, weights={second.pk: 5, third.pk: 5}) == second.pk
