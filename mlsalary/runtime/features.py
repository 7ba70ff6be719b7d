"""Features: canonical factor values -> the numeric matrix the quantile models read.

One `FeatureSchema`, fitted on the training table, defines the columns and is used both in
training and at query time, so an input is encoded the same way in both. Categorical factors
become integer codes (HistGradientBoosting's native categorical support); unknown is NaN,
which the trees route like the missing values they saw in training. Skills become one 0/1
column per modelled skill, NaN where the skill's category was not asked (a missing skill
list means "unknown", not "no skills").

`source` (the survey and edition a row came from: aijobs, stackoverflow-2022, ...) and `year`
describe where a training row came from, not the person. They let sources with different pay
definitions and years pool without biasing one another; every estimate is made for the
reference source and year stored in the schema (the newest Stack Overflow survey).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Mapping, Sequence

import numpy as np

from mlsalary import taxonomy
from mlsalary.factors import BY_NAME, CATEGORICAL_FACTORS, FACTORS, NUMERIC_FACTORS
from mlsalary.profile import Profile

# Role families: ranges are calibrated per family x experience band (Mondrian CQR), because
# the families differ in how noisy pay is, and ML roles are what this tool is for.
ML_ROLES = ("ml-engineer", "data-scientist-or-ml", "ml-researcher", "ai-developer")
DATA_ROLES = ("data-scientist", "data-engineer", "data-analyst")
OTHER_COUNTRY = "other"

# Experience bands (upper bounds, inclusive) shared by calibration groups and evaluation.
BAND_EDGES = (2, 5, 10, 20)
BAND_LABELS = ("0-2 yrs", "3-5 yrs", "6-10 yrs", "11-20 yrs", "21+ yrs")
# Where professional years are not given, the band is read from the seniority level, and
# failing that from total years coding (a separate band: coding years include learning).
SENIORITY_BANDS = {"entry": "0-2 yrs", "mid": "3-5 yrs", "senior": "6-10 yrs", "executive": "11-20 yrs"}


def role_family(role: str | None) -> str:
    if role is None:
        return "unknown"
    return "ml" if role in ML_ROLES else "data" if role in DATA_ROLES else "other"


def years_band(years: np.ndarray) -> np.ndarray:
    """Band label of each number of years (object array)."""
    return np.array(BAND_LABELS, dtype=object)[np.searchsorted(BAND_EDGES, years, side="left")]


@dataclass
class FeatureSchema:
    """Column layout of the model's input. Built by `fit`; plain data, so it pickles small."""

    min_country_rows: int = 30
    # Every skill reported by enough respondents to learn from: ML skills (pytorch ~600,
    # spark ~430) are far rarer than web tools, so a top-N cut would drop exactly them.
    min_skill_rows: int = 200
    # "source:factor" pairs read as not recorded: a source whose answers mean something else
    # (aijobs company_size S/M/L: <50, 50-250, >250 employees, 96% "M") would otherwise set the
    # factor's effect for everyone, the reference included.
    unrecorded: tuple[str, ...] = ()
    # Fitted attributes
    countries_: tuple[str, ...] = ()
    skills_: tuple[str, ...] = ()
    columns_: tuple[str, ...] = ()
    categorical_: tuple[bool, ...] = ()
    groups_: dict[str, tuple[int, ...]] = field(default_factory=dict)
    vocab_: dict[str, dict[str, int]] = field(default_factory=dict)
    sources_: tuple[str, ...] = ()
    reference_source_: str = ""
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
        # The levels above senior are no category of their own for the model (model_seniority).
        values = {name: [v for v in taxonomy.FACTOR_VALUES[name] if name != "seniority" or taxonomy.model_seniority(v) == v] for name in CATEGORICAL_FACTORS}
        self.vocab_ = {name: {v: i for i, v in enumerate(values[name])} for name in CATEGORICAL_FACTORS}
        self.vocab_["country"] = {c: i for i, c in enumerate(self.countries_ + (OTHER_COUNTRY,))}
        self.sources_ = tuple(sorted(table["source"].unique()))
        self.vocab_["source"] = {s: i for i, s in enumerate(self.sources_)}

        columns: list[str] = []
        categorical: list[bool] = []
        groups: dict[str, tuple[int, ...]] = {}
        for name in FACTORS:
            if BY_NAME[name].kind == "skills":
                names = [f"skill:{s}" for s in self.skills_]
                is_cat = [False] * len(names)
            else:
                names = [name]
                is_cat = [name not in NUMERIC_FACTORS]
            groups[name] = tuple(range(len(columns), len(columns) + len(names)))
            columns += names
            categorical += is_cat
        for name, is_source in (("source", True), ("year", False)):
            groups[name] = (len(columns),)
            columns.append(name)
            categorical.append(is_source)
        self.columns_, self.categorical_, self.groups_ = tuple(columns), tuple(categorical), groups
        # The reference: the newest Stack Overflow edition (total compensation, worldwide), else
        # the newest source of any kind.
        newest = table.groupby("source")["year"].max().sort_values(kind="stable")
        survey = newest[[s.startswith("stackoverflow") for s in newest.index]]
        self.reference_source_ = str((survey if len(survey) else newest).index[-1])
        self.reference_year_ = int(newest[self.reference_source_])
        return self

    # -- encoding -------------------------------------------------------------------------

    def encode_columns(self, data: Mapping[str, Sequence]) -> np.ndarray:
        """Encode column-wise canonical data (None/NaN = unknown) into a float matrix.

        `data` has one sequence per factor, plus `skill_categories` (the skill categories each
        row was asked about; ";"-joined) and `source`/`year` (absent at query time: reference).
        """
        n = len(data["country"])
        X = np.full((n, len(self.columns_)), np.nan)
        for name in NUMERIC_FACTORS:
            values = np.array([np.nan if v is None else v for v in data[name]], dtype=float)
            X[:, self.groups_[name][0]] = values
        for name in CATEGORICAL_FACTORS + ("country", "source"):
            vocab = self.vocab_[name]
            column = self.groups_[name][0]
            if name == "source" and data.get("source") is None:
                X[:, column] = vocab[self.reference_source_]  # queries: the reference source
                continue
            fallback = vocab.get(OTHER_COUNTRY) if name == "country" else None
            labels: Sequence[Any] = data[name]
            if name == "seniority":  # a level above senior is, for the model, a senior
                labels = [taxonomy.model_seniority(v) if isinstance(v, str) else v for v in labels]
            X[:, column] = [_code(vocab, v, fallback) for v in labels]
        sources = data.get("source")
        if sources is not None:  # training rows: what a source records in a sense of its own is unknown
            for pair in self.unrecorded:
                source, name = pair.split(":")
                rows = np.flatnonzero([s == source for s in sources])
                X[np.ix_(rows, np.asarray(self.groups_[name]))] = np.nan
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
        """Each row's conformal group, read from X: "<role family>/<experience band>".

        The band comes from professional years, else seniority, else years coding ("coding
        <band>"), else "unknown"; a factor that was not given leaves its place to the next.
        """
        # Codes first, labels once per distinct value: batch calls this on every chunk.
        roles = {code: role_family(role) for role, code in self.vocab_["role"].items()}
        families = ["ml", "data", "other", "unknown"]
        family = _per_value(X[:, self.groups_["role"][0]], lambda r: families.index(roles.get(int(r), "other") if r == r else "unknown"))
        bands = list(BAND_LABELS) + ["coding " + label for label in BAND_LABELS] + ["unknown"]
        band = np.full(len(X), len(bands) - 1, dtype=np.intp)
        coding = X[:, self.groups_["years_coding"][0]]
        known = ~np.isnan(coding)
        band[known] = len(BAND_LABELS) + np.searchsorted(BAND_EDGES, coding[known], side="left")
        levels = {code: SENIORITY_BANDS[level] for level, code in self.vocab_["seniority"].items()}
        seniority = X[:, self.groups_["seniority"][0]]
        known = ~np.isnan(seniority)
        band[known] = _per_value(seniority[known], lambda s: bands.index(levels.get(int(s), "unknown")))
        work = X[:, self.groups_["experience"][0]]
        known = ~np.isnan(work)
        band[known] = np.searchsorted(BAND_EDGES, work[known], side="left")  # as years_band
        labels = np.array([f"{f}/{b}" for f in families for b in bands], dtype=object)
        return labels[family * len(bands) + band]

    def withhold(self, X: np.ndarray, factors) -> np.ndarray:
        """A copy of X with the given factors set to "not given" (NaN in all their columns)."""
        X = X.copy()
        for name in factors:
            X[:, list(self.groups_[name])] = np.nan
        return X

    def given(self, X: np.ndarray) -> np.ndarray:
        """(n, len(FACTORS)) booleans: whether each row states each factor."""
        return np.column_stack([~np.isnan(X[:, list(self.groups_[name])]).all(axis=1) for name in FACTORS])

    @property
    def categorical_mask(self) -> np.ndarray:
        return np.array(self.categorical_, dtype=bool)


def _per_value(values: np.ndarray, code) -> np.ndarray:
    """code(value) for each value of a float column (NaN included), called once per distinct
    value: an integer array."""
    distinct, inverse = np.unique(values, return_inverse=True)
    return np.array([code(v) for v in distinct.tolist()], dtype=np.intp)[inverse.ravel()]


def _code(vocab: Mapping[str, int], value, fallback) -> float:
    if value is None or (isinstance(value, float) and value != value):
        return np.nan
    code = vocab.get(value)
    if code is None:
        if fallback is None:
            raise KeyError(value)
        return float(fallback)
    return float(code)


# -- the schema as plain data (forest.json) ---------------------------------------------------


def schema_to_json(schema: FeatureSchema) -> dict[str, Any]:
    """The schema as plain JSON data, for forest.json."""
    out = {}
    for f in fields(schema):
        value = getattr(schema, f.name)
        if isinstance(value, dict):
            value = {k: list(v) if isinstance(v, tuple) else v for k, v in value.items()}
        elif isinstance(value, tuple):
            value = list(value)
        out[f.name] = value
    return out


def schema_from_json(data: dict[str, Any]) -> FeatureSchema:
    """A FeatureSchema from forest.json (the export of schema_to_json); unknown fields refused."""
    from mlsalary.errors import ModelError
    from mlsalary.runtime.format import SCHEMA_FILE

    schema = FeatureSchema()
    known = {f.name: f for f in fields(schema)}
    for name, value in data.items():
        if name not in known:
            raise ModelError(f"{SCHEMA_FILE}: unknown schema field '{name}'")
        default = getattr(schema, name)
        if isinstance(default, tuple):
            value = tuple(value)
        elif name == "groups_":
            value = {k: tuple(int(i) for i in v) for k, v in value.items()}
        elif name == "vocab_":
            value = {k: {str(a): int(b) for a, b in v.items()} for k, v in value.items()}
        setattr(schema, name, value)
    return schema
