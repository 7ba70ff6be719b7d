"""Synthetic survey rows with a known truth, for unit tests only (the shipped model never sees
them)."""

from __future__ import annotations

import numpy as np
import pandas as pd

COUNTRY_EFFECT = {"US": 0.5, "DE": 0.0, "IN": -1.0}


def synthetic_table(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    country = rng.choice(list(COUNTRY_EFFECT), n)
    experience = rng.uniform(0, 20, n)
    role = rng.choice(["ml-engineer", "backend"], n)
    pytorch = rng.random(n) < 0.4
    log_pay = 11 + 0.04 * experience + np.vectorize(COUNTRY_EFFECT.get)(country) + 0.2 * pytorch + 0.1 * (role == "ml-engineer")
    comp = np.exp(log_pay + rng.normal(0, 0.3, n))
    survey = rng.choice(["stackoverflow", "aijobs"], n)
    return pd.DataFrame(
        {
            "source": survey, "survey": survey, "year": 2025, "comp_usd": comp,
            "experience": np.where(rng.random(n) < 0.1, np.nan, experience),
            "years_coding": experience + 2, "seniority": None, "country": country, "industry": None,
            "education": rng.choice(["bachelor", "master"], n), "role": role,
            "company_size": None, "remote": rng.choice(["remote", "in-person"], n),
            "skills": np.where(pytorch, "python;pytorch", "python"),
            "skill_categories": "language;misc_tech",
        }
    )
