"""Tests of mlsalary.taxonomy: every real source label maps, short forms work, errors help.

The data tests read the real files from the folder named by MLSALARY_DATA (shared/data). They
skip when it is unset, except on CI (CI=true), where a missing data folder is a failure.
"""

from __future__ import annotations

import csv
import gzip
import os
from collections import Counter
from pathlib import Path

import pytest

from mlsalary import taxonomy
from mlsalary.taxonomy import (
    FACTOR_VALUES,
    SKILL_CATEGORIES,
    SKILLS,
    UnknownLabel,
    aliases,
    country_name,
    normalize,
    normalize_country,
    normalize_skill,
    normalize_skills,
    role_from_job_title,
    skill_category,
)

AIJOBS = "aijobs/aijobs_salaries_snapshot2025-01-19_upto2024.csv"
SO2023 = "stackoverflow_2023_us/so2023_us_usd_skills.csv.gz"
SO2024 = "stackoverflow_2024/so2024_comp_workexp_subset.csv"
SO2025 = "stackoverflow_2025/so2025_train_split.csv"

# (file, column, factor): every categorical column of the real data and the factor it feeds.
CATEGORICAL_COLUMNS = [
    (AIJOBS, "experience_level", "seniority"),
    (AIJOBS, "company_size", "company_size"),
    (AIJOBS, "remote_ratio", "remote"),
    (SO2023, "EdLevel", "education"),
    (SO2023, "DevType", "role"),
    (SO2023, "OrgSize", "company_size"),
    (SO2023, "RemoteWork", "remote"),
    (SO2023, "Industry", "industry"),
    (SO2024, "EdLevel", "education"),
    (SO2024, "DevType", "role"),
    (SO2024, "OrgSize", "company_size"),
    (SO2024, "RemoteWork", "remote"),
    (SO2024, "Industry", "industry"),
    (SO2025, "EdLevel", "education"),
    (SO2025, "DevType", "role"),
]
COUNTRY_COLUMNS = [
    (AIJOBS, "employee_residence"),
    (AIJOBS, "company_location"),
    (SO2024, "Country"),
    (SO2025, "Country"),
]
SKILL_COLUMNS = [
    (SO2023, "LanguageHaveWorkedWith"),
    (SO2023, "DatabaseHaveWorkedWith"),
    (SO2023, "PlatformHaveWorkedWith"),
    (SO2023, "WebframeHaveWorkedWith"),
    (SO2023, "MiscTechHaveWorkedWith"),
    (SO2023, "ToolsTechHaveWorkedWith"),
    (SO2025, "LanguageHaveWorkedWith"),
    (SO2025, "PrimaryLanguage"),
]
MULTI_SELECT = {"DevType"} | {column for _, column in SKILL_COLUMNS}

# Labels in the real files that are genuine non-answers and may map to None.
NON_ANSWERS = {"", "NA", "I don’t know", "I don't know"}


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The real data folder (MLSALARY_DATA). Skips without it; on CI its absence fails."""
    value = os.environ.get("MLSALARY_DATA")
    if not value:
        message = "MLSALARY_DATA not set: point it at shared/data to test the real source labels"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    path = Path(value)
    if not path.is_dir():
        pytest.fail(f"MLSALARY_DATA={value!r} is not a folder")
    return path


_CACHE: dict[tuple[Path, str], Counter] = {}


def distinct_labels(data_dir: Path, relative: str, column: str) -> Counter:
    """Distinct labels of one column (multi-select cells split on ';'), with row counts."""
    cache_key = (data_dir / relative, column)
    if cache_key not in _CACHE:
        path = data_dir / relative
        opener = gzip.open if path.suffix == ".gz" else open
        counts: Counter = Counter()
        with opener(path, "rt", encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            assert column in reader.fieldnames, f"{relative} has no column {column}"
            for row in reader:
                cell = row[column]
                for label in cell.split(";") if column in MULTI_SELECT else [cell]:
                    counts[label] += 1
        _CACHE[cache_key] = counts
    return _CACHE[cache_key]


# ---------------------------------------------------------------------------------------------
# Every label in the real data maps
# ---------------------------------------------------------------------------------------------


@pytest.mark.data
@pytest.mark.parametrize(("relative", "column", "factor"), CATEGORICAL_COLUMNS)
def test_every_real_categorical_label_maps(data_dir, relative, column, factor):
    labels = distinct_labels(data_dir, relative, column)
    assert len(labels) >= 3  # the column really was read
    failures = {}
    for label in labels:
        try:
            value = normalize(factor, label)
        except UnknownLabel as error:
            failures[label] = str(error)
            continue
        if value is None:
            if label not in NON_ANSWERS:
                failures[label] = "mapped to None but is not a non-answer"
        elif value not in FACTOR_VALUES[factor]:
            failures[label] = f"mapped to non-canonical {value!r}"
    assert failures == {}


@pytest.mark.data
@pytest.mark.parametrize(("relative", "column"), COUNTRY_COLUMNS)
def test_every_real_country_label_maps(data_dir, relative, column):
    labels = distinct_labels(data_dir, relative, column)
    assert len(labels) >= 50
    failures = {}
    for label in labels:
        try:
            code = normalize_country(label)
        except UnknownLabel as error:
            failures[label] = str(error)
            continue
        if code is None:
            # "Nomadic" is an SO answer with no country; everything else is a real country.
            if label != "Nomadic":
                failures[label] = "mapped to None"
        elif not (len(code) == 2 and code.isupper()):
            failures[label] = f"not an alpha-2 code: {code!r}"
    assert failures == {}


@pytest.mark.data
def test_aijobs_country_codes_map_to_themselves(data_dir):
    for column in ("employee_residence", "company_location"):
        for code in distinct_labels(data_dir, AIJOBS, column):
            assert normalize_country(code) == code


@pytest.mark.data
def test_so_spelled_countries_agree_with_aijobs_codes(data_dir):
    # The same country from two sources must get one key.
    so_codes = {normalize_country(label) for label in distinct_labels(data_dir, SO2024, "Country")}
    aijobs_codes = set(distinct_labels(data_dir, AIJOBS, "employee_residence"))
    assert {"US", "GB", "DE", "IN", "CA", "FR"} <= so_codes & aijobs_codes


@pytest.mark.data
@pytest.mark.parametrize(("relative", "column"), SKILL_COLUMNS)
def test_every_real_skill_label_maps(data_dir, relative, column):
    labels = distinct_labels(data_dir, relative, column)
    assert len(labels) >= 20
    failures = {}
    for label in labels:
        if label == "":
            continue  # empty cell: no answer
        try:
            slug = normalize_skill(label)
        except UnknownLabel as error:
            failures[label] = str(error)
            continue
        if slug not in SKILLS:
            failures[label] = f"non-canonical slug {slug!r}"
    assert failures == {}


@pytest.mark.data
def test_skill_categories_follow_the_so_column(data_dir):
    expected = {
        "LanguageHaveWorkedWith": "language",
        "DatabaseHaveWorkedWith": "database",
        "PlatformHaveWorkedWith": "platform",
        "WebframeHaveWorkedWith": "webframe",
        "MiscTechHaveWorkedWith": "misc_tech",
        "ToolsTechHaveWorkedWith": "tools",
    }
    for column, category in expected.items():
        for label in distinct_labels(data_dir, SO2023, column):
            if label:
                assert skill_category(normalize_skill(label)) == category, (column, label)


@pytest.mark.data
def test_every_real_job_title_gets_a_role(data_dir):
    titles = distinct_labels(data_dir, AIJOBS, "job_title")
    assert len(titles) >= 250
    unmapped = [title for title in titles if role_from_job_title(title) is None]
    assert unmapped == []
    for title in titles:
        assert role_from_job_title(title) in FACTOR_VALUES["role"], title
        # Every title in the data is decided by the explicit table, not by keyword luck.
        assert title in taxonomy.AIJOBS_TITLE_ROLES, title


@pytest.mark.data
def test_ml_rows_of_every_source_land_on_ml_roles(data_dir):
    assert normalize("role", "Data scientist or machine learning specialist") == "data-scientist-or-ml"
    so2025 = distinct_labels(data_dir, SO2025, "DevType")
    assert normalize("role", "AI/ML engineer") == "ml-engineer" and "AI/ML engineer" in so2025
    titles = distinct_labels(data_dir, AIJOBS, "job_title")
    ml_rows = sum(n for title, n in titles.items() if role_from_job_title(title) == "ml-engineer")
    assert ml_rows >= 5793 + 619  # Machine Learning Engineer + AI Engineer at least


# ---------------------------------------------------------------------------------------------
# Job titles: explicit table and keyword rules
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "role"),
    [
        ("Machine Learning Engineer", "ml-engineer"),
        ("ML Engineer", "ml-engineer"),
        ("AI Engineer", "ml-engineer"),
        ("MLOps Engineer", "ml-engineer"),
        ("Computer Vision Engineer", "ml-engineer"),
        ("NLP Engineer", "ml-engineer"),
        ("Data Scientist", "data-scientist"),
        ("Machine Learning Scientist", "ml-researcher"),
        ("Machine Learning Researcher", "ml-researcher"),
        ("Research Scientist", "ml-researcher"),
        ("Applied Scientist", "applied-scientist"),
        ("AI Developer", "ai-developer"),
        ("Data Engineer", "data-engineer"),
        ("Analytics Engineer", "data-engineer"),
        ("Data Analyst", "data-analyst"),
        ("BI Developer", "data-analyst"),
        ("Data Architect", "architect"),
        ("Head of Data", "engineering-manager"),
        ("Director of Machine Learning", "engineering-manager"),
        ("Consultant", "consultant"),
        ("Software Engineer", "software-engineer"),
        ("Product Manager", "product-manager"),
        ("Quantitative Researcher", "financial-analyst"),
        ("Backend Engineer", "backend"),
        ("machine learning engineer", "ml-engineer"),  # case-insensitive
        ("  Data  Scientist ", "data-scientist"),  # whitespace-insensitive
    ],
)
def test_job_title_spot_checks(title, role):
    assert role_from_job_title(title) == role


@pytest.mark.parametrize(
    ("title", "role"),
    [
        # Titles not in the 2025-01-19 snapshot: decided by the keyword rules.
        ("Senior Machine Learning Engineer II", "ml-engineer"),
        ("Generative AI Engineer", "ml-engineer"),
        ("Machine Learning Intern", "student"),
        ("Chief Data Officer", "executive"),
        ("VP of Engineering", "executive"),
        ("Data Science Manager", "engineering-manager"),
        ("Senior Data Engineer", "data-engineer"),
        ("Staff Research Scientist", "ml-researcher"),
        ("Senior Data Scientist", "data-scientist"),
        ("Frontend Developer", "frontend"),
        ("Site Reliability Engineer II", "sre"),
    ],
)
def test_unseen_job_titles_follow_keyword_rules(title, role):
    assert title not in taxonomy.AIJOBS_TITLE_ROLES
    assert role_from_job_title(title) == role


def test_job_title_without_any_rule_is_none():
    assert role_from_job_title("Foo Bar") is None
    assert role_from_job_title("") is None
    assert role_from_job_title(None) is None


def test_explicit_titles_map_to_canonical_roles():
    assert set(taxonomy.AIJOBS_TITLE_ROLES.values()) <= set(FACTOR_VALUES["role"])


# ---------------------------------------------------------------------------------------------
# Canonical values and aliases
# ---------------------------------------------------------------------------------------------


def test_factor_values_cover_required_factors():
    assert set(FACTOR_VALUES) == {"seniority", "education", "role", "industry", "company_size", "remote"}
    assert FACTOR_VALUES["seniority"] == (
        "entry", "mid", "senior", "lead", "staff", "senior-staff", "principal", "senior-principal", "distinguished", "executive",
    )
    assert FACTOR_VALUES["remote"] == ("remote", "hybrid", "in-person")
    assert FACTOR_VALUES["company_size"] == ("micro", "small", "medium", "large", "enterprise")
    assert FACTOR_VALUES["education"] == (
        "primary", "secondary", "some-college", "associate", "bachelor", "master", "doctorate-or-professional", "other",
    )
    for role in ("ml-engineer", "data-scientist-or-ml", "data-scientist", "ml-researcher", "ai-developer", "other"):
        assert role in FACTOR_VALUES["role"]
    for values in FACTOR_VALUES.values():
        assert len(values) == len(set(values))


@pytest.mark.parametrize("factor", sorted(FACTOR_VALUES))
def test_every_canonical_value_maps_to_itself(factor):
    for value in FACTOR_VALUES[factor]:
        assert normalize(factor, value) == value
        assert normalize(factor, value.upper()) == value


@pytest.mark.parametrize("factor", sorted(FACTOR_VALUES))
def test_every_alias_maps_to_its_key(factor):
    table = aliases(factor)
    assert list(table) == list(FACTOR_VALUES[factor])
    for canonical, labels in table.items():
        assert labels, canonical
        for label in labels:
            assert normalize(factor, label) == canonical, label


def test_every_skill_alias_maps_to_its_slug():
    table = aliases("skills")
    assert set(table) == set(SKILLS)
    for slug, labels in table.items():
        assert normalize_skill(slug) == slug
        for label in labels:
            assert normalize_skill(label) == slug, label


def test_every_country_alias_maps_to_its_code():
    table = aliases("country")
    assert len(table) > 240
    assert "Germany" in table["DE"] and "USA" in table["US"] and "Kosovo" in table["XK"]
    for code, labels in table.items():
        for label in labels:
            assert normalize_country(label) == code, label


def test_skill_categories_and_display_names():
    assert SKILL_CATEGORIES == ("language", "database", "platform", "webframe", "misc_tech", "tools")
    assert {skill_category(slug) for slug in SKILLS} == set(SKILL_CATEGORIES)
    assert SKILLS["pytorch"] == "PyTorch"
    assert SKILLS["cpp"] == "C++"
    assert skill_category("pytorch") == "misc_tech"
    assert skill_category("python") == "language"
    assert skill_category("docker") == "tools"
    assert skill_category("aws") == "platform"
    assert skill_category("postgresql") == "database"
    assert skill_category("fastapi") == "webframe"
    for slug in SKILLS:
        assert slug == slug.lower() and " " not in slug


# ---------------------------------------------------------------------------------------------
# Required examples
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("factor", "label", "expected"),
    [
        ("education", "Master’s degree (M.A., M.S., M.Eng., MBA, etc.)", "master"),
        ("education", "Master's degree (M.A., M.S., M.Eng., MBA, etc.)", "master"),
        ("education", "Master's degree", "master"),
        ("education", "Master’s degree", "master"),
        ("education", "master", "master"),
        ("education", "masters", "master"),
        ("education", "MSc", "master"),
        ("education", "Bachelor’s degree (B.A., B.S., B.Eng., etc.)", "bachelor"),
        ("education", "bachelor", "bachelor"),
        ("education", "BSc", "bachelor"),
        ("education", "phd", "doctorate-or-professional"),
        ("education", "PhD", "doctorate-or-professional"),
        ("education", "doctorate", "doctorate-or-professional"),
        ("education", "Professional degree (JD, MD, Ph.D, Ed.D, etc.)", "doctorate-or-professional"),
        ("education", "Something else", "other"),
        ("education", "Other (please specify):", "other"),
        ("role", "AI/ML engineer", "ml-engineer"),
        ("role", "ml-engineer", "ml-engineer"),
        ("role", "ml engineer", "ml-engineer"),
        ("role", "mle", "ml-engineer"),
        ("role", "Machine Learning Engineer", "ml-engineer"),
        ("role", "Data scientist", "data-scientist"),
        ("role", "data-scientist", "data-scientist"),
        ("role", "Data scientist or machine learning specialist", "data-scientist-or-ml"),
        ("role", "Developer, AI", "ai-developer"),
        ("role", "Developer, AI apps or physical AI", "ai-developer"),
        ("role", "Developer, back-end", "backend"),
        ("role", "backend", "backend"),
        ("role", "back-end", "backend"),
        ("role", "Engineer, data", "data-engineer"),
        ("role", "Senior executive (C-suite, VP, etc.)", "executive"),
        ("role", "Senior Executive (C-Suite, VP, etc.)", "executive"),
        ("role", "Other (please specify):", "other"),
        ("role", "Data Architect", "architect"),  # aijobs titles are role labels too
        ("seniority", "EN", "entry"),
        ("seniority", "entry", "entry"),
        ("seniority", "junior", "entry"),
        ("seniority", "MI", "mid"),
        ("seniority", "SE", "senior"),
        ("seniority", "EX", "executive"),
        ("remote", "50", "hybrid"),
        ("remote", "0", "in-person"),
        ("remote", "100", "remote"),
        ("remote", 50, "hybrid"),
        ("remote", 100.0, "remote"),
        ("remote", "Hybrid (some remote, some in-person)", "hybrid"),
        ("remote", "Hybrid (some in-person, leans heavy to flexibility)", "hybrid"),
        ("remote", "Your choice (very flexible, you can come in when you want or just as needed)", "hybrid"),
        ("remote", "In-person", "in-person"),
        ("remote", "onsite", "in-person"),
        ("company_size", "Just me - I am a freelancer, sole proprietor, etc.", "micro"),
        ("company_size", "2 to 9 employees", "micro"),
        ("company_size", "2-9", "micro"),
        ("company_size", "20 to 99 employees", "small"),
        ("company_size", "20-99", "small"),
        ("company_size", "Less than 20 employees", "small"),
        ("company_size", "1,000-4,999", "large"),
        ("company_size", "1,000 to 4,999 employees", "large"),
        ("company_size", "10,000 or more", "enterprise"),
        ("company_size", "10,000 or more employees", "enterprise"),
        ("company_size", "S", "small"),
        ("company_size", "M", "medium"),
        ("company_size", "L", "large"),
        ("company_size", "250", "medium"),
        ("industry", "Information Services, IT, Software Development, or other Technology", "software-and-it"),
        ("industry", "Software Development", "software-and-it"),
        ("industry", "tech", "software-and-it"),
        ("industry", "Fintech", "finance"),
        ("industry", "banking", "finance"),
        ("industry", "Oil & Gas", "energy"),
        ("industry", "Transportation, or Supply Chain", "manufacturing-and-logistics"),
        ("industry", "Other:", "other"),
        ("industry", "Other (please specify):", "other"),
    ],
)
def test_required_examples(factor, label, expected):
    assert normalize(factor, label) == expected


@pytest.mark.parametrize(
    ("label", "code"),
    [
        ("United States of America", "US"),
        ("US", "US"),
        ("USA", "US"),
        ("usa", "US"),
        ("United States", "US"),
        ("U.S.", "US"),
        ("America", "US"),
        ("UK", "GB"),
        ("GB", "GB"),
        ("GBR", "GB"),
        ("United Kingdom of Great Britain and Northern Ireland", "GB"),
        ("United Kingdom", "GB"),
        ("England", "GB"),
        ("Great Britain", "GB"),
        ("Germany", "DE"),
        ("DE", "DE"),
        ("DEU", "DE"),
        ("germany", "DE"),
        (" Germany ", "DE"),
        ("Iran, Islamic Republic of...", "IR"),
        ("Venezuela, Bolivarian Republic of...", "VE"),
        ("Republic of Korea", "KR"),
        ("South Korea", "KR"),
        ("Hong Kong (S.A.R.)", "HK"),
        ("Taiwan", "TW"),
        ("Congo, Republic of the...", "CG"),
        ("Democratic Republic of the Congo", "CD"),
        ("Libyan Arab Jamahiriya", "LY"),
        ("The former Yugoslav Republic of Macedonia", "MK"),
        ("Kosovo", "XK"),
        ("Palestine", "PS"),
        ("Russia", "RU"),
        ("Russian Federation", "RU"),
        ("Czechia", "CZ"),
        ("Czech Republic", "CZ"),
        ("Holland", "NL"),
        ("UAE", "AE"),
        ("Turkey", "TR"),
        ("Côte d'Ivoire", "CI"),
        ("Cote d’Ivoire", "CI"),
        ("Viet Nam", "VN"),
        ("Namibia", "NA"),
    ],
)
def test_country_examples(label, code):
    assert normalize_country(label) == code
    assert normalize("country", label) == code


@pytest.mark.parametrize("label", ["", "NA", "nan", None, float("nan"), "Nomadic"])
def test_country_non_answers(label):
    assert normalize_country(label) is None


def test_country_names():
    assert country_name("DE") == "Germany"
    assert country_name("US") == "United States"
    assert country_name("GB") == "United Kingdom"
    assert country_name("KR") == "South Korea"
    assert country_name("TW") == "Taiwan"
    assert country_name("XK") == "Kosovo"
    assert country_name("de") == "Germany"
    assert country_name("United Kingdom of Great Britain and Northern Ireland") == "United Kingdom"
    with pytest.raises(UnknownLabel):
        country_name("QQ")


@pytest.mark.parametrize(
    ("label", "slug"),
    [
        ("torch", "pytorch"),
        ("pytorch", "pytorch"),
        ("PyTorch", "pytorch"),
        ("Torch/PyTorch", "pytorch"),
        ("sklearn", "scikit-learn"),
        ("Scikit-Learn", "scikit-learn"),
        ("scikit-learn", "scikit-learn"),
        ("tf", "tensorflow"),
        ("Hugging Face Transformers", "hugging-face"),
        ("golang", "go"),
        ("Go", "go"),
        ("c++", "cpp"),
        ("cpp", "cpp"),
        ("C#", "csharp"),
        ("Amazon Web Services (AWS)", "aws"),
        ("aws", "aws"),
        ("Google Cloud", "gcp"),
        ("gcp", "gcp"),
        ("Microsoft Azure", "azure"),
        ("azure", "azure"),
        ("Apache Spark", "spark"),
        ("spark", "spark"),
        ("Bash/Shell (all shells)", "bash"),
        ("Bash/Shell", "bash"),
        ("R", "r"),
        ("Python", "python"),
        ("Databricks SQL", "databricks"),
        ("Linode, now Akamai", "linode"),
        ("IBM Cloud Or Watson", "ibm-cloud"),
        ("IBM Cloud", "ibm-cloud"),
        (".NET (5+) ", "dotnet"),
        ("Rasberry Pi", "raspberry-pi"),
        ("COBOL", "cobol"),
        ("Cobol", "cobol"),
    ],
)
def test_skill_examples(label, slug):
    assert normalize_skill(label) == slug


def test_normalize_skills_sorted_unique():
    assert normalize_skills(["Python", "torch", "Torch/PyTorch", "SQL", ""]) == ("python", "pytorch", "sql")
    assert normalize_skills("Python;SQL;NA") == ("python", "sql")
    assert normalize_skills([]) == ()
    assert normalize_skills(label for label in ["Go", "golang"]) == ("go",)
    with pytest.raises(UnknownLabel):
        normalize_skills(["Python", "Pythn"])


@pytest.mark.parametrize(
    ("factor", "label"),
    [
        ("company_size", "I don’t know"),
        ("company_size", "I don't know"),
        ("company_size", "NA"),
        ("company_size", ""),
        ("role", "NA"),
        ("role", ""),
        ("education", "NA"),
        ("industry", "NA"),
        ("remote", "NA"),
        ("remote", None),
        ("seniority", float("nan")),
        ("industry", "Prefer not to say"),
    ],
)
def test_non_answers_are_none(factor, label):
    assert normalize(factor, label) is None


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------


def test_country_typo_message_is_exact():
    with pytest.raises(UnknownLabel) as caught:
        normalize("country", "Germny")
    error = caught.value
    assert str(error) == "unknown country 'Germny'; did you mean 'Germany'?"
    assert error.factor == "country"
    assert error.value == "Germny"
    assert error.suggestions == ["Germany"]
    assert isinstance(error, ValueError)


@pytest.mark.parametrize(
    ("factor", "label", "suggestion"),
    [
        ("education", "mastr", "master"),
        ("education", "bachelr", "bachelor"),
        ("role", "ml engneer", "ml-engineer"),
        ("role", "data scientst", "data-scientist"),
        ("industry", "fintec", "finance"),
        ("seniority", "senoir", "senior"),
    ],
)
def test_typos_get_suggestions(factor, label, suggestion):
    with pytest.raises(UnknownLabel) as caught:
        normalize(factor, label)
    error = caught.value
    assert error.suggestions[0] == suggestion
    assert 1 <= len(error.suggestions) <= 3
    assert str(error).startswith(f"unknown {factor} '{label}'; did you mean '{suggestion}'")
    assert "\n" not in str(error)


def test_skill_typo_gets_suggestion():
    with pytest.raises(UnknownLabel) as caught:
        normalize_skill("pytorh")
    assert caught.value.factor == "skills"
    assert caught.value.suggestions[0] == "pytorch"
    assert str(caught.value) == "unknown skill 'pytorh'; did you mean 'pytorch'?"


def test_hopeless_value_lists_valid_values():
    with pytest.raises(UnknownLabel) as caught:
        normalize("remote", "sometimes")
    assert caught.value.suggestions == []
    assert str(caught.value) == "unknown remote 'sometimes'; valid values: remote, hybrid, in-person"


def test_hopeless_value_of_long_factor_is_cut_with_pointer():
    with pytest.raises(UnknownLabel) as caught:
        normalize("role", "zzzzqqq")
    message = str(caught.value)
    assert message.startswith("unknown role 'zzzzqqq'; valid values: ml-engineer, ")
    assert message.endswith("…, see `mlsalary options role`")
    assert message.count(",") <= 11
    with pytest.raises(UnknownLabel) as caught:
        normalize_skill("zzzzqqq")
    assert str(caught.value).endswith("see `mlsalary options skills`")


def test_hopeless_country_points_to_options():
    with pytest.raises(UnknownLabel) as caught:
        normalize_country("Xyzzyland")
    assert str(caught.value) == "unknown country 'Xyzzyland'; see `mlsalary options country`"


def test_messages_are_single_line_even_for_odd_input():
    with pytest.raises(UnknownLabel) as caught:
        normalize("education", "line one\nline two")
    assert "\n" not in str(caught.value)


def test_unknown_factor_is_rejected():
    with pytest.raises(ValueError):
        normalize("favourite_colour", "blue")
    with pytest.raises(ValueError):
        aliases("favourite_colour")


def test_import_is_light():
    # The CLI validates input before loading heavy libraries: the taxonomy must not import them,
    # nor pycountry (countries are read from the index in data/), nor a TOML parser. Importing
    # it reads no table (they are read on first use) and imports neither typing nor dataclasses
    # (milliseconds each; the registry in mlsalary.factors, read on first use, imports them).
    import subprocess
    import sys

    code = (
        "import sys; import mlsalary.taxonomy as t; "
        "assert t.tables.label_table.cache_info().currsize == 0 and t.tables.countries.cache_info().currsize == 0; "
        "light = [m for m in ('typing', 'dataclasses', 'mlsalary.factors') if m in sys.modules]; "
        "assert t.normalize_country('Germany') == 'DE' and t.country_name('DE') == 'Germany'; "
        "assert t.normalize('role', 'mle') == 'ml-engineer' and t.normalize_skill('torch') == 'pytorch'; "
        "heavy = [m for m in ('pandas', 'numpy', 'sklearn', 'pycountry', 'tomllib', 'difflib') if m in sys.modules]; "
        "print(','.join(light + heavy))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


@pytest.mark.parametrize(
    ("title", "role"),
    [("ML Intern", "ml-engineer"), ("Machine Learning Intern", "ml-engineer"), ("Intern, Data Science", "data-scientist"), ("Software Engineering Intern", "software-engineer")],
)
def test_an_internship_in_a_role_is_that_role_at_entry_level_never_a_student(title, role):
    reading = taxonomy.read_title(title)
    assert (reading.role, reading.seniority) == (role, "entry")
    assert "no survey records intern pay" in reading.note


def test_a_bare_internship_is_still_read_as_a_student():
    assert taxonomy.read_title("intern").role == "student"
    assert taxonomy.read_title("Summer Intern").role == "student"
