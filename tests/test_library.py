"""The Python API as a notebook uses it: fields in, the same answer as the command line."""

from __future__ import annotations

import json

import pytest

import mlsalary
from conftest import invoke


def test_the_package_lists_its_public_names():
    # (Submodules a test imported are attributes of the package too; the public names are __all__.)
    assert sorted(n for n in mlsalary.__all__ if not n.startswith("_")) == ["Estimate", "Estimator", "FACTORS", "Profile"]
    assert set(mlsalary.__all__) <= set(dir(mlsalary))


def test_estimate_takes_fields_as_the_command_line_reads_them(estimator):
    fields = {"experience": "6 years", "role": "Senior ML Engineer", "location": "Austin, TX"}
    result = estimator.estimate(**fields, explain=False)
    cli = json.loads(invoke("estimate", "--experience", "6 years", "--role", "Senior ML Engineer", "--location", "Austin, TX", "--json", "--no-explain").stdout)
    assert round(result.median) == cli["median"] and result.median == result.quantiles["p50"]
    assert list(result.profile.readings) == cli["readings"]
    with pytest.raises(TypeError):
        estimator.estimate(mlsalary.Profile(), experience=5)


def test_every_json_estimate_states_its_currency_and_period():
    plain = json.loads(invoke("estimate", "--country", "US", "--json", "--no-explain").stdout)
    assert plain["currency"] == "USD" and plain["per"] == "year"
    monthly = json.loads(invoke("estimate", "--country", "US", "--per", "month", "--json", "--no-explain").stdout)
    assert monthly["per"] == "month" and monthly["estimates"].endswith("stated in USD per month")
    assert monthly["median"] == pytest.approx(plain["median"] / 12, abs=1)
    text = invoke("estimate", "--country", "US", "--per", "month", "--no-explain").stdout
    assert "(0 days)" not in text and "1 USD = 1.0000 USD" not in text
