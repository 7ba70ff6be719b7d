"""Offer percentiles and what-if changes."""

from __future__ import annotations

import pytest

from mlsalary import negotiation
from mlsalary.errors import InputError
from mlsalary.profile import Profile

Q = [60_000.0, 75_000.0, 100_000.0, 130_000.0, 160_000.0]


@pytest.mark.parametrize("offer,expected", [(60_000, 10.0), (75_000, 25.0), (100_000, 50.0), (130_000, 75.0), (160_000, 90.0)])
def test_an_offer_at_a_quantile_gets_that_percentile(offer, expected):
    assert negotiation.offer_percentile(Q, offer) == pytest.approx(expected, abs=0.05)


def test_percentiles_rise_with_the_offer_and_stay_bounded():
    offers = [1_000, 30_000, 59_000, 61_000, 90_000, 110_000, 159_000, 161_000, 250_000, 10_000_000]
    values = [negotiation.offer_percentile(Q, o) for o in offers]
    assert values == sorted(values)
    assert 0.1 <= values[0] < 1 and 99 < values[-1] <= 99.9
    assert 10 < negotiation.offer_percentile(Q, 65_000) < 25


def test_collapsed_quantiles_do_not_divide_by_zero():
    flat = [100_000.0] * 5
    assert negotiation.offer_percentile(flat, 100_000) == 50.0
    assert negotiation.offer_percentile(flat, 90_000) == 0.1
    assert negotiation.offer_percentile([90_000.0, 100_000.0, 100_000.0, 100_000.0, 120_000.0], 100_000) == 50.0


def test_offer_sentence_reads_both_ways():
    assert negotiation.offer_sentence(145_000, 30.0, 168_000) == "145,000 is below about 70% of comparable survey respondents; their median is 168,000."
    assert negotiation.offer_sentence(190_000, 80.0, 168_000) == "190,000 is above about 80% of comparable survey respondents; their median is 168,000."
    named = negotiation.offer_sentence(190_000, 80.0, 168_000, {"source": "stackoverflow-2025", "year": 2025})
    assert named.startswith("190,000 is above about 80% of comparable respondents to the Stack Overflow Developer Survey 2025 (")


@pytest.mark.parametrize("text,value", [("145000", 145_000), ("145k", 145_000), ("$145,000", 145_000), ("1.5K", 1_500)])
def test_offers_parse(text, value):
    assert negotiation.parse_offer(text) == value


@pytest.mark.parametrize("text", ["", "abc", "-5", "0", "inf", "nan", "1e12"])
def test_bad_offers_name_the_field(text):
    with pytest.raises(InputError) as error:
        negotiation.parse_offer(text)
    assert str(error.value).startswith("offer must be a yearly amount in USD")


def test_changes_apply_to_a_copy():
    base = Profile(country="DE", skills=("python",), education="bachelor")
    added = negotiation.apply_change(base, negotiation.parse_change("skills+=pytorch,spark"))
    removed = negotiation.apply_change(base, negotiation.parse_change("skills-=python"))
    moved = negotiation.apply_change(base, negotiation.parse_change("country=USA"))
    unknown = negotiation.apply_change(base, negotiation.parse_change("education="))
    assert added.skills == ("python", "pytorch", "spark") and base.skills == ("python",)
    assert removed.skills == ()
    assert moved.country == "US" and unknown.education is None


@pytest.mark.parametrize(
    "text,message",
    [
        ("contry=US", "unknown factor 'contry' in what-if 'contry=US'; did you mean 'country'?"),
        ("country+=US", "'+=' works only for skills; use country=value in 'country+=US'"),
        ("pytorch", "what-if must look like factor=value, skills+=name or skills-=name; got 'pytorch'"),
    ],
)
def test_bad_changes_say_what_is_wrong(text, message):
    with pytest.raises(InputError) as error:
        negotiation.parse_change(text)
    assert str(error.value) == message


def test_a_change_value_is_validated_like_any_input():
    change = negotiation.parse_change("country=Germny")
    with pytest.raises(InputError, match="did you mean 'Germany'"):
        negotiation.apply_change(Profile(), change)
