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
    """Up to three canonical values whose labels are closest to key, best first."""
    if not key or len(key) > 100:
        return []  # no label is that long; fuzzy matching it would only cost time
    import difflib  # only an unknown label needs it

    scored = []
    size = len(key)
    for candidate, value in index.items():
        # Cheap upper bounds of ratio() first (the lengths, then the shared characters): a
        # candidate they rule out could not reach 0.75, so the result is the same, only faster.
        if 2.0 * min(size, len(candidate)) / (size + len(candidate)) < 0.75:
            continue
        matcher = difflib.SequenceMatcher(None, key, candidate)
        if matcher.quick_ratio() < 0.75:
            continue
        ratio = matcher.ratio()
        if ratio >= 0.75:
            scored.append((ratio, value))
    scored.sort(key=lambda item: -item[0])
    suggestions: list[str] = []
    best = scored[0][0] if scored else 0.0
    for ratio, value in scored:
        # Keep only matches about as good as the best: a clear typo gets one answer.
        if ratio < best - 0.1:
            break
        shown = show(value)
        if shown not in suggestions:
            suggestions.append(shown)
        if len(suggestions) == 3:
            break
    return suggestions


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
