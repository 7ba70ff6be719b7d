"""Places, by evidence: the OEWS occupations' state wage ratios against what the same employers
offer in different states in the H-1B filings.

`--location` shifts the US estimate by an OEWS area's median wage over the national one, for
one occupation (locations.OCCUPATION). The H-1B filings (SOURCES.md section 7) have the
worksite state, not the metro, so the check is by state: a least-squares regression of log
offered wage on worksite-state dummies (base: California) within employers, with the level
words and the occupation held fixed (train/levels.py), beside each candidate occupation's log
state ratio over California's. Per occupation: the filing-weighted correlation across states
(how well it orders the states) and the slope of the H-1B effect on it (1.0: the same spread;
below 1: places differ less at the same employer than the OEWS cells say).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from mlsalary.locations import OCCUPATION, OCCUPATIONS

BASE_STATE = "CA"
MIN_STATE_FILINGS = 30


def state_check(h1b: str | Path | None, table) -> dict[str, Any] | None:
    """The check for a model's location table (locations.Table); None without both."""
    from mlsalary.train.levels import read_filings, within_employer

    if h1b is None or table is None:
        return None
    frame = read_filings(h1b)
    counts = frame["worksite_state"].value_counts()
    frame = frame[frame["worksite_state"].isin(counts[counts >= MIN_STATE_FILINGS].index)]
    effects = within_employer(frame, ["worksite_state", "level", "occupation"], BASE_STATE, report="worksite_state")
    ratios = {code: _state_ratios(table, code) for code in OCCUPATIONS}
    if BASE_STATE not in counts or not all(BASE_STATE in r for r in ratios.values()):
        return None
    states = [BASE_STATE] + sorted(s for s in effects if all(s in r for r in ratios.values()))
    weights = np.array([counts[s] for s in states], dtype=float)
    h1b_effect = np.array([effects[s][0] if s in effects else 0.0 for s in states])  # the base: 0
    out: dict[str, Any] = {}
    for code, by_state in ratios.items():
        oews = np.array([math.log(by_state[s] / by_state[BASE_STATE]) for s in states])
        out[code] = {"name": OCCUPATIONS[code], "correlation": _weighted_correlation(h1b_effect, oews, weights), "slope": _weighted_slope(h1b_effect, oews, weights)}
    return {
        "states": len(states),
        "filings": int(counts[states].sum()),
        "base": BASE_STATE,
        "shipped": OCCUPATION,
        "occupations": out,
        "method": "log offered wage on worksite state within employers (level words and occupation held fixed), states with "
        f"{MIN_STATE_FILINGS}+ software or ML / data-science filings, against log(OEWS state median / {BASE_STATE} median)",
    }


def _state_ratios(table, code: str) -> dict[str, float]:
    out = {}
    for area in table.areas.values():
        cell = area.get("occupations", {}).get(code) or {}
        if area.get("type") == "state" and cell.get("median") and area.get("states"):
            out[area["states"][0]] = float(cell["median"])
    return out


def _weighted_correlation(a: np.ndarray, b: np.ndarray, w: np.ndarray) -> float:
    if len(a) < 3:
        return float("nan")
    ma, mb = np.average(a, weights=w), np.average(b, weights=w)
    cov = np.average((a - ma) * (b - mb), weights=w)
    return float(cov / math.sqrt(np.average((a - ma) ** 2, weights=w) * np.average((b - mb) ** 2, weights=w)))


def _weighted_slope(y: np.ndarray, x: np.ndarray, w: np.ndarray) -> float:
    if len(y) < 3:
        return float("nan")
    mx, my = np.average(x, weights=w), np.average(y, weights=w)
    return float(np.average((x - mx) * (y - my), weights=w) / np.average((x - mx) ** 2, weights=w))


def to_markdown(check: dict[str, Any]) -> list[str]:
    lines = [
        "Places: each OEWS occupation's state wage ratios against the pay differences between states that",
        f"the same employers offer in the H-1B filings ({check['states']} states, {check['filings']:,} filings, base {check['base']};",
        f"{check['method']}). `--location` uses {check['shipped']}.",
        "",
        "| OEWS occupation | correlation across states | slope (H-1B on OEWS) |",
        "|---|---:|---:|",
    ]
    for code, row in check["occupations"].items():
        shipped = " (shipped)" if code == check["shipped"] else ""
        lines.append(f"| {code} {row['name']}{shipped} | {row['correlation']:.3f} | {row['slope']:.2f} |")
    return lines
