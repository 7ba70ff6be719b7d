"""Batch's per-row text work: the C extension (_text.c) where it was built, else Python that
gives the same (MLSALARY_PURE=1 turns the C off, as for the forest: the tests compare both)."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from mlsalary.runtime.forest import c_allowed


def _built():
    try:
        from mlsalary.batch import _text

        return _text
    except ImportError:  # not built: no C compiler where mlsalary was installed
        return None


_native = _built()


def native() -> Any:
    """The C extension, or None: not built, or MLSALARY_PURE set (forest.c_allowed)."""
    return _native if c_allowed() else None


def join_rows(pieces: list, n: int, whole: bool = False) -> Any:
    """Row i of `n`: the pieces concatenated, each a str (the same in every row) or a list of
    n str (row i takes item i). The list of rows, or with `whole` their concatenation."""
    c = native()
    if c is not None:
        return c.join_rows(pieces, n, whole)
    columns = [itertools.repeat(piece, n) if type(piece) is str else piece for piece in pieces]
    rows = list(map("".join, zip(*columns))) if columns else [""] * n
    return "".join(rows) if whole else rows


def int_texts(values: np.ndarray) -> list[str]:
    """Each of a 1-dimensional int64 array as str() writes it."""
    c = native()
    if c is not None:
        return c.int_texts(np.ascontiguousarray(values, dtype=np.int64))
    return list(map(str, values.tolist()))
