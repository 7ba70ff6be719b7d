"""Batch estimates: a CSV or JSON Lines stream in, one output row per input row, in order.

Input columns are kept; p10..p90 (and with explain, the baseline and one contribution per
factor) are added, plus an `error` column. A bad row gets its message there and the other
rows still get estimates. Input is read and written in chunks, so memory does not grow with
the number of rows. `run_rows` is the same run over rows of values in memory (the library's
DataFrame): one reading, validation and estimation for both.
"""

from __future__ import annotations

import gc
import itertools
import operator
from concurrent.futures import ThreadPoolExecutor
from typing import IO, Any, Callable, Iterable, Sequence

from mlsalary.batch.readers import (  # noqa: F401  (the package's interface)
    HEADER_ALIASES, INPUT_COLUMNS, OUTPUT_NAMES, SUPPORT_COLUMNS, BatchSummary, CsvInput, JsonlInput,
    _from_key, canonical_column, conversion_note, map_header, output_columns, record_cells,
)
from mlsalary.batch.encoder import ColumnEncoder, decode_json
from mlsalary.batch.engine import Outcome, Pending, estimate_columns, estimate_rows
from mlsalary.batch.keys import raw_keys
from mlsalary.batch.text import native
from mlsalary.batch.memory import ColumnsWriter, RowsInput
from mlsalary.batch.writer import TEXT_COLUMNS, _csv_row, _write_fast, _write_rows, _Writer, json_line  # noqa: F401

CHUNK_ROWS = 8192
# Distinct profiles whose estimates are kept while a file streams (about 1 KB each).
CACHE_ENTRIES = 100_000
FORMATS = ("csv", "jsonl")

# -- the run ------------------------------------------------------------------------------------


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
    quoted_lines = output_format == "csv" or native() is not None  # (CsvInput's)
    source: CsvInput | JsonlInput = CsvInput(stream, quoted_lines=quoted_lines) if input_format == "csv" else JsonlInput(stream)
    writer = _Writer(out, output_format, source.header, _added_columns(source, explain))
    return _collector_off(_run, estimator, source, writer, explain, fail_fast, progress, conversion)


def run_rows(
    estimator: Any, header: Sequence[str], rows: Iterable[Sequence[Any]], *, explain: bool = False, conversion=None,
) -> tuple[dict[str, list], BatchSummary]:
    """Estimate rows of cell values under `header` as `run` estimates the CSV file of their
    text (memory.cell_text): (each added column's values, None for an empty cell; the run's
    summary). The caller keeps the input's columns, but for the summary's replaced_columns."""
    source = RowsInput(header, rows)
    writer = ColumnsWriter(source.header, _added_columns(source, explain))
    summary = _collector_off(_run, estimator, source, writer, explain, False, None, conversion)
    # A column a stated column replaces is not passed through (no file has such a column).
    summary.unmapped_columns = [(name, near) for name, near in summary.unmapped_columns if name not in summary.replaced_columns]
    return writer.columns(), summary


def _added_columns(source, explain: bool) -> list[str]:
    return output_columns(explain, source.has_offer, "location" in source.factors)


def _collector_off(function: Callable[..., BatchSummary], *args: Any) -> BatchSummary:
    # The cyclic garbage collector would rescan every cached estimate again and again as rows
    # stream by (a third of the run time, measured); see estimate.collect_after for the
    # cycles bad values can leave behind.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return function(*args)
    finally:
        if collecting:
            gc.enable()


# CSV input without offers: output rows are written a chunk at a time (writer.write_chunk).
# False writes every row through the row-by-row writer, which gives the same bytes (the tests
# compare the two on the hostile-input suite's files).
COLUMNWISE = True


def _run(estimator, source, writer, explain, fail_fast, progress, conversion=None) -> BatchSummary:
    """Read `source` (CsvInput, JsonlInput, RowsInput) chunk by chunk, estimate its new profiles
    and give every row to `writer` (_Writer, ColumnsWriter), whose `added` are the columns
    _added_columns gives."""
    has_offer = source.has_offer
    summary = source.notes  # the header's mapping (JSON Lines: filled in as keys are seen)
    window = getattr(estimator, "metadata", {}).get("comp_window_usd")
    added = writer.added
    summary.replaced_columns = writer.replaced
    # Estimates of distinct profiles, by their raw values: big files repeat profiles, and a
    # repeat costs a dictionary look-up. Bounded, so memory does not grow with the file.
    cache: dict[Any, Outcome] = {}
    json_values = source.json_values
    fast = COLUMNWISE and writer.chunkwise
    json_members = fast and isinstance(writer, _Writer) and writer.fmt == "jsonl" and writer.added == TEXT_COLUMNS  # Outcome.json: _write_json_chunk

    def write(chunk) -> None:
        pending, records, outcomes, offers, errors = chunk
        if pending is not None:
            pending.wait()
        if fast and offers is None and errors is None:
            _write_fast(writer, records, outcomes, fail_fast, summary)
        else:
            _write_rows(writer, records, outcomes, offers, errors, has_offer, fail_fast, summary, window, conversion)
        if progress:
            progress(len(records))

    encoder = None if explain else ColumnEncoder(estimator.model.schema_, source.factors, decode_json if json_values else None)
    # This thread reads, validates and encodes a chunk while one worker runs the model on the
    # previous chunk (numpy releases the GIL in the trees), then writes that previous chunk.
    with ThreadPoolExecutor(1) as worker:
        previous = None
        keys_of = source.keys
        generation = keys_of.generation
        for records, keys, offers, errors in source.chunks(CHUNK_ROWS):
            if keys_of.generation != generation:  # the reader's codes started again: so do the estimates by them
                cache.clear()
                generation = keys_of.generation
            found = list(map(cache.get, keys))
            outcomes = found
            pending = None
            if None in found:
                # (Loops in C: an all-different file makes every row new.)
                if len(cache) + len(keys) > CACHE_ENTRIES:
                    cache.clear()
                    cache.update((key, outcome) for key, outcome in zip(keys, found) if outcome is not None)  # (the found ones stay)
                outcomes = list(map(cache.setdefault, keys, iter(Outcome, None)))  # a new empty Outcome per new profile
                unknown = list(map(operator.not_, found))
                new = dict(zip(itertools.compress(keys, unknown), itertools.compress(outcomes, unknown)))
                if None in new:  # an unreadable line (JSON Lines): no profile
                    del new[None], cache[None]
                    outcomes = [None if key is None else outcome for key, outcome in zip(keys, outcomes)]
                if new:
                    if encoder is None:
                        args = (estimator, source.factors, json_values, raw_keys(keys_of, new), explain, len(added), conversion)
                        pending = Pending(worker.submit(estimate_rows, *args).result)
                    else:
                        pending = estimate_columns(estimator, encoder, keys_of, json_values, new, len(added), worker, conversion, has_offer, json_members)
            if previous is not None:
                write(previous)
            previous = (pending, records, outcomes, offers, errors)
        if previous is not None:
            write(previous)
    writer.flush()
    summary.cut_rows = source.cut_rows
    return summary
