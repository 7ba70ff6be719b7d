"""The quantile logic both models share: levels, intervals, uncrossing, conformal widening.

The trained `SalaryModel` (model.py) and the query-time `CompiledModel` (runtime/model.py)
produce raw log-quantiles in different ways and then apply exactly these functions, so the
two cannot drift apart. numpy only.
"""

from __future__ import annotations

import math

import numpy as np

from mlsalary.runtime.codes import distinct_codes

QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)
QUANTILE_NAMES = tuple(f"p{round(q * 100)}" for q in QUANTILES)  # p10 p25 p50 p75 p90
INTERVALS = {"p10-p90": (0, 4, 0.8), "p25-p75": (1, 3, 0.5)}  # lower index, upper index, coverage
MEDIAN = 2  # index of p50 in QUANTILES: the median is the p50 model itself

ALL_ROWS = "all"  # the conformal group every row falls back to


def margins_for(group: str, conformal: dict) -> dict:
    """Margins of a calibration group, else of its role family, else of all rows."""
    found = conformal.get(group) or conformal.get(group.split("/", 1)[0])
    return found if found is not None else conformal[ALL_ROWS]


def widen(raw: np.ndarray, groups: np.ndarray, conformal: dict) -> np.ndarray:
    """Conformal widening of ordered raw log-quantiles by each row's group margins, uncrossed."""
    out = raw.copy()
    # Each row's group as a number, then each group's margins looked up once.
    index, codes = distinct_codes(np.asarray(groups).tolist())
    margins = [margins_for(group, conformal) for group in index]
    for name, (lo, hi, _) in INTERVALS.items():
        margin = np.array([m[name] for m in margins], dtype=float)[codes]
        out[:, lo] -= margin
        out[:, hi] += margin
    return uncross(out)


def uncross(q: np.ndarray) -> np.ndarray:
    """Keep the median; clip each bound to be at least as wide as the bound inside it."""
    q = q.copy()
    q[:, 1] = np.minimum(q[:, 1], q[:, 2])
    q[:, 3] = np.maximum(q[:, 3], q[:, 2])
    q[:, 0] = np.minimum(q[:, 0], q[:, 1])
    q[:, 4] = np.maximum(q[:, 4], q[:, 3])
    return q


def cqr_margin(lower: np.ndarray, upper: np.ndarray, y: np.ndarray, coverage: float) -> float:
    """CQR: the ceil((n+1)(1-alpha))/n empirical quantile of max(lower - y, y - upper)."""
    scores = np.maximum(lower - y, y - upper)
    n = len(scores)
    if n == 0:
        return 0.0
    level = min(1.0, math.ceil((n + 1) * coverage) / n)
    return float(np.quantile(scores, level, method="higher"))
