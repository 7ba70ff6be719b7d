"""Harmonization: every source format into the canonical table (fixtures, then the real data)."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from mlsalary import taxonomy
from mlsalary.train import sources
from mlsalary.errors import DataError

from conftest import FIXTURES

FORMATS = [
    # (fixture file, source name, survey year(s), rows kept after filters and window)
    # 10 rows: 3 not full-time, 1 exact duplicate
    ("aijobs_salaries.csv", "aijobs", {2021, 2023, 2024, 2025}, 6),
    ("so2023_us_usd_skills.csv", "stackoverflow-2023-us", {2023}, None),
    ("so2024_comp_workexp_subset.csv", "stackoverflow-2024", {2024}, None),
    ("so2025_train_split.csv", "stackoverflow-2025", {2025}, None),
    ("official_so2023/survey_results_public.csv", "stackoverflow-2023", {2023}, None),
    ("official_so2024/survey_results_public.csv", "stackoverflow-2024", {2024}, None),
    ("official_so2025/survey_results_public.csv", "stackoverflow-2025", {2025}, None),
]


def _single(tmp_path: Path, relative: str) -> Path:
    """A data folder holding just one fixture file, under a neutral name."""
    folder = tmp_path / "data"
    target = folder / "nested" / Path(relative).name
    target.parent.mkdir(parents=True)
    shutil.copy(FIXTURES / relative, target)
    return folder


@pytest.mark.parametrize("relative,source,years,kept", FORMATS)
def test_each_format_reads_into_the_canonical_table(tmp_path, relative, source, years, kept):
    data = sources.load_training_data(_single(tmp_path, relative))
    table = data.table
    assert list(table.columns) == list(sources.CANONICAL_COLUMNS)
    assert set(table["source"]) == {source}
    assert set(table["year"].astype(int)) == years
    if kept is not None:
        assert len(table) == kept
    low, high = sources.COMP_WINDOW
    assert table["comp_usd"].between(low, high).all()
    for name, values in taxonomy.FACTOR_VALUES.items():
        assert set(table[name].dropna()) <= set(values), name
    assert data.unmapped == {}, data.unmapped
    assert len(data.files) == 1 and len(data.files[0].sha256) == 64


def test_aijobs_keeps_full_time_only_and_maps_codes(tmp_path):
    table = sources.load_training_data(_single(tmp_path, "aijobs_salaries.csv")).table
    first = table.iloc[0]
    assert (first["seniority"], first["country"], first["role"], first["remote"], first["company_size"]) == (
        "senior", "US", "ml-engineer", "in-person", "medium",
    )
    assert table["experience"].isna().all() and table["education"].isna().all()
    # The 900,000 CT row and 4,000 FL row are gone (not full-time), the PT row too.
    assert table["comp_usd"].max() <= 200_000


def test_aijobs_exact_duplicates_count_once(tmp_path):
    data = sources.load_training_data(_single(tmp_path, "aijobs_salaries.csv"))
    assert data.files[0].dropped["exact duplicate"] == 1
    assert (data.table["comp_usd"] == 200_000).sum() == 1


def test_comp_window_drops_junk_values(tmp_path):
    data = sources.load_training_data(_single(tmp_path, "so2024_comp_workexp_subset.csv"))
    dropped = data.files[0].dropped
    assert dropped["comp outside 5,000-500,000 USD"] == 2  # 1 and 20,000,000 in the fixture


def test_gzip_files_are_read(tmp_path):
    folder = tmp_path / "gz"
    folder.mkdir()
    with open(FIXTURES / "so2023_us_usd_skills.csv", "rb") as src, gzip.open(folder / "x.csv.gz", "wb") as dst:
        dst.write(src.read())
    plain = sources.load_training_data(_single(tmp_path, "so2023_us_usd_skills.csv")).table
    zipped = sources.load_training_data(folder).table
    assert zipped.equals(plain)


def test_skills_are_canonical_and_record_the_categories_asked(tmp_path):
    table = sources.load_training_data(_single(tmp_path, "so2023_us_usd_skills.csv")).table
    with_skills = table[table["skills"].notna()]
    assert len(with_skills) > 0
    assert any("pytorch" in s.split(";") for s in with_skills["skills"])
    assert any("python" in s.split(";") for s in with_skills["skills"])
    for cell in with_skills["skill_categories"]:
        assert set(cell.split(";")) <= set(taxonomy.SKILL_CATEGORIES)


def test_years_text_values_are_parsed(tmp_path):
    table = sources.load_training_data(_single(tmp_path, "so2024_comp_workexp_subset.csv")).table
    coding = set(table["years_coding"].dropna())
    assert coding <= set(range(0, 52)) | {0.5, 51.0}


def test_the_same_survey_year_twice_is_refused(tmp_path):
    folder = tmp_path / "both"
    for relative in ("so2024_comp_workexp_subset.csv", "official_so2024/survey_results_public.csv"):
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(FIXTURES / relative, target)
    with pytest.raises(DataError, match="two files hold stackoverflow-2024"):
        sources.load_training_data(folder)


def test_official_year_is_told_by_columns_not_path(tmp_path):
    # All three official files have the same name; put each in a folder without a year.
    for year in (2023, 2024, 2025):
        folder = tmp_path / f"plain{year - 2000}x" / "survey"
        folder.mkdir(parents=True)
        shutil.copy(FIXTURES / f"official_so{year}" / "survey_results_public.csv", folder)
        data = sources.load_training_data(folder)
        assert set(data.table["year"]) == {year}


def test_empty_or_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        sources.load_training_data(tmp_path / "nope")
    with pytest.raises(DataError, match="no survey file found"):
        sources.load_training_data(tmp_path)


def test_all_fixture_formats_together_except_duplicate_year(tmp_path):
    folder = tmp_path / "all"
    for relative, *_ in FORMATS:
        if relative.startswith("official_so2024") or relative.startswith("official_so2025") or relative.startswith("official_so2023"):
            continue
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(FIXTURES / relative, target)
    data = sources.load_training_data(folder)
    assert set(data.table["survey"]) == {"aijobs", "stackoverflow"}
    assert set(data.rows_by_source_year()) == {"aijobs", "stackoverflow-2023-us", "stackoverflow-2024", "stackoverflow-2025"}


# -- the real data ------------------------------------------------------------------------------


def test_real_data_has_no_unmapped_label(training_data):
    assert training_data.unmapped == {}


def test_real_data_row_counts_match_sources_md(training_data):
    read = {f.source: f.rows_read for f in training_data.files}
    assert read == {
        "aijobs": 72_704,
        "stackoverflow-2023-us": 11_341,
        "stackoverflow-2024": 16_143,
        "stackoverflow-2025": 15_284,
    }
    table = training_data.table
    low, high = sources.COMP_WINDOW
    assert table["comp_usd"].between(low, high).all()
    # Apart from de-duplication, the filters are sanity checks that keep most rows.
    for f in training_data.files:
        assert f.rows_kept + f.dropped.get("exact duplicate", 0) > 0.9 * f.rows_read, (f.source, f.dropped)
    aijobs = next(f for f in training_data.files if f.source == "aijobs")
    assert aijobs.dropped["exact duplicate"] > 35_000  # SOURCES.md: 39,086 exact duplicates
