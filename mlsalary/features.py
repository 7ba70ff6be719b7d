"""Features: canonical factor values -> the numeric matrix the quantile models read.

One `FeatureSchema`, fitted on the training table, defines the columns and is used both in
training and at query time, so an input is encoded the same way in both. Categorical factors
become integer codes (HistGradientBoosting's native categorical support); unknown is NaN,
which the trees route like the missing values they saw in training. Skills become one 0/1
column per modelled skill, NaN where the skill's category was not asked (a missing skill
list means "unknown", not "no skills").

`survey` and `year` describe the source of a training row, not the person. They let sources
with different pay definitions pool without biasing one another; every estimate is made for
the reference survey and year stored in the schema.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from mlsalary import taxonomy
from mlsalary.profile import CATEGORICAL_FACTORS, FACTORS, NUMERIC_FACTORS, Profile

SURVEYS = ("stackoverflow", "aijobs")
# The roles this tool is about: their ranges are calibrated as a group of their own.
ML_ROLES = ("ml-engineer", "data-scientist-or-ml", "ml-researcher", "ai-developer")
OTHER_COUNTRY = "other"


@dataclass
class FeatureSchema:
    """Column layout of the model's input. Built by `fit`; plain data, so it pickles small."""

    min_country_rows: int = 30
    # Every skill reported by enough respondents to learn from: ML skills (pytorch ~600,
    # spark ~430) are far rarer than web tools, so a top-N cut would drop exactly them.
    min_skill_rows: int = 200
    # Fitted attributes
    countries_: tuple[str, ...] = ()
    skills_: tuple[str, ...] = ()
    columns_: tuple[str, ...] = ()
    categorical_: tuple[bool, ...] = ()
    groups_: dict[str, tuple[int, ...]] = field(default_factory=dict)
    vocab_: dict[str, dict[str, int]] = field(default_factory=dict)
    reference_survey_: str = "stackoverflow"
    reference_year_: int = 2025

    def fit(self, table) -> "FeatureSchema":
        """Learn vocabularies from the canonical training table (a pandas DataFrame)."""
        counts = table["country"].value_counts()
        self.countries_ = tuple(sorted(c for c, n in counts.items() if n >= self.min_country_rows))
        skill_counts: dict[str, int] = {}
        for skills in table["skills"].dropna():
            for skill in skills.split(";"):
                if skill:
                    skill_counts[skill] = skill_counts.get(skill, 0) + 1
        self.skills_ = tuple(sorted(s for s, n in skill_counts.items() if n >= self.min_skill_rows))
        self.vocab_ = {name: {v: i for i, v in enumerate(taxonomy.FACTOR_VALUES[name])} for name in CATEGORICAL_FACTORS}
        self.vocab_["country"] = {c: i for i, c in enumerate(self.countries_ + (OTHER_COUNTRY,))}
        self.vocab_["survey"] = {s: i for i, s in enumerate(SURVEYS)}

        columns: list[str] = []
        categorical: list[bool] = []
        groups: dict[str, tuple[int, ...]] = {}
        for name in FACTORS:
            if name == "skills":
                names = [f"skill:{s}" for s in self.skills_]
                is_cat = [False] * len(names)
            else:
                names = [name]
                is_cat = [name not in NUMERIC_FACTORS]
            groups[name] = tuple(range(len(columns), len(columns) + len(names)))
            columns += names
            categorical += is_cat
        for name, is_cat in (("survey", True), ("year", False)):  # type: ignore[assignment]
            groups[name] = (len(columns),)
            columns.append(name)
            categorical.append(is_cat)  # type: ignore[arg-type]
        self.columns_, self.categorical_, self.groups_ = tuple(columns), tuple(categorical), groups
        self.reference_year_ = int(table.loc[table["survey"] == self.reference_survey_, "year"].max())
        return self

    # -- encoding -------------------------------------------------------------------------

    def encode_columns(self, data: Mapping[str, Sequence]) -> np.ndarray:
        """Encode column-wise canonical data (None/NaN = unknown) into a float matrix.

        `data` has one sequence per factor, plus `skill_categories` (the skill categories each
        row was asked about; ";"-joined) and `survey`/`year` (absent at query time: reference).
        """
        n = len(data["country"])
        X = np.full((n, len(self.columns_)), np.nan)
        for name in NUMERIC_FACTORS:
            X[:, self.groups_[name][0]] = np.array(
                [np.nan if v is None else v for v in data[name]], dtype=float
            )
        for name in CATEGORICAL_FACTORS + ("country", "survey"):
            vocab = self.vocab_[name]
            column = self.groups_[name][0]
            if name == "survey" and data.get("survey") is None:
                X[:, column] = vocab[self.reference_survey_]  # queries: the reference survey
                continue
            fallback = vocab.get(OTHER_COUNTRY) if name == "country" else None
            X[:, column] = [_code(vocab, v, fallback) for v in data[name]]
        year = data.get("year")
        X[:, self.groups_["year"][0]] = self.reference_year_ if year is None else np.asarray(year, float)
        skill_columns = self.groups_["skills"]
        categories = [taxonomy.skill_category(s) for s in self.skills_]
        for row, (skills, asked) in enumerate(zip(data["skills"], data["skill_categories"])):
            if not isinstance(skills, str) or not isinstance(asked, str):
                continue
            have = set(skills.split(";"))
            asked_set = set(asked.split(";"))
            for column, skill, category in zip(skill_columns, self.skills_, categories):
                # A skill named in any column counts; absent counts only if its category was asked.
                if skill in have:
                    X[row, column] = 1.0
                elif category in asked_set:
                    X[row, column] = 0.0
        return X

    def encode_profiles(self, profiles: Sequence[Profile]) -> np.ndarray:
        """Encode validated profiles for the reference survey and year."""
        data: dict[str, list] = {name: [] for name in FACTORS}
        data["skill_categories"] = []
        for p in profiles:
            for name in FACTORS:
                data[name].append(getattr(p, name))
            # A listed skill is one the person has; an unlisted one is *not stated* (NaN), not
            # absent: people list highlights, and reading the list as complete would penalise a
            # short list against a background respondent who ticked dozens of boxes.
            data["skill_categories"].append(None if p.skills is None else "")
            if p.skills is not None:
                data["skills"][-1] = ";".join(p.skills)
        return self.encode_columns(data)

    def calibration_groups(self, X: np.ndarray) -> np.ndarray:
        """Each row's conformal group, read from X: "<survey>/ml" or "<survey>/other"."""
        survey_names = np.array(SURVEYS, dtype=object)
        surveys = survey_names[X[:, self.groups_["survey"][0]].astype(int)]
        role = X[:, self.groups_["role"][0]]
        ml_codes = [self.vocab_["role"][r] for r in ML_ROLES if r in self.vocab_["role"]]
        is_ml = np.isin(role, ml_codes)
        return np.where(is_ml, surveys + "/ml", surveys + "/other")

    @property
    def categorical_mask(self) -> np.ndarray:
        return np.array(self.categorical_, dtype=bool)


def _code(vocab: Mapping[str, int], value, fallback) -> float:
    if value is None or (isinstance(value, float) and value != value):
        return np.nan
    code = vocab.get(value)
    if code is None:
        if fallback is None:
            raise KeyError(value)
        return float(fallback)
    return float(code)
