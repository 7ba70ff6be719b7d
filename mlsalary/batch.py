"""Batch estimates: a CSV or JSON Lines stream in, one output row per input row, in order.

Input columns are kept; p10..p90 (and with explain, the baseline and one contribution per
factor) are added, plus an `error` column. A bad row gets its message there and the other
rows still get estimates. Input is read and written in chunks, so memory does not grow with
the number of rows.
"""

from __future__ import annotations

import csv
import gc
import io
import itertools
import json
import operator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import IO, Any, Callable, Iterator

from mlsalary import negotiation
from mlsalary.runtime.forest import usable_cpus
from mlsalary.errors import InputError
from mlsalary.factors import FACTORS, FIELDS, REGISTRY
from mlsalary.profile import Profile, show_value
from mlsalary.quantiles import QUANTILE_NAMES

# Columns read from the input: the factors, a location, and an optional offer to check.
INPUT_COLUMNS = FIELDS + ("offer",)

CHUNK_ROWS = 8192
# Distinct profiles whose estimates are kept while a file streams (about 1 KB each).
CACHE_ENTRIES = 100_000
FORMATS = ("csv", "jsonl")


@dataclass
class BatchSummary:
    rows: int = 0
    errors: int = 0
    column_mappings: list[tuple[str, str]] = field(default_factory=list)  # (header, factor) read by alias
    unmapped_columns: list[tuple[str, str | None]] = field(default_factory=list)  # (header, nearest factor)
    unused_columns: list[tuple[str, str]] = field(default_factory=list)  # (header, factor already read from another)
    offer_warnings: int = 0  # offers far outside the training window (monthly or hourly?)
    replaced_columns: list[str] = field(default_factory=list)  # input columns named like output ones
    cut_rows: int = 0  # CSV rows with more cells than the header (the extra ones are dropped)


def output_columns(explain: bool, offer: bool = False, location: bool = False) -> list[str]:
    """The added columns. contribution_location only when the input can give a location
    (a CSV location column; JSON Lines always), so other files' output is as it was."""
    columns = list(QUANTILE_NAMES) + list(SUPPORT_COLUMNS)
    if offer:
        columns.append("offer_percentile")
    if explain:
        columns += ["baseline"] + [f"contribution_{name}" for name in FACTORS]
        if location:
            columns.append("contribution_location")
    return columns + ["error"]


# After the quantiles: the training respondents sharing the row's country and role, and whether
# that is thin (fewer than Estimator.thin_below), so a reader sees which rows rest on little.
SUPPORT_COLUMNS = ("support", "thin")


OUTPUT_NAMES = frozenset(output_columns(True, True, True))


def canonical_column(name: str) -> str:
    """Header names are matched forgivingly: 'Years Coding', 'years-coding' -> years_coding."""
    return name.strip().lower().replace("-", "_").replace(" ", "_")


# Headers as people write them -> the column they mean (the factors' aliases are in the
# registry). Matched on the name without case, spaces, '_', '-', '.', '/' or '()': "Years of
# Experience", "YOE", "years_of_experience" are one key.
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    **{factor.name: factor.aliases for factor in REGISTRY},
    "offer": ("offer usd", "offer (usd)", "salary offer", "offered salary", "offer amount", "base offer"),
}


def _header_key(name: str) -> str:
    return "".join(ch for ch in name.casefold() if ch.isalnum())


_ALIAS_INDEX: dict[str, str] = {
    _header_key(alias): column for column, aliases in HEADER_ALIASES.items() for alias in (column, *aliases)
}


def map_header(names: list[str]) -> tuple[dict[str, int], BatchSummary]:
    """Column of each input column (factor or offer) -> its position, and notes on the mapping.

    A header that is a column's own name wins over an alias of it; otherwise the first header
    that is an alias wins, and a later one naming the same column is reported as unused.
    """
    import difflib

    notes = BatchSummary()
    positions: dict[str, int] = {}
    for i, name in enumerate(names):
        key = canonical_column(name)
        if key in INPUT_COLUMNS and key not in positions:
            positions[key] = i
    for i, name in enumerate(names):
        if i in positions.values():
            continue
        column = _ALIAS_INDEX.get(_header_key(name))
        if column is None:
            if _header_key(name) and canonical_column(name) not in OUTPUT_NAMES:
                close = difflib.get_close_matches(_header_key(name), list(_ALIAS_INDEX), n=1, cutoff=0.75)
                notes.unmapped_columns.append((name, _ALIAS_INDEX[close[0]] if close else None))
        elif column in positions:
            notes.unused_columns.append((name, column))
        else:
            positions[column] = i
            notes.column_mappings.append((name, column))
    return positions, notes


# -- readers ------------------------------------------------------------------------------------
#
# A reader yields chunks of rows as four parallel lists: records (what is passed through: the
# CSV row's text or cells, or the JSON object), keys (the row's raw factor values, in the
# order of the reader's `factors`: what estimates are cached by), offers (the raw offer, or
# None for CSV without an offer column) and errors (a message when the line itself is
# unreadable; JSON Lines only, else None).

# A single cell may be huge (a pasted document); the csv module's default cap is 128 KB.
csv.field_size_limit(2**31 - 1)


class CsvInput:
    """CSV rows, read line by line: a line without a quote is split on commas and passed through
    as its text (the common case, no parsing or re-quoting); any other goes to the csv module,
    which may take the next lines too (a quoted field can hold a line break)."""

    def __init__(self, stream: IO[str]):
        self.lines = iter(stream)
        self.header = next((row for row in csv.reader(self.lines) if row), None)  # blank lines before the header are not it
        positions, self.notes = map_header(self.header or [])
        self.factors = tuple(name for name in FIELDS if name in positions)
        self.offer_position = positions.get("offer")
        if self.header is not None and not self.factors:
            shown = ",".join(self.header)
            delimiter = next((d for d in (";", "\t", "|") if d in shown), None)
            hint = f" (the header holds {delimiter!r}: is the file comma-separated?)" if delimiter else ""
            raise InputError(
                "FILE",
                f"no factor column in the header {show_value(shown)}{hint}; expected some of: " + ", ".join(FACTORS)
                + " (or Location, Years of Experience, Degree, Title, Level, Skills ...)",
            )
        self.positions = tuple(positions[name] for name in self.factors)
        self.cut_rows = 0

    def chunks(self, size: int) -> Iterator[tuple[list, list, list | None, None]]:
        """(records, keys, offers, None) for up to `size` rows at a time.

        A record is the row's text when it is exactly the header's width and had no quote,
        else its list of cells.
        """
        if self.header is None:
            return  # an empty file
        positions, offer_at = self.positions, self.offer_position
        width = max(positions) + 1
        if offer_at is not None:
            width = max(width, offer_at + 1)
        header_width = len(self.header)
        pick = operator.itemgetter(*positions)
        padding = [""] * width
        lines = self.lines
        while True:
            block = list(itertools.islice(lines, size))
            if not block:
                return
            records: list = []
            keys: list = []
            offers: list | None = [] if offer_at is not None else None
            rest = iter(block)
            for line in rest:
                if '"' in line:
                    # Quoted: the csv module reads the record, from this block and beyond.
                    cells = next(csv.reader(itertools.chain([line], rest, lines)), [])
                    if not cells:
                        continue
                    record: str | list[str] = cells
                else:
                    body = line.rstrip("\r\n")
                    if not body:
                        continue  # a blank line is not a row
                    cells = body.split(",")
                    record = body if len(cells) == header_width else cells
                if len(cells) > header_width:
                    self.cut_rows += 1  # cells beyond the header have no column to go to
                if len(cells) < width:
                    cells = cells + padding
                records.append(record)
                keys.append(pick(cells))
                if offers is not None:
                    offers.append(cells[offer_at])  # type: ignore[index]  # offers is a list only with offer_at
            if records:
                yield records, keys, offers, None


class JsonlInput:
    factors = FIELDS
    header = None
    cut_rows = 0  # (CSV only)

    def __init__(self, stream: IO[str]):
        self.stream = stream
        self.notes = BatchSummary()
        self._seen_keys: dict[str, str | None] = {}  # key -> column, for the notes (bounded)

    def _column(self, name: str) -> str | None:
        column = canonical_column(name)
        if column in INPUT_COLUMNS:
            return column
        alias = _ALIAS_INDEX.get(_header_key(name))
        if name not in self._seen_keys and len(self._seen_keys) < 200:
            self._seen_keys[name] = alias
            if alias is not None:
                self.notes.column_mappings.append((name, alias))
            elif _header_key(name) and column not in OUTPUT_NAMES:
                import difflib

                close = difflib.get_close_matches(_header_key(name), list(_ALIAS_INDEX), n=1, cutoff=0.75)
                self.notes.unmapped_columns.append((name, _ALIAS_INDEX[close[0]] if close else None))
        return alias

    def chunks(self, size: int) -> Iterator[tuple[list, list, list, list]]:
        """(records, keys, offers, errors) for up to `size` lines at a time."""
        records: list = []
        keys: list = []
        offers: list = []
        errors: list = []
        for number, line in enumerate(self.stream, start=1):
            if not line.strip():
                continue
            key = offer = error = None
            try:
                record = json.loads(line, parse_int=_parse_int)
            except ValueError as bad:  # JSONDecodeError has .msg; the int-digits limit does not
                record, error = {}, f"line {number}: not valid JSON ({getattr(bad, 'msg', 'number too long')})"
            else:
                if not isinstance(record, dict):
                    record, error = {}, f"line {number}: expected a JSON object, got {type(record).__name__}"
                else:
                    raw: dict[str, Any] = {}
                    for name, value in record.items():  # a column's own name wins over an alias
                        column = canonical_column(str(name))
                        if column in INPUT_COLUMNS and column not in raw:
                            raw[column] = value
                    for name, value in record.items():
                        alias = self._column(str(name))
                        if alias is not None and alias not in raw:
                            raw[alias] = value
                    key = tuple(_hashable(raw.get(name)) for name in FIELDS)
                    offer = raw.get("offer")
            records.append(record)
            keys.append(key)
            offers.append(offer)
            errors.append(error)
            if len(records) >= size:
                yield records, keys, offers, errors
                records, keys, offers, errors = [], [], [], []
        if records:
            yield records, keys, offers, errors


def _hashable(value: Any) -> Any:
    """A cache key for a JSON value: its type is part of it (1, 1.0 and true are equal in Python)."""
    if isinstance(value, (list, dict)):
        return ("json", json.dumps(value, sort_keys=True, default=str))
    return (type(value).__name__, value)


def _from_key(factors: tuple[str, ...], key: Any, json_values: bool) -> dict[str, Any]:
    if len(factors) == 1 and not json_values:
        return {factors[0]: key}  # itemgetter of one position gives the cell, not a tuple
    if json_values:
        return {
            name: (json.loads(v[1]) if v[0] == "json" else v[1])
            for name, v in zip(factors, key)
        }
    return dict(zip(factors, key))


# -- the run ------------------------------------------------------------------------------------


class _Outcome:
    """What a distinct profile gives: its quantiles and its added cells, or its error.

    Created empty when the profile is first seen, filled in when the worker has estimated it.
    """

    __slots__ = ("quantiles", "cells", "error", "text")

    def set(self, quantiles: list[float] | None, cells: list, error: str | None) -> None:
        self.quantiles = quantiles
        self.cells = cells  # the added columns without offer_percentile, error last
        self.error = error
        self.text = _csv_row(cells, end="")  # `cells` as CSV text


def run(
    estimator: Any,  # an estimates.Estimator (not imported: estimates imports this module)
    stream: IO[str],
    out: IO[str],
    *,
    input_format: str = "csv",
    output_format: str = "csv",
    explain: bool = False,
    fail_fast: bool = False,
    progress: Callable[[int], None] | None = None,
    conversion=None,
) -> BatchSummary:
    """Estimate every row of `stream` into `out`. With a currency.Conversion, the money columns
    (and the offer column's amounts) are in its currency per its period."""
    # The cyclic garbage collector would rescan every cached estimate again and again as rows
    # stream by (a third of the run time, measured); batch objects form no cycles.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _run(estimator, stream, out, input_format, output_format, explain, fail_fast, progress, conversion)
    finally:
        if collecting:
            gc.enable()


def _run(estimator, stream, out, input_format, output_format, explain, fail_fast, progress, conversion=None) -> BatchSummary:
    if input_format == "csv":
        source: CsvInput | JsonlInput = CsvInput(stream)
        has_offer = source.offer_position is not None  # type: ignore[union-attr]  # a CsvInput here
    else:
        source = JsonlInput(stream)
        has_offer = True  # JSON Lines: known per row only; the column is null without an offer
    summary = source.notes  # the header's mapping (JSON Lines: filled in as keys are seen)
    window = getattr(estimator, "metadata", {}).get("comp_window_usd")
    added = output_columns(explain, has_offer, "location" in source.factors)
    writer = _Writer(out, output_format, source.header, added)
    summary.replaced_columns = writer.replaced
    # Estimates of distinct profiles, by their raw values: big files repeat profiles, and a
    # repeat costs a dictionary look-up. Bounded, so memory does not grow with the file.
    cache: dict[Any, _Outcome] = {}
    json_values = input_format == "jsonl"
    fast = writer.fmt == "csv" and writer.header is not None

    def write(chunk) -> None:
        future, records, outcomes, offers, errors = chunk
        if future is not None:
            future.result()
        if fast and offers is None and errors is None:
            _write_fast(writer, records, outcomes, fail_fast, summary)
        else:
            _write_rows(writer, records, outcomes, offers, errors, has_offer, fail_fast, summary, window, conversion)
        if progress:
            progress(len(records))

    # One worker estimates the new profiles of a chunk while this thread writes the previous
    # chunk and reads the next (numpy releases the GIL while it walks the trees).
    with ThreadPoolExecutor(1) as worker:
        previous = None
        for records, keys, offers, errors in source.chunks(CHUNK_ROWS):
            outcomes = list(map(cache.get, keys))
            future = None
            if None in outcomes:
                new = {key: _Outcome() for key, outcome in zip(keys, outcomes) if outcome is None and key is not None}
                if new:
                    if len(cache) + len(new) > CACHE_ENTRIES:
                        cache.clear()
                    cache.update(new)
                    outcomes = [new.get(key) if outcome is None else outcome for key, outcome in zip(keys, outcomes)]
                    future = worker.submit(_estimate, estimator, source.factors, json_values, new, explain, len(added), conversion)
            if previous is not None:
                write(previous)
            previous = (future, records, outcomes, offers, errors)
        if previous is not None:
            write(previous)
    writer.flush()
    summary.cut_rows = source.cut_rows
    return summary


def _estimate(estimator, factors, json_values, new: dict, explain: bool, width: int, conversion=None) -> None:
    """Validate and estimate the profiles of `new` (raw key -> empty outcome), all at once."""
    profiles, valid = [], []
    for key, outcome in new.items():
        try:
            profile = Profile.from_mapping(_from_key(factors, key, json_values))
            estimator.adjustment(profile)  # a location the model has no table for: this row's error
            profiles.append(profile)
            valid.append(outcome)
        except InputError as error:
            outcome.set(None, [""] * (width - 1) + [str(error)], str(error))
    quantiles = estimator.quantiles_many(profiles).tolist()
    explained: list = [None] * len(profiles)
    if explain and profiles:
        # Contributions cost ~40 ms a profile, mostly in numpy: spread them over the cores.
        with ThreadPoolExecutor(usable_cpus()) as pool:
            explained = list(pool.map(estimator.explain, profiles))
    for outcome, profile, q, explanation in zip(valid, profiles, quantiles, explained):
        scale = (lambda v: v) if conversion is None else conversion
        cells: list = [round(scale(v)) for v in q]
        support = estimator.support(profile)
        cells += [support, None if support is None else support < estimator.thin_below]
        if explanation is not None:
            contributions, baseline = explanation
            cells.append(round(scale(baseline)))
            # A factor the row does not give is not a player: an empty cell, not a 0.
            cells.extend(round(scale(contributions[name])) if name in contributions else "" for name in FACTORS)
            if "location" in factors:
                cells.append(round(scale(contributions["location"])) if "location" in contributions else "")
        cells.append("")
        outcome.set(q, cells, None)


def _csv_row(cells: list, end: str = "\n") -> str:
    """One CSV row as text. The csv module quotes only the line terminator's characters: a
    cell holding a bare CR would break the row, so such rows have every cell quoted."""
    if True in cells or False in cells:
        cells = [("true" if c else "false") if type(c) is bool else c for c in cells]
    buffer = io.StringIO()
    quoting = csv.QUOTE_ALL if any("\r" in str(cell) for cell in cells) else csv.QUOTE_MINIMAL
    csv.writer(buffer, lineterminator=end, quoting=quoting).writerow(cells)  # type: ignore[arg-type]  # one of two constants
    return buffer.getvalue()


def _write_fast(writer, records, outcomes, fail_fast, summary) -> None:
    """CSV in and out, no offer column: whole chunks, no per-row Python work."""
    bad = [i for i, outcome in enumerate(outcomes) if outcome.error is not None]
    if bad and fail_fast:
        first = bad[0]
        writer.write_chunk(records[:first], outcomes[:first])
        summary.rows += first + 1
        summary.errors += 1
        writer.flush()
        raise InputError("row", f"row {summary.rows}: {outcomes[first].error}")
    writer.write_chunk(records, outcomes)
    summary.rows += len(records)
    summary.errors += len(bad)


def _write_rows(writer, records, outcomes, offers, errors, has_offer, fail_fast, summary, window=None, conversion=None) -> None:
    """Row by row: offers to place, JSON Lines, or unreadable lines."""
    for i, (record, outcome) in enumerate(zip(records, outcomes)):
        summary.rows += 1
        if type(record) is str:
            record = record.split(",")  # a CSV row kept as its text
        error = errors[i] if errors is not None else None
        if error is None:
            error = outcome.error
        offer_raw = offers[i] if offers is not None else None
        offer = None
        if (errors is None or errors[i] is None) and offer_raw is not None and not (isinstance(offer_raw, str) and offer_raw.strip() == ""):
            try:
                if conversion is None:
                    offer = negotiation.parse_offer(offer_raw)
                else:
                    local = negotiation.parse_offer(offer_raw, conversion.code, max_amount=negotiation.MAX_OFFER * conversion.rate)
                    offer = conversion.to_usd_per_year(local)
            except InputError as bad:
                error = str(bad) if error is None else f"{error}; {bad}"  # every bad field of the row
            else:
                if negotiation.offer_warning(offer, window) is not None:
                    summary.offer_warnings += 1
        if error is not None:
            summary.errors += 1
            if fail_fast:
                writer.flush()
                raise InputError("row", f"row {summary.rows}: {error}")
            writer.write(record, {"error": error})
            continue
        cells = list(outcome.cells[:-1])
        if has_offer:
            cells.insert(len(QUANTILE_NAMES) + len(SUPPORT_COLUMNS), negotiation.offer_percentile(outcome.quantiles, offer) if offer is not None else None)
        values = dict(zip(writer.added, cells))
        if values.get("offer_percentile") is None:
            values.pop("offer_percentile", None)  # null in JSON, empty in CSV
        writer.write(record, values)


class _Writer:
    """Writes output rows: the input's columns, then `added`.

    An input column named like an output column (a file that is itself batch output, fed
    back in) is replaced by the fresh one rather than repeated: `replaced` names them.
    """

    def __init__(self, out: IO[str], fmt: str, header: list[str] | None, added: list[str]):
        self.out, self.fmt, self.added = out, fmt, added
        self.buffer = io.StringIO()
        self.header_written = False
        self.replaced: list[str] = []
        self.keep: Callable | None = None  # picks the kept input cells when some are replaced
        self._set_header(header)

    def _set_header(self, header: list[str] | None) -> None:
        self.header = self.source_header = header
        if header is None:
            return
        added = set(self.added)
        kept = [i for i, name in enumerate(header) if name not in added]
        self.replaced[:] = [name for name in header if name in added]
        if len(kept) < len(header):
            self.header = [header[i] for i in kept]
            self.keep = (lambda cells, pick=operator.itemgetter(*kept): list(pick(cells))) if len(kept) > 1 else (
                lambda cells, kept=kept: [cells[i] for i in kept]
            )
        self.width = len(header)

    def write_chunk(self, records: list, outcomes: list) -> None:
        """CSV in, CSV out, many rows: a row's text (or cells) and its estimate's cached text."""
        if not self.header_written:
            self._writerow(self.header + self.added)  # type: ignore[operator]  # a header exists once rows come
            self.header_written = True
        if self.keep is None:
            lines = [
                record + "," + outcome.text + "\n" if type(record) is str else self._line(record, outcome.cells)
                for record, outcome in zip(records, outcomes)
            ]
        else:
            lines = [
                self._line(record.split(",") if type(record) is str else record, outcome.cells)
                for record, outcome in zip(records, outcomes)
            ]
        self.buffer.write("".join(lines))
        self.flush()

    def _line(self, cells: list[str], added: list) -> str:
        """The input cells (padded or cut to the header, replaced columns left out) and the
        added ones, as a CSV line."""
        width = self.width
        if len(cells) != width:
            cells = (cells + [""] * width)[:width]
        if self.keep is not None:
            cells = self.keep(cells)
        return _csv_row(cells + added)

    def write_cells(self, cells: list[str], added: list) -> None:
        """CSV in, CSV out, one row."""
        if not self.header_written:
            self._writerow(self.header + self.added)  # type: ignore[operator]  # a header exists once rows come
            self.header_written = True
        self.buffer.write(self._line(cells, added))
        if self.buffer.tell() > 1 << 16:
            self.flush()

    def write(self, record, values: dict[str, Any]) -> None:
        if self.fmt == "csv":
            if not self.header_written:
                self._writerow(self._csv_header(record))
                self.header_written = True
            if isinstance(record, list):
                self.write_cells(record, [values.get(c, "") for c in self.added])
                return
            self._writerow(self._cells_from_dict(record) + [values.get(c, "") for c in self.added])
        else:
            if isinstance(record, list):
                record = {name: (record[i] if i < len(record) else "") for i, name in enumerate(self.source_header or [])}
            row = dict(record)
            for column in self.added:
                row[column] = values.get(column)
            self.buffer.write(json_line(row) + "\n")
        if self.buffer.tell() > 1 << 16:
            self.flush()

    def _writerow(self, row: list) -> None:
        self.buffer.write(_csv_row(row))

    def _csv_header(self, record) -> list[str]:
        if self.header is None:
            # JSON Lines in, CSV out: the first object's keys, then any factor it lacks.
            # (Keys that appear only in later objects have no column.)
            keys = [str(k) for k in record] if isinstance(record, dict) else []
            self._set_header(keys + [f for f in FACTORS if f not in keys])
        return list(self.header) + self.added  # type: ignore[arg-type]  # a header exists once rows come

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
