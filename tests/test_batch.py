"""Batch internals that the speed work added: the per-profile cache, chunking, the worker
thread and the text pass-through of CSV lines must not change a single output cell."""

from __future__ import annotations

import csv
import io
import json

import pytest

from mlsalary import batch as batch_module
from mlsalary.errors import InputError
from mlsalary.profile import FACTORS, Profile

from conftest import ROOT

PROFILES = (ROOT / "sample_data" / "profiles.csv").read_text(encoding="utf-8")


def run(estimator, text: str, **options) -> str:
    out = io.StringIO()
    batch_module.run(estimator, io.StringIO(text, newline=""), out, **options)
    return out.getvalue()


def repeated_file(times: int) -> str:
    """The sample profiles (one quoted cell per line in places), repeated, with a row id."""
    rows = list(csv.reader(io.StringIO(PROFILES)))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id"] + rows[0])
    n = 0
    for _ in range(times):
        for row in rows[1:]:
            writer.writerow([f"r{n}"] + row)
            n += 1
    writer.writerow([f"r{n}", "-3"] + [""] * (len(rows[0]) - 1))  # one bad row at the end
    return out.getvalue()


def expected_rows(estimator, text: str) -> list[list[str]]:
    """One estimate per row, computed row by row with the library: the oracle."""
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    out = []
    for row in rows:
        try:
            profile = Profile.from_mapping({name: row.get(name, "") for name in FACTORS})
        except InputError as error:
            out.append([""] * 10 + [str(error)])  # no amounts: no unit either
            continue
        result = estimator.estimate(profile, explain=False)
        support = [str(result.support), "true" if result.thin_support else "false"]
        readings = [*profile.readings, *([result.pooled] if result.pooled else [])]
        out.append([str(round(v)) for v in result.quantiles.values()] + support + ["USD", "year", "; ".join(readings), ""])
    return out


@pytest.mark.parametrize("chunk, cache", [(8192, 100_000), (3, 4), (1, 1)], ids=["defaults", "small", "tiny"])
def test_cache_and_chunks_give_the_row_by_row_answer(estimator, monkeypatch, chunk, cache):
    monkeypatch.setattr(batch_module, "CHUNK_ROWS", chunk)
    monkeypatch.setattr(batch_module, "CACHE_ENTRIES", cache)
    text = repeated_file(6)
    records = list(csv.reader(io.StringIO(run(estimator, text), newline="")))
    inputs = list(csv.reader(io.StringIO(text, newline="")))
    assert records[0] == inputs[0] + batch_module.output_columns(False)
    assert [r[: len(inputs[0])] for r in records[1:]] == inputs[1:]
    assert [r[len(inputs[0]) :] for r in records[1:]] == expected_rows(estimator, text)


def test_quote_free_lines_are_passed_through_as_text(estimator):
    """The fast path writes the input line itself: odd but legal cells survive byte for byte."""
    text = "id,experience,note\n a ,5,x  y\nb,6,\t\nc,7,'q'\n"
    lines = run(estimator, text).split("\n")
    assert [line.split(",")[:3] for line in lines[1:4]] == [[" a ", "5", "x  y"], ["b", "6", "\t"], ["c", "7", "'q'"]]


def test_a_quoted_field_spanning_lines_and_chunks(estimator, monkeypatch):
    monkeypatch.setattr(batch_module, "CHUNK_ROWS", 2)
    text = 'id,experience,note\n1,5,"two\nlines"\n2,6,"a ""quote"""\n3,7,plain\n'
    records = list(csv.reader(io.StringIO(run(estimator, text), newline="")))
    assert [r[:3] for r in records[1:]] == [["1", "5", "two\nlines"], ["2", "6", 'a "quote"'], ["3", "7", "plain"]]
    assert all(r[-1] == "" and int(r[5]) > 0 for r in records[1:])


def test_fail_fast_writes_the_rows_before_the_bad_one(estimator, monkeypatch):
    monkeypatch.setattr(batch_module, "CHUNK_ROWS", 4)
    text = "id,experience\n" + "".join(f"{i},{i}\n" for i in range(6)) + "6,-1\n7,3\n"
    out = io.StringIO()
    with pytest.raises(InputError, match="^row 7: experience"):
        batch_module.run(estimator, io.StringIO(text, newline=""), out, fail_fast=True)
    written = list(csv.reader(io.StringIO(out.getvalue())))
    assert [r[0] for r in written[1:]] == [str(i) for i in range(6)]


def test_offers_and_json_lines_take_the_row_by_row_path(estimator):
    text = "experience,country,offer\n5,DE,80k\n5,DE,\n5,DE,lots\n"
    records = list(csv.DictReader(io.StringIO(run(estimator, text), newline="")))
    assert 0 < float(records[0]["offer_percentile"]) < 100 and records[0]["error"] == ""
    assert records[1]["offer_percentile"] == "" and records[1]["error"] == ""
    assert records[2]["p50"] == "" and "offer" in records[2]["error"]
    jsonl = '{"experience": 5, "country": "DE", "offer": 80000}\n{"experience": 5, "country": "DE"}\n'
    rows = [json.loads(line) for line in run(estimator, jsonl, input_format="jsonl", output_format="jsonl").splitlines()]
    assert rows[0]["offer_percentile"] == float(records[0]["offer_percentile"])
    assert rows[1]["offer_percentile"] is None and rows[0]["p50"] == rows[1]["p50"] == int(records[0]["p50"])


def test_equal_json_values_of_different_types_are_not_confused(estimator):
    """1, 1.0 and true are equal as Python dict keys; the cache must keep them apart."""
    jsonl = '{"experience": 1}\n{"experience": true}\n{"experience": 1.0}\n{"experience": "1"}\n'
    rows = [json.loads(line) for line in run(estimator, jsonl, input_format="jsonl", output_format="jsonl").splitlines()]
    assert rows[1]["error"] and "experience" in rows[1]["error"]
    assert rows[0]["error"] is None and rows[2]["error"] is None and rows[3]["error"] is None
    assert rows[0]["p50"] == rows[2]["p50"] == rows[3]["p50"]
