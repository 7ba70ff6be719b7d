"""The factor registry: every input a profile can have, written down once.

`Profile` (profile.py), the profile options of every command (cli/app.py), the batch columns
and their header aliases (batch/readers.py), rendering labels (cli/render.py), `mlsalary
options` (catalog.py), the model's columns (runtime/features.py), training counts and the source
readers' canonical columns (train/sources.py, train/pipeline.py) all read this list. Its order is the display order, and the order of
contributions in every output.

How to add a factor
-------------------
1. Add a `Factor` to `REGISTRY` below: its name (the `--option` and the batch column), kind,
   help, metavar, display label, and the batch header aliases people use for it.
2. For a `category` factor, add its canonical values and the survey labels that map to them in
   the taxonomy tables (`taxonomy.FACTOR_VALUES` and the label map of that factor).
3. Make the source readers that carry it fill its column (train/sources.py); a source that does not
   ask leaves it None, which the model learns as "not given".
4. Retrain (`mlsalary train --data ...`): the model, its contributions, `options`, the CLI
   options and the batch columns pick the factor up from here.

tests/test_factors.py adds a dummy factor this way and checks every consumer sees it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["years", "category", "country", "skills", "place"]


@dataclass(frozen=True)
class Factor:
    """One input. `kind` decides how it is parsed, encoded and shown:

    - years: a number of years between 0 and `limit`;
    - category: one of the canonical values in the taxonomy tables;
    - country: an ISO 3166 country;
    - skills: a set of skills, one 0/1 model column per modelled skill;
    - place: a place below the country; not a model feature (see locations.py).
    """

    name: str
    kind: Kind
    help: str
    metavar: str
    label: str
    aliases: tuple[str, ...] = ()  # batch header spellings (matched without case or punctuation)
    limit: float | None = None  # years only: the largest accepted number
    option_help: str = ""  # added to `help` in the CLI option only
    option_aliases: tuple[str, ...] = ()  # other spellings of the `--option` people type

    @property
    def is_model_feature(self) -> bool:
        return self.kind != "place"

    @property
    def option(self) -> str:
        return "--" + self.name.replace("_", "-")


REGISTRY: tuple[Factor, ...] = (
    Factor(
        "experience", "years", "Years of professional (paid) work experience, a number >= 0.", "YEARS", "Experience",
        aliases=(
            "years of experience", "years experience", "yoe", "yrs of experience", "yrs experience",
            "experience years", "experience (years)", "work experience", "professional experience",
            "years of professional experience", "years", "exp", "workexp", "years pro", "yearscodepro",
        ),
        # Generous: a 60-year career is implausible, not impossible to type by mistake.
        limit=60.0,
        option_aliases=("--yoe", "--years"),
    ),
    Factor(
        "years_coding", "years", "Total years coding, learning included, a number >= 0.", "YEARS", "Years coding",
        aliases=("years coding", "years of coding", "coding years", "yearscode", "years programming"),
        limit=70.0,
    ),
    Factor(
        "seniority", "category", "entry | mid | senior | executive (or EN, MI, SE, EX).", "LEVEL", "Seniority",
        aliases=("level", "seniority level", "experience level", "career level", "grade", "job level", "rank"),
        option_aliases=("--level",),
    ),
    Factor(
        "country", "country", "Country name, ISO code or alias: Germany, DE, DEU, USA, UK ...", "COUNTRY", "Country",
        aliases=("country of residence", "residence", "employee residence", "work country", "nation"),
    ),
    Factor(
        "industry", "category", "Industry, e.g. software-and-it, finance, healthcare (see `mlsalary options industry`).", "INDUSTRY", "Industry",
        aliases=("sector", "business sector", "field"),
    ),
    Factor(
        "education", "category", "Highest degree, e.g. bachelor, master, phd (see `mlsalary options education`).", "DEGREE", "Education",
        aliases=(
            "degree", "highest degree", "education level", "edlevel", "qualification",
            "highest qualification", "highest education", "studies",
        ),
        option_aliases=("--degree",),
    ),
    Factor(
        "role", "category", "Role, e.g. ml-engineer, data-scientist, backend (see `mlsalary options role`).", "ROLE", "Role",
        aliases=("title", "job title", "job", "position", "job role", "role title", "devtype", "occupation", "designation"),
        option_help=" Not given: every role.",
        option_aliases=("--title",),
    ),
    Factor(
        "company_size", "category", "micro (1-9) | small (10-99) | medium (100-999) | large (1k-10k) | enterprise (10k+).", "SIZE", "Company size",
        aliases=(
            "company size", "org size", "orgsize", "organization size", "organisation size",
            "employer size", "employees", "headcount", "company employees",
        ),
    ),
    Factor(
        "remote", "category", "remote | hybrid | in-person.", "MODE", "Remote work",
        aliases=(
            "remote work", "remotework", "remote ratio", "work mode", "work arrangement", "work setup",
            "workplace", "on site", "onsite", "wfh", "work location type",
        ),
    ),
    Factor(
        "skills", "skills", "Skills, comma or ';' separated: python,pytorch,aws (see `mlsalary options skills`).", "SKILLS", "Skills",
        aliases=(
            "skill", "tech stack", "stack", "technologies", "tech", "tools", "languages", "skill set", "skillset",
            "languagehaveworkedwith", "languages worked with",
        ),
        option_help=" Repeatable.",
        option_aliases=("--skill",),
    ),
    Factor(
        "location", "place",
        "US metro, city or state (San Francisco, 'Austin, TX', NYC, Texas, Palo Alto), or a city or country elsewhere (Berlin -> DE); see `mlsalary options location`.",
        "PLACE", "Location",
        # Location and City read as location, which takes countries too ("Germany").
        aliases=("city", "metro", "metro area", "place", "based in", "where", "office location", "work location", "state"),
        option_help=" A US place shifts the US range by its OEWS wage ratio (not validated).",
        option_aliases=("--city",),
    ),
)

BY_NAME: dict[str, Factor] = {factor.name: factor for factor in REGISTRY}
# Every input of a profile, and the ones the model reads (all but places).
FIELDS: tuple[str, ...] = tuple(factor.name for factor in REGISTRY)
FACTORS: tuple[str, ...] = tuple(factor.name for factor in REGISTRY if factor.is_model_feature)
NUMERIC_FACTORS: tuple[str, ...] = tuple(factor.name for factor in REGISTRY if factor.kind == "years")
CATEGORICAL_FACTORS: tuple[str, ...] = tuple(factor.name for factor in REGISTRY if factor.kind == "category")
# Factors with a closed list of values, counted per value in training (catalog, support).
LABELLED_FACTORS: tuple[str, ...] = tuple(factor.name for factor in REGISTRY if factor.kind in ("category", "country"))
NUMERIC_LIMITS: dict[str, float] = {factor.name: float(factor.limit) for factor in REGISTRY if factor.limit is not None}
# The keywords of Estimator.estimate: each factor's --option and its aliases as Python names
# (--years-coding -> years_coding, --yoe -> yoe).
KEYWORDS: dict[str, str] = {
    spelling[2:].replace("-", "_"): factor.name for factor in REGISTRY for spelling in (factor.option, *factor.option_aliases)
}
FACTOR_HELP: dict[str, str] = {factor.name: factor.help for factor in REGISTRY}
FACTOR_LABELS: dict[str, str] = {factor.name: factor.label for factor in REGISTRY}
# The inputs with named values, which `mlsalary options FACTOR` lists.
VALUE_FACTORS: tuple[str, ...] = tuple(factor.name for factor in REGISTRY if factor.kind != "years")


def lookup(name: str, *, field: str, among: tuple[str, ...] = FIELDS, within: str = "") -> str:
    """The factor a user named (`--by`, `--what-if`, `options FACTOR`): its name, its option's
    spelling ("years-coding", "--years-coding") or an option alias ("yoe", "title"). Anything
    else is an InputError for `field` with the nearest factor, as every command says it;
    `within` names the text it came from ("what-if 'x=1'")."""
    from mlsalary.errors import InputError

    key = name.strip().lower().lstrip("-").replace("-", "_")
    spellings = {f.name: f.name for f in REGISTRY} | {a.lstrip("-").replace("-", "_"): f.name for f in REGISTRY for a in f.option_aliases}
    found = spellings.get(key)
    if found in among:
        return found
    where = f" in {within}" if within else ""
    if found is not None:
        raise InputError(field, f"'{found}' cannot be used {where.strip() or 'here'}; use one of: " + ", ".join(among))
    import difflib

    close = difflib.get_close_matches(key, [s for s, f in spellings.items() if f in among], n=1)
    hint = f"did you mean '{spellings[close[0]]}'?" if close else "factors: " + ", ".join(among)
    raise InputError(field, f"unknown factor {name.strip()[:60]!r}{where}; {hint}")
