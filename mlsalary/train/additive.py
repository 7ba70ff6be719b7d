"""The additive factors: their shifts (runtime/shifts.py), measured in the rows that record them.

Each factor's shift is the data's own adjusted effect: a least-squares regression of log pay
on the factor's levels with the controls the effects table uses (train/effects.py), in each
region's rows of the sources that record it, centred so that the shift averages 0 over those
rows (a factor not given shifts nothing). A level with fewer than MIN_LEVEL_ROWS rows in a
region shifts nothing there.

Skills are read as a person lists them. A skill's premium is its adjusted effect, listed vs not
listed (one regression per skill, with every control the effects table uses where the rows record
them all: what the data says a skill is worth). A list of up to FULL_LIST skills moves pay by the
sum of its premiums; a longer one by less, `(FULL_LIST / k) ** decay` of the sum for k skills,
because skills come together (AWS, Docker and Kubernetes are listed by the same people, and
each regression already carries some of the others). `decay`, and the intercept of each length,
are fitted on respondents' own lists, drawn k skills at a time.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mlsalary import taxonomy
from mlsalary.runtime.features import FeatureSchema
from mlsalary.runtime.shifts import Shifts
from mlsalary.train.effects import SKILL_CONTROLS, coefficients, design, skill_rows

# The factors taken out of the trees: recorded by some sources only, and together.
ADDITIVE: tuple[str, ...] = ("company_size", "remote", "industry", "skills")
# Each of these countries is a region of its own (industry effects are large in the US and near
# 0 elsewhere); everyone else, and a country not given, is one more.
REGIONS: tuple[str, ...] = ("US",)
CONTROLS: tuple[str, ...] = ("experience", "role", "source")  # as the effects table's contrasts
# Skills are also recorded by a survey without professional years (Stack Overflow 2025, languages
# only): years coding stand in for them, as a control every Stack Overflow source records.
SKILL_CONTROLS_CODING: tuple[str, ...] = ("years_coding", *(c for c in SKILL_CONTROLS if c != "experience"), "source")
MIN_LEVEL_ROWS = 100
# Lists of up to MAX_LIST skills are measured (a longer list is read as one of MAX_LIST), each
# length on respondents who list at least that many, DRAWS random draws each.
MAX_LIST = 40
MIN_LIST_ROWS = 200
DRAWS = 5
# A list this short adds its premiums in full; the decay of longer lists is chosen from DECAYS.
FULL_LIST = 2
DECAYS = tuple(round(0.2 + 0.05 * i, 2) for i in range(21))  # 0.2 .. 1.2


def fit_shifts(table: pd.DataFrame, schema: FeatureSchema, factors=ADDITIVE, seed: int = 0) -> tuple[Shifts, dict[str, Any]]:
    """The shifts of `factors` and a summary of the rows they rest on (for the model card)."""
    from threadpoolctl import threadpool_limits

    # One BLAS thread: least squares split over threads may differ in the last bit, and the
    # trees fit what the shifts leave, so the same data must give the same shifts everywhere.
    with threadpool_limits(limits=1, user_api="blas"):
        return _fit_shifts(table, schema, factors, seed)


def _fit_shifts(table: pd.DataFrame, schema: FeatureSchema, factors, seed: int) -> tuple[Shifts, dict[str, Any]]:
    vocab = schema.vocab_["country"]
    regions = [c for c in REGIONS if c in vocab]
    masks = [(table["country"] == c).to_numpy() for c in regions]
    masks.append(~np.any(masks, axis=0) if masks else np.ones(len(table), dtype=bool))
    names = [*regions, "elsewhere"]
    categorical = [f for f in factors if f != "skills"]
    width = max((len(schema.vocab_[f]) for f in categorical), default=0)
    tables = np.zeros((len(masks), len(categorical), width))
    summary: dict[str, Any] = {}
    for r, rows in enumerate(masks):
        controls = CONTROLS + (("country",) if names[r] == "elsewhere" else ())
        for i, factor in enumerate(categorical):
            frame = table[rows & _recorded(table, factor, schema.unrecorded) & table["experience"].notna()]
            shift = _level_shifts(frame, factor, controls)
            for level, value in shift.items():
                tables[r, i, schema.vocab_[factor][level]] = value
            summary.setdefault(factor, {})[names[r]] = _rows_summary(frame)
    skills: dict[str, Any] = {}
    if "skills" in factors and schema.skills_:
        parts = []
        for r, rows in enumerate(masks):
            frame = table[rows & table["skills"].notna() & table["years_coding"].notna()]
            controls = SKILL_CONTROLS_CODING + (("country",) if names[r] == "elsewhere" else ())
            parts.append(_skill_shifts(frame, schema.skills_, controls, np.random.default_rng(seed + r)))
            summary.setdefault("skills", {})[names[r]] = _rows_summary(frame)
        skills = {
            "skill_columns": tuple(schema.groups_["skills"]),
            "premiums": np.array([p[0] for p in parts]),
            "intercepts": np.array([p[1] for p in parts]),
            "slopes": np.array([p[2] for p in parts]),
        }
    shifts = Shifts(
        region_column=schema.groups_["country"][0],
        region_codes=tuple(float(vocab[c]) for c in regions),
        columns=tuple(schema.groups_[f][0] for f in categorical),
        tables=tables,
        **skills,
    )
    return shifts, summary


def _recorded(table: pd.DataFrame, factor: str, unrecorded) -> pd.Series:
    ok = table[factor].notna()
    for pair in unrecorded:
        source, name = pair.split(":")
        if name == factor:
            ok &= table["source"] != source
    return ok


def _rows_summary(frame: pd.DataFrame) -> dict[str, Any]:
    return {"rows": int(len(frame)), "sources": sorted(set(frame["source"]))}


def _level_shifts(frame: pd.DataFrame, factor: str, controls) -> dict[str, float]:
    """Each level's adjusted effect, centred on the rows' average; thin levels shift nothing."""
    counts = frame[factor].value_counts()
    if len(counts) < 2:
        return {}
    base = counts.index[0]
    levels = [level for level in counts.index if level != base]
    y = np.log(frame["comp_usd"].to_numpy(float))
    coef = coefficients(y, [(frame[factor] == level).to_numpy(float) for level in levels], design(frame, controls))
    effect = {base: 0.0, **{level: float(c) for level, c in zip(levels, coef)}}
    centre = sum(effect[level] * n for level, n in counts.items()) / counts.sum()
    return {level: effect[level] - centre for level, n in counts.items() if n >= MIN_LEVEL_ROWS}


def _skill_shifts(frame: pd.DataFrame, skills, controls, rng) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Premiums per skill, and the intercept and slope of a list of each length k = 0 .. MAX_LIST."""
    premiums = np.zeros(len(skills))
    intercepts = np.zeros(MAX_LIST + 1)
    slopes = np.zeros(MAX_LIST + 1)
    if len(frame) < MIN_LIST_ROWS:
        return premiums, intercepts, slopes
    listed = frame["skills"].str.get_dummies(";").reindex(columns=list(skills), fill_value=0).to_numpy(bool)
    asked = frame["skill_categories"].fillna("").str.get_dummies(";")
    y = np.log(frame["comp_usd"].to_numpy(float))
    control_columns = design(frame, controls)
    # Where rows record every control of the effects table (years of experience, industry,
    # company size, remote), a skill's premium is measured there, as the table measures it.
    full = skill_rows(frame).to_numpy()
    full_controls = SKILL_CONTROLS + tuple(c for c in controls if c == "country")
    full_columns = design(frame[full], full_controls) if full.sum() >= MIN_LIST_ROWS else None
    for j, skill in enumerate(skills):
        if full_columns is not None and _both_ways(listed[full, j]):
            premiums[j] = coefficients(y[full], [listed[full, j].astype(float)], full_columns)[0]
            continue
        # Else in the rows asked about the skill's category (or listing it), years coding standing in.
        category = taxonomy.skill_category(skill)
        rows = (asked[category].to_numpy(bool) if category in asked else False) | listed[:, j]
        if _both_ways(listed[rows, j]):
            premiums[j] = coefficients(y[rows], [listed[rows, j].astype(float)], [c[rows] for c in control_columns])[0]
    X = np.column_stack([np.ones(len(y)), *control_columns])
    residual = y - X @ np.linalg.lstsq(X, y, rcond=None)[0]
    count = listed.sum(axis=1)
    drawn: list[tuple[np.ndarray, np.ndarray]] = []  # per k: the premiums' sums of the draws, and the pay they predict
    for k in range(1, MAX_LIST + 1):
        rows = np.flatnonzero(count >= k)
        if len(rows) < MIN_LIST_ROWS:  # longer lists are read as the longest measured
            break
        sums = []
        for _ in range(DRAWS):
            keys = np.where(listed[rows], rng.random((len(rows), len(skills))), np.inf)
            sums.append(premiums[np.argpartition(keys, k - 1, axis=1)[:, :k]].sum(axis=1))
        drawn.append((np.concatenate(sums), np.tile(residual[rows], DRAWS)))
    if not drawn:
        return premiums, intercepts, slopes
    lengths = np.arange(1, len(drawn) + 1)

    def schedule(decay: float) -> np.ndarray:
        return np.minimum(1.0, (FULL_LIST / lengths) ** decay)

    def error(decay: float) -> float:  # squared error of the best intercepts, over every draw
        return sum(float(np.var(target - slope * x)) * len(x) for (x, target), slope in zip(drawn, schedule(decay)))

    measured = schedule(min(DECAYS, key=error))
    slopes[1 : len(drawn) + 1] = measured
    intercepts[1 : len(drawn) + 1] = [float(np.mean(target - slope * x)) for (x, target), slope in zip(drawn, measured)]
    slopes[len(drawn) + 1 :], intercepts[len(drawn) + 1 :] = slopes[len(drawn)], intercepts[len(drawn)]
    return premiums, intercepts, slopes


def _both_ways(listed: np.ndarray) -> bool:
    """Enough rows listing a skill and enough not listing it to measure its premium."""
    return bool(listed.sum() >= MIN_LEVEL_ROWS and (~listed).sum() >= MIN_LEVEL_ROWS)
