"""Black-box fuzz of the installed `mlsalary` command: hostile files at scale (issue 22).

Runs the `mlsalary` entry point found on PATH, each time as a fresh subprocess (the package is
never imported), on seeded random invocations of every command (estimate, batch, compare, trend,
figures, info, options; train and evaluate only with bad arguments, so no training ever runs),
with every option and MLSALARY_* environment default, and valid and invalid values mixed from the
label tables (mlsalary/taxonomy/data) and sample_data/profiles.csv. Hostile shapes: 1 MB cells,
values of thousands of digits, offers of digits followed by tens of thousands of spaces, JSON
Lines records nested about 1,000 to 3,000 deep, a 100,000-column CSV, very long lines, terminal
escapes and control characters in cells and headers, NULs, bare CRs, UTF-8/16/32 with and
without BOM, latin-1, empty and header-only files, duplicate headers, stdin (`-`),
PYTHONIOENCODING=latin-1, stderr closed (`2>&-`, fd 2 closed in the child), and crafted --model
folders (copies of models/ with a file linked to /dev/zero, a FIFO, a 1 GiB sparse file,
wrong-typed metadata.json fields, a forged locations.json or forest.json with its sha256
updated, a damaged file).

Checked on every run (and counted):
- internal errors: "internal error" or "Traceback" on stderr;
- exit codes outside the documented set (mlsalary/status.py: 0, 1, 2, 3, 4, 130, 141);
- batch: one output row per input data row, a row as tests/test_hostile.py defines it (CSV:
  every record with a cell after the header; JSON Lines: every LF-separated line that is not
  all whitespace), unless the run ends non-zero with an "Error:" line last (then never more);
- stderr lines longer than 1,000 characters (the longest is reported);
- control characters on stderr (C0 but LF, DEL, C1): stderr is not a terminal, so there is no
  colour and an ESC can only be input leaking through;
- with stderr closed: messages (Error:, Note:, Warning: ...) on stdout, or --json output that
  does not parse;
- timeouts, and the wall time of each run (the slowest is reported).

Run it at low priority, one process at a time:

    nice -n 10 env OMP_NUM_THREADS=1 python benchmarks/fuzz.py --seed 1 --out /tmp/fuzz/report.json

The JSON report goes to --out and a markdown summary to stdout. Inputs are written to the
folder beside the report named after it (report.json: report-inputs/); those of failing runs stay there
with a `caseNNNN.sh` that re-runs each one, the rest are removed. The same seed gives the same
invocations. MLSALARY_DEBUG (tracebacks on purpose) and --install-completion (edits shell
files) are never used.
"""

from __future__ import annotations

import argparse
import codecs
import collections
import csv
import dataclasses
import hashlib
import io
import json
import os
import random
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TABLES = ROOT / "mlsalary" / "taxonomy" / "data"
SHIPPED_MODEL = ROOT / "models"
COMPILED_FILES = ("forest.npz", "forest.json", "metadata.json", "locations.json")

DEFAULT_N = 600  # about 12 minutes on 2 busy cores
DOCUMENTED_EXITS = (0, 1, 2, 3, 4, 130, 141)  # mlsalary/status.py
LONG_LINE = 1000  # characters of one stderr line
ARGV_BYTES = 100_000  # one argument or variable (Linux refuses more than 128 KiB)
COMMAND_BYTES = 1_000_000  # all arguments and variables of one run (ARG_MAX is 2 MiB)
csv.field_size_limit(2**31 - 1)  # cells of 1 MB and more

# The profile options (`mlsalary estimate --help`), each with its spellings.
OPTIONS = {
    "experience": ("--experience", "--yoe", "--years"),
    "years_coding": ("--years-coding",),
    "seniority": ("--seniority", "--level"),
    "country": ("--country",),
    "industry": ("--industry",),
    "education": ("--education", "--degree"),
    "role": ("--role", "--title"),
    "company_size": ("--company-size",),
    "remote": ("--remote",),
    "skills": ("--skills", "--skill"),
    "location": ("--location", "--city"),
}
FACTORS = tuple(OPTIONS)
ENV_DEFAULTS = tuple(f"MLSALARY_{name.upper()}" for name in FACTORS if name != "skills") + ("MLSALARY_CURRENCY",)
NUMBERS = ("experience", "years_coding", "company_size", "offer")  # values people type as numbers

# Batch headers (`mlsalary batch --help`) and the factor whose values fill their cells.
HEADERS = {
    **{name: name for name in FACTORS}, "offer": "offer",
    "Years of Experience": "experience", "YOE": "experience", "Years Coding": "years_coding", "Level": "seniority",
    "Degree": "education", "Job Title": "role", "Title": "role", "Company Size": "company_size", "Remote": "remote",
    "Skills": "skills", "Location": "location", "City": "location", "Base Offer": "offer", "Offer (USD)": "offer",
}
PASSTHROUGH = ("id", "note", "name", "p50", "error", "support", "baseline")  # no factor: kept (or replaced)

ESCAPES = ("\x1b[2J\x1b[H", "\x1b[31mred\x1b[0m", "\x1b]0;pwned\x07", "\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\", "\x1bc", "\x9b31m")
CONTROLS = [chr(c) for c in range(1, 32)] + ["\x7f"]
ODD_TEXT = ("\u2028", "\u2029", "\ufeff", "\u202e", "\u0663", "\uff15", "\u00b2", "\U00010a40", "\u0085", "\u200b", "\udcff\udcfe")
ODD_NUMBERS = ("-1", "-0", "1e308", "-1e308", "nan", "inf", "-inf", "1_0", "0x10", "5.5.5", " 5 ", "1e-400", "Infinity", "5e", "$", "k")
SEPARATORS = (",;,;", "python;" * 50, '"', "'", "=", "==", "--json", "-h", ",", ";", "a=b=c")
HUGE_LITERALS = ("9" * 400, "9" * 4301, "9" * 5000, "9" * 20_000, "1e400", "-1e400", "NaN", "Infinity", "-Infinity", "1" + "0" * 5000 + ".5")
HOSTILE_KINDS = ("long", "digits", "digits+spaces", "escape", "control", "cr", "unicode", "number", "separator", "empty")
NUMBER_KINDS = ("digits", "digits+spaces", "number")
SPRINKLES = ("\x00", "\r", '"', "\x1b[31m", "\n", ",", "\ufeff", "\x1c", "\u2028", "\t")
# The encodings of batch files, with weights: mostly UTF-8.
ENCODINGS = {"utf-8": 12, "utf-8-sig": 2, "utf-16": 2, "utf-16-be+bom": 1, "utf-32": 1, "utf-16-le": 1, "utf-32-be": 1, "latin-1": 2}
COMMAND_WEIGHTS = {"batch": 40, "estimate": 18, "compare": 8, "trend": 6, "figures": 4, "info": 4, "options": 4, "training": 6, "misc": 4}
WRONG_VALUES = (None, "lots", -500_000, -1, 0, 1e12, 1e308, 10**400, float("nan"), float("inf"), True, [], {}, [1, 2, 3], "", "\x1b[2J", "@@DEEP@@")
DEEP_JSON = "[" * 3000 + "]" * 3000  # stands for "@@DEEP@@" in a crafted model file
MESSAGE = re.compile(r"^(Error: |Note: |Warning: |Interrupted\.|Reading profiles|\d+ of \d+ rows had errors)", re.MULTILINE)


# -- cases ----------------------------------------------------------------------------------------


@dataclasses.dataclass
class Case:
    """One invocation: its arguments (after `mlsalary`), environment overrides, stdin and the
    files made for it; for batch, the input's data rows and the output format."""

    number: int
    args: list[str] = dataclasses.field(default_factory=list)
    env: dict[str, str] = dataclasses.field(default_factory=dict)
    stdin: Path | None = None
    stderr_closed: bool = False
    paths: list[Path] = dataclasses.field(default_factory=list)
    tags: list[str] = dataclasses.field(default_factory=list)
    rows_in: int | None = None
    output: str = ""  # batch: csv or jsonl; other commands: json or csv when asked, "" for tables

    def tag(self, text: str) -> None:
        self.tags.append(text)

    @property
    def description(self) -> str:
        return ", ".join(dict.fromkeys(self.tags))


@dataclasses.dataclass
class Room:
    """Where values go: an argument or variable (no NUL, at most ARGV_BYTES) or a file (NUL and
    1 MB cells allowed); `bigs` counts the very long values that still fit."""

    nul: bool
    long: int
    bigs: int

    def big(self) -> bool:
        if self.bigs <= 0:
            return False
        self.bigs -= 1
        return True


def argv_room() -> Room:
    return Room(nul=False, long=ARGV_BYTES, bigs=1)


def file_room(bigs: int = 3) -> Room:
    return Room(nul=True, long=1_000_000, bigs=bigs)


def insert(rng: random.Random, text: str, piece: str) -> str:
    at = rng.randint(0, len(text))
    return text[:at] + piece + text[at:]


def repeat_to(text: str, size: int) -> str:
    text = text or "x"
    return (text * (size // len(text) + 1))[:size]


# -- values ---------------------------------------------------------------------------------------


def table_column(name: str, *columns: str) -> list[str]:
    with open(TABLES / name, newline="", encoding="utf-8") as handle:
        return [row[column] for row in csv.DictReader(handle) for column in columns if row[column]]


def us_places(every: int = 10) -> list[str]:
    """Every `every`th US city name of the place index (its first line describes the file)."""
    with open(TABLES / "us_cities.jsonl", encoding="utf-8") as handle:
        lines = handle.readlines()[1::every]
    return [json.loads(line)[1][0][0] for line in lines]


def load_vocabulary() -> dict[str, list[str]]:
    """Valid values of each factor (and of an offer), from the label tables and sample profiles."""
    vocabulary = {
        "experience": ["0", "0.5", "3", "5", "12", "40", "60"],
        "years_coding": ["1", "10", "25", "70"],
        "seniority": table_column("seniority.csv", "value", "label") + table_column("levels.csv", "word"),
        "country": ["DE", "US", "USA", "UK", "Germany", "DEU"] + table_column("country_aliases.csv", "label") + table_column("country_display_names.csv", "name"),
        "industry": table_column("industry.csv", "value", "label"),
        "education": table_column("education.csv", "value", "label"),
        "role": table_column("role.csv", "value", "label") + table_column("aijobs_titles.csv", "title"),
        "company_size": ["250", "10000"] + table_column("company_size.csv", "value", "label"),
        "remote": table_column("remote.csv", "value", "label"),
        "skills": table_column("skills.csv", "slug", "display"),
        "location": ["San Francisco", "Austin, TX", "NYC", "Texas", "Palo Alto", "Berlin"] + us_places(),
        "offer": ["145000", "145k", "$180,000", "1.5M", "180.000", "180,000", "90000", "12k/mo"],
    }
    with open(ROOT / "sample_data" / "profiles.csv", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            for name, value in row.items():
                if value:
                    vocabulary[name].append(value)
    return {name: list(dict.fromkeys(values)) for name, values in vocabulary.items()}


class Values:
    """Random values: valid ones from the vocabulary, hostile ones of every kind, mixed."""

    def __init__(self, rng: random.Random, vocabulary: dict[str, list[str]]):
        self.rng = rng
        self.vocabulary = vocabulary

    def valid(self, factor: str, separator: str = ",") -> str:
        if factor == "skills":
            return separator.join(self.rng.sample(self.vocabulary["skills"], self.rng.randint(1, 5)))
        return self.rng.choice(self.vocabulary[factor])

    def value(self, case: Case, factor: str, room: Room, bad: float = 0.3, separator: str = ",") -> str:
        """A valid value of `factor`, or with probability `bad` a hostile one."""
        base = self.valid(factor, separator)
        if self.rng.random() >= bad:
            return base
        kind = self.rng.choice(NUMBER_KINDS) if factor in NUMBERS and self.rng.random() < 0.5 else None
        return self.hostile(case, room, base, kind)

    def hostile(self, case: Case, room: Room, base: str, kind: str | None = None) -> str:
        rng = self.rng
        kind = kind or rng.choice(HOSTILE_KINDS)
        case.tag("value:" + kind)
        if kind == "long":
            return repeat_to(base, room.long if room.big() else rng.choice((300, 5000)))
        if kind == "digits":
            return rng.choice("123456789") + "9" * rng.choice((12, 400, 4300, 5000, 20_000))
        if kind == "digits+spaces":
            return rng.choice(("5", "150", "1" * 2000)) + " " * rng.randint(10_000, 40_000) + rng.choice(("", "k", "0", "$"))
        if kind == "escape":
            return insert(rng, base, rng.choice(ESCAPES))
        if kind == "control":
            controls = CONTROLS + (["\x00"] if room.nul else [])
            return "".join(insert(rng, base, rng.choice(controls)) for _ in range(rng.randint(1, 3)))
        if kind == "cr":
            return rng.choice((base + "\r" + base, "\r", base + "\r"))
        if kind == "unicode":
            return insert(rng, base, rng.choice(ODD_TEXT))
        if kind == "number":
            return rng.choice(ODD_NUMBERS)
        if kind == "separator":
            return rng.choice(SEPARATORS)
        return rng.choice(("", " ", "\t", "  "))


# -- file encodings and the row oracle --------------------------------------------------------------


def encode(text: str, encoding: str) -> bytes:
    if encoding == "utf-8-sig":
        return codecs.BOM_UTF8 + text.encode("utf-8", "surrogatepass")
    if encoding == "utf-16-be+bom":
        return codecs.BOM_UTF16_BE + text.encode("utf-16-be", "surrogatepass")
    if encoding == "latin-1":
        return text.encode("latin-1", "replace")
    return text.encode(encoding, "surrogatepass")  # utf-16 and utf-32 write a BOM; -le and -be do not


# Byte order marks, the longest first (UTF-32 LE begins with UTF-16 LE's).
BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def decode_as_documented(data: bytes) -> str:
    """A batch file's text as the docs say it is read: in the encoding of its byte order mark,
    else UTF-8, undecodable bytes replaced (a file without a BOM that is not UTF-8 is refused or
    read with replacements; its structure of commas, quotes and line ends stays ASCII)."""
    for bom, encoding in BOMS:
        if data.startswith(bom):
            return data.decode(encoding, "replace")
    return data.decode("utf-8", "replace")


def csv_rows(text: str) -> int:
    """Data rows: every record with a cell after the first one that has a cell (the header)."""
    records = sum(1 for record in csv.reader(io.StringIO(text, newline="")) if record)
    return max(records - 1, 0)


def jsonl_rows(text: str) -> int:
    """Data rows: every LF-separated line that is not all whitespace."""
    return sum(1 for line in text.split("\n") if line.strip())


def output_rows(stdout: bytes, output: str) -> int:
    text = stdout.decode("utf-8", "replace")
    return jsonl_rows(text) if output == "jsonl" else csv_rows(text)


# -- the generator --------------------------------------------------------------------------------


class Generator:
    """Makes case number n: its command, arguments, environment and files."""

    def __init__(self, rng: random.Random, vocabulary: dict[str, list[str]], folder: Path):
        self.rng = rng
        self.values = Values(rng, vocabulary)
        self.folder = folder
        self.commands = {
            "batch": self.batch, "estimate": self.estimate, "compare": self.compare, "trend": self.trend, "figures": self.figures,
            "info": self.info, "options": self.options, "training": self.training, "misc": self.misc,
        }

    def maybe(self, probability: float) -> bool:
        return self.rng.random() < probability

    def path(self, case: Case, suffix: str) -> Path:
        path = self.folder / f"case{case.number:04d}{suffix}"
        case.paths.append(path)
        return path

    def write(self, case: Case, suffix: str, data: bytes) -> Path:
        path = self.path(case, suffix)
        path.write_bytes(data)
        return path

    def case(self, number: int) -> Case:
        case = Case(number)
        command = self.rng.choices(list(COMMAND_WEIGHTS), weights=list(COMMAND_WEIGHTS.values()))[0]
        case.tag(command)
        case.args = self.commands[command](case)
        self.environment(case)
        case.stderr_closed = self.maybe(0.1)
        if case.stderr_closed:
            case.tag("stderr closed")
        fit_command(case)
        return case

    def environment(self, case: Case) -> None:
        for name in ENV_DEFAULTS:
            if self.maybe(0.03):
                factor = name[len("MLSALARY_"):].lower()
                case.env[name] = self.currency(case) if factor == "currency" else self.values.value(case, factor, argv_room())
                case.tag("env:" + name)
        if self.maybe(0.1):
            case.env["PYTHONIOENCODING"] = "latin-1"
            case.tag("PYTHONIOENCODING=latin-1")
        if self.maybe(0.04):
            case.env["MLSALARY_PURE"] = "1"
            case.tag("MLSALARY_PURE=1")

    # -- shared options ---------------------------------------------------------------------------

    def option(self, case: Case, spellings: tuple[str, ...], value: str) -> list[str]:
        name = self.rng.choice(spellings)
        case.tag("option:" + name)
        return [f"{name}={value}"] if self.maybe(0.15) else [name, value]

    def profile(self, case: Case, places: bool = True) -> list[str]:
        factors = [f for f in FACTORS if places or f != "location"]
        args: list[str] = []
        for factor in self.rng.sample(factors, self.rng.randint(0, 6)):
            for _ in range(self.rng.choice((1, 1, 1, 2, 3)) if factor == "skills" else 1):
                args += self.option(case, OPTIONS[factor], self.values.value(case, factor, argv_room()))
        return args

    def formats(self, case: Case, *names: str) -> list[str]:
        """Zero, one or (a usage error) two of the output flags."""
        chosen = [f"--{name}" for name in names if self.maybe(0.55 if len(names) == 1 else 0.4)]
        case.output = chosen[0][2:] if len(chosen) == 1 else ""
        for flag in chosen:
            case.tag("option:" + flag)
        return chosen

    def currency(self, case: Case) -> str:
        if self.maybe(0.8):
            return self.rng.choice(("EUR", "gbp", "INR", "USD", "JPY", "RUB", "XYZ", "", "eur ", "€"))
        return self.values.hostile(case, argv_room(), "EUR")

    def money(self, case: Case) -> list[str]:
        args: list[str] = []
        if self.maybe(0.2):
            args += self.option(case, ("--currency",), self.currency(case))
        if self.maybe(0.15):
            per = self.rng.choice(("year", "month")) if self.maybe(0.7) else self.values.hostile(case, argv_room(), "month")
            args += self.option(case, ("--per",), per)
        return args

    def model(self, case: Case, trust: bool = True) -> list[str]:
        if not self.maybe(0.1):
            return []
        args = ["--model", self.crafted_model(case)]
        if trust and self.maybe(0.3):
            args.append("--trust-model")
            case.tag("option:--trust-model")
        return args

    # -- commands ---------------------------------------------------------------------------------

    def estimate(self, case: Case) -> list[str]:
        args = ["estimate", *self.profile(case)]
        if self.maybe(0.4):
            args += self.option(case, ("--offer",), self.values.value(case, "offer", argv_room(), bad=0.5))
        for _ in range(self.rng.choice((0, 0, 1, 2, 3))):
            args += self.option(case, ("--what-if",), self.what_if(case))
        if self.maybe(0.3):
            args.append(self.rng.choice(("--explain", "--no-explain")))
            case.tag("option:" + args[-1])
        return args + self.formats(case, "json") + self.money(case) + self.model(case)

    def what_if(self, case: Case) -> str:
        factor = self.rng.choice(FACTORS)
        shapes = (
            lambda: f"{factor}={self.values.value(case, factor, argv_room())}",
            lambda: f"skills{self.rng.choice(('+=', '-='))}{self.values.value(case, 'skills', argv_room())}",
            lambda: f"{factor}=",
            lambda: self.values.hostile(case, argv_room(), f"{factor}=x"),
        )
        return self.rng.choice(shapes)()

    def compare(self, case: Case) -> list[str]:
        args = ["compare", *self.profile(case, places=False)]
        for _ in range(self.rng.choice((0, 1, 1, 1, 2, 2, 3))):
            args += self.option(case, ("--by",), self.by(case))
        return args + self.formats(case, "json", "csv") + self.money(case) + self.model(case)

    def by(self, case: Case) -> str:
        factor = self.rng.choice(FACTORS + ("offer",)) if self.maybe(0.9) else self.values.hostile(case, argv_room(), "country")
        known = factor if factor in self.values.vocabulary else "country"
        values = ",".join(self.values.value(case, known, argv_room(), bad=0.2) for _ in range(self.rng.choice((0, 1, 2, 3, 8))))
        return f"{factor}={values}" if self.maybe(0.95) else factor

    def trend(self, case: Case) -> list[str]:
        return ["trend", *self.profile(case, places=False)] + self.formats(case, "json", "csv") + self.model(case)

    def figures(self, case: Case) -> list[str]:
        args = ["figures"]
        for factor in ("role", "country"):
            if self.maybe(0.5):
                args += self.option(case, OPTIONS[factor], self.values.value(case, factor, argv_room()))
        return args + self.formats(case, "json", "csv") + self.money(case) + self.model(case)

    def info(self, case: Case) -> list[str]:
        return ["info"] + self.formats(case, "json") + self.model(case, trust=False)

    def options(self, case: Case) -> list[str]:
        args = ["options"]
        if self.maybe(0.8):
            args.append(self.rng.choice(FACTORS) if self.maybe(0.8) else self.values.hostile(case, argv_room(), "country"))
        return args + self.formats(case, "json")

    def misc(self, case: Case) -> list[str]:
        """The group itself, --help, unknown commands and options, missing values."""
        command = self.rng.choice(("estimate", "batch", "compare", "trend", "figures", "info", "options", "train", "evaluate"))
        shapes = (
            lambda: [], lambda: ["--version"], lambda: ["-V"], lambda: ["--help"], lambda: [command, "-h"],
            lambda: [command, "--help"], lambda: ["nosuchcommand"], lambda: [self.values.hostile(case, argv_room(), "estimate")],
            lambda: [command, "--" + self.values.hostile(case, argv_room(), "country")], lambda: ["estimate", "--experience"],
            lambda: ["batch", "a.csv", "b.csv"], lambda: ["compare"], lambda: ["--version", command],
        )
        return self.rng.choice(shapes)()

    def training(self, case: Case) -> list[str]:
        """train or evaluate with a data folder that holds no survey file: never a training."""
        command = self.rng.choice(("train", "evaluate"))
        data = self.bad_data(case)
        args = [command]
        where = self.rng.choice(("option", "option", "environment", "missing"))
        if where == "option":
            args += self.option(case, ("--data",), data)
        elif where == "environment":
            case.env["MLSALARY_DATA"] = data
            case.tag("env:MLSALARY_DATA")
        if command == "train":
            return args + ["--out", str(self.path(case, "-out"))]
        if self.maybe(0.3):
            args += ["--out", str(self.path(case, "-evaluation"))]
        return args + self.formats(case, "json") + self.model(case)

    def bad_data(self, case: Case) -> str:
        kind = self.rng.choice(("missing", "file", "empty", "hostile files", "escape name"))
        case.tag("data:" + kind)
        if kind == "missing":
            return str(self.folder / self.values.hostile(case, argv_room(), "missing-data").replace("/", "_"))
        if kind == "file":
            return str(self.write(case, "-data.csv", b"id,experience\n1,5\n"))
        folder = self.path(case, "-data" if kind != "escape name" else "-data\x1b[31m")
        folder.mkdir()
        if kind == "hostile files":
            for name in ("a.csv", "survey_results_public.csv", "\x1b[2Jb.csv", "salaries.csv.gz"):
                (folder / name).write_bytes(encode(self.csv_text(case), self.rng.choice(list(ENCODINGS))))
            (folder / "dir.csv").mkdir()
        return str(folder)

    # -- batch ------------------------------------------------------------------------------------

    def batch(self, case: Case) -> list[str]:
        kind = self.rng.choice(("csv", "jsonl"))
        text = self.csv_text(case) if kind == "csv" else self.jsonl_text(case)
        encoding = self.rng.choices(list(ENCODINGS), weights=list(ENCODINGS.values()))[0]
        case.tag("encoding:" + encoding)
        data = encode(text, encoding)
        suffix = ".csv" if kind == "csv" else self.rng.choice((".jsonl", ".ndjson"))
        if self.maybe(0.1):
            suffix = self.rng.choice((".txt", ""))  # an extension that does not say the format
        path = self.write(case, suffix, data)
        source = self.batch_source(case, path)
        args = ["batch", *source]
        given = self.input_format(case, kind)
        if given is not None:
            args += self.option(case, ("--input-format",), given)
        by_name = "jsonl" if source and source[0].endswith((".jsonl", ".ndjson")) else "csv"  # the documented default
        fmt_in = given if given in ("csv", "jsonl") else by_name
        case.output = self.rng.choice(("csv", "jsonl"))
        if self.maybe(0.7):
            args += self.option(case, ("--output-format",), case.output if self.maybe(0.95) else "xml")
        else:
            case.output = "csv"
        for flag, probability in (("--explain", 0.15), ("--fail-fast", 0.15)):
            if self.maybe(probability):
                args.append(flag)
                case.tag("option:" + flag)
        decoded = decode_as_documented(data)
        case.rows_in = jsonl_rows(decoded) if fmt_in == "jsonl" else csv_rows(decoded)
        return args + self.money(case) + self.model(case)

    def batch_source(self, case: Case, path: Path) -> list[str]:
        """The FILE argument: the file, stdin ('-' or nothing), or a path that cannot be read."""
        draw = self.rng.random()
        if draw < 0.25:
            case.stdin = path
            case.tag("stdin")
            return ["-"] if self.maybe(0.7) else []
        if draw < 0.3:
            case.tag("unreadable path")
            return [self.rng.choice((str(self.folder), str(path) + self.values.hostile(case, argv_room(), ".missing").replace("/", "_")))]
        return [str(path)]

    def input_format(self, case: Case, kind: str) -> str | None:
        draw = self.rng.random()
        if draw < 0.5 or (case.stdin is not None and kind == "jsonl" and draw < 0.8):
            return kind
        if draw < 0.6:
            return "jsonl" if kind == "csv" else "csv"  # the other format
        if draw < 0.65:
            return self.rng.choice(("xml", "json", "tsv", "", "CSV "))
        return None

    # -- CSV files --------------------------------------------------------------------------------

    def csv_text(self, case: Case) -> str:
        shapes = {  # shape: (maker, weight); the slow ones are drawn less often
            "mixed rows": (self.csv_mixed, 8), "many rows": (self.csv_many, 2), "100,000 columns": (self.csv_wide, 1),
            "1 MB cell": (self.csv_long_cell, 2), "long line": (self.csv_long_line, 1), "empty": (self.csv_empty, 1),
            "header only": (self.csv_header_only, 1),
        }
        shape = self.rng.choices(list(shapes), weights=[weight for _, weight in shapes.values()])[0]
        case.tag("csv:" + shape)
        text = shapes[shape][0](case)
        return self.sprinkle(case, text) if self.maybe(0.25) else text

    def header(self, case: Case) -> list[str]:
        names = self.rng.sample(list(HEADERS), self.rng.randint(1, 6))
        if self.maybe(0.6):
            names.insert(0, "id")
        if self.maybe(0.3):
            names.append(self.rng.choice(PASSTHROUGH))
        if self.maybe(0.2):
            duplicate = self.rng.choice(names)
            names.append(self.rng.choice((duplicate, duplicate.upper(), duplicate.title())))
            case.tag("duplicate header")
        if self.maybe(0.15):
            names.insert(self.rng.randint(0, len(names)), self.values.hostile(case, file_room(bigs=0), "column"))
            case.tag("hostile header")
        if self.maybe(0.05):
            names = [name for name in names if name not in HEADERS] or ["id"]
            case.tag("no factor column")
        return names

    def cells(self, case: Case, header: list[str], count: int, room: Room) -> list[list[str]]:
        bad = self.rng.choice((0.0, 0.1, 0.3, 0.7, 1.0))
        rows = []
        for number in range(count):
            row = []
            for name in header:
                factor = HEADERS.get(name)
                if factor is not None:
                    row.append(self.values.value(case, factor, room, bad, separator=";"))
                elif name == "id":
                    row.append(f"r{number}")
                else:
                    row.append(self.values.hostile(case, room, "text") if self.maybe(bad) else "some text")
            rows.append(row)
        return rows

    def write_csv(self, case: Case, header: list[str], rows: list[list[str]]) -> str:
        end = self.rng.choice(("\n", "\n", "\r\n", "\r"))
        if self.maybe(0.3):
            case.tag("csv raw (unquoted)")
            text = "".join(",".join(row) + end for row in [header, *rows])
        else:
            buffer = io.StringIO()
            csv.writer(buffer, lineterminator=end, quoting=self.rng.choice((csv.QUOTE_MINIMAL, csv.QUOTE_ALL))).writerows([header, *rows])
            text = buffer.getvalue()
        if self.maybe(0.1):
            text = self.rng.choice(("\n", "\r\n\n", " \n")) + text
            case.tag("blank lines before the header")
        return text[: -len(end)] if self.maybe(0.15) else text

    def csv_mixed(self, case: Case) -> str:
        header = self.header(case)
        return self.write_csv(case, header, self.cells(case, header, self.rng.randint(1, 40), file_room()))

    def csv_many(self, case: Case) -> str:
        header = self.header(case)
        return self.write_csv(case, header, self.cells(case, header, self.rng.randint(1000, 5000), file_room(bigs=0)))

    def csv_wide(self, case: Case) -> str:
        factor = self.rng.choice(FACTORS)
        names = {
            "numbered": lambda i: f"c{i}",
            "duplicates": lambda i: factor.title(),
            "escapes": lambda i: f"\x1b[3{i % 8}m{i}",
        }
        style = self.rng.choice(list(names))
        case.tag("wide:" + style)
        header = [factor] + [names[style](i) for i in range(1, 100_000)]
        rows = [[self.values.value(case, factor, file_room(bigs=0), separator=";")] + ["x"] * (len(header) - 1) for _ in range(self.rng.randint(1, 3))]
        return self.write_csv(case, header, rows)

    def csv_long_cell(self, case: Case) -> str:
        header = self.header(case)
        rows = self.cells(case, header, self.rng.randint(1, 5), file_room(bigs=0))
        row, column = self.rng.randrange(len(rows)), self.rng.randrange(len(header))
        rows[row][column] = repeat_to(rows[row][column], 1_000_000)
        return self.write_csv(case, header, rows)

    def csv_long_line(self, case: Case) -> str:
        lines = {
            "200,000 cells": lambda: "r1,5," + ",".join(["x"] * 200_000),
            "2 MB unquoted": lambda: "r1,5," + "y" * 2_000_000,
            "200,000 quoted lines": lambda: 'r1,5,"' + "line\n" * 200_000 + '"',
        }
        kind = self.rng.choice(list(lines))
        case.tag("long line:" + kind)
        return "id,experience,note\nr0,3,a\n" + lines[kind]() + "\nr2,7,b\n"

    def csv_empty(self, case: Case) -> str:
        return self.rng.choice(("", "\n", "\r\n\r\n", "\n\n\n"))

    def csv_header_only(self, case: Case) -> str:
        return ",".join(self.header(case)) + self.rng.choice(("", "\n", "\r\n"))

    def sprinkle(self, case: Case, text: str) -> str:
        """The text with a few NULs, CRs, quotes, escapes or line ends put anywhere."""
        for _ in range(self.rng.randint(1, 5)):
            piece = self.rng.choice(SPRINKLES)
            case.tag(f"sprinkled {piece!r}")
            text = insert(self.rng, text, piece)
        return text

    # -- JSON Lines files -------------------------------------------------------------------------

    def jsonl_text(self, case: Case) -> str:
        shapes = {"mixed lines": (1, 40, 3), "many lines": (1000, 5000, 0), "1 MB value": (1, 5, 0), "nested deep": (1, 10, 1)}  # lines, 1 MB values
        shape = self.rng.choices(list(shapes), weights=(6, 2, 2, 3))[0]
        case.tag("jsonl:" + shape)
        low, high, bigs = shapes[shape]
        room = file_room(bigs)
        lines = [self.jsonl_line(case, room) for _ in range(self.rng.randint(low, high))]
        if shape == "1 MB value":
            lines.insert(self.rng.randint(0, len(lines)), json.dumps({"id": "big", self.rng.choice(list(HEADERS) + ["note"]): "x" * 1_000_000}))
        if shape == "nested deep":
            lines.insert(self.rng.randint(0, len(lines)), self.deep_line(case))
        end = self.rng.choice(("\n", "\n", "\r\n"))
        text = end.join(lines) + ("" if self.maybe(0.2) else end)
        return self.sprinkle(case, text) if self.maybe(0.25) else text

    def jsonl_line(self, case: Case, room: Room) -> str:
        draw = self.rng.random()
        if draw < 0.75:
            return self.record(case, room)
        if draw < 0.85:
            return self.rng.choice(("[1, 2]", '"text"', "42", "null", "true", "{}"))
        if draw < 0.95:
            return self.rng.choice(("not json", "{", '{"id": 1,', "{'id': 1}", "\x1b[2J", "\x00"))
        return self.rng.choice(("", "  ", "\t"))

    def record(self, case: Case, room: Room) -> str:
        keys = self.rng.sample(list(HEADERS), self.rng.randint(0, 6))
        record: dict = {"id": f"r{self.rng.randrange(10**6)}"} if self.maybe(0.7) else {}
        for key in keys:
            record[key] = self.json_value(case, HEADERS[key], room)
        if self.maybe(0.1):
            record[self.values.hostile(case, room, "key")] = "x"
        text = json.dumps(record, ensure_ascii=self.maybe(0.5))
        if self.maybe(0.15):  # a number too long for an int or a float, or NaN: written raw
            case.tag("huge JSON literal")
            field = f'"{self.rng.choice(NUMBERS)}": {self.rng.choice(HUGE_LITERALS)}'
            text = "{" + field + ("" if text == "{}" else ", " + text[1:-1]) + "}"
        return text

    def json_value(self, case: Case, factor: str, room: Room):
        draw = self.rng.random()
        if factor in NUMBERS and draw < 0.3:
            return self.rng.choice((5, 0.5, -1, 0, 61, 1e308, 250, 10**30))
        if factor == "skills" and draw < 0.5:
            return [self.values.value(case, "skills", room, bad=0.2) for _ in range(self.rng.randint(0, 4))]
        if draw < 0.36:
            return self.rng.choice((None, True, False, {"a": 1}, [1, "x"]))
        return self.values.value(case, factor, room)

    def deep_line(self, case: Case) -> str:
        depth = self.rng.choice((500, 900, 950, 980, 990, 995, 999, 1000, 1500, 2000, 2000, 3000))
        nested = "[" * depth + "]" * depth if self.maybe(0.6) else '{"a": ' * depth + "1" + "}" * depth
        key = self.rng.choice(("note", "experience", "skills", "id", "country", "offer"))
        case.tag(f"nested {depth} deep")
        return '{"id": "deep", "%s": %s}' % (key, nested)

    # -- crafted model folders --------------------------------------------------------------------

    def crafted_model(self, case: Case) -> str:
        """A copy of the shipped model folder with one thing crafted, or no model folder at all."""
        crafts = {
            "/dev/zero": self.model_special, "FIFO": self.model_special, "1 GiB sparse": self.model_special,
            "metadata wrong types": self.model_metadata, "forged locations.json": self.model_forged,
            "forged forest.json": self.model_forged, "damaged file": self.model_damaged, "joblib only": self.model_joblib_only,
        }
        kind = self.rng.choice([*crafts, "not a model folder"])
        case.tag("model:" + kind)
        if kind == "not a model folder":
            return self.not_a_model(case)
        folder = self.path(case, "-model")
        folder.mkdir()
        for name in COMPILED_FILES:
            shutil.copyfile(SHIPPED_MODEL / name, folder / name)
        crafts[kind](case, folder, kind)
        return str(folder)

    def model_special(self, case: Case, folder: Path, kind: str) -> None:
        target = folder / self.rng.choice(COMPILED_FILES)
        case.tag(f"{target.name} is {kind}")
        target.unlink()
        if kind == "/dev/zero":
            target.symlink_to("/dev/zero")
        elif kind == "FIFO":
            os.mkfifo(target)
        else:
            with open(target, "wb") as handle:
                handle.truncate(1 << 30)

    def model_metadata(self, case: Case, folder: Path, kind: str) -> None:
        metadata = json.loads((folder / "metadata.json").read_text())
        where = mutate(self.rng, metadata)
        case.tag("metadata.json " + where)
        write_json(folder / "metadata.json", metadata)

    def model_forged(self, case: Case, folder: Path, kind: str) -> None:
        """A forgery: the file changed and its sha256 in metadata.json updated to match."""
        name = "locations.json" if "locations" in kind else "forest.json"
        document = json.loads((folder / name).read_text())
        if name == "locations.json" and self.maybe(0.7):
            area = document["areas"][self.rng.choice(sorted(document["areas"]))]
            cell = area["occupations"][self.rng.choice(sorted(area["occupations"]))]
            field = self.rng.choice(("median", "employment"))
            cell[field] = self.rng.choice((-500_000, -1, 0, 1e12, 1e308, "lots", None, float("nan"), 10**30, [], True))
            where = f"{area['name']} {field} = {cell[field]!r}"
        else:
            where = mutate(self.rng, document)
        case.tag(f"{name} {where}")
        write_json(folder / name, document)
        metadata = json.loads((folder / "metadata.json").read_text())
        metadata["artifacts"][name] = {"sha256": hashlib.sha256((folder / name).read_bytes()).hexdigest(), "bytes": (folder / name).stat().st_size}
        write_json(folder / "metadata.json", metadata)

    def model_damaged(self, case: Case, folder: Path, kind: str) -> None:
        target = folder / self.rng.choice(COMPILED_FILES)
        data = target.read_bytes()
        how = self.rng.choice(("truncated", "emptied", "byte flipped"))
        case.tag(f"{target.name} {how}")
        if how == "truncated":
            data = data[: len(data) // 2]
        elif how == "emptied":
            data = b""
        else:
            at = self.rng.randrange(len(data))
            data = data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1:]
        target.write_bytes(data)

    def model_joblib_only(self, case: Case, folder: Path, kind: str) -> None:
        for name in ("forest.npz", "forest.json", "locations.json"):
            (folder / name).unlink()
        shutil.copyfile(SHIPPED_MODEL / "model.joblib", folder / "model.joblib")

    def not_a_model(self, case: Case) -> str:
        shapes = (
            lambda: str(self.folder / ("no-model" + self.rng.choice(ESCAPES))),
            lambda: str(self.write(case, "-model-file", b"not a model")),
            lambda: "/dev/null",
            lambda: "",
            lambda: self.empty_folder(case, "-empty-model"),
        )
        return self.rng.choice(shapes)()

    def empty_folder(self, case: Case, suffix: str) -> str:
        folder = self.path(case, suffix)
        folder.mkdir()
        return str(folder)


def mutate(rng: random.Random, document) -> str:
    """Replace one node of `document`, reached by a random walk from the top, with a value of
    the wrong type or an absurd one; return where (a path like 'levels.levels.lead.ratio')."""
    node, path = document, []
    while True:
        keys = sorted(node) if isinstance(node, dict) else list(range(len(node)))
        key = rng.choice(keys)
        path.append(str(key))
        child = node[key]
        if isinstance(child, (dict, list)) and child and rng.random() < 0.75:
            node = child
            continue
        node[key] = rng.choice(WRONG_VALUES)
        shown = "3000-deep list" if node[key] == "@@DEEP@@" else repr(node[key])[:40]
        return ".".join(path) + " = " + shown


def write_json(path: Path, document) -> None:
    path.write_text(json.dumps(document).replace('"@@DEEP@@"', DEEP_JSON))


def fit_command(case: Case) -> None:
    """Shorten the longest arguments or variables until the command can be started (each under
    ARGV_BYTES, all under COMMAND_BYTES)."""
    def size(text: str) -> int:
        return len(os.fsencode(text))

    def clip(text: str, limit: int) -> str:
        return os.fsdecode(os.fsencode(text)[:limit])

    case.args = [clip(a, ARGV_BYTES) for a in case.args]
    case.env = {k: clip(v, ARGV_BYTES) for k, v in case.env.items()}
    while sum(map(size, case.args)) + sum(map(size, case.env.values())) > COMMAND_BYTES:
        longest = max(range(len(case.args)), key=lambda i: size(case.args[i]))
        case.args[longest] = clip(case.args[longest], 10_000)
        case.env = {k: clip(v, 10_000) for k, v in case.env.items()}


# -- running and checking -----------------------------------------------------------------------------


@dataclasses.dataclass
class Outcome:
    status: int | None  # None: killed after the timeout
    stdout: bytes
    stderr: bytes | None  # None: stderr was closed
    seconds: float
    rows_out: int | None = None  # batch runs that ended: the output's data rows


def run(case: Case, program: str, environment: dict[str, str], timeout: float) -> Outcome:
    stdin = open(case.stdin, "rb") if case.stdin is not None else subprocess.DEVNULL
    started = time.perf_counter()
    try:
        process = subprocess.Popen(
            [program, *case.args], stdin=stdin, stdout=subprocess.PIPE, stderr=None if case.stderr_closed else subprocess.PIPE,
            env={**environment, **case.env}, start_new_session=True, preexec_fn=_close_stderr if case.stderr_closed else None,
        )
        try:
            stdout, stderr = process.communicate(timeout=timeout)
            status = process.returncode
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the run's own process group
            stdout, stderr = process.communicate()
            status = None
    finally:
        if case.stdin is not None:
            stdin.close()
    return Outcome(status, stdout, stderr, time.perf_counter() - started)


def _close_stderr() -> None:
    os.close(2)  # as `2>&-`: the child starts without a descriptor 2


def stderr_text(case: Case, outcome: Outcome) -> str:
    return (outcome.stderr or b"").decode(case.env.get("PYTHONIOENCODING", "utf-8"), "replace")


def control_characters(text: str) -> list[str]:
    found = {ch for ch in text if (ord(ch) < 32 and ch != "\n") or 0x7F <= ord(ch) <= 0x9F}
    return sorted(found)


def check(case: Case, outcome: Outcome, timeout: float) -> list[tuple[str, str]]:
    """(kind, detail) of each problem of one run."""
    problems = []
    err = stderr_text(case, outcome)
    if outcome.status is None:
        problems.append(("timeout", f"killed after {timeout:g} s"))
    elif outcome.status not in DOCUMENTED_EXITS:
        problems.append(("undocumented exit code", str(outcome.status)))
    internal = [line for line in err.splitlines() if "internal error" in line or "Traceback" in line]
    if internal:
        problems.append(("internal error", internal[0][:300]))
    longest = max((len(line) for line in err.split("\n")), default=0)
    if longest > LONG_LINE:
        problems.append(("long stderr line", f"{longest:,} characters"))
    controls = control_characters(err)
    if controls:
        problems.append(("control characters on stderr", " ".join(f"U+{ord(ch):04X}" for ch in controls)))
    if case.rows_in is not None and outcome.rows_out is not None:
        problems += rows_problems(case, outcome, err)
    if case.stderr_closed:
        problems += stdout_problems(case, outcome)
    return problems


def rows_problems(case: Case, outcome: Outcome, err: str) -> list[tuple[str, str]]:
    rows_in, rows_out = case.rows_in or 0, outcome.rows_out or 0
    lines = err.strip("\n").split("\n")
    stopped = outcome.status != 0 and (outcome.stderr is None or lines[-1].startswith("Error: "))
    detail = f"{rows_in:,} rows in, {rows_out:,} out (exit {outcome.status})"
    if rows_out > rows_in:
        return [("rows added", detail)]
    if rows_out < rows_in and not stopped:
        return [("rows lost", detail)]
    return []


def stdout_problems(case: Case, outcome: Outcome) -> list[tuple[str, str]]:
    """With stderr closed, no message may reach stdout: data only (tables may hold 'Note:')."""
    text = outcome.stdout.decode("utf-8", "replace")
    pattern = MESSAGE if case.output else re.compile(r"^Error: ", re.MULTILINE)
    found = pattern.search(text)
    if found:
        line = text[found.start():].split("\n", 1)[0]
        return [("message on stdout with stderr closed", line[:200])]
    if case.output == "json" and outcome.status == 0:
        try:
            json.loads(text)
        except ValueError as error:
            return [("message on stdout with stderr closed", f"--json output does not parse: {error}")]
    return []


# -- reproducers and the report -----------------------------------------------------------------------


def shell_word(text: str) -> str:
    """`text` as one bash word: plain when printable ASCII, else $'...' with \\xHH escapes."""
    raw = os.fsencode(text)
    if all(32 <= b < 127 for b in raw):
        return shlex.quote(text)
    escaped = "".join(chr(b) if 32 <= b < 127 and b not in b"'\\" else f"\\x{b:02x}" for b in raw)
    return f"$'{escaped}'"


def command_line(case: Case, program: str) -> str:
    words = [f"{name}={shell_word(value)}" for name, value in case.env.items()]
    words += [program] + [shell_word(arg) for arg in case.args]
    if case.stdin is not None:
        words.append("< " + shell_word(str(case.stdin)))
    if case.stderr_closed:
        words.append("2>&-")
    return " ".join(words)


def shorten(text: str, limit: int = 240) -> str:
    """At most about `limit` characters, control characters escaped (never sent raw to a terminal)."""
    text = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)
    return text if len(text) <= limit else text[: limit - 25] + f" ...({len(text):,} chars)"


def keep_reproducer(case: Case, program: str, problems: list[tuple[str, str]], folder: Path, seed: int) -> Path:
    script = folder / f"case{case.number:04d}.sh"
    found = shorten("; ".join(f"{kind}: {detail}" for kind, detail in problems), 400)
    script.write_text(
        f"#!/bin/bash\n# case {case.number} of benchmarks/fuzz.py --seed {seed}: {shorten(case.description, 400)}\n"
        f"# found: {found}\nexport OMP_NUM_THREADS=1\nunset NO_COLOR FORCE_COLOR\n{command_line(case, program)}\n",
        encoding="utf-8", errors="surrogateescape",
    )
    script.chmod(0o755)
    return script


def remove(paths: list[Path]) -> None:
    for path in paths:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()


class Report:
    """What the runs found: counts, rows, extremes and every failure."""

    def __init__(self):
        self.runs: list[dict] = []
        self.failures: list[dict] = []
        self.coverage: collections.Counter = collections.Counter()
        self.longest_line = {"characters": 0, "case": None, "description": ""}

    def add(self, case: Case, outcome: Outcome, problems: list[tuple[str, str]], reproducer: str, script: Path | None) -> None:
        run = {"case": case.number, "command": case.tags[0], "status": outcome.status, "seconds": round(outcome.seconds, 3), "description": case.description}
        if outcome.rows_out is not None:
            run.update(rows_in=case.rows_in, rows_out=outcome.rows_out)
        self.runs.append(run)
        self.coverage.update(dict.fromkeys(case.tags, 1))
        longest = max((len(line) for line in stderr_text(case, outcome).split("\n")), default=0)
        if longest > self.longest_line["characters"]:
            self.longest_line = {"characters": longest, "case": case.number, "description": case.description}
        for kind, detail in problems:
            self.failures.append({"case": case.number, "kind": kind, "detail": shorten(detail, 400), "description": case.description, "command": reproducer, "script": str(script)})

    def count(self, kind: str) -> int:
        return sum(1 for failure in self.failures if failure["kind"] == kind)

    def totals(self) -> dict:
        batch = [run for run in self.runs if "rows_in" in run and run["status"] == 0]
        slowest = max(self.runs, key=lambda run: run["seconds"])
        return {
            "invocations": len(self.runs),
            "by_command": dict(collections.Counter(run["command"] for run in self.runs)),
            "internal_errors": self.count("internal error"),
            "undocumented_exit_codes": self.count("undocumented exit code"),
            "batch_runs": sum(1 for run in self.runs if run["command"] == "batch"),
            "batch_rows_in": sum(run["rows_in"] for run in batch),  # (of the batch runs that exit 0)
            "batch_rows_out": sum(run["rows_out"] for run in batch),
            "rows_lost": self.count("rows lost"),
            "rows_added": self.count("rows added"),
            "timeouts": self.count("timeout"),
            "long_stderr_lines": self.count("long stderr line"),
            "control_characters_on_stderr": self.count("control characters on stderr"),
            "messages_on_stdout_with_stderr_closed": self.count("message on stdout with stderr closed"),
            "longest_stderr_line": self.longest_line,
            "slowest": slowest,
            "total_seconds": round(sum(run["seconds"] for run in self.runs), 1),
        }

    def markdown(self, seed: int, inputs: Path) -> str:
        t = self.totals()
        longest, slowest = t["longest_stderr_line"], t["slowest"]
        lines = [
            f"## mlsalary fuzz: seed {seed}, {t['invocations']} invocations, {t['total_seconds'] / 60:.1f} min of runs",
            "",
            "| check | count |",
            "|---|---:|",
            f"| invocations | {t['invocations']} ({', '.join(f'{k} {v}' for k, v in sorted(t['by_command'].items()))}) |",
            f"| internal errors | {t['internal_errors']} |",
            f"| undocumented exit codes | {t['undocumented_exit_codes']} |",
            f"| batch runs (rows in / out of those that exit 0) | {t['batch_runs']} ({t['batch_rows_in']:,} / {t['batch_rows_out']:,}) |",
            f"| runs with rows lost / added | {t['rows_lost']} / {t['rows_added']} |",
            f"| timeouts | {t['timeouts']} |",
            f"| stderr lines over {LONG_LINE:,} characters | {t['long_stderr_lines']} |",
            f"| control characters on stderr | {t['control_characters_on_stderr']} |",
            f"| messages on stdout with stderr closed | {t['messages_on_stdout_with_stderr_closed']} |",
            f"| longest stderr line | {longest['characters']:,} characters (case {longest['case']}: {shorten(longest['description'], 120)}) |",
            f"| slowest invocation | {slowest['seconds']:.1f} s (case {slowest['case']}: {shorten(slowest['description'], 120)}) |",
            "",
        ]
        if not self.failures:
            return "\n".join(lines + ["No failures."])
        lines.append(f"### Failures ({len(self.failures)}; inputs and re-run scripts in {inputs})")
        for (kind, signature), failures in self.grouped().items():
            lines += ["", f"**{kind}**: {signature} ({len(failures)} runs)", ""]
            lines += [
                f"- case {f['case']} ({f['detail']}): `bash {f['script']}` (`{shorten(f['command'], 200)}`): {shorten(f['description'], 120)}"
                for f in failures
            ]
        return "\n".join(lines)

    def grouped(self) -> dict[tuple[str, str], list[dict]]:
        """Failures by kind, and internal errors and exit codes also by their message."""
        groups: dict[tuple[str, str], list[dict]] = {}
        for failure in sorted(self.failures, key=lambda f: (f["kind"], f["case"])):
            same_cause = failure["kind"] in ("internal error", "undocumented exit code")
            groups.setdefault((failure["kind"], failure["detail"] if same_cause else "see each run"), []).append(failure)
        return groups


# -- main ---------------------------------------------------------------------------------------------


def child_environment() -> dict[str, str]:
    """This process's environment without what would change the CLI's behaviour or colours."""
    dropped = ("NO_COLOR", "FORCE_COLOR", "PYTHONIOENCODING", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLUMNS", "PYTHONWARNINGS")
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MLSALARY_") and k not in dropped}
    environment["OMP_NUM_THREADS"] = "1"
    return environment


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--n", type=int, default=DEFAULT_N, help=f"invocations (default {DEFAULT_N}, about 12 minutes)")
    parser.add_argument("--out", type=Path, default=Path("fuzz-report.json"), help="the JSON report; inputs go to <out>-inputs/ beside it")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds before a run is killed")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    options = parse_arguments(argv)
    program = shutil.which("mlsalary")
    if program is None:
        sys.exit("mlsalary is not on PATH: pip install -e . in the active environment")
    inputs = options.out.parent / f"{options.out.stem}-inputs"
    shutil.rmtree(inputs, ignore_errors=True)
    inputs.mkdir(parents=True)
    generator = Generator(random.Random(options.seed), load_vocabulary(), inputs)
    environment = child_environment()
    report = Report()
    for number in range(options.n):
        case = generator.case(number)
        outcome = run(case, program, environment, options.timeout)
        if case.rows_in is not None and outcome.status is not None:
            outcome.rows_out = output_rows(outcome.stdout, case.output)
        problems = check(case, outcome, options.timeout)
        script = keep_reproducer(case, program, problems, inputs, options.seed) if problems else None
        if not problems:
            remove(case.paths)
        report.add(case, outcome, problems, command_line(case, "mlsalary"), script)
        if (number + 1) % 25 == 0:
            print(f"{number + 1}/{options.n} runs, {len(report.failures)} failures", file=sys.stderr, flush=True)
    document = {"seed": options.seed, "n": options.n, "timeout": options.timeout, "program": program, "inputs": str(inputs), **report.totals(),
                "failures": report.failures, "coverage": dict(sorted(report.coverage.items())), "runs": report.runs}
    options.out.write_text(json.dumps(document, indent=1, ensure_ascii=True) + "\n")
    print(report.markdown(options.seed, inputs))


if __name__ == "__main__":
    main()
