"""Batch input: header mapping and the CSV and JSON Lines readers, which yield chunks of rows.

Also the layout of the added output columns, which the header mapping needs (an input column
named like an output column is not a factor), and the run's summary with the notes it gives.
"""

from __future__ import annotations

import csv
import itertools
import json
import operator
from dataclasses import dataclass, field
from typing import IO, Any, Iterator

from mlsalary.batch.keys import CodedKeys, RawKeys
from mlsalary.batch.text import native
from mlsalary.errors import InputError
from mlsalary.factors import FACTORS, FIELDS, REGISTRY
from mlsalary.profile import show_value
from mlsalary.runtime.quantiles import QUANTILE_NAMES

# Columns read from the input: the factors, a location, and an optional offer to check.
INPUT_COLUMNS = FIELDS + ("offer",)


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
    unlisted_keys: bool = False  # JSON Lines: keys beyond the first NOTED_KEYS distinct ones (not in the notes)
    undecodable_bytes: int = 0  # bytes of the file that were not UTF-8 (set by whoever decoded it)

    def notes(self) -> list[str]:
        """What the run says besides its rows, one plain-text line each: how headers were read,
        columns no factor uses, replaced columns, cut rows, bytes that were not UTF-8, offers
        far outside the data, the count of rows with errors. Each note names at most
        NOTE_NAMES columns and counts the rest, so a wide file cannot flood them."""
        notes: list[str] = []
        if self.column_mappings:
            read = _some([f"{show_value(name)} as {column}" for name, column in self.column_mappings], "column")
            notes.append(f"Note: read column {read}.")
        for name, column in self.unused_columns[:NOTE_NAMES]:
            notes.append(f"Note: column {show_value(name)} not used: {column} is read from another column.")
        if len(self.unused_columns) > NOTE_NAMES:
            notes.append(f"Note: {len(self.unused_columns) - NOTE_NAMES:,} more column(s) not used: their factor is read from another column.")
        if self.unmapped_columns:
            parts = [show_value(name) + (f" (nearest factor: {column})" if column else "") for name, column in self.unmapped_columns]
            notes.append("Note: column(s) " + _some(parts, "column") + " match no factor and are passed through unchanged.")
        if self.unlisted_keys:
            notes.append(f"Note: the records have more than {NOTED_KEYS} different keys; the notes above name only the first {NOTED_KEYS}.")
        if self.replaced_columns:
            notes.append(f"Note: input columns named like output columns were replaced by this run's: {', '.join(self.replaced_columns)}.")
        if self.cut_rows:
            notes.append(f"Note: {self.cut_rows} row(s) had more cells than the header; the extra cells were dropped.")
        if self.undecodable_bytes:
            notes.append(
                f"Note: the input is not valid UTF-8; {self.undecodable_bytes} undecodable byte(s) were replaced "
                "with U+FFFD (save the file as UTF-8 to keep them)."
            )
        if self.offer_warnings:
            notes.append(
                f"Warning: {self.offer_warnings} offer(s) lie far outside the training data's "
                "yearly pay (below 10,000: monthly or hourly amounts?); their percentiles are extrapolations."
            )
        if self.errors:
            notes.append(f"{self.errors} of {self.rows} rows had errors; see the error column.")
        return notes


NOTE_NAMES = 8  # the most names one note lists


def _some(parts: list[str], noun: str) -> str:
    """The first NOTE_NAMES parts, and a count of the rest."""
    shown = ", ".join(parts[:NOTE_NAMES])
    rest = len(parts) - NOTE_NAMES
    return shown if rest <= 0 else f"{shown} and {rest:,} more {noun}{'s' if rest > 1 else ''}"


def conversion_note(conversion) -> str:
    """The note on the money columns of a run with a currency.Conversion."""
    return f"Money columns in {conversion.code} per {conversion.per}: {conversion.source}."


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
    return columns + list(STATED_COLUMNS) + ["error"]


# Before the error: the amounts' currency and period (empty on a row with an error, which has
# none), and how the row's words were read ("read 'Senior ML Engineer' as role ml-engineer,
# seniority senior; ..."), so a recruiter can audit every row.
STATED_COLUMNS = ("currency", "per", "readings")


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


# The notes name the first few unmapped columns only: a file of 100,000 columns is not searched
# 100,000 times for names no one will read.
SUGGESTED_COLUMNS = 20


def _nearest_column(name: str, earlier: int) -> str | None:
    """The column an unmapped header most looks like (a misspelt alias), for the first
    SUGGESTED_COLUMNS unmapped headers (`earlier`: how many came before)."""
    if earlier >= SUGGESTED_COLUMNS:
        return None
    from mlsalary.taxonomy.labels import close_matches

    close = close_matches(_header_key(name), list(_ALIAS_INDEX), n=1, cutoff=0.75)
    return _ALIAS_INDEX[close[0]] if close else None


def map_header(names: list[str]) -> tuple[dict[str, int], BatchSummary]:
    """Column of each input column (factor or offer) -> its position, and notes on the mapping.

    A header that is a column's own name wins over an alias of it; otherwise the first header
    that is an alias wins, and a later one naming the same column is reported as unused.
    """
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
                notes.unmapped_columns.append((name, _nearest_column(name, len(notes.unmapped_columns))))
        elif column in positions:
            notes.unused_columns.append((name, column))
        else:
            positions[column] = i
            notes.column_mappings.append((name, column))
    return positions, notes


def read_header(header: list[str] | None, refuse: bool = True) -> tuple[tuple[str, ...], tuple[int, ...], int | None, BatchSummary]:
    """(the factors read, their positions, the offer's position or None, the notes on the
    mapping) of a CSV header; None is no header (an empty file). A header that names no factor
    is refused (unless not `refuse`): every row would be estimated with nothing known."""
    positions, notes = map_header(header or [])
    factors = tuple(name for name in FIELDS if name in positions)
    if header is not None and not factors and refuse:
        shown = ",".join(header)
        delimiter = next((d for d in (";", "\t", "|") if d in shown), None)
        hint = f" (the header holds {delimiter!r}: is the file comma-separated?)" if delimiter else ""
        raise InputError(
            "FILE",
            f"no factor column in the header {show_value(shown)}{hint}; expected some of: " + ", ".join(FACTORS)
            + " (or Location, Years of Experience, Degree, Title, Level, Skills ...)",
        )
    return factors, tuple(positions[name] for name in factors), positions.get("offer"), notes


# -- readers ------------------------------------------------------------------------------------
#
# A reader yields chunks of rows as four parallel lists: records (what is passed through: the
# CSV row's text or cells, or the JSON object), keys (the row's factor values, in the order of
# the reader's `factors`, as its `keys` (keys.py) holds them: what estimates are cached by),
# offers (the raw offer, or None for CSV without an offer column) and errors (a message when
# the line itself is unreadable; JSON Lines only, else None).

# A single cell may be huge (a pasted document); the csv module's default cap is 128 KB.
csv.field_size_limit(2**31 - 1)


class CsvInput:
    """CSV rows, read line by line: a line without a quote is split on commas and passed through
    as its text (the common case, no parsing or re-quoting); any other goes to the csv module,
    which may take the next lines too (a quoted field can hold a line break)."""

    json_values = False  # the keys are the cells' text

    def __init__(self, stream: IO[str], quoted_lines: bool = False):
        self.lines = iter(stream)
        # Whether a one-line record with quotes is kept as its text too (CSV output copies it
        # as read; the C JSON Lines writer reads it); else as its cells (the Python one's).
        self.quoted_lines = quoted_lines
        self.header = next((row for row in csv.reader(self.lines) if row), None)  # blank lines before the header are not it
        self.factors, self.positions, self.offer_position, self.notes = read_header(self.header)
        self.cut_rows = 0
        # What a row's estimate is cached by: its cells' codes where the C scanner reads the lines.
        text = native()
        self.keys: RawKeys | CodedKeys = CodedKeys(len(self.factors), text) if text is not None else RawKeys(len(self.factors))

    @property
    def has_offer(self) -> bool:
        return self.offer_position is not None

    def chunks(self, size: int) -> Iterator[tuple[list, list, list | None, None]]:
        """(records, keys, offers, None) for up to `size` rows at a time.

        A record is the row's text (its line, without the line break) when it is exactly the
        header's width and had no quote (or, with quoted_lines, took one line); else its list
        of cells. `record_cells` gives any record's cells. The keys are `self.keys`' kind.
        """
        if self.header is None:
            return  # an empty file
        keys_of = self.keys
        offer_at = -1 if self.offer_position is None else self.offer_position
        while True:
            block = list(itertools.islice(self.lines, size))
            if not block:
                return
            if isinstance(keys_of, CodedKeys):
                # The plain lines in C; from the first other line on, the rest of the block in
                # Python (_read), its keys then coded as the scanner codes them.
                records, keys, offers, cut, stop = keys_of.scan(block, len(self.header), self.positions, offer_at, self.quoted_lines)
                self.cut_rows += cut
                if stop < len(block):
                    more, cells, more_offers = self._read(block[stop:])
                    records += more
                    keys += keys_of.code(cells if len(self.positions) > 1 else [(cell,) for cell in cells])
                    if offers is not None:
                        offers += more_offers
            else:
                records, keys, offers = self._read(block)
            if records:
                yield records, keys, offers, None

    def _read(self, block: list[str]) -> tuple[list, list, list | None]:
        """(records, raw keys, offers) of the rows of `block`, read in Python and by the csv
        module, which may take the file's next lines too (a record spanning lines)."""
        positions, offer_at = self.positions, self.offer_position
        width = max(positions) + 1
        if offer_at is not None:
            width = max(width, offer_at + 1)
        header_width = len(self.header)  # type: ignore[arg-type]  # rows come only with a header
        pick = operator.itemgetter(*positions)
        padding = [""] * width
        lines = self.lines
        records: list = []
        keys: list = []
        offers: list | None = [] if offer_at is not None else None

        def add(record: Any, cells: list[str]) -> None:
            """One row: its record, and its key and offer from its cells."""
            if len(cells) > header_width:
                self.cut_rows += 1  # cells beyond the header have no column to go to
            if len(cells) < width:
                cells = cells + padding
            records.append(record)
            keys.append(pick(cells))
            if offers is not None:
                offers.append(cells[offer_at])  # type: ignore[index]  # offers is a list only with offer_at

        rest = iter(block)
        parsed: Any = None  # the csv module's reader, once a quote is met (line_num: lines it took)
        left = len(block)  # lines of the block not yet read here
        beyond: list[str] = []  # the file's lines a record spanning lines took past the block
        for line in rest:
            left -= 1
            if '"' in line:
                # Quoted: from here on the csv module reads this block's records (one reader:
                # a reader per line costs more than the parsing), and the next lines of the
                # file too while a quoted field spans them.
                parsed = csv.reader(itertools.chain([line], rest, _kept(lines, beyond)))
                left += 1
                break
            body = line.rstrip("\r\n")
            if not body:
                continue  # a blank line is not a row
            cells = body.split(",")
            add(body if len(cells) == header_width else cells, cells)
        if parsed is not None:
            # The block's other records, read by the csv module in one call: at most one per
            # line left (a record that spans lines takes the file's next lines with it).
            taken = block[len(block) - left :]  # (the lines the reader starts with)
            rows = list(itertools.islice(parsed, left))
            if rows and min(map(len, rows)) == header_width == max(map(len, rows)) and parsed.line_num == len(rows):
                # The common case: every record as wide as the header and one line long (the
                # reader read no more lines than records).
                records += map(str.rstrip, taken, itertools.repeat("\r\n", len(taken))) if self.quoted_lines else rows
                keys += map(pick, rows)
                if offers is not None:
                    offers += map(operator.itemgetter(offer_at), rows)
            else:
                # Record by record, read again (the lines are kept): how many lines each took.
                taken += beyond
                again = csv.reader(taken)
                before = 0  # lines read before this record
                for cells in again:
                    took, before = again.line_num - before, again.line_num
                    if not cells:
                        continue  # a blank line is not a row
                    one_line = took == 1 and len(cells) == header_width and self.quoted_lines
                    add(taken[before - 1].rstrip("\r\n") if one_line else cells, cells)
        return records, keys, offers


NOTED_KEYS = 200  # the distinct keys of a JSON Lines file that its notes are made from


class JsonlInput:
    factors = FIELDS
    header = None
    cut_rows = 0  # (CSV only)
    has_offer = True  # known per row only; the column is null without an offer
    json_values = True  # the keys are the JSON values (see _hashable)
    keys = RawKeys(len(FIELDS))

    def __init__(self, stream: IO[str]):
        self.stream = stream
        self.notes = BatchSummary()
        self._seen_keys: dict[str, str | None] = {}  # key -> column, for the notes (bounded)

    def _column(self, name: str) -> str | None:
        column = canonical_column(name)
        if column in INPUT_COLUMNS:
            return column
        alias = _ALIAS_INDEX.get(_header_key(name))
        if name in self._seen_keys:
            return alias
        if len(self._seen_keys) >= NOTED_KEYS:
            self.notes.unlisted_keys = True
        else:
            self._seen_keys[name] = alias
            if alias is not None:
                self.notes.column_mappings.append((name, alias))
            elif _header_key(name) and column not in OUTPUT_NAMES:
                self.notes.unmapped_columns.append((name, _nearest_column(name, len(self.notes.unmapped_columns))))
        return alias

    def chunks(self, size: int) -> Iterator[tuple[list, list, list, list]]:
        """(records, keys, offers, errors) for up to `size` lines at a time."""
        records: list = []
        keys: list = []
        offers: list = []
        errors: list = []
        for number, line in enumerate(_lf_lines(self.stream), start=1):
            if not line.strip():
                continue
            key = offer = error = None
            try:
                record = json.loads(line, parse_int=_parse_int)
            except ValueError as bad:  # JSONDecodeError has .msg; the int-digits limit does not
                record, error = {}, f"line {number}: not valid JSON ({getattr(bad, 'msg', 'number too long')})"
            except RecursionError:  # nested thousands deep: this line's error, not the batch's end
                record, error = {}, f"line {number}: not valid JSON (nested too deep)"
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


def _kept(lines: Iterator[str], into: list[str]) -> Iterator[str]:
    """`lines`, each also appended to `into` as it is taken."""
    for line in lines:
        into.append(line)
        yield line


def record_cells(record: str | list[str]) -> list[str]:
    """A CSV reader's record (CsvInput.chunks) as its list of cells."""
    if type(record) is not str:
        return record  # type: ignore[return-value]  # a list of cells
    return record.split(",") if '"' not in record else next(csv.reader([record]))


def _lf_lines(stream: IO[str]) -> Iterator[str]:
    """The stream's lines ended by LF (or CRLF) only: JSON Lines records are LF-separated, and
    a stream opened with newline="" also ends a line at a bare CR (inside a record's white
    space it would split the record in two)."""
    pending = ""
    for line in stream:
        if line.endswith("\r"):
            pending += line
            continue
        yield pending + line if pending else line
        pending = ""
    if pending:
        yield pending


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



def _parse_int(text: str):
    # Python refuses to build ints of more than 4,300 digits; such a number is a value error
    # of its row (as infinity), not a reason to lose the whole record.
    return int(text) if len(text) < 4000 else float("inf")
