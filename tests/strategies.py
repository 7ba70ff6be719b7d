"""Hypothesis strategies for hostile input: option values, batch cells, whole CSV / JSONL files.

Used by tests/test_hostile.py. Everything here is generation only: no mlsalary behaviour is
assumed except the factor names and the label tables (to generate near-valid values).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass

from hypothesis import strategies as st

from mlsalary import taxonomy
from mlsalary.profile import FACTORS

NUMERIC = ("experience", "years_coding")

# -- characters ----------------------------------------------------------------------------------

# C0/C1 controls, line and paragraph separators, BOM, zero-width and bidi characters.
CONTROL_CHARS = [chr(c) for c in range(0x20)] + ["\x7f", "\x85", "\xa0", "\u2028", "\u2029", "\ufeff", "\u200b", "\u202e", "\u00ad"]
# Characters str.isdigit() accepts (also after NFKD) that int()/float() refuse, and digits
# float() accepts that are not ASCII.
ODD_DIGITS = ["\U00010a40", "\u1369", "\u19da", "\u00b2", "\u2460", "\u0663", "\uff15", "\U0001d7d9", "\u0967", "\u07c0"]
SURROGATES = ["\ud800", "\udfff", "\udcff", "\udc80"]  # lone: from JSON escapes or non-UTF-8 argv
CSV_SPECIALS = list(",;\t\"'\\|\r\n ")
FRAGMENTS = ["\r\n", '""', '","', "\n\n", '"\n"']

hostile_char = st.one_of(
    st.characters(),  # any code point hypothesis likes (no surrogates)
    st.sampled_from(CONTROL_CHARS + ODD_DIGITS + SURROGATES + CSV_SPECIALS),
)
hostile_text = st.lists(st.one_of(hostile_char, hostile_char, st.sampled_from(FRAGMENTS)), max_size=40).map("".join)
printable_text = st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=40)


# -- near-valid values ---------------------------------------------------------------------------


def _labels(factor: str) -> list[str]:
    try:
        table = taxonomy.aliases(factor)
    except Exception:  # the tables are another agent's business: degrade to nothing
        return []
    out = []
    for canonical, labels in table.items():
        out.append(canonical)
        out.extend(labels)
    return sorted(set(out))


# Titles with levels, ladders and specialisations, as people write them (read by taxonomy.read_title).
TITLE_WORDS = [
    "Senior ML Engineer", "Staff Machine Learning Engineer", "Lead Data Scientist", "ML Intern",
    "Principal AI Engineer", "NLP Engineer", "Computer Vision Engineer", "Senior NLP Scientist",
    "ML Engineer II", "Software Engineer L5", "E4 Data Engineer", "Head of ML", "VP of Engineering",
    "Sr. Data Engineer", "Junior Data Analyst", "Senior Director of Data Science", "Distinguished Engineer",
    "senior", "L5", "Staff", "data scientst", "Quant Researcher", "Chief AI Officer", "Associate Data Scientist",
]
LEVEL_WORDS = ["lead", "staff", "principal", "L3", "L7", "E5", "IC4", "II", "iii", "head", "VP", "intern", "distinguished", "associate"]
EDUCATION_WORDS = ["B.Tech", "BE", "BSc", "BS", "BA", "MSc", "M.Tech", "MS", "MA", "MBA", "DPhil", "PhD", "bootcamp", "self-taught", "diploma", "Licenciatura", "Diplom", "Laurea", "Dipl.-Ing."]
SKILL_WORDS = ["LLM", "GenAI", "LangChain", "RAG", "Hugging Face", "Airflow", "MLflow", "Databricks", "JAX", "CUDA", "dbt", "Kafka", "vector databases", "langchian", "pytorh"]

LABELS = {name: _labels(name) for name in FACTORS if name not in NUMERIC}
LABELS["role"] = LABELS.get("role", []) + TITLE_WORDS
LABELS["seniority"] = LABELS.get("seniority", []) + LEVEL_WORDS
LABELS["education"] = LABELS.get("education", []) + EDUCATION_WORDS
LABELS["skills"] = LABELS.get("skills", []) + SKILL_WORDS
# Places: US metros, cities, states and aliases, ambiguous names, cities abroad, countries, typos.
LOCATION_WORDS = [
    "San Francisco", "SF", "NYC", "New York", "Washington DC", "DC", "LA", "Bay Area", "Silicon Valley",
    "Austin", "Austin, TX", "Austin TX", "Kansas City", "Palo Alto", "Texas", "TX", "California", "Georgia",
    "Portland", "Portland, OR", "Portland, ME", "Columbus", "Columbus, OH", "Columbus, GA", "Springfield",
    "Berlin", "London", "Bangalore", "Paris", "Germany", "US", "DE", "CA", "IN", "Berlin, Germany",
    "Austin, ZZ", ", TX", "Sna Francisco", "Seattle-Tacoma-Bellevue, WA", "Nowhere, OR", "Fresno",
    "San Jose-Sunnyvale-Santa Clara, CA", "Houston, Texas", "St. Louis", "Boise, ID", "Lagos", "Tokyo",
    # places of the world and work arrangements written in the location cell
    "Vancouver", "Vancouver, BC", "London, ON", "Bengaluru, Karnataka", "München", "Berlin, DE", "Melbourne",
    "Cambridge", "Munich, Bavaria", "Foo, Bar", "Remote", "Remote - US", "Hybrid (NYC)", "Austin, TX (remote)",
    "Remote - EMEA", "remote-first", "Hybrid (", "(remote)", "Remote - " + "x" * 300, "On-site / Portland",
]
LABELS["location"] = LOCATION_WORDS
ALL_LABELS = sorted({label for labels in LABELS.values() for label in labels}) or ["x"]
SKILL_LABELS = LABELS.get("skills") or ["python"]

NUMBER_WORDS = [
    "-3", "-1", "-0", "0", "0.0", "5", "5.", ".5", "+5", "60", "60.0000001", "70", "70.1", "1e308",
    "-1e308", "1e309", "1e-320", "4.9e-324", "nan", "NaN", "-nan", "inf", "-inf", "+inf", "Infinity",
    "infinity", "1_0", "0x10", "5e", "--5", "5-", "5 years", "five", "\u0663", "\uff15", "\u00b2",
    "Less than 1 year", "More than 50 years", "less than 1 year ", "NA", "n/a", "None", "null",
]
# Long number texts: only for the numeric options (fuzzy matching of long text is slow, see
# test_hostile.py::test_long_values_are_refused_quickly).
LONG_NUMBER_WORDS = ["1" * 400, "9" * 5000, "0." + "0" * 400 + "1", "1e" + "9" * 50, "5" + " " * 1000]


@st.composite
def mutated_label(draw, labels=ALL_LABELS):
    """A real label, then damaged: case, padding, a char inserted/deleted/replaced, doubled."""
    label = draw(st.sampled_from(labels))
    how = draw(st.sampled_from(["as-is", "upper", "pad", "insert", "delete", "replace", "double", "control"]))
    if how == "upper":
        return label.upper()
    if how == "pad":
        return draw(st.sampled_from([" ", "\t", "\u00a0", "\u2028", "\ufeff"])) + label + draw(st.sampled_from([" ", "\n", "\r\n", ""]))
    if how == "double":
        return label + draw(st.sampled_from([",", ";", " ", ""])) + label
    if not label:
        return label
    i = draw(st.integers(0, len(label) - 1))
    if how == "insert":
        return label[:i] + draw(hostile_char) + label[i:]
    if how == "delete":
        return label[:i] + label[i + 1:]
    if how == "replace":
        return label[:i] + draw(hostile_char) + label[i + 1:]
    if how == "control":
        return label[:i] + draw(st.sampled_from(CONTROL_CHARS)) + label[i:]
    return label


number_text = st.one_of(
    st.sampled_from(NUMBER_WORDS),
    st.floats().map(repr),
    st.floats(min_value=-5, max_value=80).map(lambda x: f"{x:.3f}"),
    st.integers().map(str),
    st.integers(-5, 80).map(str),
)

# Money as people type it, and as they mistype it (for --offer and an offer column).
MONEY_WORDS = [
    "$180k", "180,000", "180.000", "1.5M", "145k", "180,5k", "€95k", "95k EUR", "£80,000", "5", "12/hr",
    "15k/mo", "1,234.56", "1.234,56", "1,80,000", "180 000", "$180,000/yr", "USD 120k", "1.2.3", "1,,000",
    "k", "$", "M", "-5k", "0", "1e12", "inf", "nan", "₹20,00,000", "C$100k", "100k CAD", "1mm", "180_000",
    "180'000", "$ 1 000 000", "99999999999", "0.001", ".5k", "5.k", "1,000.000,5",
]
money_text = st.one_of(
    st.sampled_from(MONEY_WORDS),
    st.builds(
        lambda sign, number, sep, suffix: sign + f"{number:,}".replace(",", sep) + suffix,
        st.sampled_from(["", "$", "US$", "€", "-"]),
        st.integers(0, 10**9),
        st.sampled_from([",", ".", " ", "", "'"]),
        st.sampled_from(["", "k", "K", "M", "/yr", "/mo", " usd"]),
    ),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)

option_text = st.one_of(hostile_text, mutated_label(), number_text, st.sampled_from(ALL_LABELS), st.just(""))


def option_value(name: str):
    """Text a user could type for the option `name` (CLI values are always strings)."""
    if name in NUMERIC:
        return st.one_of(number_text, number_text, st.sampled_from(LONG_NUMBER_WORDS), hostile_text, mutated_label())
    labels = LABELS.get(name) or ALL_LABELS
    return st.one_of(st.sampled_from(labels), mutated_label(labels), option_text)


# -- JSON-like values (batch JSONL, library callers) ---------------------------------------------

HUGE_INTS = [10**400, -(10**400), 2**1024, 10**309]
scalar_json = st.one_of(
    st.none(), st.booleans(), st.integers(), st.sampled_from(HUGE_INTS),
    st.floats(allow_nan=True, allow_infinity=True), hostile_text, mutated_label(), number_text,
)
json_value = st.recursive(
    scalar_json,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(printable_text, children, max_size=3)),
    max_leaves=8,
)


def raw_value(name: str):
    """Any value a library caller or a JSONL file could put under a factor."""
    if name == "skills":
        return st.one_of(
            option_value(name), json_value,
            st.lists(st.one_of(st.sampled_from(SKILL_LABELS), mutated_label(SKILL_LABELS), hostile_text, json_value), max_size=6),
        )
    return st.one_of(option_value(name), json_value)


# -- column names --------------------------------------------------------------------------------


def spelled(name: str):
    """A factor name the way a spreadsheet might spell it."""
    variants = {name, name.upper(), name.title(), name.replace("_", "-"), name.replace("_", " "), f" {name} ", name.replace("_", " ").title()}
    return st.sampled_from(sorted(variants))


# Headers as people write them (batch maps them to factors). Offer aliases are left out: an
# offer column changes the added columns, which the file checks compute without it.
ALIAS_HEADERS = [
    "Location", "City", "Country", "Years of Experience", "YOE", "years_of_experience", "Degree",
    "Education", "Title", "Job Title", "Level", "Company Size", "Remote", "Skills", "Tech Stack",
    "Educaton", "Name",
]

column_name = st.one_of(
    st.sampled_from(FACTORS).flatmap(spelled),
    st.sampled_from(ALIAS_HEADERS),
    st.sampled_from(["id", "note", "error", "p50", "p10", "baseline", "", "ID", "Experience"]),
    printable_text,
    hostile_text,
)


def _column_of(column: str) -> str | None:
    from mlsalary import batch

    positions, _notes = batch.map_header([column])
    return next(iter(positions), None)


def cell_for(column: str):
    key = _column_of(column)
    if key == "offer":
        return st.one_of(money_text, st.just(""))
    if key in FACTORS or key == "location":
        return st.one_of(option_value(key), st.just(""))
    return st.one_of(hostile_text, st.just(""))


# -- whole files ---------------------------------------------------------------------------------


@dataclass
class CsvCase:
    text: str
    header: list[str]
    rows: list[list[str]]  # the intended data rows; rows[i][0] == f"r{i}"

    @property
    def ids(self) -> list[str]:
        return [row[0] for row in self.rows]


@st.composite
def csv_file(draw, max_rows: int = 8):
    """A valid CSV document (every cell quoted as needed) with an id column first.

    Hostility: any column names (duplicates, factor spellings, 'error'), any cell text
    (quotes, separators, CR/LF, controls, surrogates), rows longer or shorter than the header,
    blank lines between rows, LF or CRLF, last line with or without its newline.
    """
    header = ["id"] + draw(st.lists(column_name, max_size=6))
    n = draw(st.integers(0, max_rows))
    rows = []
    for i in range(n):
        cells = [f"r{i}"] + [draw(cell_for(c)) for c in header[1:]]
        shape = draw(st.sampled_from(["exact", "exact", "exact", "short", "long"]))
        if shape == "short":
            cells = cells[: draw(st.integers(1, len(cells)))]
        elif shape == "long":
            cells = cells + draw(st.lists(hostile_text, min_size=1, max_size=3))
        rows.append(cells)
    terminator = draw(st.sampled_from(["\n", "\r\n"]))
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
    parts = []
    for record in [header] + rows:
        buffer = io.StringIO()
        # "\r\n" as the writer's terminator makes it quote any cell holding a CR or an LF.
        csv.writer(buffer, lineterminator="\r\n", quoting=quoting).writerow(record)
        line = buffer.getvalue()[:-2] + terminator
        parts.append(line)
        if draw(st.integers(0, 9)) == 0:
            parts.append(terminator)  # a blank line: not a row
    text = "".join(parts)
    if draw(st.booleans()) and text.endswith(terminator):
        text = text[: -len(terminator)]  # last line without its newline
    return CsvCase(text, header, rows)


@dataclass
class JsonlCase:
    text: str
    lines: list[tuple[int, object]]  # (1-based physical line number, the object or a str for garbage)

    @property
    def data_lines(self):
        return self.lines


@st.composite
def jsonl_file(draw, max_rows: int = 8):
    """JSON Lines: objects with an "id" and factor keys holding any JSON value, mixed with
    garbage lines (not JSON, arrays, scalars), blank lines, LF or CRLF line ends.

    An input data row is a physical line (split on LF; a CR before it is part of the line
    ending) whose content is not all whitespace.
    """
    n = draw(st.integers(0, max_rows))
    terminator = draw(st.sampled_from(["\n", "\r\n"]))
    ensure_ascii = draw(st.booleans())
    parts: list[str] = []
    lines: list[tuple[int, object]] = []
    number = 0
    for i in range(n):
        while draw(st.integers(0, 6)) == 0:
            number += 1
            parts.append(draw(st.sampled_from(["", " ", "\t", "  \t "])) + terminator)
        number += 1
        kind = draw(st.sampled_from(["object", "object", "object", "garbage", "array", "scalar"]))
        if kind == "object":
            record = {"id": f"r{i}"}
            for key in draw(st.lists(st.one_of(st.sampled_from(FACTORS).flatmap(spelled), printable_text), max_size=5)):
                if key == "id":
                    continue
                canonical = key.strip().lower().replace("-", "_").replace(" ", "_")
                record[key] = draw(raw_value(canonical) if canonical in FACTORS else json_value)
            text = json.dumps(record, ensure_ascii=ensure_ascii)
            lines.append((number, record))
        elif kind == "garbage":
            text = draw(st.text(hostile_char.filter(lambda c: c not in "\r\n"), min_size=1, max_size=30).filter(lambda s: s.strip() != ""))
            lines.append((number, text))
        elif kind == "array":
            text = json.dumps(draw(st.lists(scalar_json, max_size=3)))
            lines.append((number, text))
        else:
            text = json.dumps(draw(scalar_json))
            lines.append((number, text))
        parts.append(text + terminator)
    text = "".join(parts)
    if draw(st.booleans()) and text.endswith(terminator):
        text = text[: -len(terminator)]
    return JsonlCase(text, lines)
