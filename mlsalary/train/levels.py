"""Levels above senior, from the H-1B filings: what the same employer offers a staff, principal
or lead engineer against a senior one.

No survey records these levels (aijobs.net stops at senior and executive; Stack Overflow asks no
level), so the step above senior is measured where the level is written: the job titles of the
H-1B Labor Condition Applications (US Department of Labor, public domain; SOURCES.md section 7).
The ratio is used the way the OEWS ratio is used for places: the model estimates a senior, and
the level's ratio multiplies the range, stated in the output with its rows and its caveat.

Method: a least-squares regression of log offered wage on level-word dummies (base: senior),
within employers (employer fixed effects, by demeaning), with the worksite state and the
occupation family as controls, on software and ML / data-science titles; 95% intervals from
employer-clustered standard errors. The level words of a title are read by `title_level`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

H1B_COLUMNS = ("employer", "job_title", "soc_code", "worksite_state", "annual_wage")
# The levels shipped, in ladder order, and the base they are measured against.
BASE = "senior"
LEVELS = ("lead", "staff", "senior-staff", "principal", "senior-principal", "distinguished")
THIN_EMPLOYERS = 20  # a level filed by fewer employers (beside a senior title) is thin
CAVEAT = (
    "base wage offered to H-1B visa workers, against a senior title at the same employer "
    "(US DOL LCA filings decided Oct-Dec 2023); base pay only, no bonus or equity"
)

_SUFFIX = re.compile(r"\b(L\s?L\s?C|L\s?L\s?P|INC|INCORPORATED|CORP|CORPORATION|CO|COMPANY|LTD|LIMITED|LP|PLC|PC|NA|N A|USA|US|U S|AMERICA|THE)\b")
# Title families: ML / data science first (a "Senior Machine Learning Engineer" is ML), then software.
_ML_DS = r" (?:MACHINE LEARNING|ML|AI|A I|ARTIFICIAL INTELLIGENCE|DEEP LEARNING|COMPUTER VISION|NLP|DATA SCIENTIST|DATA SCIENCE|APPLIED SCIENTIST|RESEARCH SCIENTIST|MLOPS|GENERATIVE AI|GENAI|LLM) "
_SOFTWARE = (
    r" (?:SOFTWARE|DEVELOPER|SDE|SDET|SWE|PROGRAMMER|MEMBER OF TECHNICAL STAFF|MTS|FULL STACK|FULLSTACK|BACKEND|BACK END|"
    r"FRONTEND|FRONT END|SITE RELIABILITY|SRE|DEVOPS|DATA ENGINEER|CLOUD ENGINEER|PLATFORM ENGINEER|SW) "
)
_SOFTWARE_SOC = ("15-1252", "15-1253", "15-1254", "15-1255", "15-1132", "15-1133", "15-1131", "15-1134", "15-1034", "15-1035", "15-1036")
_RESEARCH_SOC = ("15-2051", "15-1221", "15-1111")

# Level words, the first rule that matches wins. "Member of Technical Staff" is not the word
# Staff; Senior + Staff is senior staff; a level word beats a numeral; a bank's "Vice President"
# is a corporate title, not a level; "Lead X" is a ladder level, "X Lead" often a role.
_RULES: tuple[tuple[str, str], ...] = (
    ("intern", r" (?:INTERN|INTERNSHIP|CO OP|COOP|TRAINEE|APPRENTICE) "),
    ("postdoc", r" (?:POSTDOCTORAL|POSTDOC|POST DOCTORAL) "),
    ("vp title", r" (?:VP|AVP|SVP|VICE PRESIDENT) "),
    ("director", r" (?:DIRECTOR|HEAD|CHIEF|CTO|CIO|PRESIDENT|PARTNER) "),
    ("manager", r" (?:MANAGER|MGR|SUPERVISOR) "),
    ("distinguished", r" (?:DISTINGUISHED|FELLOW|CONSULTING MTS|CMTS) "),
    ("senior-principal", r" (?:SENIOR|SR|SNR) (?:PRINCIPAL|PMTS) "),
    ("principal", r" (?:PRINCIPAL|PMTS) "),
    ("senior-staff", r" (?:SENIOR|SR|SNR) STAFF "),
    ("staff", r" STAFF "),
    ("lead", r"^ (?:SENIOR |SR )?LEAD (?!ANALYST |CONSULTANT )\w"),
    ("lead-role", r" (?:LEAD|LEADER|LMTS) "),
    ("senior", r" (?:SENIOR|SR|SNR|SMTS) "),
    ("entry", r" (?:JUNIOR|JR|ENTRY|GRADUATE|NEW GRAD|ASSOCIATE|ASSISTANT) "),
    ("numbered", r" (?:I|II|III|IV|V|VI|1|2|3|4|5|6) "),
)
_NOT_MANAGER = r" (?:PRODUCT|PROJECT|PROGRAM) MANAGER "


def find_h1b(directory: str | Path) -> Path | None:
    """The H-1B filings file of a data folder, found by its header; None when absent."""
    from mlsalary.train.sources import find_by_header

    return find_by_header(directory, H1B_COLUMNS)


def _normalise(text: pd.Series) -> pd.Series:
    text = text.fillna("").astype(str).str.upper().str.replace(r"\bSR\.", "SR ", regex=True)
    return " " + text.str.replace(r"[^A-Z0-9 ]", " ", regex=True).str.split().str.join(" ") + " "


def title_level(titles: pd.Series) -> pd.Series:
    """The level word class of each title as filed ("unmarked" when none)."""
    text = _normalise(titles).str.replace(r" (?:JC|L|LEVEL|GRADE|BAND|E|IC) ?\d+ ", " ", regex=True)
    text = text.str.replace(r" MEMBER (OF )?(THE )?TECHNICAL STAFF ", " MTS ", regex=True)
    out = pd.Series("unmarked", index=titles.index, dtype=object)
    done = pd.Series(False, index=titles.index)
    for name, pattern in _RULES:
        hit = text.str.contains(pattern, regex=True) & ~done
        if name == "manager":
            hit &= ~text.str.contains(_NOT_MANAGER, regex=True)
        out[hit] = name
        done |= hit
    return out


def _family(frame: pd.DataFrame) -> pd.Series:
    text = _normalise(frame["job_title"])
    soc = frame["soc_code"].astype(str).str[:7]
    software = text.str.contains(_SOFTWARE, regex=True) | (text.str.contains(r" (?:ENGINEER|ENGINEERING) ", regex=True) & soc.isin(_SOFTWARE_SOC))
    return pd.Series(np.where(text.str.contains(_ML_DS, regex=True), "ml-ds", np.where(software, "software", "other")), index=frame.index)


def within_employer(frame: pd.DataFrame, regressors: list[str], base: str, report: str = "level") -> dict[str, tuple[float, float]]:
    """The `report` column's coefficients (against `base`) and employer-clustered s.e. of log
    wage, employer effects absorbed, the other regressors held fixed."""
    columns, names = [], []
    for column in regressors:
        values = frame[column]
        reference = base if column == report else values.mode()[0]
        for value in sorted(set(values) - {reference}):
            columns.append((values == value).to_numpy(float))
            names.append((column, value))
    group = pd.factorize(frame["employer_key"])[0]
    counts = np.bincount(group)

    def demean(a: np.ndarray) -> np.ndarray:
        return a - (np.bincount(group, a) / counts)[group]

    y = demean(np.log(frame["annual_wage"].to_numpy(float)))
    X = np.column_stack([demean(c) for c in columns])
    varies = np.abs(X).sum(axis=0) > 1e-9
    X, names = X[:, varies], [n for n, v in zip(names, varies) if v]
    inverse = np.linalg.pinv(X.T @ X)
    coef = inverse @ (X.T @ y)
    residual = y - X @ coef
    scores = np.zeros((group.max() + 1, X.shape[1]))
    np.add.at(scores, group, X * residual[:, None])
    n, k, g = X.shape[0], X.shape[1], group.max() + 1
    covariance = inverse @ (scores.T @ scores) @ inverse * g / (g - 1) * (n - 1) / (n - k)
    se = np.sqrt(np.diag(covariance))
    return {value: (float(c), float(s)) for (column, value), c, s in zip(names, coef, se) if column == report}


def read_filings(path: str | Path) -> pd.DataFrame:
    """The software and ML / data-science filings, with their level, employer and occupation."""
    frame = pd.read_csv(path, usecols=list(H1B_COLUMNS), dtype={"soc_code": str, "worksite_state": str})
    frame = frame[frame["annual_wage"] > 0]
    frame["family"] = _family(frame)
    frame = frame[frame["family"] != "other"].copy()
    frame["level"] = title_level(frame["job_title"])
    key = frame["employer"].fillna("").astype(str).str.upper().str.replace("&", " AND ").str.replace(r"[^A-Z0-9 ]", " ", regex=True)
    frame["employer_key"] = key.str.replace(_SUFFIX, " ", regex=True).str.split().str.join(" ")
    soc = frame["soc_code"].astype(str).str[:7]
    frame["occupation"] = frame["family"] + "/" + np.where(soc.isin(_RESEARCH_SOC), "research", np.where(soc.isin(_SOFTWARE_SOC), "software", "other"))
    return frame


def level_ratios(path: str | Path) -> dict[str, Any]:
    """The shipped ladder: for each level of LEVELS, its ratio to senior at the same employer,
    the 95% interval, the filings and the employers that filed it beside a senior title."""
    from mlsalary.runtime.format import file_sha256

    frame = read_filings(path)
    effects = within_employer(frame, ["level", "worksite_state", "occupation"], BASE)
    with_senior = set(frame.loc[frame["level"] == BASE, "employer_key"])
    ladder = {}
    for level in LEVELS:
        if level not in effects:
            continue
        coef, se = effects[level]
        rows = frame[frame["level"] == level]
        employers = int(rows["employer_key"][rows["employer_key"].isin(with_senior)].nunique())
        ladder[level] = {
            "ratio": round(float(np.exp(coef)), 4),
            "low": round(float(np.exp(coef - 1.96 * se)), 4),
            "high": round(float(np.exp(coef + 1.96 * se)), 4),
            "rows": int(len(rows)),
            "employers": employers,
            "thin": employers < THIN_EMPLOYERS,
        }
    return {
        "base": BASE,
        "levels": ladder,
        "source": {
            "name": "US Department of Labor, OFLC, H-1B LCA disclosure data, FY2024 Q1",
            "file": Path(path).name,
            "sha256": file_sha256(Path(path)),
            "rows": int(len(frame)),
            "employers": int(frame["employer_key"].nunique()),
            "licence": "public domain (a work of the US Government)",
        },
        "method": "log offered wage on level words (base: senior) within employers, controls worksite state and occupation; software and ML / data-science titles",
        "caveat": CAVEAT,
        "interns": int((frame["level"] == "intern").sum()),
    }
