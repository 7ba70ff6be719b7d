"""The Python API as a notebook uses it: fields in, the same answer as the command line."""

from __future__ import annotations

import csv
import inspect
import io
import json
import re
import warnings

import numpy as np
import pandas as pd
import pytest

import mlsalary
from conftest import FIXTURES, ROOT, invoke
from mlsalary import batch
from mlsalary.errors import InputError, MlsalaryWarning
from mlsalary.factors import REGISTRY

# The notes are checked where they matter (frame_estimates records them); elsewhere they are noise.
pytestmark = pytest.mark.filterwarnings("ignore::mlsalary.errors.MlsalaryWarning")


def test_the_package_lists_its_public_names():
    # (Submodules a test imported are attributes of the package too; the public names are __all__.)
    assert sorted(n for n in mlsalary.__all__ if not n.startswith("_")) == ["Estimate", "Estimator", "FACTORS", "InputError", "MlsalaryWarning", "Profile"]
    assert set(mlsalary.__all__) <= set(dir(mlsalary))


@pytest.mark.parametrize("name", mlsalary.__all__)
def test_every_public_name_imports_and_is_documented(name):
    namespace: dict = {}
    exec(f"from mlsalary import {name}", namespace)  # noqa: S102  (the import a reader types)
    value = namespace[name]
    if inspect.isclass(value) or callable(value):
        assert "__doc__" in vars(value) and len(inspect.cleandoc(value.__doc__ or "")) > 40, name  # its own, not inherited
    else:  # a constant: described in the package's docstring
        assert f"- `{name}`:" in (mlsalary.__doc__ or ""), name
    for listed in re.findall(r"^- `(\w+)`:", mlsalary.__doc__ or "", re.M):
        assert listed in mlsalary.__all__, listed


def test_the_docs_import_only_public_names():
    """Every `from mlsalary import ...` in the manual names a public name."""
    manual = (ROOT / "README.md").read_text() + "".join(p.read_text() for p in sorted((ROOT / "docs").glob("*.md")))
    imported = {name.strip() for names in re.findall(r"from mlsalary import ([\w, ]+)", manual) for name in names.split(",")}
    assert imported and imported <= set(mlsalary.__all__), imported - set(mlsalary.__all__)


def test_estimate_keywords_are_the_command_lines_options_and_aliases(estimator):
    spellings = {option[2:].replace("-", "_"): factor.name for factor in REGISTRY for option in (factor.option, *factor.option_aliases)}
    assert {"experience", "yoe", "years", "years_coding", "level", "degree", "title", "skill", "city", "company_size"} <= set(spellings)
    by_alias = estimator.estimate(yoe=5, level="senior", degree="master", title="ml engineer", skill=["python"], city="Austin, TX", company_size="large", explain=False)
    by_name = estimator.estimate(experience=5, seniority="senior", education="master", role="ml engineer", skills="python", location="Austin, TX", company_size="large", explain=False)
    assert by_alias.profile == by_name.profile and by_alias.quantiles == by_name.quantiles
    cli = json.loads(invoke("estimate", "--yoe", "5", "--level", "senior", "--degree", "master", "--title", "ml engineer", "--skill", "python", "--city", "Austin, TX", "--company-size", "large", "--json", "--no-explain").stdout)
    assert round(by_alias.median) == cli["median"]
    with pytest.raises(TypeError, match="unexpected keyword argument 'yeos'"):
        estimator.estimate(yeos=5)
    with pytest.raises(TypeError, match="experience twice"):
        estimator.estimate(experience=5, yoe=6)
    with pytest.raises(InputError, match="experience"):
        estimator.estimate(yoe=-1)


def test_estimate_takes_fields_as_the_command_line_reads_them(estimator):
    fields = {"experience": "6 years", "role": "Senior ML Engineer", "location": "Austin, TX"}
    result = estimator.estimate(**fields, explain=False)
    cli = json.loads(invoke("estimate", "--experience", "6 years", "--role", "Senior ML Engineer", "--location", "Austin, TX", "--json", "--no-explain").stdout)
    assert round(result.median) == cli["median"] and result.median == result.quantiles["p50"]
    assert list(result.profile.readings) == cli["readings"]
    with pytest.raises(TypeError):
        estimator.estimate(mlsalary.Profile(), experience=5)


def test_every_json_estimate_states_its_currency_and_period():
    plain = json.loads(invoke("estimate", "--country", "US", "--json", "--no-explain").stdout)
    assert plain["currency"] == "USD" and plain["per"] == "year"
    monthly = json.loads(invoke("estimate", "--country", "US", "--per", "month", "--json", "--no-explain").stdout)
    assert monthly["per"] == "month" and monthly["estimates"].endswith("stated in USD per month")
    assert monthly["median"] == pytest.approx(plain["median"] / 12, abs=1)
    text = invoke("estimate", "--country", "US", "--per", "month", "--no-explain").stdout
    assert "(0 days)" not in text and "1 USD = 1.0000 USD" not in text


# -- estimate_frame: batch's rows and notes, from a DataFrame --------------------------------------

# Aliases, a second alias of a factor (unused), columns no factor uses (one near a factor),
# stale output columns, offers (one bad, one monthly), places, bad cells, a quoted line break,
# a bare CR and a comma inside a skills cell.
PEOPLE = (
    'id,YOE,Job Title,Country,Location,Years of Experience,skils,Team,p50,error,Skills,offer\n'
    '1,5,Senior ML Engineer,DE,,7,x,a,1,old,"python,pytorch",90k\n'
    '2,3,data scientist,,"Austin, TX",,,b,,,"python;sql;Linode, now Akamai",\n'
    '3,-1,ML Engineer,Narnia,,,,c,,,,lots\n'
    '4,12,Head of ML,US,,,,"two\nlines",,,LLM;RAG,5000\n'
    '5,2 years,ml-engineer,DE,Berlin,,,"a\rb",,,,\n'
    '6,,,,,,,,,,,\n'
)


def read_csv(text: str) -> pd.DataFrame:
    """A CSV file as a frame of its cells' text, as batch reads it (blank lines are no rows)."""
    records = [r for r in csv.reader(io.StringIO(text, newline="")) if r]
    header, rows = records[0], records[1:]
    return pd.DataFrame([(r + [""] * len(header))[: len(header)] for r in rows], columns=header, dtype=object)


def batch_csv(estimator, text: str, **options) -> tuple[list[list[str]], list[str]]:
    """batch's CSV output rows (header first) and its notes."""
    out = io.StringIO()
    summary = batch.run(estimator, io.StringIO(text, newline=""), out, **options)
    conversion = options.get("conversion")
    notes = ([] if conversion is None else [batch.conversion_note(conversion)]) + summary.notes()
    return list(csv.reader(io.StringIO(out.getvalue(), newline=""))), notes


def as_batch_text(column: str, value) -> str:
    """A typed cell of estimate_frame as batch writes it."""
    if value is None or value is pd.NA:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if column == "offer_percentile" or isinstance(value, str):
        return str(value)
    if isinstance(value, (float, np.floating)):
        assert float(value).is_integer(), (column, value)  # amounts are rounded, as batch's
        return str(int(value))
    return str(value)


def frame_estimates(estimator, frame: pd.DataFrame, **options) -> tuple[pd.DataFrame, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = estimator.estimate_frame(frame, **options)
    raised = [str(w.message) for w in caught if issubclass(w.category, MlsalaryWarning)]
    assert raised == out.attrs["notes"], "one warning per note, in order"
    assert all(w.category is MlsalaryWarning for w in caught)
    return out, raised


CSV_FILES = [ROOT / "sample_data" / "profiles.csv", *sorted(FIXTURES.rglob("*.csv"))]
OPTIONS = [{}, {"explain": True}, {"currency": "EUR", "per": "month"}]


# Every file plain; the hand-made file and the first fixture with each option too.
CASES = [
    pytest.param(text, options, id=f"{name}-{option_id}")
    for (name, text) in [("people", PEOPLE)] + [(p.stem, p.read_text(encoding="utf-8")) for p in CSV_FILES]
    for options, option_id in zip(OPTIONS, ["plain", "explain", "eur-month"])
    if option_id == "plain" or name in ("people", CSV_FILES[0].stem)
]


@pytest.mark.parametrize("text, options", CASES)
def test_estimate_frame_is_batch_row_for_row_and_note_for_note(estimator, text, options):
    frame = read_csv(text)
    conversion = estimator.conversion(options.get("currency"), options.get("per", "year"))
    rows, batch_notes = batch_csv(estimator, text, explain=options.get("explain", False), conversion=conversion)
    out, notes = frame_estimates(estimator, frame, **options)
    assert notes == batch_notes
    header = rows[0]
    assert list(out.columns) == header
    assert list(out.index) == list(frame.index) and len(rows) - 1 == len(out)
    for at, column in enumerate(header):  # the kept input columns, then the added ones
        assert [row[at] for row in rows[1:]] == [as_batch_text(column, v) for v in out.iloc[:, at].astype(object)], column
    assert set(out["currency"].dropna()) <= {conversion.code if conversion else "USD"} and set(out["per"].dropna()) <= {options.get("per", "year")}


def test_estimate_frame_reads_json_values_as_batch_reads_json_lines(estimator):
    """Lists of skills, numbers and missing keys (NaN in the frame): the JSON Lines rows' answers."""
    text = (ROOT / "sample_data" / "profiles.jsonl").read_text(encoding="utf-8")
    frame = pd.DataFrame([json.loads(line) for line in text.splitlines() if line.strip()])
    assert any(isinstance(cell, list) for cell in frame["skills"])
    out = estimator.estimate_frame(frame)
    lines = io.StringIO()
    batch.run(estimator, io.StringIO(text), lines, input_format="jsonl", output_format="jsonl")
    expected = [json.loads(line) for line in lines.getvalue().splitlines()]
    for want, (_, got) in zip(expected, out.iterrows(), strict=True):
        for column in ("p10", "p25", "p50", "p75", "p90", "support", "thin", "readings", "error"):
            assert (None if got[column] is pd.NA else got[column]) == want[column], column


def test_skills_cells_may_be_lists(estimator):
    cells = [["python", "pytorch"], ("python", "pytorch"), "python;pytorch", "python,pytorch", ["python;pytorch"], "pytorch, python"]
    out = estimator.estimate_frame(pd.DataFrame({"country": "DE", "skills": cells}))
    assert out["error"].isna().all() and out["p50"].nunique() == 1
    plain = estimator.estimate(country="DE", skills="python,pytorch", explain=False)
    assert out["p50"].iloc[0] == round(plain.median)


def test_cells_of_any_type_are_read_as_their_text(estimator):
    """5, 5.0, numpy numbers, None, NaN and pandas' NA read as batch reads "5", "5.0" and ""."""
    typed = pd.DataFrame({
        "experience": [5, 5.0, np.int64(5), None, np.nan, 5],
        "country": ["DE", "DE", "DE", None, np.nan, pd.NA],
        "years_coding": pd.array([9, None, 9, 9, None, 9], dtype="Int64"),
    })
    text = pd.DataFrame({
        "experience": ["5", "5.0", "5", "", "", "5"],
        "country": ["DE", "DE", "DE", "", "", ""],
        "years_coding": ["9", "", "9", "9", "", "9"],
    })
    got, want = estimator.estimate_frame(typed), estimator.estimate_frame(text)
    added = batch.output_columns(False)
    pd.testing.assert_frame_equal(got[added], want[added])
    assert got["error"].isna().all()
    bad = estimator.estimate_frame(pd.DataFrame({"experience": [True, -1, 1e9], "role": [3, "ml-engineer", 2.5]}))
    assert list(bad["error"].notna()) == [True, True, True] and "role" in bad["error"][0] and "'3'" in bad["error"][0]


def test_a_cell_may_hold_a_bare_cr_or_a_line_break(estimator):
    frame = pd.DataFrame({"note": ["a\rb", "x\ny", "\r\n"], "experience": ["5", "5\n", "6"], "role": ["ml-engineer\r", "ml-engineer", "ml-engineer"]})
    out = estimator.estimate_frame(frame)
    assert list(out["note"]) == list(frame["note"]) and len(out) == 3
    text = io.StringIO()  # (every cell quoted: the csv module quotes a bare CR only then)
    csv.writer(text, quoting=csv.QUOTE_ALL).writerows([list(frame.columns), *frame.itertuples(index=False)])
    rows, _ = batch_csv(estimator, text.getvalue())
    assert [as_batch_text("error", e) for e in out["error"]] == [row[-1] for row in rows[1:]]
    assert out["error"][2] is pd.NA and "experience" in out["error"][1]


def test_empty_frames_give_the_output_columns(estimator):
    added = batch.output_columns(False)
    for frame in (pd.DataFrame(), pd.DataFrame({"experience": []}), pd.DataFrame({"name": []}), pd.DataFrame(index=[3, 4])):
        out = estimator.estimate_frame(frame)
        assert list(out.columns) == list(frame.columns) + added and list(out.index) == list(frame.index)
        assert out[added].isna().all().all()
    with pytest.raises(InputError, match="no factor column"):  # rows, but nothing to read: as batch
        estimator.estimate_frame(pd.DataFrame({"name": ["a"]}))


def test_estimate_frame_columns_are_typed(estimator):
    frame = pd.DataFrame({"experience": ["5", "-1"], "country": ["DE", "DE"], "offer": ["80k", ""]})
    out = estimator.estimate_frame(frame, explain=True)
    kinds = {str(out[c].dtype) for c in ["p10", "p25", "p50", "p75", "p90", "offer_percentile", "baseline", "contribution_country"]}
    assert kinds == {"Float64"}
    assert str(out["support"].dtype) == "Int64" and str(out["thin"].dtype) == "boolean"
    assert {str(out[c].dtype) for c in ("error", "currency", "per", "readings")} == {"string"}
    assert out["error"][0] is pd.NA and out["p50"][1] is pd.NA and out["contribution_years_coding"][0] is pd.NA
    assert bool(out["thin"][0]) == (out["support"][0] < estimator.thin_below)


def test_currency_and_per_are_the_command_lines(estimator):
    frame = pd.DataFrame({"country": ["DE"], "experience": [5], "offer": ["5000"]})
    out, notes = frame_estimates(estimator, frame, currency="eur", per="month")
    cli = json.loads(invoke("estimate", "--country", "DE", "--experience", "5", "--currency", "eur", "--per", "month", "--json", "--no-explain").stdout)
    assert out["p50"][0] == cli["range"]["p50"] and (out["currency"][0], out["per"][0]) == ("EUR", "month")
    assert notes[0].startswith("Money columns in EUR per month: mean ECB reference rate")
    assert estimator.conversion() is None and estimator.conversion(per="month").code == "USD"
    with pytest.raises(InputError, match="per"):
        estimator.estimate_frame(frame, per="week")
