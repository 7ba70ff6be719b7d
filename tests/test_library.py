"""The Python API as a notebook uses it: fields in, the same answer as the command line."""

from __future__ import annotations

import json

import pytest

import mlsalary
from conftest import invoke


def test_the_package_lists_its_public_names():
    public = [name for name in dir(mlsalary) if not name.startswith("_")]
    assert public == ["Estimate", "Estimator", "FACTORS", "Profile"]


def test_estimate_takes_fields_as_the_command_line_reads_them(estimator):
    fields = {"experience": "6 years", "role": "Senior ML Engineer", "location": "Austin, TX"}
    result = estimator.estimate(**fields, explain=False)
    cli = json.loads(invoke("estimate", "--experience", "6 years", "--role", "Senior ML Engineer", "--location", "Austin, TX", "--json", "--no-explain").stdout)
    assert round(result.median) == cli["median"] and result.median == result.quantiles["p50"]
    assert list(result.profile.readings) == cli["readings"]
    with pytest.raises(TypeError):
        estimator.estimate(mlsalary.Profile(), experience=5)
