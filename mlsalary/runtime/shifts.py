"""Shifts: the factors that act on pay additively, as a log-pay shift per level.

Company size, remote work, industry and skills are recorded by some surveys only (the newest Stack Overflow
survey, the reference, records none but languages), and together. Inside the trees their effect
stayed where the recording sources' rows are and barely reached the reference estimate, so they
are taken out of the trees and added to every quantile as a shift measured in the rows that
record them (train/additive.py fits it). The shift of a factor not given is 0: the trees then
answer for everyone, whatever they would have said.

A shift depends on the person's region: each country in `regions` is one, everyone else (and a
country not given) the last. A categorical factor's shift is read from a table by its code. The
skills' shift is `intercepts[k] + slopes[k] * sum(premiums of the k listed skills)`: one listed
skill moves pay by its premium, and a longer list by less than the sum, because skills come
together (what a list of k says is measured on respondents' own lists, k at a time).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Shifts:
    """Additive log-pay shifts, applied to encoded rows (FeatureSchema columns)."""

    region_column: int = -1
    region_codes: tuple[float, ...] = ()  # the country code of each region but the last
    columns: tuple[int, ...] = ()  # categorical columns with a table
    tables: np.ndarray = field(default_factory=lambda: np.zeros((1, 0, 0)))  # (region, column, code)
    skill_columns: tuple[int, ...] = ()
    premiums: np.ndarray = field(default_factory=lambda: np.zeros((1, 0)))  # (region, skill)
    intercepts: np.ndarray = field(default_factory=lambda: np.zeros((1, 1)))  # (region, k), k = 0 .. K
    slopes: np.ndarray = field(default_factory=lambda: np.zeros((1, 1)))

    def __call__(self, X: np.ndarray) -> np.ndarray:
        """The log shift of every row of X, shape (n,)."""
        n = len(X)
        out = np.zeros(n)
        if not self.columns and not self.skill_columns:
            return out
        region = np.full(n, len(self.region_codes), dtype=np.intp)
        country = X[:, self.region_column]
        for i, code in enumerate(self.region_codes):
            region[country == code] = i
        width = self.tables.shape[2]
        for i, column in enumerate(self.columns):
            codes = X[:, column]
            known = (codes >= 0) & (codes < width)  # NaN (not given) compares False
            out[known] += self.tables[region[known], i, codes[known].astype(np.intp)]
        if self.skill_columns:
            listed = X[:, self._skills] == 1.0
            k = np.minimum(listed.sum(axis=1), self.intercepts.shape[1] - 1)
            total = np.zeros(n)
            for r, premiums in enumerate(self.premiums):  # region by region: no (rows, skills) copy of the premiums
                rows = np.flatnonzero(region == r)
                if len(rows):
                    total[rows] = np.einsum("ij,j->i", listed[rows], premiums)
            out += np.where(k > 0, self.intercepts[region, k] + self.slopes[region, k] * total, 0.0)
        return out

    @property
    def _skills(self) -> slice | list[int]:
        """The skill columns as a slice when adjacent (as FeatureSchema lays them out): a view."""
        columns = list(self.skill_columns)
        if columns == list(range(columns[0], columns[0] + len(columns))):
            return slice(columns[0], columns[0] + len(columns))
        return columns

    # -- as plain data (forest.json) --------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "region_column": self.region_column,
            "region_codes": list(self.region_codes),
            "columns": list(self.columns),
            "tables": self.tables.tolist(),
            "skill_columns": list(self.skill_columns),
            "premiums": self.premiums.tolist(),
            "intercepts": self.intercepts.tolist(),
            "slopes": self.slopes.tolist(),
        }

    @classmethod
    def from_json(cls, data: Any, n_features: int) -> "Shifts":
        """Shifts from forest.json, checked against the number of feature columns (ValueError)."""
        if not isinstance(data, dict) or set(data) != set(cls().to_json()):
            raise ValueError("'shifts' does not have the expected fields")
        columns = _indices(data["columns"], n_features, "columns")
        skill_columns = _indices(data["skill_columns"], n_features, "skill_columns")
        (region_column,) = _indices([data["region_column"]], n_features, "region_column") if columns or skill_columns else (-1,)
        codes = data["region_codes"]
        if not isinstance(codes, list) or not all(type(c) in (int, float) for c in codes):
            raise ValueError("'shifts.region_codes' must be a list of numbers")
        regions = len(codes) + 1
        tables = _finite(data["tables"], "tables", ndim=3)
        premiums = _finite(data["premiums"], "premiums", ndim=2)
        intercepts = _finite(data["intercepts"], "intercepts", ndim=2)
        slopes = _finite(data["slopes"], "slopes", ndim=2)
        if columns and tables.shape[:2] != (regions, len(columns)):
            raise ValueError("'shifts.tables' does not match its regions and columns")
        if skill_columns and (premiums.shape != (regions, len(skill_columns)) or intercepts.shape[0] != regions or slopes.shape != intercepts.shape or intercepts.shape[1] < 2):
            raise ValueError("'shifts' skill arrays do not match their regions and columns")
        for name, array in (("tables", tables), ("premiums", premiums), ("intercepts", intercepts), ("slopes", slopes)):
            if array.size and np.abs(array).max() > MAX_LOG_SHIFT:
                raise ValueError(f"'shifts.{name}' holds a shift beyond {MAX_LOG_SHIFT} in log pay")
        return cls(region_column, tuple(float(c) for c in codes), columns, tables, skill_columns, premiums, intercepts, slopes)


# No factor level moves pay by more than e**2 (7.4x) in the data (and no slope is above 2): a
# larger value is a damaged or forged file.
MAX_LOG_SHIFT = 2.0


def _indices(values: Any, n_features: int, name: str) -> tuple[int, ...]:
    if not isinstance(values, list) or not all(type(v) is int and 0 <= v < n_features for v in values):
        raise ValueError(f"'shifts.{name}' must list feature columns (0 to {n_features - 1})")
    return tuple(values)


def _finite(values: Any, name: str, ndim: int) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"'shifts.{name}' is not an array of numbers") from None
    if array.ndim != ndim or not np.all(np.isfinite(array)):
        raise ValueError(f"'shifts.{name}' must be a {ndim}-dimensional array of finite numbers")
    return array
