"""Inputs in the words people use (issue 11, parts 2-5), through CliRunner: titles and levels,
today's skills and degrees, batch headers as people write them, and money as people type it."""

from __future__ import annotations

import csv
import io
import json

import pytest

from mlsalary import negotiation, taxonomy
from mlsalary.errors import InputError
from mlsalary.profile import Profile

from conftest import invoke


def estimate_json(*args) -> dict:
    result = invoke("estimate", *args, "--json", "--no-explain")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def flat(panel: str) -> str:
    """A Rich panel's text without its borders and line breaks."""
    return " ".join(panel.replace("│", " ").split())


def rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


# -- titles and levels ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "title,role,seniority",
    [
        ("Senior ML Engineer", "ml-engineer", "senior"),
        ("Staff Machine Learning Engineer", "ml-engineer", "staff"),
        ("Lead Data Scientist", "data-scientist", "lead"),
        ("ML Intern", "ml-engineer", "entry"),
        ("Principal AI Engineer", "ml-engineer", "principal"),
        ("NLP Engineer", "ml-engineer", None),
        ("Computer Vision Engineer", "ml-engineer", None),
        ("ML Engineer II", "ml-engineer", "mid"),
        ("Software Engineer L5", "software-engineer", "senior"),
        ("Head of Machine Learning", "engineering-manager", "executive"),
        ("Junior Data Analyst", "data-analyst", "entry"),
    ],
)
def test_a_title_reads_as_role_and_level_and_says_so(title, role, seniority):
    data = estimate_json("--role", title, "--country", "US")
    assert data["profile"]["role"] == role
    assert data["profile"]["seniority"] == seniority
    reading = f"read '{title}' as role {role}" + (f", seniority {seniority}" if seniority else "")
    assert any(r.startswith(reading) for r in data["readings"]), data["readings"]


def test_the_reading_is_in_the_text_output():
    result = invoke("estimate", "--role", "Senior ML Engineer", "--country", "US", "--no-explain")
    assert result.exit_code == 0, result.stderr
    assert "Note: read 'Senior ML Engineer' as role ml-engineer, seniority senior." in flat(result.stdout)


def test_thin_specialisations_say_which_role_they_became():
    data = estimate_json("--role", "Computer Vision Engineer")
    assert data["readings"] == [
        "read 'Computer Vision Engineer' as role ml-engineer (computer vision has too few rows in the data "
        "to be a role of its own; nearest role used)"
    ]
    scientist = estimate_json("--role", "Senior NLP Scientist")
    assert scientist["profile"]["role"] == "ml-researcher" and scientist["profile"]["seniority"] == "senior"


def test_a_plain_role_needs_no_reading():
    assert estimate_json("--role", "ml-engineer")["readings"] == []
    assert estimate_json("--role", "data scientist")["readings"] == []


def test_an_explicit_seniority_wins_over_the_title_with_a_note():
    data = estimate_json("--role", "Senior ML Engineer", "--seniority", "entry")
    assert data["profile"]["seniority"] == "entry"
    assert any("explicit seniority wins" in r and "senior" in r for r in data["readings"]), data["readings"]
    same = estimate_json("--role", "Senior ML Engineer", "--seniority", "senior")
    assert same["profile"]["seniority"] == "senior" and not any("wins" in r for r in same["readings"])


@pytest.mark.parametrize(
    "level,seniority",
    [("lead", "lead"), ("staff", "staff"), ("principal", "principal"), ("senior staff", "senior-staff"), ("intern", "entry"), ("junior", "entry"),
     ("associate", "mid"), ("L3", "entry"), ("L4", "mid"), ("E5", "senior"), ("L6", "staff"), ("L7", "senior-staff"), ("L9", "distinguished"),
     ("L10", "executive"), ("II", "mid"), ("III", "senior"), ("director", "executive"), ("head", "executive"), ("VP", "executive"),
     ("distinguished", "distinguished"), ("SE", "senior"), ("mid", "mid")],
)
def test_seniority_takes_level_words_and_ladders(level, seniority):
    data = estimate_json("--seniority", level)
    assert data["profile"]["seniority"] == seniority


def test_level_words_come_from_one_table():
    # --seniority, titles and the batch level column all read taxonomy.LEVELS.
    for word, level in taxonomy.LEVELS.items():
        assert taxonomy.normalize("seniority", word) == level
    assert set(taxonomy.LEVELS.values()) <= set(taxonomy.FACTOR_VALUES["seniority"])


@pytest.mark.parametrize(
    "title,message",
    [
        ("data scientst", "Error: unknown role 'data scientst'; did you mean 'data-scientist'?"),
        ("senior", "Error: role 'senior' names a level, not a role: give it as --seniority, and a role such as ml-engineer"),
    ],
)
def test_a_role_typo_or_a_bare_level_is_a_one_line_error(title, message):
    result = invoke("estimate", "--role", title)
    assert result.exit_code == 2 and result.stderr.strip() == message


# -- vocabulary -----------------------------------------------------------------------------------


def test_todays_skills_are_recognised_and_unmodelled_ones_are_warnings():
    skills = "LLM,GenAI,LangChain,RAG,Hugging Face,Airflow,MLflow,Databricks,JAX,CUDA,dbt,Kafka,vector databases,python"
    data = estimate_json("--skills", skills, "--country", "US")
    assert set(data["profile"]["skills"]) == {
        "llm", "genai", "langchain", "rag", "hugging-face", "airflow", "mlflow", "databricks", "jax", "cuda",
        "dbt", "kafka", "vector-databases", "python",
    }
    unmodelled = set(data["unmodelled_skills"])
    assert {"llm", "genai", "langchain", "rag", "airflow", "dbt", "vector-databases"} <= unmodelled
    assert "python" not in unmodelled and "pytorch" not in unmodelled
    text = invoke("estimate", "--skills", "llm,python", "--no-explain")
    assert text.exit_code == 0 and "no effect on the estimate): llm" in flat(text.stdout)


@pytest.mark.parametrize("typo,suggestion", [("langchian", "langchain"), ("pytorh", "pytorch"), ("airflw", "airflow")])
def test_a_typo_of_a_known_skill_is_left_out_with_did_you_mean(typo, suggestion):
    # A skill list is readable with one unknown item in it: the item is left out and said.
    data = estimate_json("--skills", f"python,{typo}")
    assert data["profile"]["skills"] == ["python"]
    assert any(f"'{typo}' (did you mean '{suggestion}'?)" in reading for reading in data["readings"]), data["readings"]


def test_soft_skills_never_blank_a_row():
    data = estimate_json("--skills", "Leadership,Communication", "--country", "US")
    assert data["profile"]["skills"] is None and "skills" in data["unknown_factors"]
    assert any("left out skill(s) 'Leadership', 'Communication'" in reading for reading in data["readings"])
    rows = list(csv.DictReader(io.StringIO(invoke("batch", "-", input="skills,country\npython;Leadership,US\nTeamwork,US\n").stdout)))
    assert [row["error"] for row in rows] == ["", ""] and all(row["p50"] for row in rows)


@pytest.mark.parametrize(
    "degree,value",
    [("B.Tech", "bachelor"), ("BE", "bachelor"), ("BSc", "bachelor"), ("BS", "bachelor"), ("BA", "bachelor"),
     ("MSc", "master"), ("M.Tech", "master"), ("MS", "master"), ("MA", "master"), ("MBA", "master"),
     ("DPhil", "doctorate-or-professional"), ("PhD", "doctorate-or-professional"), ("bootcamp", "other"),
     ("self-taught", "other"), ("diploma", "other"), ("Licenciatura", "bachelor"), ("Diplom", "master"),
     ("Master", "master"), ("Laurea", "master"), ("Laurea triennale", "bachelor"), ("Dipl.-Ing.", "master")],
)
def test_degrees_as_people_write_them(degree, value):
    data = estimate_json("--education", degree)
    assert data["profile"]["education"] == value
    if degree.lower() != value:
        assert f"read '{degree}' as education {value}" in data["readings"]


# -- batch headers ----------------------------------------------------------------------------------


def test_batch_reads_headers_as_people_write_them_and_says_how():
    text = "Name,Location,Years of Experience,Degree,Skills\nAlice,Germany,8,PhD,python;pytorch\n"
    result = invoke("batch", input=text)
    assert result.exit_code == 0, result.stderr
    (row,) = rows(result.stdout)
    # batch leaves the role unknown; estimate with the role left unknown is the same person.
    same = estimate_json("--country", "Germany", "--experience", "8", "--education", "phd", "--skills", "python,pytorch", "--role", "")
    assert int(row["p50"]) == same["median"]
    assert row["support"] == str(same["support"]["rows"]) and row["thin"] == "false"
    assert result.stderr.splitlines() == [
        "Note: read column 'Years of Experience' as experience, 'Degree' as education.",
        "Note: column(s) 'Name' match no factor and are passed through unchanged.",
    ]


def test_every_listed_alias_maps_case_space_and_underscore_insensitively():
    from mlsalary.batch import map_header

    headers = {
        "Location": "location", "CITY": "location", "Country": "country", "years_of_experience": "experience",
        "YOE": "experience", "degree": "education", "Education": "education", "Title": "role", "Job Title": "role",
        "LEVEL": "seniority", "Company Size": "company_size", "Remote": "remote", "Skills": "skills",
    }
    for header, column in headers.items():
        positions, _notes = map_header(["id", header])
        assert positions == {column: 1}, header


def test_batch_title_and_level_columns_and_a_near_miss_header():
    text = "Job Title,Level,Educaton,Country\nSenior ML Engineer,,MSc,US\nData Scientist,L6,,US\nML Engineer,junior,,US\n"
    result = invoke("batch", input=text)
    assert result.exit_code == 0, result.stderr
    out = rows(result.stdout)
    assert all(r["error"] == "" for r in out)
    senior = estimate_json("--role", "ml-engineer", "--seniority", "senior", "--country", "US")
    assert int(out[0]["p50"]) == senior["median"]  # the level came from the title
    assert "Note: column(s) 'Educaton' (nearest factor: education) match no factor and are passed through unchanged." in result.stderr
    assert "'Job Title' as role, 'Level' as seniority" in result.stderr


def test_a_column_named_after_a_factor_wins_over_an_alias_and_the_other_is_named():
    result = invoke("batch", input="Country,Nation\nDE,US\n")
    assert result.exit_code == 0, result.stderr
    assert rows(result.stdout)[0]["error"] == ""
    assert "Note: column 'Nation' not used: country is read from another column." in result.stderr


def test_city_and_country_columns_are_read_together_and_must_agree():
    result = invoke("batch", input="City,Country\nBerlin,DE\nBerlin,US\nAustin,US\n")
    assert result.exit_code == 0, result.stderr
    out = rows(result.stdout)
    assert out[0]["error"] == "" and out[2]["error"] == ""
    assert out[1]["error"].startswith("location 'Berlin' is in DE, but country is US")
    assert "Note: read column 'City' as location." in result.stderr


def test_a_city_in_location_is_read_and_every_bad_field_is_listed():
    text = "id,Location,YOE,Degree,Offer\n1,Berlin,8,PhD,120k\n2,Narnia,-3,Bachelr,€95k\n3,Germany,5,MSc,95000\n"
    result = invoke("batch", input=text)
    assert result.exit_code == 0, result.stderr
    out = rows(result.stdout)
    assert [r["id"] for r in out] == ["1", "2", "3"]
    assert out[0]["error"] == ""  # Berlin: Germany (location inside it is not modelled)
    bad = out[1]["error"]
    assert "\n" not in bad
    for field in ("experience must be", "unknown location 'Narnia'", "unknown education 'Bachelr'", "another currency"):
        assert field in bad, bad
    assert out[2]["error"] == "" and out[2]["offer_percentile"] != ""


# -- money ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,value",
    [("$180k", 180_000), ("180,000", 180_000), ("180.000", 180_000), ("1.5M", 1_500_000), ("145k", 145_000),
     ("180,5k", 180_500), ("$180,000/yr", 180_000), ("USD 120k", 120_000), ("1,234.50", 1234.5), ("1.234,50", 1234.5),
     ("1,80,000", 180_000), ("180 000", 180_000), ("180'000", 180_000), ("1,000,000", 1_000_000), ("1.000.000", 1_000_000)],
)
def test_money_as_people_type_it(text, value):
    assert negotiation.parse_offer(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["€95k", "95k EUR", "£80,000", "C$100k", "₹20,00,000"])
def test_other_currencies_are_refused_with_a_hint(text):
    result = invoke("estimate", "--offer", text)
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"Error: offer must be a yearly amount in USD, got '{text}' in another currency: "
        "give --currency CODE for offers in another currency (e.g. --currency EUR)"
    )


@pytest.mark.parametrize("text", ["15k/mo", "60/hr", "1.2.3", "1,,000", "k"])
def test_unreadable_or_not_yearly_offers_name_the_field(text):
    with pytest.raises(InputError) as error:
        negotiation.parse_offer(text)
    assert error.value.field == "offer" and str(error.value).startswith("offer must be a yearly amount in USD")


def test_180_comma_5k_is_not_1805000():
    data = estimate_json("--offer", "180,5k", "--country", "US")
    assert data["offer"] == 180_500


def test_an_offer_far_outside_the_training_window_warns():
    low = invoke("estimate", "--offer", "5", "--country", "US", "--no-explain")
    assert low.exit_code == 0
    assert low.stderr.startswith("Warning: offer 5 is below 10,000 a year: it looks monthly or hourly?")
    data = estimate_json("--offer", "9,500", "--country", "US")
    assert "monthly or hourly" in data["offer_warning"]
    high = estimate_json("--offer", "2M", "--country", "US")
    assert "above the highest pay in the training data" in high["offer_warning"]
    assert "offer_warning" not in estimate_json("--offer", "145k", "--country", "US")


def test_batch_counts_offers_outside_the_window():
    result = invoke("batch", input="country,offer\nUS,5000\nUS,150k\n")
    assert result.exit_code == 0
    assert "Warning: 1 offer(s) lie far outside the training data's yearly pay" in result.stderr


def test_profile_errors_list_every_bad_field_on_one_line():
    with pytest.raises(InputError) as error:
        Profile.from_mapping({"experience": "-3", "country": "Narnia", "education": "Hogwarts"})
    assert error.value.field == "experience, country, education"
    assert "\n" not in str(error.value) and str(error.value).count(";") >= 2


@pytest.mark.parametrize("city, code", [("Berlin", "DE"), ("Bangalore", "IN")])
def test_a_city_given_as_the_country_reads_as_its_country_with_a_reading(city, code):
    result = invoke("estimate", "--country", city, "--json", "--no-explain")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["profile"]["country"] == code
    assert any(city in r and "not modelled" in r for r in data["readings"])


def test_a_us_city_given_as_the_country_points_to_location():
    result = invoke("estimate", "--country", "Austin")
    assert result.exit_code == 2
    assert result.stderr.strip() == "Error: 'Austin' is a place in the US, not a country: give --location 'Austin' (or --country US)"


@pytest.mark.parametrize(
    "text,years,reading",
    [("6 years", 6.0, "read '6 years' as experience 6 years"), ("6 yrs", 6.0, "read '6 yrs' as experience 6 years"),
     ("10+", 10.0, "read '10+' as experience 10 years (at least that many)"),
     ("5-7", 6.0, "read '5-7' as experience 6 years (the middle of the range)"),
     ("5 to 7 years", 6.0, "read '5 to 7 years' as experience 6 years (the middle of the range)"), ("6", 6.0, None)],
)
def test_experience_as_people_write_it_is_read_and_the_reading_stated(text, years, reading):
    data = estimate_json("--experience", text)
    assert data["profile"]["experience"] == years
    assert (reading in data["readings"]) if reading else not data["readings"]


@pytest.mark.parametrize("text", ["five", "5-", "5-7-9", "61 years", "1e3 years", "5" + " " * 1000 + "years"])
def test_years_that_cannot_be_read_are_still_one_line_errors(text):
    result = invoke("estimate", "--experience", text)
    assert result.exit_code == 2 and result.stderr.count("\n") == 1 and "experience" in result.stderr


@pytest.mark.parametrize(
    "text,education",
    [("BSc (Hons)", "bachelor"), ("PhD (CS)", "doctorate-or-professional"), ("MS CS", "master"), ("B.Tech (CSE)", "bachelor")],
)
def test_degrees_with_qualifiers_and_fields_read_as_their_level(text, education):
    data = estimate_json("--education", text)
    assert data["profile"]["education"] == education
    assert f"read '{text}' as education {education}" in data["readings"]


def test_a_title_with_a_qualifier_in_parentheses_is_read_without_it():
    data = estimate_json("--role", "Staff Software Engineer (ML)", "--country", "US")
    assert data["profile"]["role"] == "software-engineer" and data["profile"]["seniority"] == "staff"
    assert any("without '(ML)'" in reading for reading in data["readings"])
    result = invoke("estimate", "--education", "Hogwarts (Hons)")
    assert result.exit_code == 2 and result.stderr.startswith("Error: unknown education 'Hogwarts (Hons)'")


@pytest.mark.parametrize(
    "cell,remote,country,area",
    [
        ("Remote", "remote", None, None),
        ("Fully remote", "remote", None, None),
        ("Remote - US", "remote", "US", None),
        ("Remote (US)", "remote", "US", None),
        ("Hybrid (NYC)", "hybrid", "US", "New York-Newark-Jersey City, NY-NJ"),
        ("Austin, TX (remote)", "remote", "US", "Austin-Round Rock-San Marcos, TX"),
        ("Berlin / on-site", "in-person", "DE", None),
        ("Remote - EMEA", "remote", None, None),  # the place cannot be read: left out, said so
    ],
)
def test_a_work_arrangement_in_the_location_sets_remote_and_the_place(cell, remote, country, area):
    profile = Profile.from_mapping({"location": cell})
    assert (profile.remote, profile.country, profile.location and profile.location.name) == (remote, country, area)
    assert any(f"as {remote} work" in r for r in profile.readings), profile.readings


def test_an_explicit_remote_wins_over_the_location_words_with_a_reading():
    profile = Profile.from_mapping({"location": "Austin, TX (remote)", "remote": "in-person"})
    assert profile.remote == "in-person" and any("an explicit remote wins" in r for r in profile.readings)


def test_a_place_named_like_a_work_word_is_still_a_place_or_an_error():
    with pytest.raises(InputError, match="unknown location 'Remoteville'"):
        Profile.from_mapping({"location": "Remoteville"})


def test_batch_rows_with_work_words_in_the_location_are_all_answered(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text('name,Location,YOE\na,Remote,5\nb,Remote - US,5\nc,Hybrid (NYC),4\nd,"Austin, TX (remote)",3\ne,Remote - EMEA,6\n')
    result = invoke("batch", str(path))
    out = rows(result.stdout)
    assert result.exit_code == 0 and len(out) == 5 and all(r["p50"] and not r["error"] for r in out), result.stdout
