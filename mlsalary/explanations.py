"""Per-factor contributions to the median, in dollars, that add up exactly.

Method: exact Shapley values over the factors the person *gave* (each factor is one player;
skills is one player however many skill columns it has). The model has learned what "not
given" means (see train/salary_model.py), so the value of a coalition S is simply the model's own median
estimate with only the factors in S given: no background sample, no made-up values for the
rest. With k given factors that is 2^k queries, evaluated in one batched prediction.

Consequences:
  - a factor that was not given is not a player and contributes exactly 0;
  - baseline = the estimate when nothing is known (the empty coalition), and
    baseline + sum of contributions = the median, exactly (up to float rounding);
  - everything is deterministic: same input, same contributions.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from mlsalary.factors import FACTORS


@lru_cache(maxsize=None)
def _coalition_table(k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Coalitions of k players as bitmasks (bit j = player j), and per player j the coalitions
    without j, and their Shapley weights s! (k-s-1)! / k!."""
    masks = np.arange(2**k)
    sizes = np.array([bin(m).count("1") for m in masks])
    weights = np.array([math.factorial(s) * math.factorial(k - s - 1) / math.factorial(k) for s in range(k)])
    without = np.array([masks[(masks >> j) & 1 == 0] for j in range(k)]).reshape(k, -1) if k else np.zeros((0, 0), int)
    return masks, without, weights[sizes[without]] if k else np.zeros((0, 0))


def contributions(model, x: np.ndarray) -> tuple[dict[str, float], float]:
    """Shapley contributions (USD) of each given factor to `model`'s median for one encoded row.

    Returns (contributions of the given factors, in FACTORS order; baseline in USD). Factors
    that were not given are absent from the result: they contribute nothing.
    """
    schema = model.schema_
    players = [name for name, given in zip(FACTORS, schema.given(x[None, :])[0]) if given]
    k = len(players)
    masks, without, weights = _coalition_table(k)
    rows = np.repeat(schema.withhold(x[None, :], players), len(masks), axis=0)
    for j, name in enumerate(players):
        columns = np.asarray(schema.groups_[name])
        chosen = np.flatnonzero((masks >> j) & 1)
        rows[np.ix_(chosen, columns)] = x[columns]
    value = model.predict_median(rows)
    phi = [float(np.sum(weights[j] * (value[without[j] | (1 << j)] - value[without[j]]))) for j in range(k)]
    return dict(zip(players, phi)), float(value[0])
