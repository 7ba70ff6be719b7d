"""Data harmonization: every source, in its own published format, into one canonical table.

The canonical table has one row per respondent: where it came from (source, survey, year),
the pay (comp_usd), one column per model factor of the registry (factors.py) and
skill_categories (CANONICAL_COLUMNS).

Formats read (SOURCES, detected from the header, so file names do not matter):
    - aijobs.net `salaries.csv` (the shared snapshot and the official file alike)
    - Stack Overflow survey subsets in ../shared/data: 2023 US (skills), 2024, 2025 split
    - Stack Overflow official `survey_results_public.csv` of 2023, 2024 and 2025

Choices, each documented in the README's "Data" section:
    - comp_usd is annual compensation in USD as each survey converted it; only rows inside
      COMP_WINDOW are kept (the data holds values from 0 to 1e16).
    - Only full-time employees are kept where the source says (aijobs `employment_type`,
      SO `Employment`): part-time and freelance pay is not annual salary.
    - Experience is what each source really measured: professional years (`WorkExp`) where
      asked, total coding years (`YearsCode`) separately, aijobs' level as `seniority`.
      No years are invented where a source has only a band.
"""

from __future__ import annotations

import gzip
import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable
from pathlib import Path

import pandas as pd

from mlsalary import taxonomy
from mlsalary.errors import DataError
from mlsalary.factors import CATEGORICAL_FACTORS, FACTORS
from mlsalary.runtime.format import file_sha256
from mlsalary.profile import YEARS_TEXT

COMP_WINDOW = (5_000.0, 500_000.0)

# Who publishes each survey, under which licence, and the notice its licence asks for.
SURVEYS_INFO = {
    "aijobs": {
        "name": "aijobs.net salaries",
        "publisher": "aijobs.net / Foorilla",
        "licence": "CC0 1.0",
        "attribution": "Salary data: aijobs.net (https://aijobs.net/salaries/), CC0",
        "url": "https://aijobs.net/salaries/download/",
        "pay": "gross annual salary, USD",
    },
    "stackoverflow": {
        "name": "Stack Overflow Developer Survey",
        "publisher": "Stack Overflow",
        "licence": "ODbL 1.0 / DbCL 1.0",
        "attribution": "Contains data from the Stack Overflow Developer Survey {year}, made available under the ODbL 1.0",
        "url": "https://survey.stackoverflow.co/",
        "pay": "annual total compensation, USD (converted by Stack Overflow)",
    },
}

# Every reader returns these columns: where the row came from, the pay, and the factors.
CANONICAL_COLUMNS = ("source", "survey", "year", "comp_usd", *FACTORS, "skill_categories")

# Stack Overflow multi-select skill columns and the skill category each one asks about.
SKILL_COLUMNS = {
    "LanguageHaveWorkedWith": "language",
    "DatabaseHaveWorkedWith": "database",
    "PlatformHaveWorkedWith": "platform",
    "WebframeHaveWorkedWith": "webframe",
    "MiscTechHaveWorkedWith": "misc_tech",
    "ToolsTechHaveWorkedWith": "tools",
}

# Columns present in one year's official survey_results_public.csv and absent from the others
# (checked against published column lists; see sample_data/fixtures/README.md).
OFFICIAL_SO_SIGNATURES: dict[int, frozenset[str]] = {
    2023: frozenset({"Q120", "AISearchHaveWorkedWith"}),
    2024: frozenset({"Check", "AISearchDevHaveWorkedWith"}),
    2025: frozenset({"EmploymentAddl", "DevEnvsHaveWorkedWith"}),
}



@dataclass
class SourceFile:
    """One file read: what it was, how many rows it had and kept, its hash."""

    path: Path
    format: str
    source: str
    sha256: str
    rows_read: int
    rows_kept: int
    dropped: dict[str, int] = field(default_factory=dict)


@dataclass
class TrainingData:
    table: pd.DataFrame
    files: list[SourceFile]
    unmapped: dict[str, Counter]  # factor -> label -> rows; must be empty for shipped data

    @property
    def fingerprint(self) -> str:
        """One hash over the files' hashes: pins exactly which data a model was trained on."""
        digest = hashlib.sha256()
        for f in sorted(self.files, key=lambda f: f.sha256):
            digest.update(f.sha256.encode())
        return digest.hexdigest()

    def rows_by_source_year(self) -> dict[str, dict[str, int]]:
        counts = self.table.groupby(["source", "year"]).size()
        out: dict[str, dict[str, int]] = {}
        for (source, year), n in counts.items():
            out.setdefault(source, {})[str(int(year))] = int(n)
        return out


def load_training_data(directory: str | Path) -> TrainingData:
    """Read every known source file below `directory` into the canonical table."""
    root = Path(directory)
    if not root.is_dir():
        raise DataError(f"data folder '{directory}' does not exist or is not a folder")
    frames, files = [], []
    unmapped: dict[str, Counter] = {}
    seen: dict[str, Path] = {}
    for path in sorted(p for p in root.rglob("*") if p.name.endswith((".csv", ".csv.gz"))):
        header = _read_header(path)
        detected = detect_format(header, path)
        if detected is None:
            continue  # e.g. survey_results_schema.csv, a README table
        kind, year = detected
        raw = _read_csv(path)
        frame, dropped = kind.read(raw, year)
        source = kind.source_name(year)
        frame = frame.assign(source=source, survey=kind.survey)
        for column in CANONICAL_COLUMNS:
            if column not in frame.columns:
                frame[column] = None  # a factor this source does not ask: unknown
        if source in seen:
            raise DataError(
                f"two files hold {source}: '{seen[source]}' and '{path}'; keep only one of them"
            )
        seen[source] = path
        frame = _canonicalize(frame, unmapped)
        frame, window_dropped = _apply_window(frame)
        dropped.update(window_dropped)
        frames.append(frame)
        files.append(SourceFile(path, kind.format, source, file_sha256(path), len(raw), len(frame), dropped))
    if not frames:
        raise DataError(
            f"no survey file found in '{directory}': expected aijobs.net salaries.csv or Stack "
            "Overflow survey files (see README, section Data)"
        )
    table = pd.concat(frames, ignore_index=True)[list(CANONICAL_COLUMNS)]
    return TrainingData(table, files, unmapped)


def detect_format(header: list[str], path: Path) -> tuple[Source, int | None] | None:
    """The source a file's header belongs to, and the survey year of its rows; None if none."""
    cols = set(header)
    for source in SOURCES:
        if source.columns <= cols and source.accepts(cols):
            if source.year is None and not source.dated_rows:
                return source, _official_year(cols, path)
            return source, source.year
    return None


def _official_year(cols: set[str], path: Path) -> int:
    years = [year for year, signature in OFFICIAL_SO_SIGNATURES.items() if signature <= cols]
    if len(years) == 1:
        return years[0]
    match = re.search(r"20[12]\d", str(path))
    if match:
        return int(match.group())
    raise DataError(
        f"'{path}' looks like a Stack Overflow survey file but its year cannot be told from "
        "its columns or its path; put it in a folder named after the year (e.g. so2024/)"
    )


# -- readers: one per format; each returns raw labels in canonical column names --------------


AIJOBS_DEDUPLICATE = True


def _read_aijobs(raw: pd.DataFrame, year: int | None):
    full_time = raw["employment_type"].eq("FT")
    dropped = {"not full-time": int((~full_time).sum())}
    raw = raw[full_time]
    if AIJOBS_DEDUPLICATE:
        # Over half the rows repeat another row in every field (clusters of up to 182). The
        # fields are too coarse to tell repeat submissions from different people, so each
        # distinct submission counts once: no single reported figure can outweigh the rest,
        # and a held-out row never has a twin in training. README, "Data", has the measurement.
        duplicated = raw.duplicated()
        dropped["exact duplicate"] = int(duplicated.sum())
        raw = raw[~duplicated]
    # "NA" is Namibia's ISO code here, but the no-answer marker everywhere else.
    raw = raw.assign(employee_residence=raw["employee_residence"].replace({"NA": "NAM"}))
    frame = pd.DataFrame(
        {
            "year": pd.to_numeric(raw["work_year"], errors="coerce"),
            "comp_usd": pd.to_numeric(raw["salary_in_usd"], errors="coerce"),
            "seniority": raw["experience_level"],
            # Pay follows where the person lives more than where the employer is registered.
            "country": raw["employee_residence"],
            "role": raw["job_title"].map(_aijobs_role),
            "company_size": raw["company_size"],
            "remote": raw["remote_ratio"],
        }
    )
    return frame, dropped


def _aijobs_role(title: str):
    role = taxonomy.role_from_job_title(title)
    # Keep the raw title when no rule maps it, so _canonicalize counts it as unmapped.
    return role if role is not None else title


def _read_so(raw: pd.DataFrame, year: int | None, *, country=None, comp="ConvertedCompYearly"):
    dropped = {}
    if "Employment" in raw.columns:
        # 2023/2024: multi-select with "Employed, full-time"; 2025 asks only "Employed" (single
        # choice), the closest it has to full-time employment.
        employment = raw["Employment"]
        full_time = employment.str.contains("full-time", case=False, na=False) | employment.eq("Employed")
        dropped["not full-time"] = int((~full_time).sum())
        raw = raw[full_time]
    skills, asked = _so_skills(raw)
    frame = pd.DataFrame(
        {
            "year": year,
            "comp_usd": pd.to_numeric(raw[comp], errors="coerce"),
            "experience": _years(raw["WorkExp"]) if "WorkExp" in raw.columns else None,
            "years_coding": _years(raw["YearsCode"]) if "YearsCode" in raw.columns else None,
            "country": country if country is not None else raw["Country"],
            "industry": raw["Industry"] if "Industry" in raw.columns else None,
            "education": raw["EdLevel"],
            "role": raw["DevType"].map(_first_choice) if "DevType" in raw.columns else None,
            "company_size": raw["OrgSize"] if "OrgSize" in raw.columns else None,
            "remote": raw["RemoteWork"] if "RemoteWork" in raw.columns else None,
            "skills": skills,
            "skill_categories": asked,
        },
        index=raw.index,
    )
    return frame, dropped


def _first_choice(value: str) -> str:
    # DevType is single-choice in 2023-2025; tolerate a ';' list by keeping its first answer.
    return value.split(";", 1)[0] if isinstance(value, str) else value


def _so_skills(raw: pd.DataFrame):
    present = [c for c in SKILL_COLUMNS if c in raw.columns]
    if not present:
        return None, None
    skills, asked = [], []
    rows = raw[present].itertuples(index=False, name=None)
    for cells in rows:
        labels, categories = [], []
        for column, cell in zip(present, cells):
            if isinstance(cell, str) and cell and cell != "NA":
                labels.extend(cell.split(";"))
                categories.append(SKILL_COLUMNS[column])
        skills.append(";".join(labels) if categories else None)
        asked.append(";".join(categories) if categories else None)
    return skills, asked


def _read_so2023_us_subset(raw, year):
    return _read_so(raw, year, country="United States of America", comp="Salary")


@dataclass(frozen=True)
class Source:
    """One kind of survey file: how to recognise it, read it, and name its rows.

    To add a source: write its reader (raw text columns -> the canonical columns it carries;
    the others are filled with None, "not asked"), add a `Source` to SOURCES, and its publisher
    to SURVEYS_INFO if new. README, "Data", says what each one measures.
    """

    format: str  # the file format, recorded in the model's metadata
    survey: str  # its publisher: a key of SURVEYS_INFO (licence, attribution, pay definition)
    columns: frozenset[str]  # a header with all of these is this format ...
    read: Callable[[pd.DataFrame, int | None], tuple[pd.DataFrame, dict[str, int]]]
    accepts: Callable[[set[str]], bool] = lambda columns: True  # ... if this holds too
    year: int | None = None  # the edition; None: told by the file's columns or path ...
    dated_rows: bool = False  # ... or by each row (a continuously collected survey)
    name: str = ""  # the `source` of its rows; "" = "<survey>-<year>"

    def source_name(self, year: int | None) -> str:
        return self.name or f"{self.survey}-{year}"


# In the order they are tried: a subset's header is checked before the official file's.
SOURCES: tuple[Source, ...] = (
    Source("aijobs", "aijobs", frozenset({"salary_in_usd", "experience_level", "job_title"}), _read_aijobs, dated_rows=True, name="aijobs"),
    # The 2023 US subset has no Country column: its authors kept only US respondents paid in USD.
    Source("so2023_us_subset", "stackoverflow", frozenset({"Salary", "LogSalary", "EdLevel"}), _read_so2023_us_subset, year=2023, name="stackoverflow-2023-us"),
    Source("so2025_subset", "stackoverflow", frozenset({"source_row_index", "PrimaryLanguage", "ConvertedCompYearly"}), _read_so, year=2025),
    Source(
        "so2024_subset", "stackoverflow", frozenset({"ConvertedCompYearly", "EdLevel", "Country", "WorkExp", "MainBranch"}), _read_so,
        accepts=lambda columns: "CompTotal" not in columns and len(columns) <= 16, year=2024,
    ),
    Source("so_official", "stackoverflow", frozenset({"ConvertedCompYearly", "EdLevel", "Country"}), _read_so),
)


# -- canonical mapping -------------------------------------------------------------------------


def _canonicalize(frame: pd.DataFrame, unmapped: dict[str, Counter]) -> pd.DataFrame:
    """Map raw labels to canonical values, once per distinct label (fast on 100k rows)."""
    frame = frame.copy()
    for name in CATEGORICAL_FACTORS + ("country",):
        column = frame[name]
        if column.isna().all():
            frame[name] = None
            continue
        mapping = {}
        for label in column.dropna().unique():
            mapping[label] = _map_label(name, label, (column == label).sum(), unmapped)
        frame[name] = column.map(mapping).astype(object).where(column.notna(), None)
    skills: list[str | None] = []
    for cell in frame["skills"]:
        if not isinstance(cell, str):
            skills.append(None)
            continue
        slugs = set()
        for label in cell.split(";"):
            try:
                slugs.add(taxonomy.normalize_skill(label))
            except taxonomy.UnknownLabel:
                unmapped.setdefault("skills", Counter())[label] += 1
        skills.append(";".join(sorted(slugs)))
    frame["skills"] = skills
    return frame


def _map_label(name, label, count, unmapped):
    try:
        if name == "country":
            return taxonomy.normalize_country(label)
        return taxonomy.normalize(name, label)
    except taxonomy.UnknownLabel:
        unmapped.setdefault(name, Counter())[label] += int(count)
        return None


def _apply_window(frame: pd.DataFrame):
    low, high = COMP_WINDOW
    comp = frame["comp_usd"]
    keep = comp.between(low, high)
    dropped = {
        "comp missing": int(comp.isna().sum()),
        f"comp outside {low:,.0f}-{high:,.0f} USD": int((comp.notna() & ~keep).sum()),
    }
    return frame[keep].reset_index(drop=True), dropped


def _years(series: pd.Series) -> pd.Series:
    def parse(value):
        if not isinstance(value, str) or value in ("", "NA"):
            return None
        text = value.strip().lower()
        if text in YEARS_TEXT:
            return YEARS_TEXT[text]
        try:
            return float(text)
        except ValueError:
            return None

    return series.map(parse).astype(float)


# -- file helpers ------------------------------------------------------------------------------


def _open_text(path: Path):
    opener = gzip.open if path.name.endswith(".gz") else open
    return opener(path, "rt", encoding="utf-8-sig", newline="")


def _read_header(path: Path) -> list[str]:
    import csv

    try:
        with _open_text(path) as handle:
            return next(csv.reader(handle), [])
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise DataError(f"cannot read '{path}': {error}") from None


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        # Everything as text: labels are mapped by the taxonomy, numbers parsed per column.
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[], encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as error:
        raise DataError(f"cannot read '{path}': {error}") from None


# -- BLS OEWS wages by area (not a survey: never part of the training table) --------------------

# The header of `oews_may2025_by_area.csv` (data/oews_2025/, see SOURCES.md section 6).
OEWS_AREA_COLUMNS = frozenset({"area_code", "area_type", "area_name", "soc", "employment", "annual_median"})
OEWS_INFO = {
    "name": "BLS Occupational Employment and Wage Statistics (OEWS), May 2025",
    "publisher": "U.S. Bureau of Labor Statistics",
    "release": "May 2025",
    "licence": "public domain (a work of the US Government)",
    "attribution": "Source: U.S. Bureau of Labor Statistics, Occupational Employment and Wage Statistics, May 2025",
    "url": "https://www.bls.gov/oes/",
    "measures": "employers' reports of base wages of employees (no bonus, no equity, no self-employed); "
    "used only as a relative metro-vs-nation difference, never as a pay level",
}


def find_by_header(directory: str | Path, columns) -> Path | None:
    """The first CSV file below `directory` whose header holds every one of `columns`."""
    root = Path(directory)
    for path in sorted(p for p in root.rglob("*") if p.name.endswith((".csv", ".csv.gz"))):
        if set(columns) <= set(_read_header(path)):
            return path
    return None


def find_oews_areas(directory: str | Path) -> Path | None:
    """The OEWS by-area file below `directory`, found by its header; None when there is none."""
    return find_by_header(directory, OEWS_AREA_COLUMNS)


def read_oews_areas(path: Path) -> dict:
    """The location table (locations.json) from the OEWS by-area file: per area its name, type
    (metro or state), states, and per occupation the annual median wage and employment.

    Aggregates only. A median that is not released ('-') or top-coded ('#') is None. Puerto Rico,
    other territories and non-metropolitan areas are left out: a place there resolves to its state
    or is not accepted.
    """
    import csv

    from mlsalary import locations

    states = locations.state_fips()
    national: dict[str, dict] = {}
    areas: dict[str, dict] = {}
    try:
        with _open_text(path) as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise DataError(f"cannot read '{path}': {error}") from None
    for row in rows:
        soc = str(row.get("soc", "")).strip()
        soc = f"{soc[:2]}-{soc[2:]}" if len(soc) == 6 and soc.isdigit() else soc
        if soc not in locations.OCCUPATIONS:
            continue
        cell = {"median": _wage(row.get("annual_median")), "employment": _wage(row.get("employment"))}
        kind, code, name = row.get("area_type"), str(row.get("area_code", "")).strip(), str(row.get("area_name", "")).strip()
        if kind == "N":
            national[soc] = cell
            continue
        if kind == "S":
            abbr = states.get(code[:2]) if code.endswith("00000") else None
            if abbr is None:
                continue  # a territory
            area = areas.setdefault(code, {"name": name, "type": "state", "states": [abbr], "occupations": {}})
        elif kind == "M" and ", " in name:
            suffix = name.rsplit(", ", 1)[1].split("-")
            if not all(s in states.values() for s in suffix):
                continue  # Puerto Rico
            area = areas.setdefault(code, {"name": name, "type": "metro", "states": suffix, "occupations": {}})
        else:
            continue  # non-metropolitan areas
        area["occupations"][soc] = cell
    if not all(national.get(soc, {}).get("median") for soc in locations.OCCUPATIONS):
        raise DataError(f"'{path}' lacks the national medians of {', '.join(locations.OCCUPATIONS)}")
    usable = {code: a for code, a in sorted(areas.items()) if a["occupations"].get(locations.OCCUPATION, {}).get("median")}
    info = dict(OEWS_INFO, file=path.name, sha256=file_sha256(path))
    return {"source": info, "national": national, "areas": usable}


def _wage(value) -> int | None:
    text = str(value or "").strip().replace(",", "")
    return int(float(text)) if text.replace(".", "", 1).isdigit() else None
