"""Batch output: CSV or JSON Lines rows, the input's columns then the added ones."""

from __future__ import annotations

import codecs
import csv
import functools
import io
import os
import sys
import json
import operator
from typing import IO, Any, Callable

from mlsalary import negotiation
from mlsalary.batch.readers import STATED_COLUMNS, SUPPORT_COLUMNS, record_cells
from mlsalary.batch.text import join_rows, native
from mlsalary.errors import InputError
from mlsalary.factors import FACTORS
from mlsalary.runtime.quantiles import QUANTILE_NAMES


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
        if type(record) is str and writer.fmt != "csv":
            record = record_cells(record)  # a CSV row kept as its text (CSV output copies it)
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


def _all_text(records: list) -> bool:
    """Whether every record is a line's text (not a list of cells)."""
    return not records or set(map(type, records)) == {str}


# The added columns of an estimate's cached text on the column path (engine.Outcome.text).
TEXT_COLUMNS = [*QUANTILE_NAMES, *SUPPORT_COLUMNS, *STATED_COLUMNS, "error"]


class Forms(dict):
    """A cell's text -> its form (`form(text)`, made once), looked up in C: rows repeat cells.
    `bounded()` starts it again past _QUOTED_CELLS texts (a file of a million different cells)."""

    def __init__(self, form: Callable[[str], str]):
        super().__init__()
        self.form = form

    def __missing__(self, text: str) -> str:
        self[text] = form = self.form(text)
        return form

    def bounded(self) -> "Forms":
        if len(self) > _QUOTED_CELLS:
            self.clear()
        return self


def _csv_form(text: str) -> str:
    """A cell's CSV form in a row of several cells, as the csv module writes it (quoted when it
    holds a comma, a quote or a line break)."""
    # (A cell with a bare CR sends its row to _csv_row: any form holding the CR will do.)
    return _csv_row(["", text])[1:-1] if text and "\r" not in text else text  # (quoted as a row ending in LF)


# Distinct cells a Forms keeps before it starts again.
_QUOTED_CELLS = 100_000


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

    @property
    def chunkwise(self) -> bool:
        """Whether rows without offers can be written a chunk at a time (write_chunk)."""
        return self.header is not None and (self.fmt == "csv" or self.columnwise_json)

    @property
    def columnwise_json(self) -> bool:
        """Whether JSON Lines rows can be written chunk by chunk: CSV input whose header names
        are all different and none is an added column (else a row's object is built by dict)."""
        header = self.source_header
        return header is not None and len(set(header)) == len(header) and not set(header) & set(self.added)

    def write_chunk(self, records: list, outcomes: list) -> None:
        """CSV in, many rows: a row's text (or cells) and its estimate's cached text (CSV), or
        the JSON Lines objects json_line would write, built from cached parts (columnwise_json)."""
        if self.fmt != "csv":
            self._write_json_chunk(records, outcomes)
            return
        if not self.header_written:
            self._writerow(self.header + self.added)  # type: ignore[operator]  # a header exists once rows come
            self.header_written = True
        # A row kept as its text is written as it was read. The others' input cells are joined
        # from each distinct cell's CSV form (_csv_form: the csv module's own, found once), each
        # line then gaining the estimate's cached text. What _line would write, byte for byte:
        # the rows it treats apart (a bare CR, a lone empty cell) go through it.
        width, keep = self.width, self.keep
        if keep is None and _all_text(records):
            # Every row as read (the common case): its line, a comma, its estimate's text and a
            # line break, joined at once (the loops in C).
            self._put(join_rows([records, ",", list(map(operator.attrgetter("text"), outcomes)), "\n"], len(records), whole=True))
            return
        parts = []
        cell = self._quoted.bounded().__getitem__
        for record, outcome in zip(records, outcomes):
            if type(record) is str:
                if keep is None:
                    parts.append(record + "," + outcome.text + "\n")
                    continue
                record = record_cells(record)
            cells = record if len(record) == width else (record + [""] * width)[:width]
            if keep is not None:
                cells = keep(cells)
            line = ",".join(map(cell, cells))
            if not line or "\r" in line:
                parts.append(_csv_row(cells + outcome.cells))
            else:
                parts.append(line + "," + outcome.text + "\n")
        self.buffer.write("".join(parts))
        self.flush()

    @functools.cached_property
    def _quoted(self) -> Forms:
        return Forms(_csv_form)

    def _write_json_chunk(self, records: list, outcomes: list) -> None:
        if not records:
            return
        header = self.source_header or []
        # A row's object: each input cell as a JSON member (its name, then the cell as a JSON
        # string), then the added members, ", " between them.
        befores = [("{" if j == 0 else ", ") + _json_string(name) + ": " for j, name in enumerate(header)]
        tails = list(map(self._json_tail, outcomes))
        c = native()
        if c is not None:
            # The text around the cells' JSON strings: a member up to its opening quote (the
            # previous one's closing quote before it), and after the last, before the tail.
            around = [('"' if j else "") + before + '"' for j, before in enumerate(befores)] + ['", ']
            # (None: a line it leaves to the csv module, or a lone surrogate.)
            text = c.json_rows(records, around, tails, "}\n", self._stdout_bytes is not None)
        else:
            text = None
        if text is None:
            text = self._json_text(records, outcomes, befores, tails)
        self._put(text)

    def _json_text(self, records: list, outcomes: list, befores: list[str], tails: list[str]) -> str:
        """What _text.c's json_rows gives, in Python; a lone surrogate with json_line's escapes."""
        header = self.source_header or []
        width = len(header)
        rows = list(map(record_cells, records))
        if min(map(len, rows)) != width or max(map(len, rows)) != width:
            rows = [cells if len(cells) == width else (cells + [""] * width)[:width] for cells in rows]
        # Column by column (loops in C): each column's members, made once per distinct cell
        # (a memo per chunk: its memory is bounded by the chunk's cells), then the rows joined
        # at once.
        members = [list(map(Forms(functools.partial(_member, before)).__getitem__, column)) for column, before in zip(zip(*rows), befores)]
        text = join_rows([*members, ", ", tails, "}\n"], len(rows), whole=True)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: json_line's \u escapes, row by row
            text = "".join(
                json_line({**dict(zip(header, record_cells(r) + [""] * width)), **self._json_values(o)}) + "\n"
                for r, o in zip(records, outcomes)
            )
        return text

    def _put(self, text: str | bytes) -> None:
        """Write a chunk's text (or its UTF-8 bytes: _stdout_bytes) after what is buffered (the
        header): not through the buffer, which would copy it twice."""
        self.flush()
        if isinstance(text, bytes):
            raw = self._stdout_bytes
            assert raw is not None
            # After the text layer's bytes, flushed just above. (A raw file, as under
            # PYTHONUNBUFFERED, may take fewer bytes than it is given.)
            left = memoryview(text)
            while left:
                left = left[raw.write(left) :]
            raw.flush()
        else:
            self.out.write(text)
            self.out.flush()

    @functools.cached_property
    def _stdout_bytes(self) -> IO[bytes] | None:
        """The byte stream under the output, where writing a text's UTF-8 bytes to it is writing
        the text: the process's stdout in UTF-8, which Python opens without line-end
        translation (newline="\n"; a POSIX line end is "\n" anyway). Else None."""
        out = self.out
        if out is not sys.stdout or os.linesep != "\n" or not isinstance(getattr(out, "buffer", None), (io.BufferedIOBase, io.RawIOBase)):
            return None
        try:
            utf8 = codecs.lookup(out.encoding).name == "utf-8"
        except (LookupError, TypeError):
            return None
        return out.buffer if utf8 else None

    def _json_values(self, outcome) -> dict[str, Any]:
        """The added columns of a row as _write_rows gives them to write()."""
        if outcome.error is not None:
            values: dict[str, Any] = {"error": outcome.error}
        else:
            values = dict(zip(self.added, outcome.cells[:-1]))
            if values.get("offer_percentile") is None:
                values.pop("offer_percentile", None)
        return {column: values.get(column) for column in self.added}

    def _json_tail(self, outcome) -> str:
        """The added columns of a row as JSON members ('"p10": 51234, ...')."""
        try:
            return outcome.json  # made with the estimate (engine.estimate_columns' json_members)
        except AttributeError:  # an error, the row path's cells, or added columns of another set
            pass
        return ", ".join(json.dumps(column, ensure_ascii=False) + ": " + json_line(value) for column, value in self._json_values(outcome).items())

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
            added = [values.get(c, "") for c in self.added]
            if type(record) is str and self.keep is None:  # a row's text, copied as read (CsvInput.chunks)
                self.buffer.write(record + "," + _csv_row(added))
            elif isinstance(record, (str, list)):
                self.write_cells(record_cells(record), added)
                return
            else:
                self._writerow(self._cells_from_dict(record) + added)
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
        return [csv_cell(record.get(name, "")) for name in self.header or []]

    def flush(self) -> None:
        if self.fmt == "csv" and not self.header_written and self.header is not None:
            self._writerow(list(self.header) + self.added)
            self.header_written = True
        self.out.write(self.buffer.getvalue())
        self.out.flush()
        self.buffer.seek(0)
        self.buffer.truncate()




def csv_cell(value: Any) -> str:
    """A JSON value as a CSV cell: a list of names joined by ';' (as a skills cell is written),
    other lists and objects as JSON, None empty, anything else its str()."""
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return ";".join(value)
    if isinstance(value, (dict, list, tuple)):
        return json_line(value)
    return "" if value is None else str(value)


# A str as json.dumps(text, ensure_ascii=False) writes it (the same C function).
_json_string: Callable[[str], str] = json.encoder.encode_basestring


def _member(before: str, cell: str) -> str:
    """A JSON member of a text cell, after `before` (its name, and "{" or ", " before it)."""
    return before + _json_string(cell)


def json_line(value: Any) -> str:
    """Strict JSON on one line: NaN/Infinity become null (jq rejects them), and text that
    cannot be encoded as UTF-8 (lone surrogates) is written with \\u escapes."""
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False)  # no NaN or infinity: as is
    except ValueError:
        value = _finite(value)
        text = json.dumps(value, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(_finite(value), ensure_ascii=True)
    return text


def _finite(value: Any) -> Any:
    if isinstance(value, float) and value != value or value in (float("inf"), float("-inf")):
        return None
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value
