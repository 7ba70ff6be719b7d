"""What moves pay: each factor level's effect on the reference estimate beside the data's own
adjusted effect, in the sources that record the factor.

The data's effect is a least-squares regression of log pay on the factor's levels with
controls, on the rows of the sources that record it (CONTRASTS says which rows and which
controls). The model's effect is the change of the log median of one reference profile when the
level replaces the base: what `--what-if` and the contributions report for that person.

A contrast is a target (TARGETS) when it is the one the issue of record set: seniority, company
size, remote and industry within 0.67-1.5x of the data with the same sign, skills with 500+ rows
within 0.5-1.5x. A data effect that is not clear (within two standard errors of zero) has no
meaningful ratio: its target is met when the model's effect lies inside the data's 95% interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pandas as pd

from mlsalary.profile import Profile

MIN_ROWS = 300  # a level with fewer rows is kept in the regression but not reported
MIN_SKILL_TARGET_ROWS = 500
SO_US = ("stackoverflow-2024", "stackoverflow-2023-us")
# The band of model / data (log scale) a target must meet, by factor.
TARGETS = {"seniority": (0.67, 1.5), "company_size": (0.67, 1.5), "remote": (0.67, 1.5), "industry": (0.67, 1.5), "skills": (0.5, 1.5)}

# The reference profiles: a US ML engineer with 5 years (a seniority level stands for the years,
# so that contrast leaves them out); skills on a US backend developer with 5 years who listed
# python (java for the python contrast), the listed skill added or not.
REFERENCE: dict[str, Any] = {"country": "US", "role": "ml-engineer", "experience": 5.0}
SKILL_REFERENCE: dict[str, Any] = {"country": "US", "role": "backend", "experience": 5.0}


@dataclass(frozen=True)
class Contrast:
    """A factor's levels against a base level, in the rows of the sources that record it."""

    factor: str
    base: str | None  # None: the most common level
    where: str  # a label for the rows
    rows: Callable[[pd.DataFrame], pd.Series]
    controls: tuple[str, ...]
    target: bool


def _us(table: pd.DataFrame) -> pd.Series:
    return table["country"] == "US"


def _aijobs_us(table: pd.DataFrame) -> pd.Series:
    return _us(table) & (table["source"] == "aijobs") & table["seniority"].notna()


def _so_us(factor: str) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda t: _us(t) & t["source"].isin(SO_US) & t[factor].notna() & t["experience"].notna()


CONTRASTS: tuple[Contrast, ...] = (
    Contrast("seniority", "entry", "aijobs.net US (full-time)", _aijobs_us, ("role", "year"), True),
    *(
        Contrast(factor, base, "Stack Overflow 2023 + 2024 US", _so_us(factor), ("experience", "role", "source"), factor != "education")
        for factor, base in (("company_size", "medium"), ("remote", "in-person"), ("industry", None), ("education", None))
    ),
    # aijobs.net also records remote work: shown beside the target, which follows Stack Overflow
    # (the reference's own pay definition and population, with years of experience as a control).
    Contrast("remote", "in-person", "aijobs.net US (full-time)", _aijobs_us, ("role", "year", "seniority"), False),
)
SKILL_CONTROLS = ("experience", "role", "education", "company_size", "industry", "remote")


def design(frame: pd.DataFrame, controls: tuple[str, ...]) -> list[np.ndarray]:
    columns: list[np.ndarray] = []
    for name in controls:
        if name in ("experience", "years_coding"):
            years = frame[name].astype(float).to_numpy()
            columns += [np.log1p(years), years, years**2 / 100]
            continue
        values = frame[name].fillna("?").astype(str)
        columns += [(values == level).to_numpy(float) for level in values.value_counts().index[1:]]
    return columns


def coefficients(y: np.ndarray, effects: list[np.ndarray], controls: list[np.ndarray]) -> np.ndarray:
    """Least-squares coefficients of `effects`, with an intercept and `controls`."""
    X = np.column_stack([np.ones(len(y)), *effects, *controls])
    return np.linalg.lstsq(X, y, rcond=None)[0][1 : len(effects) + 1]


def least_squares(y: np.ndarray, effects: list[np.ndarray], controls: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients and standard errors of `effects`, with an intercept and `controls`."""
    X = np.column_stack([np.ones(len(y)), *effects, *controls])
    coef, *_ = np.linalg.lstsq(X, y, rcond=None)
    residual = y - X @ coef
    sigma2 = residual @ residual / max(1, len(y) - np.linalg.matrix_rank(X))
    se = np.sqrt(np.abs(np.diag(np.linalg.pinv(X.T @ X))) * sigma2)
    k = len(effects)
    return coef[1 : k + 1], se[1 : k + 1]


def data_effects(table: pd.DataFrame) -> list[dict[str, Any]]:
    """Every contrast's adjusted effects on log pay, levels with MIN_ROWS rows or more."""
    out: list[dict[str, Any]] = []
    for contrast in CONTRASTS:
        frame = table[contrast.rows(table)]
        if frame.empty:
            continue
        values = frame[contrast.factor].astype(str)
        counts = values.value_counts()
        base = contrast.base if contrast.base is not None else counts.index[0]
        if base not in counts:
            continue
        levels = [level for level in counts.index if level != base]  # rare levels stay as their own dummies
        coef, se = least_squares(np.log(frame["comp_usd"].to_numpy(float)), [(values == level).to_numpy(float) for level in levels], design(frame, contrast.controls))
        for level, c, s in zip(levels, coef, se):
            if counts[level] >= MIN_ROWS:
                out.append(_row(contrast.factor, level, base, contrast.where, int(counts[level]), float(c), float(s), contrast.target, contrast.controls))
    out += _skill_effects(table)
    return out


def _skill_effects(table: pd.DataFrame) -> list[dict[str, Any]]:
    """Each skill listed vs not listed, one regression per skill, in the rows with skill lists
    and every control (the Stack Overflow 2023 US rows)."""
    frame = table[skill_rows(table)]
    if frame.empty:
        return []
    lists = frame["skills"].str.split(";").map(set)
    counts: dict[str, int] = {}
    for cell in lists:
        for skill in cell:
            counts[skill] = counts.get(skill, 0) + 1
    controls = design(frame, SKILL_CONTROLS)
    y = np.log(frame["comp_usd"].to_numpy(float))
    where = ", ".join(sorted(set(frame["source"])))
    out = []
    for skill in sorted(s for s, n in counts.items() if s and n >= MIN_ROWS):
        listed = lists.map(lambda cell, s=skill: s in cell).to_numpy(float)
        coef, se = least_squares(y, [listed], controls)
        rows = int(listed.sum())
        out.append(_row("skills", skill, "not listed", where, rows, float(coef[0]), float(se[0]), rows >= MIN_SKILL_TARGET_ROWS, SKILL_CONTROLS))
    return out


def skill_rows(table: pd.DataFrame) -> pd.Series:
    """The rows a skill's effect is measured in: skill lists with every control recorded."""
    return table["skills"].notna() & table["experience"].notna() & table["industry"].notna()


def _row(factor, level, base, where, rows, effect, se, target, controls) -> dict[str, Any]:
    return {"factor": factor, "level": level, "base": base, "source": where, "rows": rows, "data_effect": effect, "data_se": se, "target": target, "controls": list(controls)}


def skill_anchor(skill: str) -> str:
    """The skill the reference profile lists beside the one measured."""
    return "java" if skill == "python" else "python"


def reference_profiles(factor: str, level: str, base: str) -> tuple[Profile, Profile]:
    """The reference profile with the level, and with the base."""
    if factor == "seniority":
        fields = {k: v for k, v in REFERENCE.items() if k != "experience"}
        return Profile(**fields, seniority=level), Profile(**fields, seniority=base)
    if factor == "skills":
        anchor = skill_anchor(level)
        return Profile(**SKILL_REFERENCE, skills=(anchor, level)), Profile(**SKILL_REFERENCE, skills=(anchor,))
    return Profile(**REFERENCE, **{factor: level}), Profile(**REFERENCE, **{factor: base})


def effects_table(model, table: pd.DataFrame) -> list[dict[str, Any]]:
    """The data's effects (data_effects) with the model's effect on the reference estimate,
    their ratio and whether each target is met."""
    rows = data_effects(table)
    profiles = [p for r in rows for p in reference_profiles(r["factor"], r["level"], r["base"])]
    if not rows:
        return []
    medians = np.log(model.predict_median(model.schema_.encode_profiles(profiles)))
    for i, row in enumerate(rows):
        row["model_effect"] = float(medians[2 * i] - medians[2 * i + 1])
        row["ratio"] = row["model_effect"] / row["data_effect"] if row["data_effect"] else float("nan")
        row["clear"] = bool(abs(row["data_effect"]) > 2 * row["data_se"])
        row["met"] = _met(row) if row["target"] else None
    return rows


def _met(row: dict[str, Any]) -> bool:
    if not row["clear"]:
        return bool(abs(row["model_effect"] - row["data_effect"]) <= 1.96 * row["data_se"])
    low, high = TARGETS[row["factor"]]
    return bool(low <= row["ratio"] <= high)


def targets_met(rows: list[dict[str, Any]]) -> dict[str, list[int]]:
    """Per factor: [targets met, targets]."""
    out: dict[str, list[int]] = {}
    for row in rows:
        if row["target"]:
            tally = out.setdefault(row["factor"], [0, 0])
            tally[0] += int(row["met"])
            tally[1] += 1
    return out


def to_markdown(rows: list[dict[str, Any]]) -> list[str]:
    lines = [
        "What moves pay: the effect of each factor level on the reference estimate (a US ML engineer",
        "with 5 years; skills: a US backend developer with 5 years who listed python) beside the data's",
        "adjusted effect (regression of log pay with controls, in the rows that record the factor).",
        "Targets: seniority, company size, remote, industry within 0.67-1.5x of the data; skills with",
        "500+ rows within 0.5-1.5x; an effect not clear in the data: the model inside its 95% interval.",
        "",
        "| factor | level vs base | rows (where) | data (s.e.) | data | model | model / data | target |",
        "|---|---|---|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        target = "" if r["met"] is None else ("met" if r["met"] else "missed")
        lines.append(
            f"| {r['factor']} | {r['level']} vs {r['base']} | {r['rows']:,} ({r['source']}) | {r['data_effect']:+.3f} ({r['data_se']:.3f}) | "
            f"{math.expm1(r['data_effect']):+.1%} | {math.expm1(r['model_effect']):+.1%} | {r['ratio']:.2f} | {target} |"
        )
    met = targets_met(rows)
    lines += ["", "Targets met: " + ", ".join(f"{factor} {m}/{n}" for factor, (m, n) in met.items()) + "."]
    return lines
