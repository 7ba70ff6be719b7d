"""What contributions cost as factors are added: time and memory per number of players k.

    python benchmarks/explanations.py             # k = 1..12, 20 repeats each

Contributions are exact Shapley values over the k factors a person gave: 2^k coalitions, each
one model query, in one batched prediction. k = 1..10 are real profiles of the shipped model
with the first k factors given. The model has 10 factors, so k = 11 and 12 split the skills
player into 2 and 3 players (its skill columns in groups): the same query layout, with the
coalition count of a model with 11 and 12 factors. Time is warm (the median of repeats after
one call); memory is the peak of numpy and Python allocations during one call (tracemalloc),
beyond what the loaded model already holds.
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc

import numpy as np

from mlsalary import explanations
from mlsalary.estimates import Estimator
from mlsalary.factors import FACTORS
from mlsalary.profile import Profile

PROFILE = {
    "experience": 5, "years_coding": 8, "seniority": "mid", "country": "DE", "industry": "software-and-it",
    "education": "master", "role": "ml-engineer", "company_size": "large", "remote": "hybrid", "skills": "python,pytorch,aws,docker,sql",
}


def measure(model, x: np.ndarray, repeats: int) -> tuple[float, float]:
    explanations.contributions(model, x)  # warm: coalition tables, first-touch pages
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        explanations.contributions(model, x)
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    explanations.contributions(model, x)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return statistics.median(times), peak / 2**20


def split_skills(model, parts: int) -> tuple[str, ...]:
    """Players for k > 10: the skills player cut into `parts` players (groups of its columns)."""
    schema = model.schema_
    columns = schema.groups_["skills"]
    names = tuple(f"skills_{i}" for i in range(parts))
    for name, chunk in zip(names, np.array_split(np.asarray(columns), parts)):
        schema.groups_[name] = tuple(int(c) for c in chunk)
    return tuple(name for name in FACTORS if name != "skills") + names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    model = Estimator.load().model
    print("| players k | coalitions 2^k | warm time (ms) | peak memory (MB) |")
    print("|---:|---:|---:|---:|")
    for k in range(1, len(FACTORS) + 3):
        if k <= len(FACTORS):
            profile = Profile.from_mapping({name: PROFILE[name] for name in FACTORS[:k]})
            x = model.schema_.encode_profiles([profile])[0]
            seconds, mb = measure(model, x, args.repeats)
        else:
            full = Profile.from_mapping(PROFILE)
            x = model.schema_.encode_profiles([full])[0]
            # Every skill column stated (a listed skill is 1, others "not stated" NaN): give
            # each split player a value by stating the unlisted ones as 0.
            x = np.where(np.isnan(x) & np.isin(np.arange(len(x)), model.schema_.groups_["skills"]), 0.0, x)
            saved, groups = explanations.FACTORS, dict(model.schema_.groups_)
            try:
                players = split_skills(model, k - len(FACTORS) + 1)
                explanations.FACTORS = players  # type: ignore[misc]
                model.schema_.given = lambda X, p=players, s=model.schema_: np.column_stack([~np.isnan(X[:, list(s.groups_[n])]).all(axis=1) for n in p])  # type: ignore[method-assign]
                seconds, mb = measure(model, x, args.repeats)
            finally:
                explanations.FACTORS = saved  # type: ignore[misc]
                model.schema_.groups_ = groups
                del model.schema_.given
        print(f"| {k} | {2**k:,} | {seconds * 1000:.2f} | {mb:.1f} |")


if __name__ == "__main__":
    main()
