"""Held-out evaluation: coverage, pinball loss and error, for the model and two baselines.

All figures come from the test split (see model.assign_split): rows the model never saw in
training or calibration. Baselines, fit on the same training split:
  - lookup: quantiles of log pay by country x experience band (what a salary table gives),
    falling back to the band alone, then to everyone, when a cell has < 30 rows;
  - loglinear: a ridge regression on log pay with one-hot factors (the old Stack Overflow
    calculator's method), with quantiles from its training residuals.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mlsalary.features import ML_ROLES
from mlsalary.model import INTERVALS, QUANTILES, table_to_columns
from mlsalary.profile import CATEGORICAL_FACTORS, NUMERIC_FACTORS

MIN_CELL = 30
MIN_SEGMENT = 100
TOP_COUNTRIES = 5


def experience_band(table: pd.DataFrame) -> pd.Series:
    """Professional years where reported, else the seniority level, else total coding years."""
    bins = [-1, 2, 5, 10, 20, 1e9]
    labels = ["0-2 yrs", "3-5 yrs", "6-10 yrs", "11-20 yrs", "21+ yrs"]
    work = pd.cut(table["experience"].astype(float), bins, labels=labels).astype(object)
    coding = pd.cut(table["years_coding"].astype(float), bins, labels=labels).astype(object)
    level = table["seniority"].map(lambda s: f"level {s}" if isinstance(s, str) else None)
    band = work.where(work.notna(), level)
    band = band.where(band.notna(), coding.map(lambda b: f"coding {b}" if isinstance(b, str) else None))
    return band.fillna("unknown")


# -- metrics ------------------------------------------------------------------------------------


def metrics(log_q: np.ndarray, y_log: np.ndarray) -> dict[str, float]:
    """Coverage of both intervals, mean pinball loss (log scale), median abs. % error."""
    out: dict[str, float] = {"rows": int(len(y_log))}
    for name, (lo, hi, _) in INTERVALS.items():
        out[f"coverage_{name}"] = float(np.mean((y_log >= log_q[:, lo]) & (y_log <= log_q[:, hi])))
    losses = [_pinball(log_q[:, i], y_log, q) for i, q in enumerate(QUANTILES)]
    out["pinball_p10_p50_p90"] = float(np.mean([losses[0], losses[2], losses[4]]))
    out["pinball_all"] = float(np.mean(losses))
    out["mdape_median"] = float(np.median(np.abs(np.exp(log_q[:, 2]) / np.exp(y_log) - 1)))
    return out


def _pinball(pred: np.ndarray, y: np.ndarray, q: float) -> float:
    diff = y - pred
    return float(np.mean(np.maximum(q * diff, (q - 1) * diff)))


# -- baselines ----------------------------------------------------------------------------------


class LookupBaseline:
    """Quantiles of log pay per country x experience band, with fallbacks for thin cells."""

    def fit(self, train: pd.DataFrame) -> "LookupBaseline":
        y = np.log(train["comp_usd"].to_numpy(float))
        frame = pd.DataFrame({"country": train["country"].fillna("?"), "band": experience_band(train), "y": y})
        self.cells_ = _quantile_table(frame, ["country", "band"])
        self.bands_ = _quantile_table(frame, ["band"])
        self.global_ = np.quantile(y, QUANTILES)
        return self

    def predict_log(self, table: pd.DataFrame) -> np.ndarray:
        countries = table["country"].fillna("?").tolist()
        bands = experience_band(table).tolist()
        out = np.empty((len(table), len(QUANTILES)))
        for i, (country, band) in enumerate(zip(countries, bands)):
            out[i] = self.cells_.get((country, band), self.bands_.get((band,), self.global_))
        return out


def _quantile_table(frame: pd.DataFrame, keys: list[str]) -> dict[tuple, np.ndarray]:
    table = {}
    for key, group in frame.groupby(keys):
        if len(group) >= MIN_CELL:
            table[key if isinstance(key, tuple) else (key,)] = np.quantile(group["y"], QUANTILES)
    return table


class LogLinearBaseline:
    """Ridge regression on log pay with one-hot factors; residual quantiles give the range."""

    def fit(self, train: pd.DataFrame) -> "LogLinearBaseline":
        from sklearn.linear_model import Ridge

        X = self._design(train, fit=True)
        y = np.log(train["comp_usd"].to_numpy(float))
        self.model_ = Ridge(alpha=1.0).fit(X, y)
        self.residual_quantiles_ = np.quantile(y - self.model_.predict(X), QUANTILES)
        return self

    def predict_log(self, table: pd.DataFrame) -> np.ndarray:
        mean = self.model_.predict(self._design(table, fit=False))
        return mean[:, None] + self.residual_quantiles_[None, :]

    def _design(self, table: pd.DataFrame, fit: bool) -> np.ndarray:
        parts = []
        for name in NUMERIC_FACTORS:
            values = table[name].astype(float).to_numpy()
            known = ~np.isnan(values)
            parts += [np.where(known, np.log1p(np.nan_to_num(values)), 0.0), known.astype(float)]
        frame = table[list(CATEGORICAL_FACTORS) + ["country", "survey"]].astype(object).fillna("?")
        if fit:
            counts = frame["country"].value_counts()
            self.countries_ = set(counts[counts >= MIN_CELL].index)
            self.levels_ = {c: sorted(frame[c].unique()) for c in frame.columns}
        frame = frame.assign(country=frame["country"].where(frame["country"].isin(self.countries_), "other"))
        for column, levels in self.levels_.items():
            values = frame[column].to_numpy()
            parts += [(values == level).astype(float) for level in levels]
        parts.append(table["year"].astype(float).to_numpy() - 2024)
        return np.column_stack(parts)


# -- report -------------------------------------------------------------------------------------


def evaluate(model, train: pd.DataFrame, test: pd.DataFrame) -> dict[str, Any]:
    """Metrics overall and per segment for the model and both baselines, on `test`."""
    y = np.log(test["comp_usd"].to_numpy(float))
    predictions = {
        "model": model.predict_log(model.schema_.encode_columns(table_to_columns(test))),
        "lookup": LookupBaseline().fit(train).predict_log(test),
        "loglinear": LogLinearBaseline().fit(train).predict_log(test),
    }
    segments = _segments(test)
    report: dict[str, Any] = {"test_rows": int(len(test)), "segments": {}}
    for segment, rows in segments.items():
        report["segments"][segment] = {
            name: metrics(pred[rows], y[rows]) for name, pred in predictions.items()
        }
    overall = report["segments"]["overall"]
    report["improvement_over_lookup_pinball"] = 1 - overall["model"]["pinball_p10_p50_p90"] / overall["lookup"]["pinball_p10_p50_p90"]
    report["improvement_over_loglinear_pinball"] = 1 - overall["model"]["pinball_p10_p50_p90"] / overall["loglinear"]["pinball_p10_p50_p90"]
    return report


def _segments(test: pd.DataFrame) -> dict[str, np.ndarray]:
    rows = {"overall": np.ones(len(test), dtype=bool)}
    rows["ML roles"] = test["role"].isin(ML_ROLES).to_numpy()
    for source in sorted(test["source"].unique()):
        rows[f"source {source}"] = (test["source"] == source).to_numpy()
    bands = experience_band(test)
    for band in sorted(bands.unique()):
        rows[f"experience {band}"] = (bands == band).to_numpy()
    for country in test["country"].value_counts().index[:TOP_COUNTRIES]:
        rows[f"country {country}"] = (test["country"] == country).to_numpy()
    return {name: mask for name, mask in rows.items() if mask.sum() >= MIN_SEGMENT or name == "overall"}


def to_markdown(report: dict[str, Any]) -> str:
    lines = [
        "| segment | rows | model p10-p90 cov. | model p25-p75 cov. | model pinball | lookup pinball | loglinear pinball | model MdAPE | lookup MdAPE | loglinear MdAPE |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for segment, by_model in report["segments"].items():
        m, lk, ll = by_model["model"], by_model["lookup"], by_model["loglinear"]
        lines.append(
            f"| {segment} | {m['rows']:,} | {m['coverage_p10-p90']:.1%} | {m['coverage_p25-p75']:.1%} | "
            f"{m['pinball_p10_p50_p90']:.4f} | {lk['pinball_p10_p50_p90']:.4f} | {ll['pinball_p10_p50_p90']:.4f} | "
            f"{m['mdape_median']:.1%} | {lk['mdape_median']:.1%} | {ll['mdape_median']:.1%} |"
        )
    return "\n".join(lines) + "\n"


def summary(report: dict[str, Any]) -> dict[str, Any]:
    """The headline figures kept in the model's metadata."""
    overall = report["segments"]["overall"]
    return {
        "test_rows": report["test_rows"],
        "model": overall["model"],
        "lookup": overall["lookup"],
        "loglinear": overall["loglinear"],
        "improvement_over_lookup_pinball": report["improvement_over_lookup_pinball"],
        "improvement_over_loglinear_pinball": report["improvement_over_loglinear_pinball"],
        "ml_roles": report["segments"].get("ML roles", {}).get("model"),
    }

