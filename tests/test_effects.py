"""The effects table (train/effects.py): the data's adjusted effect is recovered, and the model's
effect on the reference estimate is read from the model's own medians."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from mlsalary.train import effects


def synthetic_table(rows: int = 4000, seed: int = 0) -> pd.DataFrame:
    # Stack Overflow-like US rows in which a large company pays exactly 20% more (log +0.182)
    # at any experience, and experience is confounded with company size.
    rng = np.random.default_rng(seed)
    size = rng.choice(["small", "medium", "large"], rows, p=[0.3, 0.4, 0.3])
    experience = rng.integers(0, 20, rows).astype(float) + (size == "large") * 3
    log_pay = 11 + 0.04 * experience + np.log(1.2) * (size == "large") + rng.normal(0, 0.3, rows)
    return pd.DataFrame({
        "source": "stackoverflow-2024", "year": 2024, "country": "US", "role": "backend", "experience": experience,
        "company_size": size, "remote": None, "industry": None, "education": None, "seniority": None, "skills": None,
        "comp_usd": np.exp(log_pay),
    })


class StandIn:
    """A model whose median is 100,000 x 1.25 for a large company: its what-if is known."""

    class schema_:  # noqa: N801  (the attribute name of a fitted model)
        @staticmethod
        def encode_profiles(profiles):
            return np.array([[p.company_size == "large"] for p in profiles], dtype=float)

    @staticmethod
    def predict_median(X):
        return 100_000 * np.where(X[:, 0] == 1, 1.25, 1.0)


def test_the_data_effect_is_the_adjusted_one_and_the_ratio_compares_it_with_the_model():
    rows = effects.effects_table(StandIn(), synthetic_table())
    large = next(r for r in rows if r["factor"] == "company_size" and r["level"] == "large")
    assert large["base"] == "medium" and large["rows"] > 1000
    assert large["data_effect"] == pytest.approx(math.log(1.2), abs=0.03)  # experience controlled
    assert large["model_effect"] == pytest.approx(math.log(1.25))
    assert large["ratio"] == pytest.approx(math.log(1.25) / large["data_effect"])
    assert large["target"] and large["met"]  # 1.22x is inside 0.67-1.5x
    small = next(r for r in rows if r["factor"] == "company_size" and r["level"] == "small")
    assert not small["clear"] and small["met"]  # no effect in the data, none in the model


def test_a_model_without_the_effect_misses_its_target():
    class Flat(StandIn):
        @staticmethod
        def predict_median(X):
            return np.full(len(X), 100_000.0)

    rows = effects.effects_table(Flat(), synthetic_table())
    large = next(r for r in rows if r["factor"] == "company_size" and r["level"] == "large")
    assert large["model_effect"] == 0 and large["met"] is False
    assert effects.targets_met(rows)["company_size"][0] < effects.targets_met(rows)["company_size"][1]
    assert any("| company_size | large vs medium |" in line and "missed" in line for line in effects.to_markdown(rows))
