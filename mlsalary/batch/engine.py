"""Estimating a chunk's new profiles, into one `Outcome` per distinct profile.

Two paths. The column path (no --explain): the chunk's rows are validated and encoded column by
column (encoder.py), the few rows that need it go through Profile.from_mapping, the model runs
once over the chunk in a worker thread, and the added cells are formatted for whole arrays.
The row path (--explain): a Profile per row, as the contributions need one anyway.
"""

from __future__ import annotations

import gc
import itertools
import json
from concurrent.futures import Executor
from typing import Any, Callable

import numpy as np

from mlsalary.batch.encoder import ColumnEncoder
from mlsalary.batch.readers import STATED_COLUMNS, SUPPORT_COLUMNS, _from_key
from mlsalary.batch.text import int_texts, join_rows
from mlsalary.batch.writer import TEXT_COLUMNS, Forms, _csv_row, _json_string
from mlsalary.currency import units
from mlsalary.errors import InputError
from mlsalary.factors import FACTORS
from mlsalary.profile import Profile
from mlsalary.runtime.quantiles import QUANTILE_NAMES


# The cells of the column path's text before the reading: numbers, support, thin and units.
_PLAIN_CELLS = 9


class Outcome:
    """What a distinct profile gives: its added cells as CSV text, or its error.

    Created empty when the profile is first seen, filled in once it is estimated. `quantiles`
    (USD, for offer percentiles) is kept only when the input can hold offers. `json`: the
    column path's added columns as JSON members, in place of `text`, when JSON Lines are
    written chunk by chunk.
    """

    __slots__ = ("quantiles", "text", "error", "_cells", "json")
    quantiles: list[float] | None
    text: str
    error: str | None
    _cells: list
    json: str

    def set(self, quantiles: list[float] | None, cells: list, error: str | None) -> None:
        self.quantiles = quantiles
        self._cells = cells
        self.error = error
        self.text = _csv_row(cells, end="")  # `cells` as CSV text

    @property
    def cells(self) -> list:
        """The added cells (offer_percentile left out, error last), typed for JSON Lines."""
        try:
            return self._cells
        except AttributeError:  # set by the column path: its CSV text, or its JSON members
            pass
        if not hasattr(self, "text"):
            values = json.loads("{" + self.json + "}")
            return [values[name] for name in TEXT_COLUMNS[:-1]] + [""]  # (the error cell as the CSV text gives it)
        *numbers, thin, currency, per, readings, error = self.text_cells()
        return [int(v) if v else None for v in numbers] + [thin == "true" if thin else None, currency, per, readings or None, error]

    def text_cells(self) -> list[str]:
        """The column path's text, "p10,...,p90,support,thin,currency,per,readings,", as its
        cells. Only the reading can hold a comma or a quote (a quoted CSV cell, finish()'s
        _csv_cell), so the cells before it split plainly."""
        *cells, rest = self.text.split(",", _PLAIN_CELLS)
        reading, error = rest.rsplit(",", 1)
        if reading.startswith('"'):
            reading = reading[1:-1].replace('""', '"')
        return [*cells, reading, error]


class Pending:
    """A chunk's new profiles on their way through the model: `wait` fills their outcomes."""

    def __init__(self, result: Callable[[], Any], finish: Callable[[Any], None] | None = None):
        self.result = result  # waits for the model and gives its result (a Future's result)
        self.finish = finish

    def wait(self) -> None:
        result = self.result()
        if self.finish is not None:
            self.finish(result)


def estimate_columns(
    estimator, encoder: ColumnEncoder, keys_of, json_values: bool, new: dict, width: int, worker: Executor,
    conversion=None, keep_quantiles: bool = True, json_members: bool = False,
) -> Pending:
    """Validate and encode the profiles of `new` (key -> empty outcome; `keys_of`: the reader's
    keys.RawKeys or keys.CodedKeys) here, and start the model on them in `worker`; the
    outcomes are filled in by the returned Pending's wait().
    `json_members`: give each outcome its added columns as JSON members too (Outcome.json)."""
    keys, outcomes = list(new), list(new.values())
    encoded = encoder.encode(keys_of.columns(keys), len(keys))
    X = encoded.X
    supports = _supports(estimator, encoded)  # per row
    readings = encoded.readings
    stated = ",".join(units(conversion))  # the currency and per cells, as CSV text
    valid = np.ones(len(keys), dtype=bool)
    ratios: dict[int, float] = {}
    rows, profiles = [], []
    for i in np.flatnonzero(encoded.slow).tolist():
        try:
            profile = Profile.from_mapping(_from_key(encoder.factors, keys_of.raw(keys[i]), json_values))
            ratio = estimator.ratio(profile)  # a place or level the model has no table for: this row's error
        except InputError as error:
            outcomes[i].set(None, [""] * (width - 1) + [str(error)], str(error))
            valid[i] = False
            continue
        rows.append(i)
        profiles.append(profile)
        if ratio != 1.0:
            ratios[i] = ratio
        supports[i] = estimator.support(profile)
        readings[i] = "; ".join(_readings_of(estimator, profile))
    if profiles:
        X[rows] = estimator.model.schema_.encode_profiles(profiles)
    collect_after(len(rows) + int((~valid).sum()))
    if not valid.all():
        X = X[valid]
        outcomes = [o for o, ok in zip(outcomes, valid.tolist()) if ok]
        supports = [t for t, ok in zip(supports, valid.tolist()) if ok]
        readings = [r for r, ok in zip(readings, valid.tolist()) if ok]
        ratios = {position: ratios[i] for position, i in enumerate(np.flatnonzero(valid).tolist()) if i in ratios}
    if not outcomes:
        return Pending(lambda: None)

    def finish(quantiles: np.ndarray) -> None:
        if ratios:
            # A level above senior and a US location shift the whole range by their ratios.
            at = list(ratios)
            quantiles[at] = quantiles[at] * np.array(list(ratios.values()))[:, None]
        scaled = quantiles if conversion is None else conversion(quantiles)
        # round(), as Python rounds (half to even), as text.
        numbers = list(map(int_texts, np.rint(scaled).astype(np.int64).T))
        n = len(outcomes)
        # "p10,p25,p50,p75,p90,support,thin,currency,per,reading," (the loops in C).
        if json_members:  # (JSON Lines: no CSV text; Outcome.cells reads the members)
            tails = _tails(supports, estimator.thin_below, csv=False)
            pieces = _between(_json_members(units(conversion)), [*numbers, tails, list(map(_JSON_CELLS.bounded().__getitem__, readings))])
            list(map(setattr, outcomes, itertools.repeat("json", n), join_rows(pieces, n)))
        else:
            tails = _tails(supports, estimator.thin_below, csv=True)
            pieces = _between(["", ",", ",", ",", ",", ",", stated + ",", ","], [*numbers, tails, list(map(_CSV_CELLS.bounded().__getitem__, readings))])
            list(map(setattr, outcomes, itertools.repeat("text", n), join_rows(pieces, n)))
        list(map(setattr, outcomes, itertools.repeat("error", n), itertools.repeat(None, n)))
        kept = quantiles.tolist() if keep_quantiles else itertools.repeat(None, n)
        list(map(setattr, outcomes, itertools.repeat("quantiles", n), kept))

    model = estimator.model
    if hasattr(model, "predict_later"):  # a compiled model: only the trees in the worker
        return Pending(model.predict_later(X, worker.submit), finish)
    return Pending(worker.submit(model.predict, X).result, finish)


def _readings_of(estimator, profile) -> list[str]:
    """A row's readings column: the profile's readings, and its country's pooling (estimate's)."""
    pooled = estimator.pooled_reading(profile.country)
    return [*profile.readings, pooled] if pooled else list(profile.readings)


def _csv_cell(text: str) -> str:
    """One CSV cell's text, quoted when it must be (as the csv module quotes)."""
    if "," in text or '"' in text or "\n" in text or "\r" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


# A reading's cell, per distinct reading (rows repeat readings).
_CSV_CELLS = Forms(_csv_cell)
_JSON_CELLS = Forms(lambda text: _json_string(text) if text else "null")


def _tails(supports: list, thin_below: int, csv: bool) -> list[str]:
    """Each row's support and thin columns, from its support (None: unknown): CSV cells
    ("1234,false,") or JSON members ('"support": 1234, "thin": false'), made once per support."""
    texts = {}
    for support in set(supports):
        values = ["" if support is None else str(support), "" if support is None else "true" if support < thin_below else "false"]
        if csv:
            texts[support] = ",".join(values) + ","
        else:
            texts[support] = ", ".join(f"{_json_string(name)}: {value or 'null'}" for name, value in zip(SUPPORT_COLUMNS, values))
    return list(map(texts.__getitem__, supports))


def _json_members(stated: tuple[str, str]) -> list[str]:
    """The column path's added columns as JSON members (Outcome.json): the text after each of
    the slots for the five quantiles, the support and thin members (_tails) and the readings,
    and before the first (see _between)."""
    def name(column: str) -> str:
        return _json_string(column) + ": "

    currency, per = (name(column) + _json_string(value) for column, value in zip(STATED_COLUMNS, stated))
    after = [", " + name(column) for column in QUANTILE_NAMES[1:]]
    return [name(QUANTILE_NAMES[0]), *after, ", ", f", {currency}, {per}, {name(STATED_COLUMNS[2])}", f", {name(TEXT_COLUMNS[-1])}null"]


def _between(texts: list[str], columns: list[list[str]]) -> list:
    """join_rows' pieces for texts[0], columns[0], texts[1], ..., columns[-1], texts[-1]
    (one text more than columns; empty texts left out)."""
    assert len(texts) == len(columns) + 1
    pieces: list = [texts[0]] if texts[0] else []
    for column, text in zip(columns, texts[1:]):
        pieces += [column, text] if text else [column]
    return pieces


def _supports(estimator, encoded) -> list:
    """The support of each row (None: unknown): one look-up per distinct country and role."""
    n_roles = len(encoded.roles)
    pairs = encoded.country_codes * n_roles + encoded.role_codes
    distinct, inverse = np.unique(pairs, return_inverse=True)
    supports = [estimator.support_of(encoded.countries[p // n_roles], encoded.roles[p % n_roles]) for p in distinct.tolist()]
    return list(map(supports.__getitem__, inverse.ravel().tolist()))


# Rows that went through Profile.from_mapping since the last collection of young objects.
_UNCOLLECTED = [0]
COLLECT_EVERY = 1024


def collect_after(rows: int) -> None:
    """Collect the young objects once every COLLECT_EVERY rows of the per-row path.

    Bad values can leave reference cycles behind (an exception holding the frame that holds
    it), and batch runs with the cyclic collector off: what they hold stays bounded. Rarely,
    because a collection scans every estimate cached since the last one.
    """
    _UNCOLLECTED[0] += rows
    if _UNCOLLECTED[0] >= COLLECT_EVERY:
        _UNCOLLECTED[0] = 0
        gc.collect(0)


def estimate_rows(estimator, factors, json_values, new: dict, explain: bool, width: int, conversion=None) -> None:
    """Validate and estimate the profiles of `new` (raw key -> empty outcome) one Profile each."""
    profiles, valid = [], []
    for key, outcome in new.items():
        try:
            profile = Profile.from_mapping(_from_key(factors, key, json_values))
            estimator.ratio(profile)  # a place or level the model has no table for: this row's error
            profiles.append(profile)
            valid.append(outcome)
        except InputError as error:
            outcome.set(None, [""] * (width - 1) + [str(error)], str(error))
    collect_after(len(new) - len(valid))
    quantiles = estimator.quantiles_many(profiles).tolist()
    explained: list = [None] * len(profiles)
    if explain and profiles:
        # A profile's contributions are a few small numpy calls, Python-bound: threads would
        # only contend for the GIL (this runs beside the thread that reads the next chunk).
        explained = estimator.explain_many(profiles)
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
        cells += [*units(conversion), "; ".join(_readings_of(estimator, profile)) or None, ""]
        outcome.set(q, cells, None)
