"""compare, trend and the DataFrame API: every number is the one estimate or batch gives."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pandas as pd
import pytest

from mlsalary import Estimator, Profile
from mlsalary.cli.render import strip

from conftest import invoke


def estimate_json(*args) -> dict:
    result = invoke("estimate", *args, "--json", "--no-explain")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_compare_rows_are_the_estimates_in_the_order_given():
    result = invoke("compare", "--role", "ml-engineer", "--experience", "5", "--by", "country=US,GB,DE,NL", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["country"] for r in rows] == ["US", "GB", "DE", "NL"]
    for row in rows:
        single = estimate_json("--role", "ml-engineer", "--experience", "5", "--country", row["country"])
        assert [row[k] for k in ("p10", "p25", "p50", "p75", "p90")] == [single["range"][k] for k in ("p10", "p25", "p50", "p75", "p90")]
        assert row["support"] == single["support"]["rows"] and row["thin"] == single["support"]["thin"]
    assert rows[0]["change_p50"] == 0
    assert rows[1]["change_p50"] == rows[1]["p50"] - rows[0]["p50"]


def test_compare_grid_and_csv():
    result = invoke("compare", "--role", "ml-engineer", "--by", "country=US,DE", "--by", "education=bachelor,master", "--csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["country"], r["education"]) for r in rows] == [("US", "bachelor"), ("US", "master"), ("DE", "bachelor"), ("DE", "master")]
    single = estimate_json("--role", "ml-engineer", "--country", "DE", "--education", "master")
    assert int(rows[3]["p50"]) == single["range"]["p50"]


def test_compare_table_draws_a_strip_per_row():
    result = invoke("compare", "--role", "ml-engineer", "--by", "country=US,DE")
    assert result.exit_code == 0, result.output
    assert result.stdout.count("|") >= 2 and "=" in result.stdout  # plain-text strips off a terminal
    assert "US" in result.stdout and "DE" in result.stdout


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--by", "country"], "--by must be FACTOR=V1,V2"),
        (["--by", "planet=Mars"], "unknown factor 'planet'; factors: experience"),
        (["--by", "country="], "needs at least one value"),
        (["--by", "country=US,Narnia"], "unknown country 'Narnia'"),
        (["--by", "country=US", "--by", "country=DE"], "each factor can be varied once"),
        (["--by", "experience=5,-3"], "experience"),
    ],
)
def test_compare_bad_input_is_one_line_with_exit_2(args, fragment):
    result = invoke("compare", "--role", "ml-engineer", *args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and fragment in lines[0], result.stderr
    assert "Traceback" not in result.output


def test_trend_lists_each_source_year_with_rows_and_says_it_is_the_past():
    result = invoke("trend", "--country", "US", "--role", "ml-engineer", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    rows = data["rows"]
    assert {r["source"] for r in rows} >= {"aijobs", "stackoverflow-2025"}
    assert all(r["rows"] > 0 for r in rows)
    assert any(r["thin"] for r in rows)  # aijobs 2020 has 69 rows
    latest = next(r for r in rows if r["source"] == "stackoverflow-2025")
    reference = estimate_json("--country", "US", "--role", "ml-engineer")
    assert latest["p50"] == reference["range"]["p50"]  # the reference year is the estimate itself
    assert "not a forecast" in data["summary"]


def test_trend_does_not_estimate_a_us_subset_for_another_country():
    data = json.loads(invoke("trend", "--country", "DE", "--json").stdout)
    us = [r for r in data["rows"] if r["source"].endswith("-us")]
    assert us and all("p50" not in r and r["note"] for r in us)


def test_strip_marks_median_box_whisker_and_offer():
    line = strip([10, 20, 30, 40, 50], 10, 50, width=21, ascii=True, offer=45)
    assert len(line) == 21 and line[0] == "-" and line[-1] == "-"
    assert line.count("|") == 1 and "=" in line and "v" in line


@pytest.mark.filterwarnings("ignore::mlsalary.errors.MlsalaryWarning")  # the notes: checked in test_library
def test_estimate_frame_matches_batch_row_for_row():
    frame = pd.DataFrame({"Name": ["a", "b", "c"], "Location": ["Germany", "US", "Narnia"], "YOE": [5, 3, 2], "Title": ["ML Engineer", "Data Scientist", "ML Engineer"]})
    out = Estimator.load().estimate_frame(frame)
    assert list(out.index) == list(frame.index) and list(out.columns[:4]) == list(frame.columns)
    text = io.StringIO()
    frame.to_csv(text, index=False)
    rows = list(csv.DictReader(io.StringIO(invoke("batch", "-", input=text.getvalue()).stdout)))
    for (_, got), row in zip(out.iterrows(), rows):
        if row["error"]:
            assert got["error"] == row["error"] and pd.isna(got["p50"])
        else:
            assert int(got["p50"]) == int(row["p50"]) and int(got["p90"]) == int(row["p90"])


def test_the_readme_dataframe_example_runs():
    code = """
import pandas as pd
from mlsalary import Estimator
people = pd.DataFrame({"Location": ["Germany", "US"], "YOE": [5, 3], "Title": ["ML Engineer", "Data Scientist"]})
print(Estimator.load().estimate_frame(people)[["p10", "p50", "p90"]].to_csv(index=False))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    single = Estimator.load().estimate(Profile.from_mapping({"country": "Germany", "experience": 5, "role": "ML Engineer"}), explain=False)
    assert float(rows[0]["p50"]) == round(single.quantiles["p50"])


# -- local currency -----------------------------------------------------------------------------


def test_currency_states_the_same_estimate_at_a_dated_ecb_rate():
    usd = estimate_json("--country", "DE", "--experience", "5")
    eur = estimate_json("--country", "DE", "--experience", "5", "--currency", "EUR")
    conv = eur["conversion"]
    assert eur["currency"] == "EUR" and conv["window"] == ["2025-01-01", "2025-12-31"] and conv["days"] > 200
    assert 0.7 < conv["usd_rate"] < 1.1
    for k in ("p10", "p50", "p90"):
        assert abs(eur["range"][k] - usd["range"][k] * conv["usd_rate"]) <= 1
    monthly = estimate_json("--country", "DE", "--experience", "5", "--currency", "EUR", "--per", "month")
    assert abs(monthly["range"]["p50"] - eur["range"]["p50"] / 12) <= 1


def test_an_offer_in_the_chosen_currency_gets_the_usd_offers_percentile():
    eur = estimate_json("--country", "DE", "--experience", "5", "--currency", "EUR", "--offer", "€60k")
    rate = eur["conversion"]["usd_rate"]
    usd = estimate_json("--country", "DE", "--experience", "5", "--offer", str(round(60000 / rate)))
    assert eur["offer"] == 60000
    assert abs(eur["offer_percentile"] - usd["offer_percentile"]) <= 0.2


@pytest.mark.parametrize("code", ["XYZ", "RUB", "eu"])
def test_a_currency_the_ecb_does_not_publish_is_one_line_listing_those_it_does(code):
    result = invoke("estimate", "--country", "DE", "--currency", code)
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert "\n" not in line and line.startswith("Error: currency ") and "the ECB publishes no reference rate" in line and "EUR, GBP" in line


def test_compare_in_another_currency():
    rows = json.loads(invoke("compare", "--role", "ml-engineer", "--by", "country=US,DE", "--currency", "GBP", "--json").stdout)
    usd = json.loads(invoke("compare", "--role", "ml-engineer", "--by", "country=US,DE", "--json").stdout)
    assert all(r["currency"] == "GBP" for r in rows)
    assert rows[0]["p50"] < usd[0]["p50"]  # a pound buys more than a dollar


# -- figures -----------------------------------------------------------------------------------


def test_figures_json_sections_are_estimates_with_support():
    result = invoke("figures", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    sections = data["sections"]
    assert set(sections) == {"seniority x country", "experience", "industry", "education", "skill", "US metro"}
    metro = sections["US metro"][0]
    single = estimate_json("--role", "ml-engineer", "--location", metro["location"])
    assert metro["p50"] == single["range"]["p50"]
    cell = next(r for r in sections["seniority x country"] if r["country"] == "US" and r["seniority"] == "senior")
    single = estimate_json("--role", "ml-engineer", "--country", "US", "--seniority", "senior")
    assert cell["p50"] == single["range"]["p50"] and cell["support"] == single["support"]["rows"]
    assert [r["experience"] for r in sections["experience"]][:3] == ["0", "1", "2"]
    assert all(r["p10"] <= r["p50"] <= r["p90"] for rows in sections.values() for r in rows)


def test_figures_table_and_csv():
    table = invoke("figures", "--role", "data-scientist")
    assert table.exit_code == 0, table.output
    assert "By seniority and country" in table.stdout and "By industry" in table.stdout and "n=" in table.stdout
    rows = list(csv.DictReader(io.StringIO(invoke("figures", "--csv").stdout)))
    assert {r["section"] for r in rows} == {"seniority x country", "experience", "industry", "education", "skill", "US metro"}


def test_batch_in_another_currency_matches_estimate_and_reads_offers_in_it():
    text = "country,experience,offer\nDE,5,€70k\nUS,3,\n"
    rows = list(csv.DictReader(io.StringIO(invoke("batch", "-", "--currency", "EUR", input=text).stdout)))
    single = estimate_json("--country", "DE", "--experience", "5", "--currency", "EUR", "--offer", "70000")
    assert int(rows[0]["p50"]) == single["range"]["p50"] and int(rows[0]["p90"]) == single["range"]["p90"]
    assert float(rows[0]["offer_percentile"]) == single["offer_percentile"]
    assert rows[1]["offer_percentile"] == "" and int(rows[1]["p50"]) > 0


def test_compare_places_by_location_as_what_if_moves_there():
    rows = json.loads(invoke("compare", "--role", "ml-engineer", "--experience", "5", "--by", "location=San Francisco,Austin,Kansas City", "--json").stdout)
    medians = [r["p50"] for r in rows]
    for row in rows:
        single = estimate_json("--role", "ml-engineer", "--experience", "5", "--location", row["location"])
        assert row["p50"] == single["range"]["p50"]
    assert medians[0] > medians[1] > medians[2]
    # A place sets its country, as --what-if location= does: from Germany to Austin and Berlin.
    moved = json.loads(invoke("compare", "--country", "DE", "--experience", "5", "--by", "location=Austin, TX,Berlin", "--json").stdout)
    assert [(r["location"], r["profile"]["country"]) for r in moved] == [("Austin, TX", "US"), ("Berlin", "DE")]
    what_if = estimate_json("--country", "DE", "--experience", "5", "--what-if", "location=Austin, TX")
    assert what_if["what_if"][1]["p50"] == moved[0]["p50"]


def test_compare_and_what_if_read_a_title_as_estimate_does():
    rows = json.loads(invoke("compare", "--country", "US", "--experience", "5", "--by", "role=Senior ML Engineer,ML Engineer", "--json").stdout)
    senior = estimate_json("--country", "US", "--experience", "5", "--title", "Senior ML Engineer")
    plain = estimate_json("--country", "US", "--experience", "5", "--title", "ML Engineer")
    assert [r["p50"] for r in rows] == [senior["range"]["p50"], plain["range"]["p50"]] and rows[0]["p50"] > rows[1]["p50"]
    what_if = estimate_json("--country", "US", "--experience", "5", "--what-if", "role=Senior ML Engineer")
    assert what_if["what_if"][1]["p50"] == senior["range"]["p50"]
    result = invoke("compare", "--country", "US", "--by", "role=ml-engineer,data-scientist")
    assert "Role not given" not in result.stderr


def test_environment_places_give_way_to_the_command_line():
    # MLSALARY_COUNTRY=DE with --location Seattle: the command line wins, as the README says.
    data = json.loads(invoke("estimate", "--location", "Seattle", "--json", env={"MLSALARY_COUNTRY": "DE"}).stdout)
    assert data["profile"]["country"] == "US" and data["profile"]["location"].startswith("Seattle")
    data = json.loads(invoke("estimate", "--country", "DE", "--json", env={"MLSALARY_LOCATION": "Seattle"}).stdout)
    assert data["profile"]["country"] == "DE" and "location" not in data["profile"]
    both = invoke("estimate", "--json", env={"MLSALARY_COUNTRY": "DE", "MLSALARY_LOCATION": "Seattle"})
    assert both.exit_code == 2 and "but country is DE" in both.stderr  # both from the environment: a real conflict
    here = json.loads(invoke("trend", "--experience", "5", "--json", env={"MLSALARY_LOCATION": "Seattle"}).stdout)
    there = json.loads(invoke("trend", "--experience", "5", "--json").stdout)
    assert here["rows"][-1]["p50"] > there["rows"][-1]["p50"]


def _render(table, width):
    from rich.console import Console

    out = io.StringIO()
    Console(file=out, width=width, color_system=None).print(table)
    return out.getvalue()


_METROS = ["New York-Newark-Jersey City, NY-NJ", "Washington-Arlington-Alexandria, DC-VA-MD-WV", "Boston-Cambridge-Newton, MA-NH"]


@pytest.mark.parametrize("width", [64, 80, 100, 160])
@pytest.mark.parametrize("names", [["remote", "hybrid"], _METROS])
def test_range_tables_never_cut_a_number_or_a_name_and_fit_the_width(width, names):
    # Synthetic rows: the table's layout, not the model, is under test.
    from mlsalary.cli.render import range_table

    rows = [{"where": name, "p10": 71_603 + i, "p25": 90_000, "p50": 145_601 + i, "p75": 200_000, "p90": 253_787 + i, "support": 31844,
             "thin": False, "change_p50_pct": 5.3 * i} for i, name in enumerate(names)]
    table = range_table(rows, [("Where", "where")], title="T", width=width)
    text = _render(table, width)
    assert max(len(line) for line in text.splitlines()) <= width
    assert "…" not in text
    for row in rows:
        for key in ("p10", "p50", "p90"):
            assert f"${row[key]:,}" in text
    # Each name, read back down the first column (a long one folds onto several lines).
    first_column = "".join(line.split("│")[1] for line in text.splitlines() if line.startswith("│")).replace(" ", "")
    for name in names:
        assert name.replace(" ", "") in first_column
    # The strip is drawn where the numbers leave room for it.
    assert (len(table.columns) == 7) == (width >= (160 if names is _METROS else 80))


@pytest.mark.parametrize("width, tables", [(80, 2), (160, 1)])
def test_the_seniority_by_country_grid_splits_rather_than_cuts(width, tables):
    from mlsalary.cli.render import matrix_table

    countries = ["US", "GB", "CA", "DE", "FR", "IN", "UA", "BR"]
    rows = [{"seniority": level, "country": country, "p10": 110_000 + i, "p50": 166_000, "p90": 283_000, "support": 1709, "thin": i % 2 == 0}
            for level in ("entry", "executive") for i, country in enumerate(countries)]
    text = _render(matrix_table(rows, "seniority", "country", title="T", width=width), width)
    assert max(len(line) for line in text.splitlines()) <= width
    assert "…" not in text and text.count("┃ Seniority") == tables
    for country in countries:
        assert f" {country} ┃" in text
    assert text.count("110-283k") == text.count("$166k") == len(rows)
    assert text.rstrip().endswith("* thin: fewer than 30 respondents")
