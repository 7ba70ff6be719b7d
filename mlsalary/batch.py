"""Batch estimates: a CSV or JSON Lines stream in, one output row per input row, in order.

Input columns are kept; p10..p90 (and with explain, the baseline and one contribution per
factor) are added, plus an `error` column. A bad row gets its message there and the other
rows still get estimates. Input is read and written in chunks, so memory does not grow with
the number of rows.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import IO, Any, Callable, Iterator

from mlsalary import negotiation
from mlsalary.errors import InputError
from mlsalary.estimates import QUANTILE_NAMES, Estimator
from mlsalary.profile import FACTORS, Profile

# Columns read from the input: the factors, and an optional offer to check.
INPUT_COLUMNS = FACTORS + ("offer",)

CHUNK_ROWS = 2000
FORMATS = ("csv", "jsonl")


@dataclass
class BatchSummary:
    rows: int = 0
    errors: int = 0


def output_columns(explain: bool, offer: bool = False) -> list[str]:
    columns = list(QUANTILE_NAMES)
    if offer:
        columns.append("offer_percentile")
    if explain:
        columns += ["baseline"] + [f"contribution_{name}" for name in FACTORS]
    return columns + ["error"]


def canonical_column(name: str) -> str:
    """Header names are matched forgivingly: 'Years Coding', 'years-coding' -> years_coding."""
    return name.strip().lower().replace("-", "_").replace(" ", "_")


# -- readers: yield (passthrough record, raw factor mapping or an error message) ----------------


# A single cell may be huge (a pasted document); the csv module's default cap is 128 KB.
csv.field_size_limit(2**31 - 1)


def read_csv(stream: IO[str]) -> tuple[list[str], Iterator[tuple[list[str], dict | str]]]:
    reader = csv.reader(stream)
    header = next((row for row in reader if row), None)  # blank lines before the header are not it
    if header is None:
        return [], iter(())
    positions: dict[str, int] = {}
    for i, name in enumerate(header):
        key = canonical_column(name)
        if key in INPUT_COLUMNS and key not in positions:
            positions[key] = i

    def rows():
        for cells in reader:
            if not cells:
                continue  # a blank line is not a row
            raw = {name: cells[i] if i < len(cells) else "" for name, i in positions.items()}
            yield cells, raw

    return header, rows()


def read_jsonl(stream: IO[str]) -> Iterator[tuple[dict, dict | str]]:
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line, parse_int=_parse_int)
        except ValueError as error:  # JSONDecodeError has .msg; the int-digits limit does not
            yield {}, f"line {number}: not valid JSON ({getattr(error, 'msg', 'number too long')})"
            continue
        if not isinstance(record, dict):
            yield {}, f"line {number}: expected a JSON object, got {type(record).__name__}"
            continue
        raw = {}
        for key, value in record.items():
            name = canonical_column(str(key))
            if name in INPUT_COLUMNS and name not in raw:
                raw[name] = value
        yield record, raw


# -- the run ------------------------------------------------------------------------------------


def run(
    estimator: Estimator,
    stream: IO[str],
    out: IO[str],
    *,
    input_format: str = "csv",
    output_format: str = "csv",
    explain: bool = False,
    fail_fast: bool = False,
    progress: Callable[[int], None] | None = None,
) -> BatchSummary:
    summary = BatchSummary()
    if input_format == "csv":
        header, rows = read_csv(stream)
        has_offer = any(canonical_column(name) == "offer" for name in header)
    else:
        header, rows = None, read_jsonl(stream)
        has_offer = True  # JSON Lines: known per row only; the column is null without an offer
    added = output_columns(explain, has_offer)
    writer = _Writer(out, output_format, header, added)
    chunk: list[tuple[Any, dict | str]] = []
    for item in rows:
        chunk.append(item)
        if len(chunk) >= CHUNK_ROWS:
            _process(estimator, chunk, writer, explain, fail_fast, summary)
            if progress:
                progress(len(chunk))
            chunk = []
    if chunk:
        _process(estimator, chunk, writer, explain, fail_fast, summary)
        if progress:
            progress(len(chunk))
    writer.flush()
    return summary


def _process(estimator, chunk, writer, explain, fail_fast, summary) -> None:
    profiles: list[Profile | None] = []
    errors: list[str | None] = []
    offers: list[float | None] = []
    for _, raw in chunk:
        offers.append(None)
        if isinstance(raw, str):
            profiles.append(None)
            errors.append(raw)
            continue
        try:
            profile = Profile.from_mapping(raw)
            offer = raw.get("offer")
            if offer is not None and str(offer).strip() != "":
                offers[-1] = negotiation.parse_offer(offer)
            profiles.append(profile)
            errors.append(None)
        except InputError as error:
            profiles.append(None)
            errors.append(str(error))
    valid = [p for p in profiles if p is not None]
    quantiles = iter(estimator.quantiles_many(valid).tolist())
    for (record, _), profile, error, offer in zip(chunk, profiles, errors, offers):
        summary.rows += 1
        if profile is None:
            summary.errors += 1
            if fail_fast:
                writer.flush()
                raise InputError("row", f"row {summary.rows}: {error}")
            writer.write(record, {"error": error})
            continue
        row_quantiles = next(quantiles)
        values: dict[str, Any] = dict(zip(QUANTILE_NAMES, (round(v) for v in row_quantiles)))
        if offer is not None:
            values["offer_percentile"] = negotiation.offer_percentile(row_quantiles, offer)
        if explain:
            contributions, baseline = estimator.explain(profile)
            values["baseline"] = round(baseline)
            for name, value in contributions.items():
                values[f"contribution_{name}"] = round(value)
        writer.write(record, values)


class _Writer:
    def __init__(self, out: IO[str], fmt: str, header: list[str] | None, added: list[str]):
        self.out, self.fmt, self.header, self.added = out, fmt, header, added
        self.buffer = io.StringIO()
        self.csv = csv.writer(self.buffer, lineterminator="\n")
        # The csv module quotes only the line terminator's characters: a cell holding a bare
        # CR would break the row, so such rows are written with every cell quoted.
        self.csv_quoted = csv.writer(self.buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)
        self.header_written = False

    def write(self, record, values: dict[str, Any]) -> None:
        if self.fmt == "csv":
            if not self.header_written:
                self._writerow(self._csv_header(record))
                self.header_written = True
            cells = list(record) if isinstance(record, list) else self._cells_from_dict(record)
            width = len(self.header) if self.header is not None else len(cells)
            cells = (cells + [""] * width)[:width]
            self._writerow(cells + [values.get(c, "") for c in self.added])
        else:
            if isinstance(record, list):
                record = {name: (record[i] if i < len(record) else "") for i, name in enumerate(self.header or [])}
            row = dict(record)
            for column in self.added:
                row[column] = values.get(column)
            self.buffer.write(json_line(row) + "\n")
        if self.buffer.tell() > 1 << 16:
            self.flush()

    def _writerow(self, row: list) -> None:
        writer = self.csv_quoted if any("\r" in str(cell) for cell in row) else self.csv
        writer.writerow(row)

    def _csv_header(self, record) -> list[str]:
        if self.header is None:
            # JSON Lines in, CSV out: the first object's keys, then any factor it lacks.
            # (Keys that appear only in later objects have no column.)
            keys = [str(k) for k in record] if isinstance(record, dict) else []
            self.header = keys + [f for f in FACTORS if f not in keys]
        return list(self.header) + self.added

    def _cells_from_dict(self, record: dict) -> list[str]:
        out = []
        for name in self.header or []:
            value = record.get(name, "")
            if isinstance(value, (dict, list)) and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                value = json_line(value)
            out.append(";".join(map(str, value)) if isinstance(value, list) else "" if value is None else str(value))
        return out

    def flush(self) -> None:
        if self.fmt == "csv" and not self.header_written and self.header is not None:
            self._writerow(list(self.header) + self.added)
            self.header_written = True
        self.out.write(self.buffer.getvalue())
        self.out.flush()
        self.buffer.seek(0)
        self.buffer.truncate()


def _parse_int(text: str):
    # Python refuses to build ints of more than 4,300 digits; such a number is a value error
    # of its row (as infinity), not a reason to lose the whole record.
    return int(text) if len(text) < 4000 else float("inf")


def json_line(value: Any) -> str:
    """Strict JSON on one line: NaN/Infinity become null (jq rejects them), and text that
    cannot be encoded as UTF-8 (lone surrogates) is written with \\u escapes."""
    safe = _finite(value)
    text = json.dumps(safe, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(safe, ensure_ascii=True)
    return text


def _finite(value: Any) -> Any:
    if isinstance(value, float) and value != value or value in (float("inf"), float("-inf")):
        return None
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value
