"""The input contract: a `Profile` of factors, validated once at the boundary.

The factor names are at once the options of `mlsalary estimate` and the column names of
`mlsalary batch`. Every factor is optional; an omitted one is *unknown*, which the model
handles as missing (as it was missing for whole sources in training).
"""

from __future__ import annotations

import math
import re
from dataclasses import Field, field, make_dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Mapping

from mlsalary import taxonomy
from mlsalary.errors import InputError, show_value  # noqa: F401  (show_value: re-exported)

# The factors are written down once, in the registry; these names are re-exported for callers.
from mlsalary.factors import BY_NAME, CATEGORICAL_FACTORS, FACTOR_HELP, FACTORS, FIELDS, NUMERIC_FACTORS, NUMERIC_LIMITS, REGISTRY  # noqa: F401

_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")

# The survey's own spellings at the ends of its year scales; accepted as input too.
YEARS_TEXT = {"less than 1 year": 0.5, "more than 50 years": 51.0}
# Years as people write them in spreadsheets: "6 years", "6 yrs", "10+" (read as 10), "5-7" or
# "5 to 7 years" (read as the middle). Anchored, with bounded repeats: linear in the input.
_YEARS_WRITTEN = re.compile(
    r"(?P<low>[0-9]{1,3}(?:\.[0-9]{1,2})?) ?(?:(?P<plus>\+)|(?:-|–|—| - | to )(?P<high>[0-9]{1,3}(?:\.[0-9]{1,2})?))? ?"
    r"(?:years?|yrs?\.?|y)?( of experience)?",
    re.IGNORECASE,
)
# Non-answers in numeric survey columns: unknown, as an empty cell.
NO_ANSWER_NUMBERS = frozenset({"na", "n/a", "nan", "none", "null"})


class _ProfileMethods:
    """What a Profile does; its fields (one per registry factor) are made by `_profile_class`."""

    __slots__ = ()

    if TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any: ...

    @property
    def unknown_factors(self) -> list[str]:
        return [name for name in FACTORS if getattr(self, name) is None]

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for factor in REGISTRY:
            value = getattr(self, factor.name)
            if factor.kind == "place":
                if value is None:
                    continue  # only when given: the factors' keys stay as they were
                value = value.name
            elif factor.kind == "skills" and value is not None:
                value = list(value)
            out[factor.name] = value
        return out

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> "Profile":
        """Validate raw user values (strings from CLI/CSV, or JSON values) into a Profile.

        Raises InputError naming every bad field (one line). Empty strings and None are unknown.
        Keys that are not factors are ignored (batch keeps them as passthrough columns).

        A role may be a job title with a level in it ("Senior ML Engineer"): the level fills
        seniority unless seniority is given, and the reading is kept in `readings`.
        """
        values: dict[str, Any] = {}
        errors: list[InputError] = []
        notes: list[str] = []
        mode, place_text = _work_mode(raw.get("location"))
        for name in FIELDS:
            try:
                # A country given beside a place decides between places of one name.
                near = str(values["country"]) if name == "location" and values.get("country") is not None else None
                parsed = _cached_field(name, place_text if name == "location" else raw.get(name), near)
            except InputError as error:
                if name == "location" and mode is not None:  # "Remote - EMEA": the work arrangement stands
                    notes.append(f"left out {show_value(place_text)} of the location: {error}")
                    continue
                # Kept without its traceback, which holds this frame, which holds `errors`: a
                # reference cycle that would keep every caller's frame alive (batch runs with
                # the cyclic garbage collector off).
                errors.append(error.with_traceback(None))
                continue
            if parsed is not None:
                values[name] = parsed
        place = values.pop("location", None)
        if place is not None and not errors:
            try:
                _place(values, place, raw.get("location"))
            except InputError as error:
                errors.append(error.with_traceback(None))
        if errors:
            if len(errors) == 1:
                raise errors.pop()  # (not left in `errors`: the same cycle)
            raise InputError(", ".join(e.field for e in errors), "; ".join(str(e) for e in errors))
        readings = _readings(raw, values)
        if isinstance(values.get("country"), PlaceCountry):
            readings += (values["country"].reading,)
            values["country"] = str(values["country"])
        if place is not None and place.reading:
            readings += (place.reading,)
        if mode is not None:
            given = values.get("remote")
            if given is None:
                values["remote"] = mode
                readings += (f"read {show_value(raw.get('location'))} as {mode} work" + (f" in {show_value(place_text)}" if place_text else ""),)
            elif given != mode:
                readings += (f"remote {given} as given: the location {show_value(raw.get('location'))} says {mode}, and an explicit remote wins",)
        return cls(**values, readings=readings + tuple(notes))  # type: ignore[call-arg, return-value]


# A work arrangement written in the location cell, as job posts and HR exports write it:
# "Remote", "Remote - US", "Hybrid (NYC)", "Austin, TX (remote)", "Berlin / on-site".
_MODE = r"(?:fully\s+|100%\s+)?(remote|hybrid|on[- ]?site|in[- ]office|in[- ]person|wfh)"
_MODE_FIRST = re.compile(rf"\s*{_MODE}(?!\w)\s*[-\u2013\u2014:/,|(]?\s*([^()]*?)\s*\)?\s*", re.I)
_MODE_LAST = re.compile(rf"\s*([^()]*?)\s*[-\u2013\u2014/,|(]\s*{_MODE}\s*\)?\s*", re.I)
_MODES = {"remote": "remote", "wfh": "remote", "hybrid": "hybrid"}  # the rest: in-person


def _work_mode(text: Any) -> tuple[str | None, Any]:
    """(the remote value a location cell states, the place left) or (None, the cell)."""
    if not isinstance(text, str) or len(text) > 200:
        return None, text
    first = _MODE_FIRST.fullmatch(text)
    last = None if first else _MODE_LAST.fullmatch(text)
    if first is not None:
        word, place = first.group(1), first.group(2)
    elif last is not None:
        place, word = last.group(1), last.group(2)
    else:
        return None, text
    return _MODES.get(word.lower(), "in-person"), place.strip(" -,/|")


_FIELD_TYPES = {"years": "float | None", "category": "str | None", "country": "str | None", "skills": "tuple[str, ...] | None", "place": "Location | None"}


def _profile_class() -> type:
    # One field per registry factor, None meaning unknown (country: ISO 3166-1 alpha-2; a
    # place: a US OEWS area, which implies country US). `readings` say how values given in
    # other words were read ("read 'Senior ML Engineer' as role ml-engineer, seniority
    # senior"): shown with the estimate, never part of what is estimated or compared.
    fields: list[tuple[str, str, Any]] = [(f.name, _FIELD_TYPES[f.kind], field(default=None)) for f in REGISTRY]
    fields.append(("readings", "tuple[str, ...]", field(default=(), compare=False, repr=False)))
    cls = make_dataclass("Profile", fields, bases=(_ProfileMethods,), frozen=True)
    cls.__module__ = __name__
    cls.__doc__ = "A validated, canonical set of factors (one field per registry factor). `None` means unknown."
    return cls


if TYPE_CHECKING:

    class Profile(_ProfileMethods):
        # For the type checker: a dataclass whose fields are the registry's factors.
        __dataclass_fields__: ClassVar[dict[str, Field[Any]]]
        readings: tuple[str, ...]

        def __init__(self, **values: Any) -> None: ...

        def __getattr__(self, name: str) -> Any: ...

else:
    Profile = _profile_class()


def _place(values: dict[str, Any], place: Any, text: Any) -> None:
    """A resolved location: a US area implies country US; a place elsewhere gives its country.
    A location in another country than an explicitly given one is an error."""
    given = values.get("country")
    if given is not None and given != place.country:
        where = f" ({place.location.label})" if place.location is not None else ""
        raise InputError("location", f"location {show_value(text)}{where} is in {place.country}, but country is {given}; give one or make them agree")
    values["country"] = place.country
    if place.location is not None:
        values["location"] = place.location


def _readings(raw: Mapping[str, Any], values: dict[str, Any]) -> tuple[str, ...]:
    """Resolve a title's role and level into values; say how words were read (each field's
    reading is value_reading's, which batch computes once per distinct value)."""
    readings: list[str] = []
    title = values.get("role")
    if isinstance(title, taxonomy.TitleReading):
        values["role"] = title.role
        given = values.get("seniority")
        text = title_reading(title, given)
        if text:
            readings.append(text)
        if title.seniority is not None:
            if given is None:
                values["seniority"] = title.seniority
            elif given != title.seniority:
                readings.append(
                    f"seniority {given} as given: the title {show_value(title.text)} says "
                    f"{title.level_word!r} ({title.seniority}), and an explicit seniority wins"
                )
    skills = values.get("skills")
    if isinstance(skills, Skills):
        readings.append(f"left out skill(s) {', '.join(skills.left_out)}: not among the skills the surveys record")
        values["skills"] = tuple(skills) or None
    for name in (*NUMERIC_FACTORS, "seniority", "education"):
        text = value_reading(name, raw.get(name), values.get(name))
        if text:
            readings.append(text)
    return tuple(readings)


# The fields whose readings value_reading gives, in the order Profile.readings lists them.
READ_FIELDS = (*NUMERIC_FACTORS, "seniority", "education")


def pooled_reading(country: str) -> str:
    """The reading of a country the model pools with others (Estimator.pooled_reading says when)."""
    return (
        f"{taxonomy.country_name(country)} ({country}) has too few survey respondents for a range of its own: "
        "pooled with the other such countries"
    )


def title_reading(title: Any, given_seniority: str | None = None) -> str | None:
    """How a job title was read ("read 'Senior ML Engineer' as role ml-engineer, seniority
    senior"), or None for a plain role."""
    if not isinstance(title, taxonomy.TitleReading) or title.is_plain:
        return None
    text = f"read {show_value(title.text)} as role {title.role}"
    if title.seniority is not None and (given_seniority is None or given_seniority == title.seniority):
        text += f", seniority {title.seniority}"
    return text + (f" ({title.note})" if title.note else "")


def value_reading(name: str, given_text: Any, value: Any) -> str | None:
    """How one field's text was read, when it was not written as the value itself: years
    ("6 years", "10+", "5-7"), a level or a degree in other words. None otherwise."""
    if not isinstance(given_text, str) or not given_text.strip() or value is None:
        return None  # (a blank cell: a value filled from elsewhere, a title's level, is not its reading)
    if name in NUMERIC_FACTORS:
        if _NUMBER.fullmatch(given_text.strip(" \t")):
            return None
        match = _YEARS_WRITTEN.fullmatch(_spaced(given_text))
        if match is None:
            return None
        how = " (at least that many)" if match["plus"] else " (the middle of the range)" if match["high"] else ""
        return f"read {show_value(given_text.strip())} as {name} {value:g} years{how}"
    if name in _PLAIN_KEYS and taxonomy._key(given_text) not in _PLAIN_KEYS[name]:
        return f"read {show_value(given_text.strip())} as {name} {value}"
    return None


def _plain_keys(name: str) -> frozenset[str]:
    # The canonical values and the source codes people copy (EN/MI/SE/EX): no reading shown.
    keys = {taxonomy._key(v) for v in taxonomy.FACTOR_VALUES[name]}
    if name == "seniority":
        keys |= {"en", "mi", "se", "ex"}
    return frozenset(keys)


_PLAIN_KEYS = {name: _plain_keys(name) for name in ("seniority", "education")}


def _cached_field(name: str, value: Any, country: str | None = None) -> Any:
    """_parse_field, with the answer for a short text remembered (batch files repeat values).
    `country`: the one given beside a location."""
    if type(value) is str and len(value) <= _CACHED_LENGTH:
        parsed = _FIELD_CACHE.get((name, value, country), _MISSING)
        if parsed is _MISSING:
            try:
                parsed = _parse_field(name, value, country)
            except InputError as error:
                parsed = _Invalid(str(error))
            if len(_FIELD_CACHE) >= _FIELD_CACHE_SIZE:
                _FIELD_CACHE.clear()  # bounded memory, whatever the input
            _FIELD_CACHE[(name, value, country)] = parsed
        if type(parsed) is _Invalid:
            raise InputError(name, parsed.message)
        return parsed
    return _parse_field(name, value, country)


def _parse_field(name: str, value: Any, country: str | None = None) -> Any:
    """The canonical value of one raw field; None for blank or a survey non-answer ("NA")."""
    if _is_blank(value):
        return None
    kind = BY_NAME[name].kind
    if kind == "years":
        if isinstance(value, str) and value.strip().lower() in NO_ANSWER_NUMBERS:
            return None
        return parse_years(name, value)
    if kind == "skills":
        return parse_skills(value)
    if kind == "country":
        try:
            return _normalize(name, value, taxonomy.normalize_country)
        except InputError as error:
            return _country_of_place(value, error)
    if kind == "place":
        if not isinstance(value, str):
            raise InputError(name, f"{name} must be text, got {show_value(value)}")
        from mlsalary import locations

        return locations.resolve(value, country=country)
    if name == "role":  # a job title may carry a level too
        return _qualified(name, value, taxonomy.read_title)
    if name == "education":
        return _qualified(name, value, lambda v: taxonomy.normalize(name, v))
    return _normalize(name, value, lambda v: taxonomy.normalize(name, v))


# A qualifier in parentheses or brackets: "Staff Software Engineer (ML)", "BSc (Hons)", "PhD (CS)".
_QUALIFIER = re.compile(r"\([^()]{0,80}\)|\[[^\[\]]{0,80}\]")


def _qualified(name: str, value: Any, normalize) -> Any:
    """A title or a degree as people write them: read whole, else without its qualifiers in
    parentheses, else (a degree) by its first word ("MS CS", "B.Tech CSE"); how it was read is
    said. Only a value that cannot be read any of these ways is an error."""
    try:
        return _normalize(name, value, normalize)
    except InputError as error:
        if not isinstance(value, str) or len(value) > 200:
            raise
        bare = " ".join(_QUALIFIER.sub(" ", value).split())
        tries = [bare] if bare and bare != value.strip() else []
        if name == "education" and len(bare.split()) > 1:
            tries.append(bare.split()[0])
        for text in tries:
            try:
                found = normalize(text)
            except taxonomy.UnknownLabel:
                continue
            if isinstance(found, taxonomy.TitleReading):
                note = f"without {show_value(' '.join(_QUALIFIER.findall(value)) or value.strip())}"
                return taxonomy.TitleReading(value.strip(), found.role, found.seniority, found.level_word, "; ".join(n for n in (found.note, note) if n))
            return found
        raise error


class PlaceCountry(str):
    """A country read from a place name given as the country ("Berlin" -> "DE"), with the
    reading to show; the model sees only the ISO code."""

    reading: str


def _country_of_place(value: Any, error: InputError) -> str:
    """--country Berlin: the city's country, said in a reading; a US place points to
    --location. Anything else keeps the country error."""
    if not isinstance(value, str):
        raise error
    from mlsalary import locations
    from mlsalary.errors import MlsalaryError

    try:
        # A near-miss of a country ("Germny") is a typo, not a city's other name ("Munich" for
        # München), whose index takes most of a second to build: look up only cities' own names.
        place = locations.resolve(value, other_names=not error.suggestions)
    except MlsalaryError:
        raise error from None
    if place.location is not None:
        raise InputError(
            "country",
            f"{show_value(value)} is a place in the US, not a country: give --location {show_value(value)} (or --country US)",
        )
    if place.country == "US" or not place.reading:
        raise error
    code = PlaceCountry(place.country)
    code.reading = f"country: {place.reading}"
    return code


class _Invalid:
    __slots__ = ("message",)

    def __init__(self, message: str):
        self.message = message


_MISSING = object()
_CACHED_LENGTH = 512  # longer values are rare and not worth keeping
_FIELD_CACHE_SIZE = 50_000
_FIELD_CACHE: dict[tuple[str, str, str | None], Any] = {}  # (field, text, country beside a location)


def _is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    if isinstance(value, (list, tuple)):
        return len(value) == 0  # an empty list says nothing about skills: unknown
    if isinstance(value, float):
        return math.isnan(value)  # pandas/JSON NaN for an empty cell
    return False


def _spaced(text: str) -> str:
    # ASCII spaces and tabs only: other white space ("5\u2028") is no way to write a number.
    return re.sub(r"[ \t]+", " ", text.strip(" \t"))


def years_written(text: str) -> float | None:
    """The number of years in "6 years", "10+" or "5-7" (the middle); None for anything else."""
    if len(text) > 40:
        return None
    match = _YEARS_WRITTEN.fullmatch(_spaced(text))
    if match is None:
        return None
    low = float(match["low"])
    return (low + float(match["high"])) / 2 if match["high"] else low


def parse_years(name: str, value: Any) -> float:
    limit = NUMERIC_LIMITS[name]
    if isinstance(value, bool):
        raise InputError(name, f"{name} must be a number of years between 0 and {limit:g}, got {value!r}")
    if isinstance(value, str) and value.strip().lower() in YEARS_TEXT:
        return YEARS_TEXT[value.strip().lower()]
    # float() alone would also take "1_0", "٥" or "5\u2028": a number here is plain ASCII.
    if isinstance(value, str) and not _NUMBER.fullmatch(value.strip(" \t")):
        written = years_written(value)
        if written is None:
            raise InputError(name, f"{name} must be a number of years between 0 and {limit:g} (or '6 years', '10+', '5-7'), got {show_value(value)}")
        value = written
    try:
        number = float(value.strip(" \t")) if isinstance(value, str) else float(value)
    except (TypeError, ValueError, OverflowError):
        raise InputError(
            name, f"{name} must be a number of years between 0 and {limit:g}, got {show_value(value)}"
        ) from None
    if not math.isfinite(number) or number < 0 or number > limit:
        raise InputError(
            name, f"{name} must be a number of years between 0 and {limit:g}, got {show_value(value)}"
        )
    return number


def parse_skills(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        items = [value]
    elif isinstance(value, (list, tuple)):
        items = list(value)
        for item in items:
            if not isinstance(item, str):
                raise InputError("skills", f"skills must be a list of names, got {show_value(item)} in it")
    else:
        raise InputError("skills", f"skills must be a list of names, got {show_value(value)}")
    labels: list[str] = []
    for item in items:
        for part in item.split(";"):
            part = part.strip()
            if not part:
                continue
            # ',' separates skills too, but some survey labels contain one ("Linode, now Akamai").
            if "," in part and (len(part) > 100 or not _is_skill(part)):
                labels.extend(p.strip() for p in part.split(",") if p.strip())
            else:
                labels.append(part)
    # A skill the data does not record ("Leadership", a typo) is left out and said, never the
    # row's error: skills columns in real exports carry soft skills.
    known: set[str] = set()
    unknown: list[str] = []
    for label in dict.fromkeys(labels):
        slug = taxonomy.skill_slug(label)
        if slug:
            known.add(slug)
        elif slug is None:
            unknown.append(label)
    if not unknown:
        return tuple(sorted(known))
    left_out = []
    for label in unknown[:NAMED_LEFT_OUT]:  # the "did you mean" search costs: the first few only
        try:
            taxonomy.normalize_skill(label)
            suggestions: tuple[str, ...] = ()
        except taxonomy.UnknownLabel as error:
            suggestions = tuple(error.suggestions[:2])
        left_out.append(show_value(label) + (f" (did you mean {', '.join(repr(s) for s in suggestions)}?)" if suggestions else ""))
    if len(unknown) > NAMED_LEFT_OUT:
        left_out.append(f"{len(unknown) - NAMED_LEFT_OUT:,} more")
    found = Skills(sorted(known))
    found.left_out = tuple(left_out)
    return found


NAMED_LEFT_OUT = 5


class Skills(tuple):
    """Skills read from a list, with the labels left out because no source records them; the
    model sees only the tuple."""

    left_out: tuple[str, ...] = ()


def _is_skill(label: str) -> bool:
    try:
        taxonomy.normalize_skill(label)
        return True
    except taxonomy.UnknownLabel:
        return False


def _normalize(name: str, value: Any, normalize) -> Any:
    if name != "skills" and not isinstance(value, str):
        raise InputError(name, f"{name} must be text, got {show_value(value)}")
    try:
        result = normalize(value)
    except taxonomy.UnknownLabel as error:
        raise InputError(name, str(error), tuple(error.suggestions)) from None
    return result

