"""`mlsalary batch` round-trips real survey rows, written with the surveys' own labels.

The CSV is built at test time from the files in MLSALARY_DATA (nothing is committed): every
5th row of each source, its columns renamed to the factor names, labels left exactly as the
survey wrote them. Every row must come back, in order, with an estimate and no error.
"""

from __future__ import annotations

import csv
import gzip
import io

import pytest
from typer.testing import CliRunner

from mlsalary.cli import app

pytestmark = pytest.mark.data

COLUMNS = {
    "aijobs/aijobs_salaries_snapshot2025-01-19_upto2024.csv": {
        "seniority": "experience_level", "role": "job_title", "country": "employee_residence",
        "remote": "remote_ratio", "company_size": "company_size",
    },
    "stackoverflow_2024/so2024_comp_workexp_subset.csv": {
        "experience": "WorkExp", "years_coding": "YearsCode", "country": "Country", "industry": "Industry",
        "education": "EdLevel", "role": "DevType", "company_size": "OrgSize", "remote": "RemoteWork",
    },
    "stackoverflow_2023_us/so2023_us_usd_skills.csv.gz": {
        "experience": "WorkExp", "years_coding": "YearsCode", "industry": "Industry", "education": "EdLevel",
        "role": "DevType", "company_size": "OrgSize", "remote": "RemoteWork",
        "skills": ("LanguageHaveWorkedWith", "MiscTechHaveWorkedWith", "PlatformHaveWorkedWith"),
    },
    "stackoverflow_2025/so2025_train_split.csv": {
        "years_coding": "YearsCode", "country": "Country", "education": "EdLevel", "role": "DevType",
        "skills": ("LanguageHaveWorkedWith",),
    },
}
FACTOR_COLUMNS = ["experience", "years_coding", "seniority", "country", "industry", "education", "role", "company_size", "remote", "skills"]


def _read(path):
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def real_rows_csv(data_dir) -> tuple[str, int]:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["row_id", *FACTOR_COLUMNS])
    n = 0
    for relative, mapping in COLUMNS.items():
        for i, row in enumerate(_read(data_dir / relative)):
            if i % 5:
                continue
            cells = []
            for factor in FACTOR_COLUMNS:
                source = mapping.get(factor)
                if isinstance(source, tuple):
                    cells.append(";".join(filter(None, (row[c] for c in source))))
                else:
                    cells.append(row[source] if source else "")
            writer.writerow([f"{relative.split('/')[0]}:{i}", *cells])
            n += 1
    return out.getvalue(), n


def test_batch_round_trips_real_rows_with_their_own_labels(real_rows_csv):
    text, n = real_rows_csv
    result = CliRunner().invoke(app, ["batch", "-"], input=text)
    assert result.exit_code == 0, result.stderr[-500:]
    rows_in = list(csv.DictReader(io.StringIO(text)))
    rows_out = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows_out) == len(rows_in) == n > 20_000
    assert [r["row_id"] for r in rows_out] == [r["row_id"] for r in rows_in]
    errors = [(r["row_id"], r["error"]) for r in rows_out if r["error"]]
    assert errors == []
    for row in rows_out[:: max(1, n // 500)]:
        assert 0 < int(row["p10"]) <= int(row["p25"]) <= int(row["p50"]) <= int(row["p75"]) <= int(row["p90"])
