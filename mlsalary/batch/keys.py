"""A row's key: what its estimate is cached by, and what the encoder reads its factor cells from.

Two kinds. `RawKeys`: the cells themselves (a tuple, or the cell alone for a single factor
column; JSON Lines: readers._hashable values). `CodedKeys`: each cell's code among the distinct
cells its column has held, as the bytes of int32s (the C scanner, _text.c, gives them for a
CSV file): a key costs a few bytes to hash, and a chunk's columns come out as codes without
a pass over its cells.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlsalary.runtime.codes import distinct_codes


class RawKeys:
    """Keys that are the raw cells (a tuple of `width`, or the cell itself when width is 1)."""

    def __init__(self, width: int):
        self.width = width
        self.generation = 0  # (never renumbered)

    def columns(self, keys: list) -> list[tuple[list, np.ndarray]]:
        """Each factor column of the rows of `keys`: (its distinct cells, each row's index
        among them)."""
        if self.width == 1:
            return [distinct_codes(keys)]
        cells = list(zip(*keys)) if keys else [() for _ in range(self.width)]
        return [distinct_codes(column) for column in cells]

    def raw(self, key: Any) -> Any:
        """The key as readers._from_key reads it."""
        return key


# Distinct cells CodedKeys holds (over all columns) before it starts again: a file of a million
# different skill lists must not keep them all.
CODED_CELLS = 200_000


class CodedKeys:
    """Keys that are the codes of a row's cells (see the module's docstring).

    `tables[j]` finds the code of a cell of factor column j (a hash table _text.c keeps in a
    bytearray), `values[j]` lists the cells by code; both only grow, until `scan` starts them
    again (past CODED_CELLS) and bumps `generation`: keys made before then mean nothing after,
    so whoever caches by key must start again too. `text`: the C extension (text.native()).
    """

    def __init__(self, width: int, text: Any):
        self.width = width
        self.text = text
        self.generation = 0
        self.tables: list[bytearray] = [bytearray() for _ in range(width)]
        self.values: list[list] = [[] for _ in range(width)]

    def scan(self, lines: list[str], header_width: int, positions: tuple, offer: int, keep_quoted: bool) -> tuple:
        """_text.c's scan of a block of lines (records, keys, offers, cut rows, the first line
        not read), with new tables first when the old ones are full (new lists: a chunk read
        before keeps its own)."""
        if sum(map(len, self.values)) > CODED_CELLS:
            self.tables = [bytearray() for _ in range(self.width)]
            self.values = [[] for _ in range(self.width)]
            self.generation += 1
        return self.text.scan(lines, header_width, positions, offer, self.tables, self.values, keep_quoted)

    def code(self, rows: list[tuple]) -> list[bytes]:
        """Rows of raw cells (a tuple each) as keys."""
        return self.text.code_keys(rows, self.tables, self.values)

    def columns(self, keys: list) -> list[tuple[list, np.ndarray]]:
        """As RawKeys.columns, from the codes: each column's codes that occur, in order."""
        codes = np.frombuffer(b"".join(keys), dtype=np.int32).reshape(len(keys), self.width)
        columns = []
        for j, cells in enumerate(self.values):
            seen = np.zeros(len(cells), dtype=bool)
            seen[codes[:, j]] = True
            used = np.flatnonzero(seen)
            local = np.empty(len(cells), dtype=np.intp)
            local[used] = np.arange(len(used))
            columns.append((list(map(cells.__getitem__, used.tolist())), local[codes[:, j]]))
        return columns

    def raw(self, key: bytes) -> Any:
        cells = tuple(map(list.__getitem__, self.values, np.frombuffer(key, dtype=np.int32).tolist()))
        return cells[0] if self.width == 1 else cells


def raw_keys(keys: Any, new: dict) -> dict:
    """`new` (key -> outcome) with its keys as readers._from_key reads them."""
    return new if isinstance(keys, RawKeys) else {keys.raw(key): outcome for key, outcome in new.items()}

