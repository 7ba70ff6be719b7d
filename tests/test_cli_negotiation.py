"""Issue-3 commands through CliRunner: offer check, what-if, options, info, thin-data warning."""

from __future__ import annotations

import csv
import io
import json
import time


from conftest import invoke


def test_offer_gets_a_percentile_and_a_sentence():
    result = invoke("estimate", "--country", "US", "--experience", "4", "--offer", "145k", "--json", "--no-explain")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    r = data["range"]
    assert data["offer"] == 145_000 and 0 < data["offer_percentile"] < 100
    below = 145_000 < r["p50"]
    assert data["offer_summary"].startswith("145,000 is below about" if below else "145,000 is above about")
    assert data["offer_summary"].endswith(f"their median is {r['p50']:,}.")
    assert "respondents to the Stack Overflow Developer Survey 2025" in data["offer_summary"] and "not only large tech companies" in data["offer_summary"]
    if r["p25"] <= 145_000 <= r["p75"]:
        assert 25 <= data["offer_percentile"] <= 75


def test_offer_in_the_table_output():
    result = invoke("estimate", "--country", "US", "--offer", "1000000", "--no-explain")
    assert result.exit_code == 0
    assert "1,000,000 is above about 99" in result.stdout


def test_what_if_moves_the_range_and_shows_all_together():
    result = invoke("estimate", "--country", "DE", "--skills", "python", "--what-if", "country=US", "--what-if", "skills+=pytorch", "--json", "--no-explain")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)["what_if"]
    assert [r["scenario"] for r in rows] == ["as given", "country=US", "skills+=pytorch", "all together"]
    assert rows[0]["change_p50"] == 0
    assert rows[1]["p50"] > rows[0]["p50"]  # the US pays more than Germany in every source
    assert rows[1]["change_p50"] == rows[1]["p50"] - rows[0]["p50"]
    assert rows[3]["profile"]["country"] == "US" and rows[3]["profile"]["skills"] == ["python", "pytorch"]
    table = invoke("estimate", "--country", "DE", "--what-if", "country=US", "--no-explain")
    assert "What if" in table.stdout and "country=US" in table.stdout and "%)" in table.stdout


def test_bad_what_if_exit_2_before_loading_anything():
    result = invoke("estimate", "--what-if", "contry=US")
    assert result.exit_code == 2
    assert result.stderr.strip() == "Error: unknown factor 'contry' in what-if 'contry=US'; did you mean 'country'?"


def test_options_lists_values_rows_and_aliases_quickly():
    start = time.perf_counter()
    result = invoke("options", "education", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    values = {v["value"]: v for v in data["values"]}
    assert values["master"]["rows"] > 1000
    assert "Master’s degree (M.A., M.S., M.Eng., MBA, etc.)" in values["master"]["aliases"]
    country = {v["value"]: v for v in json.loads(invoke("options", "country", "--json").stdout)["values"]}
    assert country["US"]["modelled"] and country["US"]["rows"] > country["DE"]["rows"] > 0
    skills = {v["value"]: v for v in json.loads(invoke("options", "skills", "--json").stdout)["values"]}
    assert skills["pytorch"]["modelled"] is True and skills["pytorch"]["rows"] > 200
    assert time.perf_counter() - start < 10  # three calls; no model is loaded (see benchmarks/)


def test_options_typo_and_summary():
    bad = invoke("options", "eductaion")
    assert bad.exit_code == 2 and bad.stderr.strip() == "Error: unknown factor 'eductaion'; did you mean 'education'?"
    summary = invoke("options")
    assert summary.exit_code == 0 and "education" in summary.stdout and "skills" in summary.stdout


def test_info_is_a_model_card_from_the_metadata():
    result = invoke("info", "--json")
    assert result.exit_code == 0, result.stderr
    card = json.loads(result.stdout)
    assert card["estimates"].startswith("annual total compensation in USD")
    assert {s["licence"] for s in card["sources"]} == {"CC0 1.0", "ODbL 1.0 / DbCL 1.0"}
    assert 0.77 <= card["held_out"]["coverage_p10_p90"] <= 0.83
    assert card["held_out"]["reproduce"] == "mlsalary evaluate --data DIR"
    assert len(card["artifacts"]["model.joblib"]["sha256"]) == 64
    text = invoke("info").stdout
    assert "ODbL" in text and "Held-out accuracy" in text


def test_thin_data_gets_a_warning_and_a_support_figure():
    thin = json.loads(invoke("estimate", "--country", "Iceland", "--role", "ml-engineer", "--json", "--no-explain").stdout)
    assert thin["support"]["thin"] is True and thin["support"]["rows"] < 30
    thick = json.loads(invoke("estimate", "--country", "US", "--role", "ml-engineer", "--json", "--no-explain").stdout)
    assert thick["support"]["thin"] is False and thick["support"]["rows"] > 1000
    table = invoke("estimate", "--country", "Iceland", "--no-explain")
    assert "Thin data: only" in table.stdout


def test_batch_offer_column_gets_a_percentile():
    text = "country,experience,offer\nUS,5,150000\nDE,3,\nUS,5,abc\n"
    rows = list(csv.DictReader(io.StringIO(invoke("batch", input=text).stdout)))
    assert [r["offer"] for r in rows] == ["150000", "", "abc"]
    assert 0 < float(rows[0]["offer_percentile"]) < 100
    assert rows[1]["offer_percentile"] == "" and rows[1]["error"] == ""
    assert rows[2]["error"].startswith("offer must be a yearly amount in USD")


def test_a_bare_offer_read_in_another_unit_says_so():
    # A number alone is read in the unit of the figures shown; a note says which, so that
    # "70000" with --currency EUR (perhaps from MLSALARY_CURRENCY) is not silently euros.
    euros = invoke("estimate", "--country", "DE", "--experience", "5", "--offer", "70000", "--currency", "EUR", "--json")
    assert euros.exit_code == 0 and "read the offer '70000' as 70,000 EUR per year" in euros.stderr
    monthly = invoke("estimate", "--country", "DE", "--experience", "5", "--offer", "6k", "--per", "month", "--json")
    assert monthly.exit_code == 0 and "as 6,000 USD per month" in monthly.stderr
    signed = invoke("estimate", "--country", "DE", "--experience", "5", "--offer", "€70k", "--currency", "EUR", "--json")
    assert signed.exit_code == 0 and "read the offer" not in signed.stderr
    plain = invoke("estimate", "--country", "DE", "--experience", "5", "--offer", "70000", "--json")
    assert plain.exit_code == 0 and "read the offer" not in plain.stderr
