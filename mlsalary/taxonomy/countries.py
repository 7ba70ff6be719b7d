"""Countries: a name, code or alias -> ISO 3166-1 alpha-2, and the name to show for a code.

Read from data/countries.json (pycountry's records, written at build time by build.py) and the
alias tables; pycountry itself only when its installed database differs from the index's.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

from mlsalary.taxonomy import tables
from mlsalary.taxonomy.labels import UnknownLabel, _answer, _as_text, _key, _suggest, _unique

# --------------------------------------------------------------------------------------------
# Public API: country
# --------------------------------------------------------------------------------------------

@functools.cache
def _country_alias_index() -> dict[str, str | None]:
    return {_key(label): code for label, code in tables.country_aliases().items()}


def _country_names(country: Mapping[str, str]) -> list[str]:
    names = [country["name"]]
    for field in ("common_name", "official_name"):
        value = country.get(field)
        if value and value not in names:
            names.append(value)
    return names


@functools.cache
def _country_name_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for country in tables.countries():
        for label in _country_names(country):
            index.setdefault(_key(label), country["alpha_2"])
    return index


@functools.cache
def _country_fields() -> dict[str, dict[str, str]]:
    """pycountry's own indexes, rebuilt from the country index: field -> lower-cased value ->
    alpha-2, in the order pycountry.countries.lookup() tries them (a later duplicate replaces an
    earlier one within a field, as in pycountry)."""
    indexes: dict[str, dict[str, str]] = {field: {} for field in tables.country_index()["fields"]}
    for country in tables.countries():
        for field, value in country.items():
            indexes[field][value.lower()] = country["alpha_2"]
    return indexes


def _country_lookup(value: str) -> str | None:
    # What pycountry.countries.lookup(value).alpha_2 gives: any field (code, numeric code, flag,
    # name, official or common name), case-insensitively; None where it raises LookupError.
    value = value.lower()
    for index in _country_fields().values():
        if value in index:
            return index[value]
    return None


@functools.cache
def _country_display_index() -> dict[str, str]:
    return {country["alpha_2"]: country.get("common_name") or country["name"] for country in tables.countries()}


@functools.cache
def _pycountry_fallback():
    """pycountry, imported only when its installed ISO 3166-1 database is not the one
    data/countries.json was made from (a newer pycountry): then a label the index does not
    resolve is looked up there too. None when the index is pycountry's database, as shipped."""
    import hashlib
    import importlib.util
    import os

    spec = importlib.util.find_spec("pycountry")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = os.path.join(list(spec.submodule_search_locations)[0], "databases", "iso3166-1.json")
    try:
        with open(path, "rb") as file:
            digest = hashlib.sha256(file.read()).hexdigest()
    except OSError:
        digest = None
    if digest == tables.country_index()["iso3166_1_sha256"]:
        return None
    import pycountry

    return pycountry


def normalize_country(label: object) -> str | None:
    """ISO 3166-1 alpha-2 code ("DE") of a country name or code; None for a non-answer.

    Resolves SO spellings, pycountry names/official names/common names, alpha-2 and alpha-3
    codes, and the aliases in COUNTRY_ALIASES. Raises UnknownLabel with name suggestions.
    """
    answer = _answer(label)
    if answer is None:
        return None
    text, key = answer
    alias_index, name_index = _country_alias_index(), _country_name_index()
    if key in alias_index:
        return alias_index[key]
    if key in name_index:
        return name_index[key]
    compact = key.replace(".", "").replace(" ", "")
    if compact.isalpha() and len(compact) in (2, 3):
        # pycountry.countries.get(alpha_2=compact.upper()) lower-cases the value it is given.
        code = _country_fields()["alpha_2" if len(compact) == 2 else "alpha_3"].get(compact.upper().lower())
        if code is not None:
            return code
    code = _country_lookup(text.strip())
    if code is not None:
        return code
    pycountry = _pycountry_fallback()
    if pycountry is not None:
        if compact.isalpha() and len(compact) in (2, 3):
            found = pycountry.countries.get(**{"alpha_2" if len(compact) == 2 else "alpha_3": compact.upper()})
            if found is not None:
                return found.alpha_2
        try:
            return pycountry.countries.lookup(text.strip()).alpha_2
        except LookupError:
            pass
    code = _country_by_words(key)
    if code is not None:
        return code
    raise UnknownLabel("country", text, list(_country_suggestions(key)))


@functools.lru_cache(maxsize=256)
def _country_suggestions(key: str) -> tuple[str, ...]:
    # Remembered: a typo is looked up twice (as a country, then as a place in a country).
    index = {**_country_name_index(), **{k: v for k, v in _country_alias_index().items() if v is not None}}
    return tuple(_suggest(key, index, country_name))


def _country_by_words(key: str) -> str | None:
    # Safe fuzzy search: accept a country when the label is a whole-word part of exactly one
    # country's names ("Micronesia", "Vatican City"). pycountry.search_fuzzy also matches
    # subdivisions ("Georgia" the US state), so it is not used. Ambiguous labels ("Congo",
    # "Guinea") and very short ones get no answer.
    if len(key) < 4:
        return None
    containing = [(name, code) for name, code in _country_name_index().items() if key in name]
    if not containing:
        return None
    pattern = re.compile(rf"(^|\W){re.escape(key)}($|\W)")
    codes = {code for name, code in containing if pattern.search(name)}
    return codes.pop() if len(codes) == 1 else None


def country_name(code: str) -> str:
    """Display name of a country code ("DE" -> "Germany"); also accepts any country label."""
    text = _as_text(code)
    alpha_2 = text.strip().upper() if text else ""
    display_names = tables.country_display_names()
    if alpha_2 in display_names:
        return display_names[alpha_2]
    found = _country_fields()["alpha_2"].get(alpha_2.lower()) if len(alpha_2) == 2 else None
    if found is None:
        resolved = normalize_country(code)
        if resolved is None:
            raise UnknownLabel("country", text or "", [], ())
        if resolved in display_names:
            return display_names[resolved]
        found = resolved
    names = _country_display_index()
    if found in names:
        return names[found]
    country = _pycountry_fallback().countries.get(alpha_2=found)  # only pycountry knows it
    return getattr(country, "common_name", None) or country.name


def _country_aliases() -> dict[str, list[str]]:
    table: dict[str, list[str]] = {}
    for country in tables.countries():
        table[country["alpha_2"]] = _unique([*_country_names(country), country["alpha_3"]])
    table.setdefault("XK", [])
    for label, code in tables.country_aliases().items():
        if code is not None and label != code:
            table[code].append(label)
    return {code: _unique(labels) for code, labels in sorted(table.items())}
