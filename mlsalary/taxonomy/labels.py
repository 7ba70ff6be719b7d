"""What every table's matching shares: the one-line UnknownLabel error, the comparison key
(case, accents, apostrophes, separators ignored) and near-match suggestions."""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Iterable

from mlsalary.taxonomy import tables

# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------

_MAX_LISTED = 10


class UnknownLabel(ValueError):
    """A label that no table maps. ``str(e)`` is one line that names the closest values."""

    def __init__(self, factor: str, value: str, suggestions: list[str] | None = None, valid: Iterable[str] = ()):
        self.factor = factor
        self.value = value
        self.suggestions = list(suggestions or [])[:3]
        noun = "skill" if factor == "skills" else factor
        head = f"unknown {noun} {_show(value)}"
        if self.suggestions:
            quoted = [f"'{s}'" for s in self.suggestions]
            options = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
            message = f"{head}; did you mean {options}?"
        else:
            listed = list(valid)
            if not listed:
                message = f"{head}; see `mlsalary options {factor}`"
            elif len(listed) > _MAX_LISTED:
                message = f"{head}; valid values: {', '.join(listed[:_MAX_LISTED])}, …, see `mlsalary options {factor}`"
            else:
                message = f"{head}; valid values: {', '.join(listed)}"
        super().__init__(message)


_MAX_SHOWN = 60


def _show(value: object) -> str:
    # repr() keeps the message on one line and escapes control characters and lone surrogates
    # (they must not reach a terminal); a long value is cut, so a message stays one short line.
    text = value if isinstance(value, str) else str(value)
    if len(text) > _MAX_SHOWN:
        return repr(text[: _MAX_SHOWN - 3])[:-1] + "...'"
    return repr(text)


# --------------------------------------------------------------------------------------------
# Matching keys
# --------------------------------------------------------------------------------------------

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "–": "-", "—": "-"})


_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")


def _key(label: str) -> str:
    """Comparison key: case, accents, apostrophes, '-'/'_' vs space and thousands commas ignored."""
    text = label.translate(_APOSTROPHES)
    if text.isascii():  # most labels: no accents to strip, and casefold() is lower()
        text = text.lower()
    else:
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    if "," in text:
        text = _THOUSANDS.sub("", text)  # "10,000" -> "10000"
    # Runs of '-', '_' and whitespace become one space; str.split() and the regex \s agree on
    # what whitespace is (Py_UNICODE_ISSPACE).
    return " ".join(text.replace("-", " ").replace("_", " ").split())


def _as_text(label: object) -> str | None:
    """The label as text, or None for a missing value (None, float NaN)."""
    if label is None:
        return None
    if isinstance(label, float):
        if math.isnan(label):
            return None
        return str(int(label)) if label.is_integer() else str(label)
    return label if isinstance(label, str) else str(label)


def _suggest(key: str, index: dict[str, str], show=lambda value: value) -> list[str]:
    """Up to three canonical values whose labels are closest to key, best first.

    A file of free text can hold thousands of distinct unreadable values, so the search is
    rapidfuzz's (compiled, over choices prepared once per index) and each answer is kept for the
    next row with the same value.
    """
    if not key or len(key) > 100:
        return []  # no label is that long; fuzzy matching it would only cost time
    cache_key = (id(index), id(show), key)
    cached = _SUGGESTIONS.get(cache_key)
    if cached is not None and cached[0] is index:
        return list(cached[1])
    choices, values = _choices(index)
    matches = _ranked(key, choices, 0.75)
    suggestions: list[str] = []
    best = matches[0][1] if matches else 0.0
    for _, score, position in matches:
        # Keep only matches about as good as the best: a clear typo gets one answer.
        if score < best - 10:
            break
        shown = show(values[position])
        if shown not in suggestions:
            suggestions.append(shown)
        if len(suggestions) == 3:
            break
    if len(_SUGGESTIONS) >= MAX_CACHED_SUGGESTIONS:
        _SUGGESTIONS.clear()
    _SUGGESTIONS[cache_key] = (index, tuple(suggestions))
    return suggestions


def close_matches(key: str, choices: list[str], n: int = 3, cutoff: float = 0.8) -> list[str]:
    """Up to n choices at least `cutoff` similar to key, best first (difflib.get_close_matches'
    contract, with rapidfuzz's compiled similarity)."""
    return [choice for choice, _, _ in _ranked(key, choices, cutoff)[:n]]


def _ranked(key: str, choices: list[str], cutoff: float) -> list[tuple[str, float, int]]:
    """(choice, score 0-100, position) of the choices at least `cutoff` similar to key, best
    first, ties in choice order. Similarity is 2 x matching characters / total length, as
    difflib's ratio (rapidfuzz's, compiled: an unreadable value costs microseconds)."""
    from rapidfuzz import fuzz, process  # only an unknown label needs it

    matches = process.extract(key, choices, scorer=fuzz.ratio, score_cutoff=100 * cutoff, limit=None)
    matches.sort(key=lambda match: (-match[1], match[2]))
    return matches


MAX_CACHED_SUGGESTIONS = 100_000
_SUGGESTIONS: dict[tuple[int, int, str], tuple[dict[str, str], tuple[str, ...]]] = {}
_CHOICES: dict[int, tuple[dict[str, str], list[str], list[str]]] = {}


def _choices(index: dict[str, str]) -> tuple[list[str], list[str]]:
    """The index's labels and their values as lists, prepared once per index (indexes are built
    once per process)."""
    prepared = _CHOICES.get(id(index))
    if prepared is None or prepared[0] is not index or len(prepared[1]) != len(index):
        prepared = (index, list(index), list(index.values()))
        _CHOICES[id(index)] = prepared
    return prepared[1], prepared[2]


@functools.cache
def _no_answer_keys() -> frozenset[str]:
    return frozenset(_key(label) for label in tables.no_answer_labels())


def _answer(label: object) -> tuple[str, str] | None:
    """(text, matching key) of a label, or None for a non-answer: None, NaN, or a label of
    no_answer.csv ("", "NA", "Prefer not to say", ...)."""
    text = _as_text(label)
    if text is None:
        return None
    key = _key(text)
    return None if key in _no_answer_keys() else (text, key)


def _unique(labels: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for label in labels:
        if label not in seen:
            seen.add(label)
            out.append(label)
    return out
