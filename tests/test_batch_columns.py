"""The column path of `batch` (batch/encoder.py, batch/engine.py) against the row path.

The row path, a Profile.from_mapping per distinct row, is the reference: the column path must
encode every row it keeps exactly as FeatureSchema.encode_profiles encodes that row's Profile,
flag for the row path exactly the rows that need it (a bad cell, a location), and give the same
output, byte for byte, on generated files (hostile cells, titles, places, offers), on
sample_data and on real survey rows.
"""

from __future__ import annotations

import csv
import gc
import io
from datetime import date

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import strategies as hs
from conftest import FIXTURES, ROOT
from mlsalary import batch as batch_module
from mlsalary.batch.encoder import ColumnEncoder, decode_json
from mlsalary.batch.keys import RawKeys
from mlsalary.batch.readers import _from_key, _hashable
from mlsalary.currency import Conversion
from mlsalary.errors import InputError
from mlsalary import taxonomy
from mlsalary.profile import FIELDS, Profile, _cached_field

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))


def run(estimator, text: str, rows: bool = False, monkeypatch=None, **options) -> str:
    """batch output of `text`; rows=True: through the row path only (the reference)."""
    if rows:
        monkeypatch.setattr(batch_module, "ColumnEncoder", lambda *args, **kwargs: None)
    try:
        out = io.StringIO()
        batch_module.run(estimator, io.StringIO(text, newline=""), out, **options)
        return out.getvalue()
    finally:
        if rows:
            monkeypatch.undo()


def both_paths(estimator, monkeypatch, text: str, **options) -> tuple[str, str]:
    return run(estimator, text, **options), run(estimator, text, True, monkeypatch, **options)


# -- the encoder, row by row against Profile.from_mapping + encode_profiles -------------------------


def csv_cell(name: str):
    return st.one_of(st.just(""), hs.option_value(name))


columns = st.permutations(FIELDS).flatmap(lambda names: st.integers(1, len(names)).map(lambda k: tuple(names[:k])))


def check_encoded(estimator, factors, keys, decode=None) -> None:
    schema = estimator.model.schema_
    keys = list(dict.fromkeys(keys))  # batch encodes a chunk's distinct rows
    encoded = ColumnEncoder(schema, factors, decode).encode(RawKeys(len(factors)).columns(keys), len(keys))
    assert encoded.X.shape == (len(keys), len(schema.columns_))
    for i, key in enumerate(keys):
        raw = _from_key(factors, key, decode is not None)
        try:
            profile = Profile.from_mapping(raw)
            place = _cached_field("location", raw.get("location"))
        except InputError:
            assert encoded.slow[i], f"a bad row kept on the column path: {raw!r}"
            continue
        # The per-row path takes a place (a wage table), a level above senior (its step), and
        # the readings that need the whole row: skills left out, a title's level beside a given one.
        stepped = profile.seniority in taxonomy.above_senior()
        title = _cached_field("role", raw.get("role"))
        both_levels = getattr(title, "seniority", None) is not None and _cached_field("seniority", raw.get("seniority")) is not None
        left_out = any(r.startswith("left out skill") for r in profile.readings)
        row_path = place is not None or stepped or both_levels or left_out
        assert bool(encoded.slow[i]) == row_path, raw
        if not row_path:  # (slow rows are encoded again by the per-row path)
            expected = schema.encode_profiles([profile])[0]
            assert np.array_equal(encoded.X[i], expected, equal_nan=True), raw
            assert encoded.countries[encoded.country_codes[i]] == profile.country
            assert encoded.roles[encoded.role_codes[i]] == profile.role
            pooled = estimator.pooled_reading(profile.country)  # batch adds the estimate's own reading
            assert encoded.readings[i] == "; ".join([*profile.readings, *([pooled] if pooled else [])]), raw


@SETTINGS
@given(factors=columns, data=st.data())
def test_csv_cells_encode_as_their_profile(estimator, factors, data):
    rows = data.draw(st.lists(st.tuples(*(csv_cell(name) for name in factors)), min_size=1, max_size=10))
    keys = [row if len(factors) > 1 else row[0] for row in rows]
    check_encoded(estimator, factors, keys)


@SETTINGS
@given(data=st.data())
def test_json_values_encode_as_their_profile(estimator, data):
    rows = data.draw(st.lists(st.tuples(*(st.one_of(st.none(), hs.raw_value(name)) for name in FIELDS)), min_size=1, max_size=10))
    check_encoded(estimator, FIELDS, [tuple(_hashable(v) for v in row) for row in rows], decode_json)


def test_titles_and_levels_stay_on_the_column_path(estimator):
    """A title's level fills seniority: no Profile needed for it (a given seniority beside it
    takes the per-row path, which words which one wins)."""
    factors = ("seniority", "role", "country")
    keys = [("", "Senior ML Engineer", "DE"), ("mid", "Senior ML Engineer", "DE"), ("", "ML Intern", "US"), ("EX", "data scientist", "")]
    check_encoded(estimator, factors, keys)
    assert ColumnEncoder(estimator.model.schema_, factors).encode(RawKeys(len(factors)).columns(keys), len(keys)).slow.tolist() == [False, True, False, False]


def test_skill_lists_encode_as_their_profile(estimator):
    """A ';' list is encoded item by item: labels with a comma, commas between skills, blank and
    non-answer items, duplicates, a bad item, a list longer than the parse cache keeps."""
    cells = [
        "python;pytorch", "pytorch;python;python", "Linode, now Akamai;python", "python,sql", "python, sql;aws",
        ";;python;", " ; ", "NA;python", "python;langchian", "python;" + "x" * 120 + ",sql", ";".join(["python", "sql"] * 300),
        "LLM;GenAI;LangChain;RAG;Hugging Face", "Bash/Shell (all shells);C;C++", "python", "", "NA", "C#;.NET (5+) ;F#",
    ]
    check_encoded(estimator, ("skills",), cells)
    check_encoded(estimator, ("skills", "country"), [(cell, "DE") for cell in cells])


# -- whole files: the column path against the row path ---------------------------------------------


@SETTINGS
@given(case=hs.csv_file(max_rows=12), currency=st.booleans())
def test_generated_csv_files_give_the_row_paths_output(estimator, monkeypatch, case, currency):
    conversion = Conversion("EUR", 0.9137, date(2025, 1, 1), date(2025, 12, 31), 250, "month") if currency else None
    try:
        fast, slow = both_paths(estimator, monkeypatch, case.text, conversion=conversion)
    except InputError as error:  # a header without a factor: refused by both
        assert "no factor column" in str(error)
        return
    assert fast == slow


@SETTINGS
@given(case=hs.jsonl_file(max_rows=12), output_format=st.sampled_from(["csv", "jsonl"]))
def test_generated_jsonl_files_give_the_row_paths_output(estimator, monkeypatch, case, output_format):
    fast, slow = both_paths(estimator, monkeypatch, case.text, input_format="jsonl", output_format=output_format)
    assert fast == slow


@pytest.mark.parametrize("chunk", [8192, 5, 1])
@pytest.mark.parametrize("options", [{}, {"output_format": "jsonl"}, {"currency": "INR"}], ids=["csv", "jsonl", "currency"])
def test_sample_files_give_the_row_paths_output(estimator, monkeypatch, chunk, options):
    monkeypatch.setattr(batch_module, "CHUNK_ROWS", chunk)
    if "currency" in options:
        from mlsalary import currency

        options = {"conversion": currency.conversion(options["currency"], 2025, "month")}
    texts = [(ROOT / "sample_data" / "profiles.csv").read_text(encoding="utf-8")]
    texts += [path.read_text(encoding="utf-8") for path in sorted(FIXTURES.glob("*.csv"))]
    for text in texts:
        fast, slow = both_paths(estimator, monkeypatch, text, **options)
        assert fast == slow
    jsonl = (ROOT / "sample_data" / "profiles.jsonl").read_text(encoding="utf-8")
    fast, slow = both_paths(estimator, monkeypatch, jsonl, input_format="jsonl", **options)
    assert fast == slow


def test_places_titles_offers_and_bad_cells_give_the_row_paths_output(estimator, monkeypatch):
    rows = [
        ["Name", "Location", "Country", "Job Title", "Level", "YOE", "Skills", "offer"],
        ["a", "San Francisco", "", "Senior ML Engineer", "", "5", "python;pytorch", "180k"],
        ["b", "Berlin", "DE", "Staff Data Scientist", "mid", "8", "", ""],
        ["c", "Austin, TX", "DE", "ML Engineer", "", "3", "", "90k"],  # place and country disagree
        ["d", "", "Berlin", "NLP Engineer", "", "-1", "langchian", "lots"],  # three bad cells
        ["e", "Nowhere, OR", "", "", "", "", "", ""],
        ["f", "", "US", "Head of ML", "junior", "12", "LLM;RAG", "1.5M"],
        ["g", "Texas", "", "data scientst", "", "", "", ""],
    ]
    text = "".join(",".join(f'"{cell}"' if "," in cell else cell for cell in row) + "\n" for row in rows)
    for options in ({}, {"output_format": "jsonl"}):
        fast, slow = both_paths(estimator, monkeypatch, text * 3, **options)
        assert fast == slow
    without_offer = "".join(",".join(f'"{c}"' if "," in c else c for c in row[:-1]) + "\n" for row in rows)
    fast, slow = both_paths(estimator, monkeypatch, without_offer * 3)
    assert fast == slow
    assert "is in US, but country is DE" in fast


@pytest.mark.data
def test_real_survey_rows_give_the_row_paths_output(estimator, monkeypatch, data_dir):
    """Every 3rd row of each survey file, with the surveys' own labels and titles."""
    from test_real_rows import COLUMNS, FACTOR_COLUMNS, _read

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(FACTOR_COLUMNS)
    for relative, mapping in COLUMNS.items():
        for row in _read(data_dir / relative)[::3]:
            cells = []
            for factor in FACTOR_COLUMNS:
                source = mapping.get(factor)
                cells.append(";".join(filter(None, (row[c] for c in source))) if isinstance(source, tuple) else row[source] if source else "")
            writer.writerow(cells)
    fast, slow = both_paths(estimator, monkeypatch, out.getvalue())
    assert fast.count("\n") > 30_000
    assert fast == slow


# -- memory ------------------------------------------------------------------------------------------


def test_a_bad_profile_leaves_no_reference_cycle():
    """batch runs with the cyclic garbage collector off: an InputError from from_mapping must
    not hold the frame that holds it (and every caller's frame, the whole chunk with them)."""
    bad = [{"experience": "-1"}, {"experience": "-1", "country": "Germny", "skills": 5}, {"location": "Austin TX", "country": "DE"}]
    for raw in bad:  # first use: lazy imports and tables, cached parses
        with pytest.raises(InputError):
            Profile.from_mapping(raw)
    gc.collect()
    collecting = gc.isenabled()
    gc.disable()
    try:
        for raw in bad * 3:
            with pytest.raises(InputError):
                Profile.from_mapping(raw)
        assert gc.collect() == 0
    finally:
        if collecting:
            gc.enable()


def test_what_bad_values_leave_behind_is_collected(estimator, monkeypatch):
    """Values that fail to parse can leave reference cycles (taxonomy, locations); batch collects
    the young objects every COLLECT_EVERY rows of the per-row path."""
    from mlsalary.batch import engine

    monkeypatch.setattr(engine, "COLLECT_EVERY", 1)
    text = "experience,country,role,location\n" + "".join(f"{-i},Germny{i},data scientst {i},Austin{i}\n" for i in range(300))
    text += "".join(f"{i % 50},DE,ml-engineer,Austin TX\n" for i in range(300))  # place and country disagree
    batch_module.run(estimator, io.StringIO(text), io.StringIO())  # first use: lazy imports, tables
    gc.collect()
    collecting = gc.isenabled()
    gc.disable()
    try:
        batch_module.run(estimator, io.StringIO(text.replace("Germny", "Germnay")), io.StringIO())
        assert gc.collect() == 0
    finally:
        if collecting:
            gc.enable()


# -- the model's per-chunk bookkeeping, vectorized: against the per-row definitions -----------------


def _groups_row_by_row(schema, X):
    from mlsalary.runtime.features import SENIORITY_BANDS, role_family, years_band

    roles = {code: role_family(role) for role, code in schema.vocab_["role"].items()}
    family = np.array([roles.get(int(r), "other") if r == r else "unknown" for r in X[:, schema.groups_["role"][0]]], dtype=object)
    band = np.full(len(X), "unknown", dtype=object)
    coding = X[:, schema.groups_["years_coding"][0]]
    known = ~np.isnan(coding)
    band[known] = "coding " + years_band(coding[known])
    levels = {code: SENIORITY_BANDS[level] for level, code in schema.vocab_["seniority"].items()}
    seniority = X[:, schema.groups_["seniority"][0]]
    known = ~np.isnan(seniority)
    band[known] = [levels.get(int(s), "unknown") for s in seniority[known]]
    work = X[:, schema.groups_["experience"][0]]
    known = ~np.isnan(work)
    band[known] = years_band(work[known])
    return family + "/" + band


def _widen_group_by_group(raw, groups, conformal):
    from mlsalary.runtime.quantiles import INTERVALS, margins_for, uncross

    out = raw.copy()
    for group in set(groups):
        margins = margins_for(group, conformal)
        rows = groups == group
        for name, (lo, hi, _) in INTERVALS.items():
            out[rows, lo] -= margins[name]
            out[rows, hi] += margins[name]
    return uncross(out)


@pytest.mark.parametrize("seed", range(6))
def test_calibration_groups_and_widening_match_their_row_by_row_definitions(estimator, seed):
    from mlsalary.runtime.quantiles import widen

    model, rng = estimator.model, np.random.default_rng(seed)
    schema, background = model.schema_, model.background_
    n = [0, 1, 7, 500, 3000, 9000][seed]
    X = background[rng.integers(0, len(background), (n, background.shape[1])), np.arange(background.shape[1])]
    for column, odd in (("role", [np.nan, 99.0, 1.5, -0.0, 3.7]), ("seniority", [np.nan, 7.0, 0.5, 3.0]),
                        ("experience", [np.nan, 0.0, 2.0, 2.0000001, 20.0, 20.5, 60.0]), ("years_coding", [np.nan, 0.5, 5.0, 10.0, 70.0])):
        rows = rng.random(n) < 0.2
        X[rows, schema.groups_[column][0]] = rng.choice(odd, rows.sum())
    groups = schema.calibration_groups(X)
    assert groups.dtype == object and list(groups) == list(_groups_row_by_row(schema, X))
    raw = rng.normal(11, 1, (n, 5))
    assert np.array_equal(widen(raw, groups, model.conformal_), _widen_group_by_group(raw, groups, model.conformal_))


@pytest.mark.parametrize("name", ["candidates.csv", "profiles.csv", "fixtures/official_so2025/survey_results_public.csv"])
def test_the_readings_column_is_the_profiles_own_on_both_paths(estimator, monkeypatch, name):
    # The column path words each distinct value's reading once; the row path takes each row's
    # Profile.readings: the same text, row for row, on files as people and surveys write them.
    text = "".join((ROOT / "sample_data" / name).read_text().splitlines(keepends=True)[:400])
    fast, rows = both_paths(estimator, monkeypatch, text)
    assert fast == rows
    read = [r["readings"] for r in csv.DictReader(io.StringIO(fast))]
    assert any(read) and len(read) == len(list(csv.DictReader(io.StringIO(text))))
