"""The model and its explanations, on a small model fit to synthetic rows.

Synthetic rows exist only here, to test mechanics with a known truth; the shipped model
never sees them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlsalary import explanations, taxonomy
from mlsalary.estimates import Estimator
from mlsalary.train.salary_model import SalaryModel, assign_split
from mlsalary.profile import FACTORS, Profile

from synthetic import synthetic_table

@pytest.fixture(scope="module")
def model() -> SalaryModel:
    return SalaryModel(max_iter=60, background_size=16).fit(synthetic_table(3000, 1), synthetic_table(1500, 2))


@pytest.fixture(scope="module")
def estimator(model) -> Estimator:
    return Estimator(model, {"model_version": "synthetic", "estimates": "synthetic"})


def test_quantiles_never_cross_even_for_odd_inputs(model):
    rng = np.random.default_rng(3)
    X = model.schema_.encode_profiles([Profile()] * 5)
    X = np.vstack([X, rng.normal(0, 50, size=(500, X.shape[1]))])
    X[:, model.schema_.groups_["source"][0]] = 0
    X[rng.random(X.shape) < 0.3] = np.nan
    X[:, model.schema_.groups_["source"][0]] = 0
    q = model.predict(X)
    assert np.all(np.diff(q, axis=1) >= 0)


def test_intervals_are_calibrated_on_fresh_rows(model):
    test = synthetic_table(4000, 4)
    from mlsalary.train.salary_model import table_to_columns

    q = model.predict_log(model.schema_.encode_columns(table_to_columns(test)))
    y = np.log(test["comp_usd"].to_numpy())
    assert 0.76 <= np.mean((y >= q[:, 0]) & (y <= q[:, 4])) <= 0.84
    assert 0.45 <= np.mean((y >= q[:, 1]) & (y <= q[:, 3])) <= 0.55


def test_the_model_learns_the_known_effects(estimator):
    us = estimator.estimate(Profile(country="US", experience=10.0), explain=False).quantiles["p50"]
    india = estimator.estimate(Profile(country="IN", experience=10.0), explain=False).quantiles["p50"]
    assert 3.0 < us / india < 6.0  # truth: exp(1.5) = 4.5


def test_contributions_add_up_exactly_to_median_minus_baseline(estimator):
    profile = Profile(country="US", experience=12.0, role="ml-engineer", skills=("python", "pytorch"), education="master")
    result = estimator.estimate(profile)
    assert sum(result.contributions.values()) + result.baseline == pytest.approx(result.quantiles["p50"], rel=1e-9)
    # Only given factors are players, in FACTORS order; the rest contribute nothing.
    assert list(result.contributions) == [f for f in FACTORS if getattr(profile, f) is not None]
    assert result.contributions["country"] > 0  # US pays more than the typical respondent here
    assert result.baseline == pytest.approx(estimator.estimate(Profile(), explain=False).quantiles["p50"], rel=1e-12)


def test_contributions_are_shapley_values_of_the_partial_profile_estimates(estimator):
    """Brute force over all orders: a player's value is its average marginal change of the
    model's own estimate when it is added to the profile (the rest not given)."""
    import itertools
    import math
    from dataclasses import replace

    profile = Profile(country="IN", experience=3.0, role="data-scientist", education="doctorate-or-professional")
    given = ["experience", "country", "education", "role"]

    def median(names):
        partial = replace(Profile(), **{n: getattr(profile, n) for n in names})
        return estimator.estimate(partial, explain=False).quantiles["p50"]

    expected = dict.fromkeys(given, 0.0)
    for order in itertools.permutations(given):
        for i, name in enumerate(order):
            expected[name] += (median(order[: i + 1]) - median(order[:i])) / math.factorial(len(given))
    got = estimator.estimate(profile).contributions
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-6)


def test_a_factor_not_given_changes_no_contribution_and_the_baseline(estimator):
    few = estimator.estimate(Profile(country="US"))
    assert list(few.contributions) == ["country"]
    assert few.baseline + few.contributions["country"] == pytest.approx(few.quantiles["p50"], rel=1e-9)


def test_contributions_are_deterministic_and_the_baseline_is_fixed(estimator, model):
    profile = Profile(country="IN", experience=1.0)
    first, second = estimator.estimate(profile), estimator.estimate(profile)
    assert first.contributions == second.contributions
    assert first.baseline == second.baseline == pytest.approx(model.baseline_)
    assert first.contributions["country"] < 0


def test_shapley_weights_sum_to_one_per_player():
    for k in range(1, 8):
        _, without, weights = explanations._coalition_table(k)
        assert without.shape == (k, 2 ** (k - 1))
        assert weights.sum(axis=1) == pytest.approx(np.ones(k))


def test_fitting_twice_gives_the_same_model():
    train, calibration = synthetic_table(800, 5), synthetic_table(400, 6)
    a = SalaryModel(max_iter=20, background_size=8).fit(train, calibration)
    b = SalaryModel(max_iter=20, background_size=8).fit(train, calibration)
    X = a.schema_.encode_profiles([Profile(country="US"), Profile()])
    assert np.array_equal(a.predict(X), b.predict(X))
    assert np.array_equal(a.background_, b.background_, equal_nan=True)


def test_split_is_by_content_and_stable():
    table = synthetic_table(2000, 7)
    twin = pd.concat([table.iloc[:1]] * 5, ignore_index=True)
    split = assign_split(pd.concat([table, twin], ignore_index=True))
    assert set(split[-5:]) == {split[0]}  # identical rows share a split
    assert np.array_equal(split[:2000], assign_split(table))
    shares = pd.Series(split[:2000]).value_counts(normalize=True)
    assert shares["train"] == pytest.approx(0.70, abs=0.03)


def test_reference_background_holds_no_salary_and_only_known_values(model):
    background = model.background_
    assert background.shape == (16, len(model.schema_.columns_))
    source_column = model.schema_.groups_["source"][0]
    reference = model.schema_.vocab_["source"][model.schema_.reference_source_]
    assert set(background[:, source_column]) == {reference}  # the reference source
    country = model.schema_.groups_["country"][0]
    assert not np.isnan(background[:, country]).any()
    assert set(taxonomy.SKILL_CATEGORIES)  # categories exist for the skill columns
