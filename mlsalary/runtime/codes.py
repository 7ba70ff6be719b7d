"""Distinct values and each value's code among them, with the loops in C.

Batch chunks hold tens of thousands of values per column (and calibration groups per row):
a Python loop per value would cost more than the work done for the distinct ones.
"""

from __future__ import annotations

import itertools
from typing import Sequence

import numpy as np


def distinct_codes(values: Sequence) -> tuple[list, np.ndarray]:
    """The distinct values (first seen first) and each value's index among them, with one
    hash look-up per value: setdefault keeps the position where a value was first seen."""
    first: dict = {}
    seen = np.fromiter(map(first.setdefault, values, itertools.count()), dtype=np.intp, count=len(values))
    rank = np.empty(len(values), dtype=np.intp)
    rank[np.fromiter(first.values(), dtype=np.intp, count=len(first))] = np.arange(len(first))
    return list(first), rank[seen]
