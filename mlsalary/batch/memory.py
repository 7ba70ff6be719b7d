"""Batch in memory: rows of cell values in, the added columns out as lists of values.

The library's DataFrame goes this way (Estimator.estimate_frame): its rows are read as a CSV
file with the frame's header whose cells hold each value's text, and estimated by the same
code as a file, so that a frame and `batch` give the same rows and the same notes.
"""

from __future__ import annotations

import itertools
import math
import operator
from typing import Any, Iterable, Iterator, Sequence

from mlsalary.batch.keys import RawKeys
from mlsalary.batch.readers import read_header
from mlsalary.batch.writer import csv_cell

def cell_text(value: Any) -> str:
    """A cell value as the text batch reads in a CSV cell: None and NaN (an empty cell) empty,
    a list of names joined by ';' (a skills cell), anything else as a JSON value is written to
    a CSV cell (5 -> "5", 5.0 -> "5.0")."""
    if type(value) is str:
        return value
    if isinstance(value, float) and math.isnan(value):
        return ""
    return csv_cell(value)


class RowsInput:
    """Rows of cell values under `header`, read as the CSV file of their text (cell_text).

    A header that names no factor is refused as in a file, unless there is no row: with none
    there is nothing to estimate. No header (an empty list) is an empty file.
    """

    json_values = False  # the keys are the cells' text, as a CSV file's

    def __init__(self, header: Sequence[str], rows: Iterable[Sequence[Any]]):
        self.rows: Iterator[Sequence[Any]] = iter(rows)
        first = next(self.rows, None)
        if first is not None:
            self.rows = itertools.chain([first], self.rows)
        self.header = list(header) or None
        self.factors, self.positions, self.offer_position, self.notes = read_header(self.header, refuse=first is not None)
        self.keys = RawKeys(len(self.factors))
        self.cut_rows = 0

    @property
    def has_offer(self) -> bool:
        return self.offer_position is not None

    def chunks(self, size: int) -> Iterator[tuple[list, list, list | None, None]]:
        """(records, keys, offers, None) for up to `size` rows at a time, as CsvInput gives them;
        a record is the row as given."""
        if self.header is None:
            return
        width = len(self.header)
        read = self.positions if self.offer_position is None else (*self.positions, self.offer_position)
        while True:
            records = list(itertools.islice(self.rows, size))
            if not records:
                return
            rows = records
            if any(len(row) != width for row in records):  # padded or cut to the header, as CSV rows
                self.cut_rows += sum(len(row) > width for row in records)
                rows = [(list(row) + [""] * width)[:width] for row in records]
            # Column by column: most cells are text already.
            texts = [[cell if type(cell) is str else cell_text(cell) for cell in map(operator.itemgetter(i), rows)] for i in read]
            offers = texts.pop() if self.offer_position is not None else None
            # (A single column's key is its cell, not a 1-tuple, as CsvInput's.)
            keys = texts[0] if len(texts) == 1 else list(zip(*texts))
            yield records, keys, offers, None


class ColumnsWriter:
    """Keeps the added cells of every row, in order; `columns()` gives them column by column.

    The input's own columns are the caller's to keep: `replaced` names those that an added
    column (or a stated one) replaces, exactly as the file writer's.
    """

    chunkwise = True

    def __init__(self, header: Sequence[str] | None, added: list[str]):
        self.added = added
        self.replaced = [name for name in header or () if name in set(added)]
        self.rows: list[list] = []

    def write_chunk(self, records: list, outcomes: list) -> None:
        """Rows without offers: each row's cells are its estimate's (parsed once per estimate)."""
        cells: dict[int, list] = {}
        for outcome in outcomes:
            row = cells.get(id(outcome))
            if row is None:
                row = cells[id(outcome)] = outcome.cells
            self.rows.append(row)

    def write(self, record: Any, values: dict[str, Any]) -> None:
        self.rows.append([values.get(column) for column in self.added])

    def flush(self) -> None:
        pass

    def columns(self) -> dict[str, list]:
        """Each added column's values; an empty cell is None."""
        return {
            name: [None if row[i] == "" else row[i] for row in self.rows]
            for i, name in enumerate(self.added)
        }
