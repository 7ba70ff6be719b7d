"""The salary model: gradient-boosted quantile regression on log pay, calibrated by CQR.

`SalaryModel` follows scikit-learn's conventions: `__init__` stores parameters, `fit` learns,
fitted attributes end in `_`. One HistGradientBoostingRegressor per quantile (p10 p25 p50 p75
p90) is fit on log(comp_usd). Raw quantile boosting under-covers, so both intervals (p10-p90,
p25-p75) are widened by split-conformal quantile regression (CQR, Romano et al. 2019) on a
calibration split, separately for each survey and, within it, for ML roles and the rest
(Mondrian CQR: the groups differ in noise, and ML roles are what this tool is for).

Quantiles never cross: the median is the p50 model itself, and every outer bound is clipped
to be at least as wide as the bound inside it. Clipping only ever widens an interval, so the
conformal coverage guarantee is kept.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from mlsalary.features import SURVEYS, FeatureSchema
from mlsalary.profile import CATEGORICAL_FACTORS, FACTORS, NUMERIC_FACTORS

QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)
INTERVALS = {"p10-p90": (0, 4, 0.8), "p25-p75": (1, 3, 0.5)}  # lower index, upper index, coverage

SPLIT_FRACTIONS = {"train": 0.70, "calibration": 0.15, "test": 0.15}


def assign_split(table) -> np.ndarray:
    """Deterministic train/calibration/test label per row, from a hash of the row's content.

    Hashing content (not position) sends identical rows - aijobs.net has many exact
    duplicates - to the same split, so no test row has a twin in training.
    """
    columns = table[["source", "year", "comp_usd", *FACTORS]].itertuples(index=False, name=None)
    keys = ["|".join("" if _missing(v) else str(v) for v in row) for row in columns]
    cut_train = SPLIT_FRACTIONS["train"]
    cut_cal = cut_train + SPLIT_FRACTIONS["calibration"]
    out = []
    for key in keys:
        u = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") / 2**64
        out.append("train" if u < cut_train else "calibration" if u < cut_cal else "test")
    return np.array(out)


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def table_to_columns(table) -> dict:
    """Canonical DataFrame -> column dict for FeatureSchema.encode_columns (None = unknown)."""
    data = {}
    for name in (*FACTORS, "skill_categories", "survey"):
        values = table[name].tolist()
        data[name] = [None if _missing(v) else v for v in values]
    data["year"] = table["year"].to_numpy(float)
    return data


@dataclass
class SalaryModel:
    max_iter: int = 300
    learning_rate: float = 0.05
    max_leaf_nodes: int = 31
    min_samples_leaf: int = 40
    l2_regularization: float = 1.0
    background_size: int = 64
    random_state: int = 0

    # -- fitting ---------------------------------------------------------------------------

    def fit(self, train, calibration, progress: Callable[[str], None] | None = None) -> "SalaryModel":
        from sklearn.ensemble import HistGradientBoostingRegressor

        step = progress or (lambda message: None)
        self.schema_ = FeatureSchema().fit(train)
        X = self.schema_.encode_columns(table_to_columns(train))
        y = np.log(train["comp_usd"].to_numpy(float))
        # A factor no training row reports (e.g. a data folder with aijobs.net only) becomes a
        # constant column: the trees cannot split on it, so it has no effect on estimates.
        X[:, np.isnan(X).all(axis=0)] = 0.0
        self.estimators_ = []
        for q in QUANTILES:
            step(f"fitting quantile p{round(q * 100)}")
            estimator = HistGradientBoostingRegressor(
                loss="quantile",
                quantile=q,
                max_iter=self.max_iter,
                learning_rate=self.learning_rate,
                max_leaf_nodes=self.max_leaf_nodes,
                min_samples_leaf=self.min_samples_leaf,
                l2_regularization=self.l2_regularization,
                categorical_features=self.schema_.categorical_mask,
                early_stopping=False,
                random_state=self.random_state,
            )
            self.estimators_.append(estimator.fit(X, y))
        step("calibrating intervals (CQR)")
        Xc = self.schema_.encode_columns(table_to_columns(calibration))
        yc = np.log(calibration["comp_usd"].to_numpy(float))
        raw = self._ordered_raw(Xc)
        groups = self.schema_.calibration_groups(Xc)
        self.calibration_size_ = {}
        self.conformal_ = {}
        for group in sorted(set(groups)):
            rows = groups == group
            self.calibration_size_[group] = int(rows.sum())
            self.conformal_[group] = {
                name: _cqr_margin(raw[rows, lo], raw[rows, hi], yc[rows], coverage)
                for name, (lo, hi, coverage) in INTERVALS.items()
            }
        step("building the reference background")
        self.background_ = _reference_background(train, self.schema_, self.background_size, self.random_state)
        self.baseline_ = float(np.mean(np.exp(self.estimators_[2].predict(self.background_))))
        return self

    # -- prediction ------------------------------------------------------------------------

    def predict_log(self, X: np.ndarray) -> np.ndarray:
        """Calibrated, non-crossing log-quantiles, shape (n, 5).

        Each row is widened by the conformal margins of its group (survey x ML role or not),
        read from X; queries are encoded for the reference survey.
        """
        out = self._ordered_raw(X)
        groups = self.schema_.calibration_groups(X)
        for group in set(groups):
            margins = self.conformal_[group]
            rows = groups == group
            for name, (lo, hi, _) in INTERVALS.items():
                out[rows, lo] -= margins[name]
                out[rows, hi] += margins[name]
        return _uncross(out)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Calibrated quantiles p10 p25 p50 p75 p90 in USD, shape (n, 5)."""
        return np.exp(self.predict_log(X))

    def predict_median(self, X: np.ndarray) -> np.ndarray:
        """The median in USD: exactly what `predict` reports as p50 (explanations use it)."""
        return np.exp(self.estimators_[2].predict(X))

    def _ordered_raw(self, X: np.ndarray) -> np.ndarray:
        raw = np.column_stack([e.predict(X) for e in self.estimators_])
        return _uncross(raw)


def _uncross(q: np.ndarray) -> np.ndarray:
    """Keep the median; clip each bound to be at least as wide as the bound inside it."""
    q = q.copy()
    q[:, 1] = np.minimum(q[:, 1], q[:, 2])
    q[:, 3] = np.maximum(q[:, 3], q[:, 2])
    q[:, 0] = np.minimum(q[:, 0], q[:, 1])
    q[:, 4] = np.maximum(q[:, 4], q[:, 3])
    return q


def _cqr_margin(lower: np.ndarray, upper: np.ndarray, y: np.ndarray, coverage: float) -> float:
    """CQR: the ceil((n+1)(1-alpha))/n empirical quantile of max(lower - y, y - upper)."""
    scores = np.maximum(lower - y, y - upper)
    n = len(scores)
    if n == 0:
        return 0.0
    level = min(1.0, math.ceil((n + 1) * coverage) / n)
    return float(np.quantile(scores, level, method="higher"))


def _reference_background(train, schema: FeatureSchema, size: int, seed: int) -> np.ndarray:
    """Reference profiles for the baseline ("typical respondent") and for explanations.

    Each factor is drawn independently from its distribution among training respondents who
    reported it; no real row is stored (only these synthetic draws). Independence is also
    what interventional Shapley values assume.
    """
    rng = np.random.default_rng(seed)
    data: dict[str, list] = {}
    for name in NUMERIC_FACTORS + CATEGORICAL_FACTORS + ("country",):
        known = train[name].dropna().to_numpy()
        data[name] = list(rng.choice(known, size=size)) if len(known) else [None] * size
    frequency = _skill_frequencies(train, schema.skills_)
    skill_sets = []
    for _ in range(size):
        draws = rng.random(len(schema.skills_))
        skill_sets.append(";".join(s for s, u in zip(schema.skills_, draws) if u < frequency[s]))
    data["skills"] = skill_sets
    data["skill_categories"] = [""] * size  # as for a query: listed skills only, the rest not stated
    return schema.encode_columns(data)


def _skill_frequencies(train, skills: Sequence[str]) -> dict[str, float]:
    """Share of respondents with each skill, among those asked about the skill's category."""
    from mlsalary import taxonomy

    rows = train.loc[train["skills"].notna(), ["skills", "skill_categories"]]
    have = [set(cell.split(";")) for cell in rows["skills"]]
    asked = [set(cell.split(";")) for cell in rows["skill_categories"]]
    out = {}
    for skill in skills:
        category = taxonomy.skill_category(skill)
        answered = [skill in h for h, a in zip(have, asked) if category in a]
        out[skill] = float(np.mean(answered)) if answered else 0.0
    return out
