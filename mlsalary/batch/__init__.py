"""Batch estimates: a CSV or JSON Lines stream in, one output row per input row, in order.

Input columns are kept; p10..p90 (and with explain, the baseline and one contribution per
factor) are added, plus an `error` column. A bad row gets its message there and the other
rows still get estimates. Input is read and written in chunks, so memory does not grow with
the number of rows.
"""

from __future__ import annotations

import gc
from concurrent.futures import ThreadPoolExecutor
from typing import IO, Any, Callable

from mlsalary.batch.readers import (  # noqa: F401  (the package's interface)
    HEADER_ALIASES, INPUT_COLUMNS, OUTPUT_NAMES, SUPPORT_COLUMNS, BatchSummary, CsvInput, JsonlInput,
    _from_key, canonical_column, map_header, output_columns,
)
from mlsalary.batch.writer import _csv_row, _write_fast, _write_rows, _Writer, json_line  # noqa: F401
from mlsalary.errors import InputError
from mlsalary.profile import FACTORS, Profile
from mlsalary.runtime.forest import usable_cpus

CHUNK_ROWS = 8192
# Distinct profiles whose estimates are kept while a file streams (about 1 KB each).
CACHE_ENTRIES = 100_000
FORMATS = ("csv", "jsonl")

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
