"""Column-wise validation and encoding of batch rows: the model matrix without a Profile per row.

A chunk's new profiles arrive as raw cells. Each column's distinct values are parsed once, by
the parser Profile.from_mapping uses (profile._cached_field), and encoded once, to the numbers
FeatureSchema.encode_profiles gives; the matrix is then assembled column by column with numpy
indexing. A role given as a title fills seniority when seniority is not given, as in
Profile.from_mapping.

Rows this cannot stand for exactly are flagged for the per-row path, Profile.from_mapping,
which stays the reference (tests/test_batch_columns.py checks that both give the same rows): a
row with a bad cell (its message names every bad field), a row with a location (it sets or
contradicts the country and shifts the estimate), and a value the schema has no code for.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from mlsalary.errors import InputError
from mlsalary.runtime.codes import distinct_codes
from mlsalary.runtime.features import OTHER_COUNTRY
from mlsalary.factors import NUMERIC_FACTORS
from mlsalary.profile import READ_FIELDS, PlaceCountry, _cached_field, pooled_reading, title_reading, value_reading

_BAD = object()  # a cell that does not parse: the row takes the per-row path


@dataclass
class Encoded:
    """A chunk's distinct rows, encoded. Rows flagged `slow` are left for the per-row path."""

    X: np.ndarray  # (rows, model columns)
    slow: np.ndarray  # (rows,) bool
    # Each row's country and role (canonical; None when not given), for the support columns:
    # codes into the distinct values.
    countries: list
    country_codes: np.ndarray
    roles: list
    role_codes: np.ndarray
    # How each row's words were read (Profile.readings, joined by "; "), "" for none; rows
    # flagged slow get theirs from their Profile.
    readings: list


def decode_json(key: Any) -> Any:
    """The JSON value behind a JSON Lines cell's key (see readers._hashable)."""
    kind, value = key
    return json.loads(value) if kind == "json" else value


def _ragged(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The indices starts[i], starts[i] + 1, ..., starts[i] + counts[i] - 1 of every i, in order."""
    total = int(counts.sum())
    return np.repeat(starts - (np.cumsum(counts) - counts), counts) + np.arange(total)


class ColumnEncoder:
    """Encodes the raw cells of a reader's factor columns into the model's matrix."""

    def __init__(self, schema, factors: tuple[str, ...], decode: Callable[[Any], Any] | None = None):
        self.schema = schema
        self.factors = factors  # the reader's columns, in the order of its keys
        self.decode = decode  # raw key -> the value Profile.from_mapping is given (JSON Lines)
        groups = schema.groups_
        self.column = {name: group[0] for name, group in groups.items()}
        self.skill_columns = np.array(groups["skills"], dtype=np.intp)  # X's column of each of schema.skills_
        self.skill_position = {skill: j for j, skill in enumerate(schema.skills_)}
        self.fixed = (
            (self.column["source"], float(schema.vocab_["source"][schema.reference_source_])),
            (self.column["year"], float(schema.reference_year_)),
        )

    def encode(self, columns: list[tuple[list, np.ndarray]], n: int) -> Encoded:
        """Encode `n` rows given as their factor columns, in the order of `factors`: each column's
        distinct cells and each row's index among them (keys.RawKeys.columns)."""
        schema = self.schema
        X = np.full((n, len(schema.columns_)), np.nan)
        for column, value in self.fixed:
            X[:, column] = value
        slow = np.zeros(n, dtype=bool)
        countries: list = [None]
        roles: list = [None]
        country_codes = role_codes = np.zeros(n, dtype=np.intp)
        levels = None  # a title's seniority code per row (NaN: none), when a role column is read
        read: dict[str, tuple[list, np.ndarray]] = {}  # field -> (each distinct value's reading, codes)
        for name, (distinct, codes) in zip(self.factors, columns):
            if name == "skills":
                # A listed skill is one the person has (1.0); an unlisted one is not stated (NaN).
                owner, skill, bad = self._skill_entries(distinct)
                # Each row gets the entries of its distinct cell: scattered into X, no table.
                order = np.argsort(owner, kind="stable")
                count = np.bincount(owner, minlength=len(distinct))
                per_row = count[codes]
                entries = order[_ragged(np.cumsum(count)[codes] - per_row, per_row)]
                X[np.repeat(np.arange(n), per_row), self.skill_columns[skill[entries]]] = 1.0
                slow |= bad[codes]
                continue
            parsed = [self._parse(name, value) for value in distinct]
            bad = np.fromiter((value is _BAD for value in parsed), dtype=bool, count=len(parsed))
            texts = self._readings(name, list(distinct), parsed)
            if any(texts):
                read[name] = (texts, codes)
            if name == "location":
                # A place sets or checks the country and has a wage table: the per-row path.
                bad = np.fromiter((value is not None for value in parsed), dtype=bool, count=len(parsed))
            elif name in NUMERIC_FACTORS:
                table = np.array([np.nan if value is None or value is _BAD else float(value) for value in parsed])
                X[:, self.column[name]] = table[codes]
            elif name == "role":
                vocab, level_vocab = schema.vocab_["role"], schema.vocab_["seniority"]
                table = np.full(len(parsed), np.nan)
                level_table = np.full(len(parsed), np.nan)
                for i, title in enumerate(parsed):
                    if title is None or title is _BAD:
                        continue
                    if title.role not in vocab or (title.seniority is not None and title.seniority not in level_vocab):
                        bad[i] = True  # no code: the per-row path (and encode_profiles) decide
                        continue
                    table[i] = vocab[title.role]
                    if title.seniority is not None:
                        level_table[i] = level_vocab[title.seniority]
                X[:, self.column["role"]] = table[codes]
                levels = level_table[codes]
                roles = [None if title is None or title is _BAD else title.role for title in parsed]
                role_codes = codes
            else:  # country and the categorical factors: a code each
                vocab = schema.vocab_[name]
                fallback = vocab.get(OTHER_COUNTRY) if name == "country" else None
                table = np.full(len(parsed), np.nan)
                for i, value in enumerate(parsed):
                    if value is None or value is _BAD:
                        continue
                    code = vocab.get(value, fallback)
                    if code is None:
                        bad[i] = True
                    else:
                        table[i] = code
                X[:, self.column[name]] = table[codes]
                if name == "country":
                    countries = [None if value is None or value is _BAD else str(value) for value in parsed]
                    country_codes = codes
            slow |= bad[codes]
        if levels is not None:
            # The title's level fills seniority when seniority is not given; a given one wins
            # (and says so: the per-row path words that reading).
            column = self.column["seniority"]
            slow |= ~np.isnan(levels) & ~np.isnan(X[:, column])
            X[:, column] = np.where(np.isnan(X[:, column]), levels, X[:, column])
        return Encoded(X, slow, countries, country_codes, roles, role_codes, self._row_readings(read, n))

    def _readings(self, name: str, values: list, parsed: list) -> list:
        """The reading of each distinct value of a column (None: read as written), worded as
        Profile.readings words it."""
        if name == "role":
            return [title_reading(title) if title is not None and title is not _BAD else None for title in parsed]
        if name == "country":
            vocab = self.schema.vocab_["country"]
            return [
                "; ".join(t for t in (value.reading if isinstance(value, PlaceCountry) else None, pooled_reading(value) if value not in vocab else None) if t) or None
                if value is not None and value is not _BAD else None
                for value in parsed
            ]
        if name in READ_FIELDS:
            decode = self.decode or (lambda value: value)
            return [value_reading(name, decode(raw), value) if value is not _BAD else None for raw, value in zip(values, parsed)]
        return [None] * len(parsed)

    @staticmethod
    def _row_readings(read: dict[str, tuple[list, np.ndarray]], n: int) -> list:
        """Each row's readings joined in Profile.readings' order; "" for a row read as written."""
        order = [name for name in ("role", *READ_FIELDS, "country") if name in read]
        if not order:
            return [""] * n
        # Column by column over the rows (object arrays: the concatenation loops in C): a
        # reading joins the ones before it with "; " once one of them was not empty.
        joined = np.full(n, "", dtype=object)
        filled = np.zeros(n, dtype=bool)
        for name in order:
            texts, codes = read[name]
            plain = np.array([t or "" for t in texts], dtype=object)
            after = np.array(["; " + t if t else "" for t in texts], dtype=object)
            joined = joined + np.where(filled, after[codes], plain[codes])
            filled |= np.fromiter(map(bool, texts), dtype=bool, count=len(texts))[codes]
        return joined.tolist()

    def _parse(self, name: str, value: Any) -> Any:
        """The canonical value of one distinct cell, or _BAD."""
        try:
            return _cached_field(name, value if self.decode is None else self.decode(value))
        except InputError:
            return _BAD

    def _skill_entries(self, values: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Distinct skills cells -> (the cell of each entry, its skill's position in
        schema.skills_: a listed modelled skill), and whether each cell is bad.

        A CSV cell is a ';' list, whose skills are the union of its items' skills as
        parse_skills reads it (a bad item makes it bad). Items repeat across rows far more than
        whole lists do: each distinct item is parsed once, and the lists are taken apart and
        put back together with numpy.
        """
        n = len(values)
        bad = np.zeros(n, dtype=bool)
        owner: Any = []  # the cell of each item
        items: list[str] = []
        cells: list[int] = []  # cells parsed whole: not a ';' list (or JSON)
        if self.decode is None and all(type(value) is str for value in values):
            # CSV cells: every cell split on ';' in C (a cell without one is its one item,
            # which parses as the cell does).
            lists = list(map(str.split, values, itertools.repeat(";", n)))
            items = list(itertools.chain.from_iterable(lists))
            owner = np.repeat(np.arange(n, dtype=np.intp), np.fromiter(map(len, lists), dtype=np.intp, count=n))
        else:
            for i, value in enumerate(values):
                if self.decode is None and type(value) is str and ";" in value:
                    parts = value.split(";")
                    items += parts
                    owner += [i] * len(parts)
                else:
                    cells.append(i)
        found = [self._parse("skills", values[i]) for i in cells]
        if items:
            distinct, codes = distinct_codes(items)
            owner = np.asarray(owner, dtype=np.intp)
            item_skills = [self._parse("skills", item) for item in distinct]
            item_bad = np.fromiter((skills is _BAD or bool(getattr(skills, "left_out", ())) for skills in item_skills), dtype=bool, count=len(item_skills))
            bad |= np.bincount(owner, weights=item_bad[codes], minlength=n) > 0
        else:
            item_skills, owner, codes = [], np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
        for i, skills in zip(cells, found):
            bad[i] = skills is _BAD or bool(getattr(skills, "left_out", ()))  # left-out skills: the per-row path says so
        # Each whole cell and each distinct item -> its modelled skills' positions, flattened.
        owner = np.concatenate([np.array(cells, dtype=np.intp), owner])
        codes = np.concatenate([np.arange(len(cells), dtype=np.intp), codes + len(cells)])
        positions = [self._columns_of(skills) for skills in found + item_skills]
        counts = np.array([len(c) for c in positions], dtype=np.intp)
        flat = np.array([j for c in positions for j in c], dtype=np.intp)
        per = counts[codes]  # positions each item (or whole cell) brings
        return np.repeat(owner, per), flat[_ragged(np.cumsum(counts)[codes] - per, per)], bad

    def _columns_of(self, skills: Any) -> list[int]:
        if skills is None or skills is _BAD:
            return []
        position = self.skill_position
        return [position[s] for s in skills if s in position]
