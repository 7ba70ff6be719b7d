"""The salary model: gradient-boosted quantile regression on log pay, calibrated by CQR.

`SalaryModel` follows scikit-learn's conventions: `__init__` stores parameters, `fit` learns,
fitted attributes end in `_`. One HistGradientBoostingRegressor per quantile (p10 p25 p50 p75
p90) is fit on log(comp_usd).

"Not given" is learned as such. Each training row is kept as reported and also copied
`masked_copies` times with a random subset of its reported factors withheld (each copy draws
a withholding rate uniformly in [0, 1], so few and many withheld factors are both common).
The source (survey edition) and year stay as features, so a missing factor no longer tells the trees
which survey a row came from: the estimate for a partial profile is the pay of people who
match what was given, whatever they would have answered for the rest.

Factors interact only within INTERACTION_GROUPS: the source and year meet only the country,
so a factor that some sources record (seniority) acts on the reference estimate with
the size its own data shows, not with whatever the trees did inside the sources that record it.
UNRECORDED lists answers read as not recorded. The additive factors (company size, remote work,
industry, skills: recorded by some sources only, and together) are not in the trees at all: each is a
log shift per level measured in the rows that record it (train/additive.py, runtime/shifts.py),
added to every quantile, and the trees learn what the shifts leave.

Raw quantile boosting under-covers, so both intervals (p10-p90, p25-p75) are widened by
split-conformal quantile regression (CQR, Romano et al. 2019) on calibration rows withheld
in the same way, separately per role family x experience band (Mondrian CQR). A group with
too few calibration rows uses its role family's margins, and failing that everyone's.

Quantiles never cross: the median is the p50 model itself, and every outer bound is clipped
to be at least as wide as the bound inside it. Clipping only ever widens an interval, so the
conformal coverage guarantee is kept. The quantile levels, uncrossing and widening live in
runtime/quantiles.py, shared with the compiled model (runtime/compiled_model.py).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from mlsalary.runtime.features import FeatureSchema
from mlsalary.train.additive import ADDITIVE, fit_shifts
from mlsalary.factors import CATEGORICAL_FACTORS, FACTORS, NUMERIC_FACTORS
from mlsalary.profile import Profile
from mlsalary.runtime.quantiles import ALL_ROWS, INTERVALS, MEDIAN, QUANTILES, cqr_margin, uncross, widen

SPLIT_FRACTIONS = {"train": 0.70, "calibration": 0.15, "test": 0.15}

# Interaction groups (HistGradientBoosting interaction_cst, by factor name): a tree only combines
# features of one group. The source and year meet only the country, so a factor recorded by some
# sources acts the same for every source and carries to the reference estimate at its own size.
# "*" is every factor named in no other group and not additive (train/additive.py): experience,
# years coding, seniority, education, role, and any factor added later.
INTERACTION_GROUPS: tuple[tuple[str, ...], ...] = (
    ("source", "year", "country"),
    ("country", "*"),
)
# Factors a source records in a sense of its own, read as not recorded (FeatureSchema.unrecorded):
# aijobs' company size S/M/L is <50, 50-250, >250 employees (96% "M"), and its remote ratio is
# -3% where Stack Overflow, the reference, shows +16-18% with experience held fixed.
UNRECORDED: tuple[str, ...] = ("aijobs:company_size", "aijobs:remote")


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
    for name in (*FACTORS, "skill_categories", "source"):
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
    masked_copies: int = 3
    min_group_rows: int = 300
    random_state: int = 0
    interaction: tuple[tuple[str, ...], ...] = INTERACTION_GROUPS
    unrecorded: tuple[str, ...] = UNRECORDED
    additive: tuple[str, ...] = ADDITIVE

    # -- fitting ---------------------------------------------------------------------------

    def fit(self, train, calibration, progress: Callable[[str], None] | None = None) -> "SalaryModel":
        from sklearn.ensemble import HistGradientBoostingRegressor

        step = progress or (lambda message: None)
        self.schema_ = FeatureSchema(unrecorded=tuple(self.unrecorded)).fit(train)
        step("measuring the additive factors' shifts")
        self.shifts_, self.shift_rows_ = fit_shifts(train, self.schema_, self.additive, self.random_state)
        X = self.schema_.encode_columns(table_to_columns(train))
        y = np.log(train["comp_usd"].to_numpy(float))
        X, y = withheld_copies(self.schema_, X, y, self.masked_copies, self.random_state)
        # The trees learn what the shifts leave (each row as encoded, withheld factors included).
        y = y - self.shifts_(X)
        # An additive factor, and a factor no training row reports (e.g. a data folder with
        # aijobs.net only), becomes a constant column: the trees cannot split on it.
        X[:, [i for name in self.additive for i in self.schema_.groups_[name]]] = np.nan
        X[:, np.isnan(X).all(axis=0)] = 0.0
        cst = interaction_groups(self.schema_, self.interaction, self.additive) if self.interaction else None
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
                interaction_cst=cst,
                random_state=self.random_state,
            )
            self.estimators_.append(estimator.fit(X, y))
        step("calibrating intervals (CQR)")
        Xc = self.schema_.encode_columns(table_to_columns(calibration))
        yc = np.log(calibration["comp_usd"].to_numpy(float))
        Xc, yc = withheld_copies(self.schema_, Xc, yc, self.masked_copies, self.random_state + 1)
        raw = self._ordered_raw(Xc)
        groups = self.schema_.calibration_groups(Xc)
        families = np.array([g.split("/", 1)[0] for g in groups], dtype=object)
        candidates = [(ALL_ROWS, np.ones(len(groups), dtype=bool))]
        candidates += [(f, families == f) for f in sorted(set(families))]
        candidates += [(g, groups == g) for g in sorted(set(groups))]
        self.calibration_size_ = {}
        self.conformal_ = {}
        for group, rows in candidates:
            if rows.sum() < self.min_group_rows and group != ALL_ROWS:
                continue
            self.calibration_size_[group] = int(rows.sum())
            self.conformal_[group] = {
                name: cqr_margin(raw[rows, lo], raw[rows, hi], yc[rows], coverage)
                for name, (lo, hi, coverage) in INTERVALS.items()
            }
        step("building the reference background")
        self.background_ = _reference_background(train, self.schema_, self.background_size, self.random_state)
        # The estimate when nothing is known: the baseline of every explanation.
        nothing = self.schema_.encode_profiles([Profile()])
        self.baseline_ = float(self.predict_median(nothing)[0])
        return self

    @property
    def method(self) -> str:
        """The method of this model in words, for its model card (`mlsalary info`)."""
        groups = "; ".join(" x ".join(g) for g in self.interaction) if self.interaction else "none"
        return (
            "gradient-boosted quantile regression (scikit-learn HistGradientBoostingRegressor, p10-p90) on log pay, "
            f"trained with each row kept and {self.masked_copies} copies with random factors withheld; "
            f"factors interact only within these groups: {groups} ('*': every other factor); "
            f"read as not recorded: {', '.join(self.unrecorded) or 'nothing'}; "
            f"{', '.join(self.additive) or 'no factor'} added to every quantile as a log shift per level, the data's adjusted effect "
            "(regression with experience, role and survey held fixed) in the rows that record them, in the US and elsewhere apart; "
            "ranges widened by split-conformal quantile regression per role family x experience band (Mondrian CQR); "
            "contributions are exact Shapley values over the factors given"
        )

    # -- prediction ------------------------------------------------------------------------

    def predict_log(self, X: np.ndarray) -> np.ndarray:
        """Calibrated, non-crossing log-quantiles, shape (n, 5).

        Each row is widened by the conformal margins of its group (role family x experience
        band), read from X.
        """
        return widen(self._ordered_raw(X), self.schema_.calibration_groups(X), self.conformal_)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Calibrated quantiles p10 p25 p50 p75 p90 in USD, shape (n, 5)."""
        return np.exp(self.predict_log(X))

    def predict_median(self, X: np.ndarray) -> np.ndarray:
        """The median in USD: exactly what `predict` reports as p50 (explanations use it)."""
        return np.exp(self.tree_median_log(X) + self.shift_log(X))

    @property
    def additive_factors(self) -> tuple[str, ...]:
        """The factors only the shifts read (the trees were fit with them blanked)."""
        return tuple(self.additive) if getattr(self, "shifts_", None) is not None else ()

    def tree_median_log(self, X: np.ndarray) -> np.ndarray:
        """The trees' part of the log median (predict_median = exp(this + shift_log))."""
        return self.estimators_[MEDIAN].predict(X)

    def shift_log(self, X: np.ndarray) -> np.ndarray:
        """The additive factors' log shift per row (0 for a model trained before they existed)."""
        shifts = getattr(self, "shifts_", None)
        return np.zeros(len(X)) if shifts is None else shifts(X)

    def _ordered_raw(self, X: np.ndarray) -> np.ndarray:
        raw = np.column_stack([e.predict(X) for e in self.estimators_])
        return uncross(raw + self.shift_log(X)[:, None])


def interaction_groups(schema: FeatureSchema, groups: Sequence[Sequence[str]], additive: Sequence[str] = ()) -> list[list[int]]:
    """interaction_cst for groups of factor names ("*": the factors named in no group and not
    additive), in the order HistGradientBoosting reads it: its internal column order puts the
    categorical columns first (scikit-learn 1.9), so column indices are remapped; a plain index
    would bind others."""
    named = {name for group in groups for name in group} | set(additive)
    rest = [name for name in schema.groups_ if name not in named]
    mask = schema.categorical_mask
    internal = np.argsort(np.r_[np.flatnonzero(mask), np.flatnonzero(~mask)])  # column -> internal
    out = []
    for group in groups:
        names = [n for name in group for n in (rest if name == "*" else [name])]
        out.append(sorted(int(internal[i]) for name in names for i in schema.groups_[name]))
    return out


def withheld_copies(schema: FeatureSchema, X: np.ndarray, y: np.ndarray, copies: int, seed: int):
    """X and y followed by `copies` copies in which random reported factors are withheld.

    Each copy of a row withholds each reported factor with a probability drawn uniformly per
    row, so every number of withheld factors is well represented. A copy that keeps the skills
    keeps a random subset of the listed ones and reads every other skill as not stated (NaN),
    as a query is encoded: so "python listed, aws not stated" is a pattern the trees learn.
    """
    if copies <= 0:
        return X, y
    rng = np.random.default_rng(seed)
    given = schema.given(X)
    Xs, ys = [X], [y]
    for _ in range(copies):
        rate = rng.random(len(X))[:, None]
        withhold = (rng.random(given.shape) < rate) & given
        Xc = X.copy()
        for j, name in enumerate(FACTORS):
            rows = np.flatnonzero(withhold[:, j])
            Xc[np.ix_(rows, np.asarray(schema.groups_[name], dtype=np.intp))] = np.nan
        skills = np.asarray(schema.groups_["skills"], dtype=np.intp)
        keep = rng.random(len(X))[:, None]
        listed = (Xc[:, skills] == 1.0) & (rng.random((len(X), len(skills))) < keep)
        Xc[:, skills] = np.where(listed, 1.0, np.nan)
        Xs.append(Xc)
        ys.append(y)
    return np.vstack(Xs), np.concatenate(ys)


def _reference_background(train, schema: FeatureSchema, size: int, seed: int) -> np.ndarray:
    """Reference profiles: realistic encoded rows that load-time checks and tests predict.

    Each factor is drawn independently from its distribution among training respondents who
    reported it; no real row is stored (only these synthetic draws).
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
