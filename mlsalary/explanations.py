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
    return contributions_many(model, x[None, :])[0]


def contributions_many(model, X: np.ndarray) -> list[tuple[dict[str, float], float]]:
    """The Shapley contributions and baseline of every row of X (see contributions), with one
    model query per group of rows that give the same factors (batch --explain: thousands)."""
    schema = model.schema_
    given = schema.given(X)
    out: list[tuple[dict[str, float], float] | None] = [None] * len(X)
    groups: dict[tuple[bool, ...], list[int]] = {}
    for i, row in enumerate(given.tolist()):
        groups.setdefault(tuple(row), []).append(i)
    for pattern, members in groups.items():
        players = [name for name, g in zip(FACTORS, pattern) if g]
        k = len(players)
        masks, without, weights = _coalition_table(k)
        values = _coalition_medians_many(model, X[members], players, masks)
        for position, i in enumerate(members):
            value = values[position]
            phi = [float(np.sum(weights[j] * (value[without[j] | (1 << j)] - value[without[j]]))) for j in range(k)]
            out[i] = (dict(zip(players, phi)), float(value[0]))
    return out  # type: ignore[return-value]  # every row is in one group


def _coalition_rows(schema, part: np.ndarray, players: list[str], chosen_masks: np.ndarray) -> np.ndarray:
    """(n * len(chosen_masks), F): each row of `part` with only the players of each mask given."""
    rows = np.repeat(schema.withhold(part, players)[:, None, :], len(chosen_masks), axis=1)
    everyone = np.arange(len(part))
    for j, name in enumerate(players):
        columns = np.asarray(schema.groups_[name])
        chosen = np.flatnonzero((chosen_masks >> j) & 1)
        rows[np.ix_(everyone, chosen, columns)] = part[:, None, columns]
    return rows.reshape(-1, part.shape[1])


def _coalition_medians_many(model, part: np.ndarray, players: list[str], masks: np.ndarray) -> np.ndarray:
    """model.predict_median of every coalition of n rows, the same numbers: medians (n, 2^k).

    A factor only the shifts read (company size, remote work, industry, skills) does not change
    what the trees give, so the trees answer once per coalition of the other players, the shifts
    once per coalition of theirs and the country (their region), and the two are added: 2^k
    forest queries become 2^(k - a) for a additive players given. Only those distinct
    coalitions are built."""
    schema, n = model.schema_, len(part)
    additive = set(getattr(model, "additive_factors", ()))
    if not additive & set(players):
        return model.predict_median(_coalition_rows(schema, part, players, masks)).reshape(n, len(masks))
    trees_part = sum(1 << j for j, name in enumerate(players) if name not in additive)
    distinct, inverse = np.unique(masks & trees_part, return_inverse=True)
    shifts_part = sum(1 << j for j, name in enumerate(players) if name in additive or name == "country")
    shifted, shifted_inverse = np.unique(masks & shifts_part, return_inverse=True)
    trees = model.tree_median_log(_coalition_rows(schema, part, players, distinct)).reshape(n, len(distinct))
    shifts = model.shift_log(_coalition_rows(schema, part, players, shifted)).reshape(n, len(shifted))
    return np.exp(trees[:, inverse.ravel()] + shifts[:, shifted_inverse.ravel()])
