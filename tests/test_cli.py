"""The CLI through typer's CliRunner: exit codes, exact messages, output contracts."""

from __future__ import annotations

import csv
import io
import json

import pytest

from mlsalary.profile import FACTORS

from conftest import ROOT, invoke


# -- estimate -----------------------------------------------------------------------------------


def test_estimate_json_has_range_contributions_baseline_unknowns_version():
    result = invoke("estimate", "--experience", "5", "--country", "Germany", "--skills", "python,pytorch", "--education", "master", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    r = data["range"]
    assert r["p10"] <= r["p25"] <= r["p50"] <= r["p75"] <= r["p90"]
    assert data["median"] == r["p50"]
    # Only the given factors have contributions; the rest are listed as not given.
    assert list(data["contributions"]) == ["experience", "country", "education", "skills"]
    # Each contribution is rounded to a dollar: the sum is exact to within one dollar per factor.
    assert abs(data["baseline"] + sum(data["contributions"].values()) - data["median"]) <= len(FACTORS)
    assert data["unknown_factors"] == ["years_coding", "seniority", "industry", "role", "company_size", "remote"]
    assert data["profile"]["country"] == "DE"
    assert data["profile"]["education"] == "master"
    assert data["profile"]["role"] is None and data["role_note"].startswith("Role not given")
    assert data["reference"] == {"source": "stackoverflow-2025", "year": 2025}
    assert data["profile"]["skills"] == ["python", "pytorch"]
    assert data["currency"] == "USD" and "annual total compensation" in data["estimates"]
    assert len(data["model_version"]) == 12


def test_factors_not_given_get_no_dollars_and_the_rest_still_add_up():
    data = json.loads(invoke("estimate", "--country", "US", "--json").stdout)
    assert list(data["contributions"]) == ["country"]
    assert data["baseline"] + data["contributions"]["country"] == pytest.approx(data["median"], abs=1)
    assert "role" in data["unknown_factors"]


def test_estimate_batch_and_library_give_one_profile_one_answer():
    """One role policy everywhere: a role that is not given is not assumed."""
    from mlsalary import Estimator, Profile

    raw = {"country": "Germany", "experience": "5", "education": "master"}
    cli = json.loads(invoke("estimate", "--country", "Germany", "--experience", "5", "--education", "master", "--json", "--no-explain").stdout)
    rows = _rows(invoke("batch", "-", input="country,experience,education\nGermany,5,master\n").stdout)
    library = Estimator.load().estimate(Profile.from_mapping(raw), explain=False)
    assert cli["range"]["p50"] == int(rows[0]["p50"]) == round(library.quantiles["p50"])
    assert cli["range"]["p90"] == int(rows[0]["p90"]) == round(library.quantiles["p90"])


def test_estimate_table_shows_range_and_every_factor():
    result = invoke("estimate", "--experience", "5", "--country", "Germany", "--education", "master")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "Median" in out and "p10-p90" in out and "p25-p75" in out
    for label in ("Experience", "Country", "Education", "Baseline", "nothing known", "Not given", "Role not given"):
        assert label in out
    assert "Germany" in out
    assert "\x1b[" not in out  # no colour codes when not a terminal
    assert result.stderr == ""


def test_skills_option_accepts_repeats_and_comma_lists():
    one = json.loads(invoke("estimate", "--skills", "python,pytorch", "--json", "--no-explain").stdout)
    two = json.loads(invoke("estimate", "--skill", "PyTorch", "--skill", "Python", "--json", "--no-explain").stdout)
    assert one["range"] == two["range"]
    assert one["profile"]["skills"] == two["profile"]["skills"] == ["python", "pytorch"]


def test_source_labels_and_short_forms_give_the_same_estimate():
    long = invoke("estimate", "--education", "Master’s degree (M.A., M.S., M.Eng., MBA, etc.)", "--country", "United States of America", "--role", "AI/ML engineer", "--json", "--no-explain")
    short = invoke("estimate", "--education", "master", "--country", "US", "--role", "ml-engineer", "--json", "--no-explain")
    assert long.exit_code == short.exit_code == 0
    assert json.loads(long.stdout)["range"] == json.loads(short.stdout)["range"]


@pytest.mark.parametrize(
    "args,message",
    [
        (("--country", "Germny"), "Error: unknown country 'Germny'; did you mean 'Germany'?"),
        (("--experience", "-3"), "Error: experience must be a number of years between 0 and 60, got '-3'"),
        (("--experience", "five"), "Error: experience must be a number of years between 0 and 60 (or '6 years', '10+', '5-7'), got 'five'"),
        (("--years-coding", "inf"), "Error: years_coding must be a number of years between 0 and 70 (or '6 years', '10+', '5-7'), got 'inf'"),
    ],
)
def test_bad_input_is_one_line_naming_the_field_with_exit_2(args, message):
    result = invoke("estimate", *args)
    assert result.exit_code == 2
    assert result.stderr.strip() == message
    assert result.stdout == ""


@pytest.mark.parametrize("option,value,field", [("--education", "mastr", "education"), ("--role", "ml-enginer", "role"), ("--remote", "sometimes", "remote")])
def test_typos_name_the_field_and_a_way_out(option, value, field):
    result = invoke("estimate", option, value)
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert "\n" not in line and line.startswith(f"Error: unknown {field} '{value}'")
    assert "did you mean" in line or "valid values" in line


@pytest.mark.parametrize(
    "args, message",
    [
        (("estimate", "--experience"), "Error: Option '--experience' requires an argument."),
        (("estimat",), "Error: No such command 'estimat'. Did you mean 'estimate'? (see 'mlsalary --help')"),
        (("estimate", "--cuntry", "DE"), "Error: No such option: --cuntry (Possible options: --city, --country, --industry) (see 'mlsalary estimate --help')"),
        (("batch", "a.csv", "b.csv"), "Error: Got unexpected extra argument(s) (b.csv) (see 'mlsalary batch --help')"),
    ],
    ids=["missing-value", "unknown-command", "unknown-option", "extra-argument"],
)
def test_usage_errors_are_one_line_with_exit_2(args, message):
    """Click's own errors (usage, hint and error on three lines) become one line too."""
    result = invoke(*args)
    assert result.exit_code == 2
    assert result.stderr == message + "\n"
    assert result.stdout == ""


def test_help_groups_options_and_shows_examples():
    result = invoke("estimate", "--help")
    assert result.exit_code == 0
    sections = [line for line in result.stdout.splitlines() if line and not line.startswith(" ") and line.endswith(":")]
    assert sections == ["Profile:", "Negotiation:", "Output:", "Model:", "Options:"]
    assert "  mlsalary estimate --country US --experience 4 --offer 145k\n" in result.stdout


def test_no_arguments_shows_help():
    # `mlsalary` alone is a request for help: the --help text on stdout, no "Error:", exit 0.
    result = invoke()
    assert result.exit_code == 0 and result.stderr == ""
    assert result.stdout == invoke("--help").stdout
    assert "estimate" in result.stdout and "batch" in result.stdout and "Error" not in result.stdout


# -- batch --------------------------------------------------------------------------------------

BATCH_CSV = (
    "id,experience,country,education,skills\n"
    "a,5,Germany,master,python;pytorch\n"
    "b,-1,Germany,master,\n"
    "c,3,Germny,,\n"
    "d,10,US,phd,python\n"
    "e,,,,\n"
)


def _rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_batch_keeps_every_row_in_order_with_errors_in_their_column():
    result = invoke("batch", "-", input=BATCH_CSV)
    assert result.exit_code == 0, result.stderr
    rows = _rows(result.stdout)
    assert [r["id"] for r in rows] == ["a", "b", "c", "d", "e"]
    assert list(rows[0]) == ["id", "experience", "country", "education", "skills", "p10", "p25", "p50", "p75", "p90", "support", "thin", "currency", "per", "readings", "error"]
    assert rows[1]["error"].startswith("experience must be")
    assert rows[2]["error"] == "unknown country 'Germny'; did you mean 'Germany'?"
    for good in (rows[0], rows[3], rows[4]):
        assert good["error"] == ""
        assert int(good["p10"]) <= int(good["p50"]) <= int(good["p90"])
    for bad in (rows[1], rows[2]):
        assert bad["p50"] == ""
    assert result.stderr.strip().splitlines() == [
        "Note: column(s) 'id' match no factor and are passed through unchanged.",
        "2 of 5 rows had errors; see the error column.",
    ]


def test_batch_estimates_match_single_estimates():
    rows = _rows(invoke("batch", input=BATCH_CSV).stdout)
    single = json.loads(invoke("estimate", "--experience", "5", "--country", "Germany", "--education", "master", "--skills", "python,pytorch", "--json", "--no-explain").stdout)
    assert int(rows[0]["p50"]) == single["range"]["p50"]


def test_batch_explain_adds_additive_contributions():
    rows = _rows(invoke("batch", "--explain", input=BATCH_CSV).stdout)
    row = rows[0]
    # A factor the row does not give has an empty contribution cell, not a 0.
    given = [f for f in FACTORS if row[f"contribution_{f}"] != ""]
    assert given == ["experience", "country", "education", "skills"]
    total = int(row["baseline"]) + sum(int(row[f"contribution_{f}"]) for f in given)
    assert abs(total - int(row["p50"])) <= len(FACTORS)
    assert rows[1]["baseline"] == ""


def test_batch_jsonl_round_trip_keeps_fields_and_reports_bad_lines():
    lines = '{"id": 1, "country": "DE", "skills": ["python"]}\nnot json\n[1, 2]\n{"id": 4, "experience": 4}\n'
    result = invoke("batch", "--input-format", "jsonl", "--output-format", "jsonl", input=lines)
    assert result.exit_code == 0
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == 4
    assert out[0]["id"] == 1 and out[0]["skills"] == ["python"] and out[0]["error"] is None
    assert out[1]["error"].startswith("line 2: not valid JSON")
    assert out[2]["error"] == "line 3: expected a JSON object, got list"
    assert out[3]["id"] == 4 and out[3]["p50"] > 0


def test_batch_sample_profiles_all_estimate(tmp_path):
    result = invoke("batch", str(ROOT / "sample_data" / "profiles.csv"))
    assert result.exit_code == 0, result.stderr
    rows = _rows(result.stdout)
    assert len(rows) == 8 and all(r["error"] == "" for r in rows)
    jsonl = invoke("batch", str(ROOT / "sample_data" / "profiles.jsonl"), "--output-format", "jsonl")
    assert [json.loads(x)["p50"] for x in jsonl.stdout.splitlines()] == [int(r["p50"]) for r in rows]


def test_batch_fail_fast_stops_with_exit_2():
    result = invoke("batch", "--fail-fast", input=BATCH_CSV)
    assert result.exit_code == 2
    assert result.stderr.strip().startswith("Error: row 2: experience must be")
    assert len(_rows(result.stdout)) == 1


def test_batch_missing_file_and_bad_format_exit_2():
    missing = invoke("batch", "no/such/file.csv")
    assert missing.exit_code == 2 and "cannot read 'no/such/file.csv'" in missing.stderr
    bad = invoke("batch", "--output-format", "xml", input=BATCH_CSV)
    assert bad.exit_code == 2 and "--output-format must be one of csv, jsonl; got 'xml'" in bad.stderr


def test_untrusted_model_folder_is_refused(tmp_path):
    (tmp_path / "metadata.json").write_text("{}")
    result = invoke("estimate", "--model", str(tmp_path))
    assert result.exit_code == 4
    assert "pickles, and unpickling runs code; pass --trust-model" in result.stderr


def test_survey_non_answers_and_year_phrases_are_accepted():
    data = json.loads(invoke("estimate", "--education", "NA", "--company-size", "I don’t know", "--experience", "Less than 1 year", "--years-coding", "More than 50 years", "--json", "--no-explain").stdout)
    assert "education" in data["unknown_factors"] and "company_size" in data["unknown_factors"]
    assert data["profile"]["experience"] == 0.5 and data["profile"]["years_coding"] == 51.0


def test_skill_labels_with_commas_survive_splitting():
    data = json.loads(invoke("estimate", "--skills", "Linode, now Akamai;Python", "--json", "--no-explain").stdout)
    assert data["profile"]["skills"] == ["linode", "python"]


@pytest.mark.parametrize("columns", ["50", "60", "80"])
def test_estimate_fits_a_narrow_terminal_without_cutting_a_number(columns):
    from typer.testing import CliRunner

    from mlsalary.cli import app

    args = ["estimate", "--location", "San Francisco", "--experience", "5", "--skills", "python,pytorch", "--offer", "200k"]
    result = CliRunner().invoke(app, args, env={"NO_COLOR": "1", "COLUMNS": columns})
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= int(columns)
    assert "…" not in result.stdout
    data = json.loads(invoke(*args, "--json").stdout)
    for value in (*data["range"].values(), data["baseline"]):
        assert f"${value:,.0f}" in result.stdout


def test_info_on_80_columns_cuts_nothing_and_shows_the_whole_hash():
    from typer.testing import CliRunner

    from mlsalary.cli import app

    result = CliRunner().invoke(app, ["info"], env={"NO_COLOR": "1", "COLUMNS": "80"})
    assert result.exit_code == 0, result.stderr
    assert "…" not in result.stdout and max(len(line) for line in result.stdout.splitlines()) <= 80
    card = json.loads(invoke("info", "--json").stdout)
    sha = card["artifacts"]["model.joblib"]["sha256"]
    assert sha in "".join(result.stdout.split())  # folded over two lines, whole
    for source in card["sources"]:
        assert source["source"] in result.stdout


def test_the_option_spellings_people_type_are_the_factors_options():
    # --yoe, --years, --title, --level, --degree and --city are the options they mean: the same answer.
    from typer.testing import CliRunner

    from mlsalary.cli import app

    runner = CliRunner()
    plain = runner.invoke(app, ["estimate", "--experience", "5", "--role", "Senior ML Engineer", "--location", "Seattle", "--education", "master", "--json"])
    typed = runner.invoke(app, ["estimate", "--yoe", "5", "--title", "Senior ML Engineer", "--city", "Seattle", "--degree", "master", "--json"])
    assert plain.exit_code == typed.exit_code == 0, typed.output
    assert plain.stdout == typed.stdout
    level = runner.invoke(app, ["estimate", "--years", "5", "--level", "senior", "--country", "DE", "--json"])
    assert level.exit_code == 0 and '"seniority": "senior"' in level.stdout
