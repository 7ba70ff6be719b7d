"""Canonical taxonomy of every factor, and the mapping of every source label to it.

One package serves two callers:

* data harmonization maps the labels of each source (aijobs.net, Stack Overflow 2023/2024/2025,
  the subsets in shared/data and the official full ``survey_results_public.csv`` files) to one
  canonical value per factor, so a label from any survey year lands where training put it;
* user-input validation maps what a person types (a source label, the canonical value, or a
  short form such as "mle", "msc", "usa", "torch") to the same canonical value, and otherwise
  raises :class:`UnknownLabel` with a one-line message and close suggestions.

Matching ignores case, surrounding/repeated whitespace, the typographic apostrophe (SO writes
"Master’s", people type "Master's"), accents, ``-``/``_`` versus a space, and thousands commas
("10,000" = "10000").

The tables are data, the matching is code. The label tables (each canonical value with the labels
that map to it, level words, aijobs.net titles, skills, country aliases) are the CSV files in
``data/``, with a note where a choice was not obvious; ``data/README.md`` says where each table's
labels come from and how to add a label or a value. They are read on first use (tables.py), and
are also reachable as the module attributes they always were (``FACTOR_VALUES``, ``SKILLS``,
``LEVELS``, ``AIJOBS_TITLE_ROLES``, ...). Countries are resolved from ``data/countries.json``, an
index of pycountry's ISO 3166 records written at development time by ``python -m
mlsalary.taxonomy.build``; pycountry itself is imported only when its installed database differs
from the one the index was made from. The rules that are code stay here: numbered ladders (L5,
E4, "II"), keyword rules for unseen job titles, specialisations, employee-count bands. Import
stays light on purpose (standard library only): the CLI imports this for input validation before
any heavy library.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping

from mlsalary.taxonomy import tables
from mlsalary.taxonomy.countries import (  # noqa: F401  (re-exported: the taxonomy's public API)
    _country_alias_index,
    _country_aliases,
    _country_name_index,
    _pycountry_fallback,
    country_name,
    normalize_country,
)
from mlsalary.taxonomy.labels import _MAX_LISTED, _MAX_SHOWN, UnknownLabel, _answer, _as_text, _key, _no_answer_keys, _show, _suggest, _unique  # noqa: F401

# typing.TYPE_CHECKING without importing typing (a few milliseconds when nothing else has yet);
# mypy reads any name TYPE_CHECKING so.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


__all__ = [
    "FACTOR_VALUES",
    "SKILLS",
    "SKILL_CATEGORIES",
    "UnknownLabel",
    "aliases",
    "country_name",
    "normalize",
    "normalize_country",
    "normalize_skill",
    "normalize_skills",
    "read_title",
    "role_from_job_title",
    "skill_category",
]


# --------------------------------------------------------------------------------------------
# The tables, as module attributes read on first use
# --------------------------------------------------------------------------------------------

if TYPE_CHECKING:
    # Labels that mean "no answer" in every factor (data/no_answer.csv).
    NO_ANSWER_LABELS: tuple[str, ...]
    # Canonical value -> labels, per categorical factor (data/<factor>.csv).
    SENIORITY: dict[str, tuple[str, ...]]
    EDUCATION: dict[str, tuple[str, ...]]
    ROLE: dict[str, tuple[str, ...]]
    INDUSTRY: dict[str, tuple[str, ...]]
    COMPANY_SIZE: dict[str, tuple[str, ...]]
    REMOTE: dict[str, tuple[str, ...]]
    # THE level table: level words -> entry/mid/senior/executive (data/levels.csv).
    LEVELS: dict[str, str]
    # aijobs.net job_title -> role, for every title of the 2025-01-19 snapshot (data/aijobs_titles.csv).
    AIJOBS_TITLE_ROLES: dict[str, str]
    # Country labels pycountry does not resolve -> ISO alpha-2, None = not a country (data/country_aliases.csv).
    COUNTRY_ALIASES: dict[str, str | None]
    # Display names where pycountry's reads like a registry entry (data/country_display_names.csv).
    COUNTRY_DISPLAY_NAMES: dict[str, str]
    # Skill categories, one per SO column (data/skill_categories.csv), and the skills (data/skills.csv).
    SKILL_CATEGORIES: tuple[str, ...]
    _SKILL_ROWS: tuple[tuple[str, str, str, tuple[str, ...]], ...]
    SKILLS: dict[str, str]
    _SKILL_CATEGORY: dict[str, str]
    # The categorical factors' tables, and their canonical values in display order (the order
    # of each file: low to high for ordered factors).
    _FACTOR_TABLES: dict[str, dict[str, tuple[str, ...]]]
    FACTOR_VALUES: dict[str, tuple[str, ...]]
    _NO_ANSWER_KEYS: frozenset[str]


def _seniority_table() -> dict[str, tuple[str, ...]]:
    table = {level: list(labels) for level, labels in tables.label_table("seniority").items()}
    for word, level in tables.levels().items():
        table[level].append(word)
    return {level: tuple(labels) for level, labels in table.items()}


@functools.cache
def _factor_tables() -> dict[str, dict[str, tuple[str, ...]]]:
    return {name: _seniority_table() if name == "seniority" else tables.label_table(name) for name in tables.FACTOR_FILES}


@functools.cache
def _factor_values() -> dict[str, tuple[str, ...]]:
    return {name: tuple(table) for name, table in _factor_tables().items()}


@functools.cache
def _skills() -> dict[str, str]:
    return {slug: display for slug, display, _category, _labels in tables.skill_rows()}


@functools.cache
def _skill_categories() -> dict[str, str]:
    return {slug: category for slug, _display, category, _labels in tables.skill_rows()}


_LAZY: dict[str, Any] = {
    "NO_ANSWER_LABELS": tables.no_answer_labels,
    "SENIORITY": lambda: tables.label_table("seniority"),
    "EDUCATION": lambda: tables.label_table("education"),
    "ROLE": lambda: tables.label_table("role"),
    "INDUSTRY": lambda: tables.label_table("industry"),
    "COMPANY_SIZE": lambda: tables.label_table("company_size"),
    "REMOTE": lambda: tables.label_table("remote"),
    "LEVELS": tables.levels,
    "AIJOBS_TITLE_ROLES": tables.aijobs_titles,
    "COUNTRY_ALIASES": tables.country_aliases,
    "COUNTRY_DISPLAY_NAMES": tables.country_display_names,
    "SKILL_CATEGORIES": tables.skill_categories,
    "_SKILL_ROWS": tables.skill_rows,
    "SKILLS": _skills,
    "_SKILL_CATEGORY": _skill_categories,
    "_FACTOR_TABLES": _factor_tables,
    "FACTOR_VALUES": _factor_values,
    "_NO_ANSWER_KEYS": _no_answer_keys,
}


def __getattr__(name: str) -> Any:
    # PEP 562: a table is read when first asked for, then kept as a plain module attribute.
    loader = _LAZY.get(name)
    if loader is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = loader()
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


# --------------------------------------------------------------------------------------------
# Seniority: numbered ladders (the level words are data/levels.csv)
# --------------------------------------------------------------------------------------------

# Numbered ladders, read by the same table's logic:
#   * L/E/IC + number (Google L3-L10, Meta E3-E9): 3 and below entry (new grad), 4 mid,
#     5 senior, 6 staff, 7 senior staff, 8 principal, 9 distinguished, 10 and up executive.
#     Companies whose numbers start elsewhere (Amazon's L4 = SDE I) read one level high.
#   * Roman numerals at the end of a title ("ML Engineer II"): I entry, II mid, III-V senior.
LADDER_LEVELS: tuple[tuple[int, str], ...] = (
    (3, "entry"), (4, "mid"), (5, "senior"), (6, "staff"), (7, "senior-staff"), (8, "principal"), (9, "distinguished"),
)  # upper bounds
ROMAN_LEVELS: dict[str, str] = {"i": "entry", "ii": "mid", "iii": "senior", "iv": "senior", "v": "senior"}
_LADDER = re.compile(r"(?:l|e|ic)\s?(\d{1,2})")


def model_seniority(value: str | None) -> str | None:
    """The level the model knows for a seniority value. No survey records a level above senior
    (lead, staff, principal ...: the values between senior and executive in seniority.csv), so
    the model reads them as senior; the step above senior comes from the H-1B filings."""
    return "senior" if value in above_senior() else value


@functools.cache
def above_senior() -> tuple[str, ...]:
    """The seniority values between senior and executive, in ladder order."""
    order = _factor_values()["seniority"]
    return order[order.index("senior") + 1 : order.index("executive")]


def ladder_level(key: str) -> str | None:
    """Seniority of a ladder code ("L5", "e4", "IC6") or a Roman numeral ("II"); None otherwise."""
    match = _LADDER.fullmatch(key)
    if match:
        number = int(match.group(1))
        for upper, level in LADDER_LEVELS:
            if number <= upper:
                return level
        return "executive"
    return ROMAN_LEVELS.get(key)


# --------------------------------------------------------------------------------------------
# Role: keyword rules for job titles that data/aijobs_titles.csv does not list
# --------------------------------------------------------------------------------------------

# Ordered keyword rules for titles not in AIJOBS_TITLE_ROLES (newer aijobs files add titles).
# The first rule whose regex matches the normalized (lower-case, '-'/'_' -> space) title wins;
# the order encodes the same decisions as the explicit table: internships and executives first,
# then management, then the most specific specialties, then generic words.
KEYWORD_ROLE_RULES: tuple[tuple[str, str], ...] = (
    (r"\b(intern|internship|trainee|apprentice|working student|werkstudent|stagiaire)\b", "student"),
    (r"\b(chief|cto|ceo|cdo|cio|caio|vice president|vp|svp|evp)\b", "executive"),
    (r"\bproduct (manager|owner|lead|director)\b|\bhead of product\b", "product-manager"),
    (r"\b(project|program|programme|delivery) manager\b|\bscrum master\b", "project-manager"),
    (r"\b(sales|account executive|account manager|business development|marketing manager)\b(?!.*\banalyst\b)", "sales-marketing"),
    (r"\b(founder|co founder|cofounder)\b", "founder"),
    (r"\b(head of|director|manager|team lead)\b", "engineering-manager"),
    (r"\b(quant|quantitative|actuar\w*|risk analyst|pricing analyst)\b", "financial-analyst"),
    (r"\bapplied (research |machine learning |ml |ai )?scientist\b", "applied-scientist"),
    (r"\b(data scien\w*|decision scien\w*|statistician)\b", "data-scientist"),
    (r"\b(postdoc\w*|postdoctoral|post doctoral|professor|research assistant|research associate|phd)\b", "academic-researcher"),
    (r"\b(bioinformatic\w*|computational biolog\w*|biologist|chemist|physicist)\b", "scientist"),
    (r"\bresearch analyst\b", "data-analyst"),
    (r"\b(research scientist|research engineer|researcher|scientist)\b", "ml-researcher"),
    (r"\b(prompt engineer|ai developer|ai programmer|ai software|chatbot|conversational ai|llm developer|genai developer)\b", "ai-developer"),
    (r"\barchitect", "architect"),
    (r"\b(analyst|analista|statistical programmer|sas)\b", "data-analyst"),
    (r"\b(database|dba)\b", "dba"),
    (r"\b(data engineer\w*|analytics engineer|etl|elt|data pipeline|big data|data platform|data infrastructure|dataops|data integration|data warehouse|data modeler|databricks|spark|hadoop|data (\w+ )?(engineer|developer))\b", "data-engineer"),
    (r"\b(machine learning|ml|mlops|deep learning|computer vision|machine vision|nlp|natural language|llm|ai|artificial intelligence|genai|generative ai|reinforcement learning|algorithms?|member of technical staff)\b", "ml-engineer"),
    (r"\b(analytics|business intelligence|bi|power bi|tableau|reporting|visuali[sz]ation|insights?)\b", "data-analyst"),
    (r"\b(site reliability|sre)\b", "sre"),
    (r"\b(devops|dev ops|platform engineer|build engineer|release engineer)\b", "devops"),
    (r"\b(cloud|infrastructure)\b", "cloud"),
    (r"\b(security|secops|infosec|cyber\w*|penetration tester|pentester)\b", "security"),
    (r"\b(qa|quality assurance|test|tester|sdet)\b", "qa"),
    (r"\bfront ?end\b", "frontend"),
    (r"\bback ?end\b", "backend"),
    (r"\bfull ?stack\b", "full-stack"),
    (r"\b(mobile|ios|android)\b", "mobile"),
    (r"\b(embedded|firmware|robotic\w*)\b", "embedded"),
    (r"\b(game|gameplay|graphics)\b", "game"),
    (r"\b(hardware|electrical|electronics|technician|fpga|asic|controls engineer)\b", "hardware"),
    (r"\b(blockchain|web3|smart contract|solidity)\b", "blockchain"),
    (r"\b(systems? (administrator|admin|engineer)|sysadmin|administrator)\b", "sysadmin"),
    (r"\b(support|help ?desk|technical specialist)\b", "support"),
    (r"\b(consultant|consulting|advisor|solutions? engineer)\b", "consultant"),
    (r"\b(designer|ux|ui)\b", "designer"),
    (r"\b(developer advocate|devrel|developer relations|evangelist)\b", "developer-relations"),
    (r"\b(teacher|instructor|lecturer|educator|trainer)\b", "educator"),
    (r"\bdata\b", "data-analyst"),
    (r"\b(engineer|developer|programmer|software|swe|sde|coder|tech lead|technical lead)\b", "software-engineer"),
    (r"\b(lead|head)\b", "engineering-manager"),
    (r"\bwriter\b", "other"),
)


# --------------------------------------------------------------------------------------------
# Company size: a plain employee count
# --------------------------------------------------------------------------------------------


# Employee-count bands for a plain number typed by a user ("250" -> medium).
COMPANY_SIZE_BANDS: tuple[tuple[int, str], ...] = (
    (10, "micro"),
    (100, "small"),
    (1_000, "medium"),
    (10_000, "large"),
)


# Errors and matching keys: labels.py.

def _build_index(name: str, table: Mapping[str, Iterable[str]]) -> dict[str, str]:
    # Every canonical value matches itself; a key claimed by two values is a bug in the tables.
    index: dict[str, str] = {}
    for canonical, labels in table.items():
        for label in (canonical, *labels):
            key = _key(label)
            if index.get(key, canonical) != canonical:
                raise RuntimeError(f"taxonomy {name}: {label!r} maps to both {index[key]!r} and {canonical!r}")
            index[key] = canonical
    return index


def _role_table() -> dict[str, list[str]]:
    table = {canonical: list(labels) for canonical, labels in tables.label_table("role").items()}
    for title, role in tables.aijobs_titles().items():
        table[role].append(title)
    return table


# The look-up indexes are built on first use: `mlsalary --help` and `options` never need them.


@functools.cache
def _index(name: str) -> dict[str, str]:
    """One factor's index, built when a value of it is first read (a profile names few)."""
    index = _build_index(name, _role_table() if name == "role" else _factor_tables()[name])
    clash = _no_answer_keys() & set(index)
    if clash:
        raise RuntimeError(f"taxonomy {name}: {sorted(clash)} are both no-answer and a value")
    return index


def _indexes() -> dict[str, dict[str, str]]:
    return {name: _index(name) for name in _factor_tables()}


@functools.cache
def _skill_index() -> dict[str, str]:
    return _build_index("skills", {slug: (display, *labels) for slug, display, _category, labels in tables.skill_rows()})


@functools.cache
def _title_index() -> dict[str, str]:
    return {_key(title): role for title, role in tables.aijobs_titles().items()}


@functools.cache
def _keyword_rules() -> tuple:
    return tuple((re.compile(pattern), role) for pattern, role in KEYWORD_ROLE_RULES)


# --------------------------------------------------------------------------------------------
# Public API: categorical factors
# --------------------------------------------------------------------------------------------


def normalize(factor: str, label: object) -> str | None:
    """Canonical value of ``label`` for ``factor``; None for a non-answer.

    ``factor`` is one of _factor_values(), "country" (ISO alpha-2 result) or "skills" (slug).
    Raises UnknownLabel when nothing maps.
    """
    if factor == "country":
        return normalize_country(label)
    if factor == "skills":
        answer = _answer(label)
        return None if answer is None else normalize_skill(answer[0])
    if factor not in _factor_tables():
        raise ValueError(f"unknown factor {factor!r}; factors: {', '.join([*_factor_values(), 'country', 'skills'])}")
    answer = _answer(label)
    if answer is None:
        return None
    text, key = answer
    index = _index(factor)
    if key in index:
        return index[key]
    if factor == "remote":
        value = _remote_from_ratio(key)
        if value is not None:
            return value
    if factor == "company_size":
        value = _company_size_from_count(key)
        if value is not None:
            return value
    if factor == "seniority":
        value = ladder_level(key)
        if value is not None:
            return value
    raise UnknownLabel(factor, text, _suggest(key, index), _factor_values()[factor])


def _remote_from_ratio(key: str) -> str | None:
    # aijobs remote_ratio is a percentage; only 0/50/100 occur, but any share in between is
    # hybrid by definition.
    try:
        ratio = float(key.rstrip("%").strip())
    except ValueError:
        return None
    if ratio == 0:
        return "in-person"
    if ratio == 100:
        return "remote"
    if 0 < ratio < 100:
        return "hybrid"
    return None


def _company_size_from_count(key: str) -> str | None:
    # A plain employee count typed by a user ("250"): banded like the canonical values.
    # isascii: str.isdigit accepts digits (U+1369, U+10A40) that int() rejects.
    # More than 12 digits is no company (and int() refuses 4,301+ digits): not a count.
    if not (key.isascii() and key.isdigit()) or len(key) > 12 or int(key) < 1:
        return None
    count = int(key)
    for upper, value in COMPANY_SIZE_BANDS:
        if count < upper:
            return value
    return "enterprise"


def role_from_job_title(title: object) -> str | None:
    """aijobs.net free-text job title -> canonical role; None when no rule matches.

    The explicit AIJOBS_TITLE_ROLES table decides first, then KEYWORD_ROLE_RULES in order.
    """
    answer = _answer(title)
    if answer is None:
        return None
    key = answer[1]
    titles = _title_index()
    if key in titles:
        return titles[key]
    words = re.sub(r"[^\w&/+ ]", " ", key)
    for pattern, role in _keyword_rules():
        if pattern.search(words):
            return role
    return None


# Specialisations with too few rows in the data to be told apart: a title naming one is read as
# its nearest role, and the reading says so. (aijobs has e.g. ~100 computer-vision and ~50 NLP
# rows among 33,000, and SO has no such role; the training data files them as below.)
SPECIALISATIONS: tuple[tuple[str, str], ...] = (
    (r"computer vision|machine vision|\bcv\b", "computer vision"),
    (r"\bnlp\b|natural language", "NLP"),
    (r"\bspeech\b|\basr\b", "speech"),
    (r"\bllm\b|\bgenai\b|generative ai|\bgen ai\b", "generative AI"),
    (r"deep learning", "deep learning"),
    (r"reinforcement learning|\brl\b", "reinforcement learning"),
    (r"recommend\w*|\brecsys\b|\bsearch\b|\branking\b", "recommendation and search"),
    (r"\bmlops\b|ml platform|ml infra\w*", "MLOps"),
    (r"robotic\w*|autonomous|self driving", "robotics"),
)
# The role a specialisation title is read as, by its last word.
_SPECIALIST_ROLE = (
    (r"\b(scientist|researcher|research)\b", "ml-researcher"),
    (r"\b(engineer|developer|specialist|expert|programmer)\b", "ml-engineer"),
)


# Level words that name a kind of job as well: the training rules give these titles their role
# (intern -> student; head, director -> engineering-manager; VP, chief -> executive).
_INTERN_WORDS = frozenset({"intern", "internship"})
_ROLE_BEARING_LEVELS = frozenset({"intern", "internship", "trainee", "apprentice", "head", "director", "vp", "svp", "evp", "vice", "president", "chief"})


class TitleReading:
    """What a --role value or a title column said: a role, maybe a level, and how it was read."""

    __slots__ = ("text", "role", "seniority", "level_word", "note", "is_plain")

    def __init__(self, text: str, role: str, seniority: str | None = None, level_word: str | None = None,
                 note: str | None = None, *, is_plain: bool = False):
        self.text, self.role, self.seniority, self.level_word, self.note = text, role, seniority, level_word, note
        self.is_plain = is_plain  # the text is a role's own label: nothing to report


def _level_words(words: list[str]) -> tuple[str | None, str | None, list[str]]:
    """(seniority, the level words found, the other words) of a tokenised title.

    Two-word levels ("senior staff", "vice president") are matched first; Roman numerals count
    only as the last word; with several levels ("Senior Director") the highest wins.
    """
    order = _factor_values()["seniority"]
    levels = tables.levels()
    found: list[tuple[str, str]] = []
    rest: list[str] = []
    i = 0
    while i < len(words):
        pair = " ".join(words[i:i + 2]) if i + 1 < len(words) else None
        if pair is not None and pair in levels:
            found.append((pair, levels[pair]))
            i += 2
            continue
        word = words[i]
        level = levels.get(word)
        if level is None and (word not in ROMAN_LEVELS or i == len(words) - 1 and i > 0):
            level = ladder_level(word)
        if level is not None:
            found.append((word, level))
        else:
            rest.append(word)
        i += 1
    if not found:
        return None, None, rest
    best = max((level for _, level in found), key=order.index)
    return best, " ".join(word for word, _ in found), rest


def read_title(label: object) -> TitleReading | None:
    """A role (and a level when the text carries one) from a role value or a job title.

    "ml-engineer" -> ml-engineer; "Senior ML Engineer" -> ml-engineer, senior; "NLP Engineer"
    -> ml-engineer with a note that NLP is too thin in the data to be its own role. Titles are
    read with the rules that labelled the training rows (AIJOBS_TITLE_ROLES, then
    KEYWORD_ROLE_RULES), after the level words of LEVELS are set aside. A near miss of a known
    role ("data scientst") raises UnknownLabel with a suggestion instead of a guess.
    """
    answer = _answer(label)
    if answer is None:
        return None
    text, key = answer
    index = _index("role")
    if key in _role_alias_keys():
        # A role's own label (canonical value, survey label, short form) carries no level, even
        # when it holds a level word ("Senior Executive (C-Suite, VP, etc.)", "intern"): the
        # surveys that use these labels have no seniority, and training left it unknown.
        return TitleReading(text, index[key], is_plain=True)
    words = re.sub(r"[^\w&/+.]|(?<!\w)\.|\.(?!\w)", " ", key).split()
    seniority, level_word, rest = _level_words(words)
    core = " ".join(rest)
    role = index.get(key)
    intern = bool(level_word and set(level_word.split()) & _INTERN_WORDS)
    if role is None and intern and core:
        # "ML Intern": no survey records intern pay, so an internship in a role is read as that
        # role at entry level (with a note), never as a student; a bare "intern" stays a student.
        in_role = index.get(core) or role_from_job_title(core)
        role = in_role if in_role not in (None, "student") else None
    if role is None and (set(level_word.split()) & _ROLE_BEARING_LEVELS if level_word else False):
        # "Head of ML", "VP of Engineering", "ML Intern": the level word decides the role too,
        # as the rules that labelled the training titles say (managers, executives, students).
        role = role_from_job_title(text)
    if role is None and core:
        role = index.get(core)
    specialty = next((name for pattern, name in SPECIALISATIONS if re.search(pattern, " ".join(words))), None)
    if role is None and specialty is not None:
        role = next((r for pattern, r in _SPECIALIST_ROLE if re.search(pattern, core)), "ml-engineer")
    if role is None and len(core) >= 6:
        suggestions = _suggest(core, index)
        if suggestions:  # a near miss of a known role: ask rather than guess from keywords
            raise UnknownLabel("role", text, suggestions, _factor_values()["role"])
    if role is None:
        role = role_from_job_title(text)
    if role is None:
        if seniority is not None and not core:
            error = UnknownLabel("role", text, [], _factor_values()["role"])
            error.args = (f"role {_show(text)} names a level, not a role: give it as --seniority, and a role such as ml-engineer",)
            raise error
        raise UnknownLabel("role", text, _suggest(key, index), _factor_values()["role"])
    note = None
    if role == "student" and seniority == "entry" and key not in _role_alias_keys():
        note = "an internship is read as role student (the data files interns with students)"
    elif intern:
        note = f"no survey records intern pay: read as an entry-level {role}; internships usually pay less, often by the hour"
    if specialty is not None and role in ("ml-engineer", "ml-researcher", "data-scientist", "ai-developer"):
        note = f"{specialty} has too few rows in the data to be a role of its own; nearest role used"
    return TitleReading(text, role, seniority, level_word, note)


@functools.cache
def _role_alias_keys() -> frozenset[str]:
    # Keys of the ROLE table proper (canonical values, SO labels, short forms): no reading shown.
    return frozenset(_key(label) for canonical, labels in tables.label_table("role").items() for label in (canonical, *labels))


def aliases(factor: str) -> dict[str, list[str]]:
    """Canonical value -> accepted labels (source labels and short forms), for `mlsalary options`."""
    if factor in _factor_tables():
        table = _role_table() if factor == "role" else _factor_tables()[factor]
        return {canonical: _unique(table[canonical]) for canonical in _factor_values()[factor]}
    if factor == "skills":
        return {slug: _unique([display, *labels]) for slug, display, _category, labels in tables.skill_rows()}
    if factor == "country":
        return _country_aliases()
    raise ValueError(f"unknown factor {factor!r}; factors: {', '.join([*_factor_values(), 'country', 'skills'])}")


# Countries: countries.py.

# --------------------------------------------------------------------------------------------
# Public API: skills
# --------------------------------------------------------------------------------------------


# Labels already resolved (batch files repeat the same few hundred skill spellings).
_SKILL_LABELS: dict[str, str] = {}


def normalize_skill(label: object) -> str:
    """Canonical skill slug ("Torch/PyTorch" -> "pytorch"); raises UnknownLabel("skills", …)."""
    if type(label) is str:
        known = _SKILL_LABELS.get(label)
        if known is not None:
            return known
    text = _as_text(label)
    key = _key(text) if text is not None else ""
    index = _skill_index()
    if key in index:
        if type(label) is str and len(label) <= 100:
            if len(_SKILL_LABELS) >= 10_000:
                _SKILL_LABELS.clear()  # bounded, whatever the input
            _SKILL_LABELS[label] = index[key]
        return index[key]
    raise UnknownLabel("skills", text if text is not None else "", _suggest(key, index), _skills())


def skill_slug(label: object) -> str | None:
    """A skill label's slug, "" for a non-answer, None for a label no source records; no
    "did you mean" search (normalize_skill makes one)."""
    if type(label) is str:
        known = _SKILL_LABELS.get(label)
        if known is not None:
            return known
    answer = _answer(label)
    if answer is None:
        return ""
    return _skill_index().get(answer[1])


def normalize_skills(labels: Iterable[object] | str) -> tuple[str, ...]:
    """Sorted unique slugs of several labels. A single string is split on ';' (SO cell format).

    Non-answers ("", "NA", NaN) are skipped; an unknown label raises UnknownLabel.
    """
    if isinstance(labels, str):
        labels = labels.split(";")
    slugs = set()
    for label in labels:
        known = _SKILL_LABELS.get(label) if type(label) is str else None
        if known is not None:
            slugs.add(known)
            continue
        answer = _answer(label)
        if answer is not None:
            slugs.add(normalize_skill(answer[0]))
    return tuple(sorted(slugs))


def skill_category(slug: str) -> str:
    """SO column category of a skill slug (one of SKILL_CATEGORIES); accepts any skill label."""
    if slug in _skill_categories():
        return _skill_categories()[slug]
    return _skill_categories()[normalize_skill(slug)]
